#!/usr/bin/env bash
# The race-hazard demo tour: every demo in demos/ natively and under greenring
# (fifo, explore, --strict, the watchdog, a trace), its fixed variant, and a
# side-by-side verdict table computed from what actually happened: the exit
# statuses and the output of the runs, never written in advance.
#
# Usage: demos/tour.sh [BUILD_DIR]   (default: build/ next to demos/)
# Needs the demos built: cmake --build BUILD_DIR --target demos (scripts/demo does it).
# Writes its logs, the trace and the SVG timeline to BUILD_DIR/demo-tour/.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 2
bin=$build/bin
greenring=$bin/greenring
out=$build/demo-tour
RUNS=100       # explore's bound for the quick demos (a run takes milliseconds)
SLOW_RUNS=3    # ... for the two that compute for a third of a second a run
TIMEOUT=10     # explore --timeout: a run that lasts longer fails
NATIVE_HANG=2  # seconds a native run may take before the tour calls it a hang

for f in "$greenring" "$bin/demo-lost-update" "$bin/demo-deadlock-fixed"; do
  if [ ! -x "$f" ]; then
    echo "tour: $f is missing; build first: cmake --build $build --target demos" >&2
    exit 2
  fi
done
mkdir -p "$out"
cd "$out" || exit 2
rm -f ./*.log ./*.json ./*.svg
started=$(date +%s%N)

if [ -t 1 ]; then
  B=$'\e[1m' D=$'\e[2m' R=$'\e[31m' G=$'\e[32m' Y=$'\e[33m' N=$'\e[0m'
else
  B='' D='' R='' G='' Y='' N=''
fi

# Paths as the reader would type them from the top of the source tree.
short() { local s=${*//$root\//}; echo "${s//$out\//}"; }

# capture NAME CMD...: runs CMD, stdout+stderr to NAME.log; its status in $rc
# and its wall time (seconds, 2 decimals) in $secs.
capture() {
  local name=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$name.log" 2>&1 </dev/null
  rc=$?
  t1=$(date +%s%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
}

# Lines of a log worth showing: the demo's own summary and the runtime's reports.
show() {
  local log=$1 pattern=${2:-'^verdict: |^greenring: (watchdog|deadlock|.* yields)|waits on|^  "|^[0-9]+ (tellers|handlers|halves)|^config loaded|^libstore|^heartbeat every|^2 halves|transfers each way'}
  grep -E -- "$pattern" "$log" | head -n "${3:-6}" | cut -c1-200 | sed "s/^/      ${D}│${N} /"
}

status_text() { # STATUS [LIMIT]: exit status -> words (124: timeout(1) killed it after LIMIT s)
  case $1 in
  0) echo "exit 0" ;;
  124) echo "no exit after ${2:-?} s: killed" ;;
  134) echo "exit 134: SIGABRT" ;;
  *) if [ "$1" -gt 128 ]; then echo "exit $1: signal $(($1 - 128))"; else echo "exit $1"; fi ;;
  esac
}

say_cmd() { echo "    ${B}\$ $(short "$*")${N}"; }

# run_native NAME DEMO [ARGS]: sets native_rc, native_secs
run_native() {
  local name=$1
  shift
  say_cmd "$@"
  capture "$name.native" timeout "$NATIVE_HANG" "$@"
  native_rc=$rc native_secs=$secs
  show "$name.native.log"
  echo "      ${D}→ $(status_text "$rc" "$NATIVE_HANG"), ${secs} s${N}"
}

# run_green NAME [OPTIONS] -- DEMO [ARGS]: sets green_rc, green_secs
run_green() {
  local name=$1
  shift
  say_cmd greenring run "$@"
  capture "$name" timeout 60 "$greenring" run "$@"
  green_rc=$rc green_secs=$secs
  show "$name.log"
  echo "      ${D}→ $(status_text "$rc" 60), ${secs} s${N}"
}

# again NAME TIMES [OPTIONS] -- DEMO [ARGS]: runs `greenring run` TIMES more
# times, silently; sets again_failed (how many exited non-zero).
again() {
  local name=$1 times=$2 i
  shift 2
  again_failed=0
  for ((i = 1; i <= times; i++)); do
    capture "$name.again$i" timeout 60 "$greenring" run "$@"
    [ "$rc" -ne 0 ] && again_failed=$((again_failed + 1))
  done
  echo "      ${D}→ the same command $times more times: failed $again_failed of $times${N}"
}

# run_explore NAME RUNS DEMO [ARGS]: sets explore_rc, explore_seed, explore_replays
# (failing replays out of 3), explore_cell
run_explore() {
  local name=$1 runs=$2
  shift 2
  say_cmd greenring explore --runs "$runs" --timeout "$TIMEOUT" -- "$@"
  capture "$name" "$greenring" explore --runs "$runs" --timeout "$TIMEOUT" -- "$@"
  explore_rc=$rc explore_seed='' explore_replays=0
  local explore_secs=$secs
  local replay failed_line
  replay=$(sed -n 's/^replay: //p' "$name.log" | tail -n 1)
  failed_line=$(grep -E '^greenring: run [0-9]+ failed' "$name.log" | tail -n 1)
  if [ "$rc" -eq 1 ] && [ -n "$replay" ]; then
    explore_seed=$(sed -n 's/.* --seed \([0-9]*\) .*/\1/p' <<<"$replay")
    echo "      ${D}│${N} ${failed_line#greenring: }"
    echo "      ${D}│${N} replay: $(short "$replay")"
    local i
    for i in 1 2 3; do
      capture "$name.replay$i" bash -c "$replay"
      [ "$rc" -ne 0 ] && explore_replays=$((explore_replays + 1))
    done
    echo "      ${D}→ explore exit 1 after $explore_secs s; the replay command, run 3 times: failed $explore_replays of 3${N}"
    explore_cell="seed $explore_seed; replay $explore_replays/3"
  elif [ "$rc" -eq 0 ]; then
    echo "      ${D}│${N} $(grep -E 'runs, no failure' "$name.log" | tail -n 1 | sed 's/^greenring: //')"
    echo "      ${D}→ explore exit 0 after $secs s${N}"
    explore_cell="no failure in $runs"
  else
    tail -n 3 "$name.log" | sed "s/^/      ${D}│${N} /"
    echo "      ${D}→ explore exit $rc${N}"
    explore_cell="explore exit $rc"
  fi
}

# cell RC LOG [DETAIL]: a table cell from a run's exit status and output.
cell() {
  local rc=$1 log=$2 detail=${3:-}
  local word
  case $rc in
  0) word="ok" ;;
  124) word="hang" ;;
  134) if grep -q 'yields inside a no-yield scope' "$log"; then word="abort: scope"
       elif grep -q 'GREENRING_STRICT=1' "$log"; then word="abort: strict"
       elif grep -q 'greenring: deadlock' "$log"; then word="abort: deadlock"
       else word="abort"; fi ;;
  *) word="FAIL" ;;
  esac
  [ -n "$detail" ] && word="$word, $detail"
  echo "$word"
}

# Table rows: demo | native | greenring fifo | explore | fixed | caught by
rows=()
row() { rows+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"$'\t'"$6"); }

fixed_cell() { # fifo rc, explore rc, explore runs
  local f=$1 e=$2 n=$3
  local a b
  [ "$f" -eq 0 ] && a="ok" || a="FAIL($f)"
  [ "$e" -eq 0 ] && b="ok x$n" || b="FAIL"
  echo "fifo $a; explore $b"
}

heading() { # TITLE [SOURCE]
  echo
  echo "${B}$1${N}${2:+  ${D}demos/$2${N}}"
}

echo "${B}greenring hazard tour${N}: each demo natively (real threads, $(nproc) cores), under greenring, and fixed."
echo "Logs: $(short "$out")/"

# ---------------------------------------------------------------------------
heading "(a) Lost update: a logging helper inside a read-modify-write yields" lost_update.c
echo "  deposit() reads the balance, audit()s the deposit (a write() to a log file), stores old + amount."
run_native a "$bin/demo-lost-update"
a_native=$(cell "$native_rc" a.native.log "$(sed -n 's/^verdict: FAIL: \([0-9]*\) of \([0-9]*\).*/\1\/\2 lost/p' a.native.log)")
run_green a.fifo -- "$bin/demo-lost-update"
a_fifo=$(cell "$green_rc" a.fifo.log "$(sed -n 's/^verdict: FAIL: \([0-9]*\) of \([0-9]*\).*/\1\/\2 lost/p' a.fifo.log)")
a_fifo_rc=$green_rc
again a.fifo 2 -- "$bin/demo-lost-update"
a_again=$again_failed
run_explore a.explore "$RUNS" "$bin/demo-lost-update"
a_explore=$explore_cell
echo "  fixed: the account's mutex held across the read-modify-write"
run_green a.fixed -- "$bin/demo-lost-update-fixed"
f=$green_rc
run_explore a.fixed.explore "$RUNS" "$bin/demo-lost-update-fixed"
a_fixed=$(fixed_cell "$f" "$explore_rc" "$RUNS")
if [ "$a_fifo_rc" -ne 0 ]; then a_caught="fifo: $((a_again + 1))/3 runs fail"; else a_caught="explore: seed ${explore_seed:-none}"; fi
row "(a) lost update" "$a_native" "$a_fifo" "$a_explore" "$a_fixed" "$a_caught"

# ---------------------------------------------------------------------------
heading "(b) Lazy init: check-then-act raced through a yield only some paths take" lazy_init.c
echo "  get_config(): if (config == NULL) load it; loading reads a config file: read() may park."
run_native b "$bin/demo-lazy-init"
loads() { sed -n 's/^verdict: FAIL: config loaded \([0-9]*\) times.*/loaded \1 times/p' "$1"; }
b_native=$(cell "$native_rc" b.native.log "$(loads b.native.log)")
run_green b.fifo -- "$bin/demo-lazy-init"
b_fifo_rc=$green_rc
b_fifo=$(cell "$green_rc" b.fifo.log "$(loads b.fifo.log)")
echo "  the path the tests took (no config file: nothing in get_config can yield), explored:"
run_explore b.defaults "$RUNS" "$bin/demo-lazy-init" --defaults
b_defaults=$explore_rc
echo "  the production path (a config file), explored:"
run_explore b.explore "$RUNS" "$bin/demo-lazy-init"
b_explore=$explore_cell
b_seed=$explore_seed
[ -n "$b_seed" ] && show "b.explore.replay1.log" '^config loaded|^verdict' 2
echo "  fixed: pthread_once()"
run_green b.fixed -- "$bin/demo-lazy-init-fixed"
f=$green_rc
run_explore b.fixed.explore "$RUNS" "$bin/demo-lazy-init-fixed"
b_fixed=$(fixed_cell "$f" "$explore_rc" "$RUNS")
if [ "$b_fifo_rc" -ne 0 ]; then b_caught="fifo"
elif [ -n "$b_seed" ]; then b_caught="explore only (seed $b_seed)"
else b_caught="nothing"; fi
[ "$b_defaults" -eq 0 ] || b_caught="$b_caught; defaults path failed too"
row "(b) lazy init" "$b_native" "$b_fifo" "$b_explore" "$b_fixed" "$b_caught"

# ---------------------------------------------------------------------------
heading "(c) Library upgrade: libstore 2.0 retries with usleep() inside a no-yield scope" library_upgrade.c
echo "  reserve(): greenring_no_yield_begin(); in_stock -= n; store_put(...); reserved += n; greenring_no_yield_end();"
run_native c "$bin/demo-library-upgrade"
c_native=$(cell "$native_rc" c.native.log "$(sed -n 's/^verdict: FAIL: the invariant was seen broken \([0-9]*\) times/seen broken x\1/p' c.native.log)")
run_green c.v1 -- "$bin/demo-library-upgrade" --v1
c_v1=$green_rc
run_green c.fifo -- "$bin/demo-library-upgrade"
c_fifo_rc=$green_rc
c_fifo=$(cell "$green_rc" c.fifo.log)
run_explore c.explore "$RUNS" "$bin/demo-library-upgrade"
c_explore=$explore_cell
echo "  --strict on libstore's own single-threaded self-test (every yield is an error):"
run_green c.strict1 --strict -- "$bin/demo-library-upgrade" --selftest --v1
c_strict1=$green_rc
run_green c.strict2 --strict -- "$bin/demo-library-upgrade" --selftest
c_strict2=$green_rc
echo "  fixed: only the two counter updates in the scope; store_put() after it"
run_green c.fixed -- "$bin/demo-library-upgrade-fixed"
f=$green_rc
run_explore c.fixed.explore "$RUNS" "$bin/demo-library-upgrade-fixed"
c_fixed=$(fixed_cell "$f" "$explore_rc" "$RUNS")
c_caught=""
grep -q 'yields inside a no-yield scope' c.fifo.log && c_caught="no-yield scope"
if [ "$c_strict2" -eq 134 ] && grep -q 'GREENRING_STRICT=1' c.strict2.log && [ "$c_strict1" -eq 0 ]; then
  c_caught="${c_caught:+$c_caught; }--strict"
fi
[ -n "$c_caught" ] || { [ "$c_fifo_rc" -ne 0 ] && c_caught="fifo: exit $c_fifo_rc" || c_caught="nothing"; }
[ "$c_v1" -eq 0 ] || c_caught="$c_caught (but 1.x failed too)"
row "(c) library upgrade" "$c_native" "$c_fifo" "$c_explore" "$c_fixed" "$c_caught"

# ---------------------------------------------------------------------------
heading "(d) Starved heartbeat: a CPU-bound green thread never yields" heartbeat.c
echo "  a heartbeat every 20 ms; a job computes for a third of a second without a system call."
gap() { sed -n 's/.*longest gap \([0-9]*\) ms.*/gap \1 ms/p' "$1"; }
run_native d "$bin/demo-heartbeat"
d_native=$(cell "$native_rc" d.native.log "$(gap d.native.log)")
run_green d.fifo --block-ms 100 -- "$bin/demo-heartbeat"
d_fifo=$(cell "$green_rc" d.fifo.log "$(gap d.fifo.log)")
d_fifo_rc=$green_rc
grep -A3 'watchdog:' d.fifo.log | grep -E '^\./|demo-heartbeat\(' | head -n 3 | cut -c1-120 | sed "s/^/      ${D}│${N}   /"
run_explore d.explore "$SLOW_RUNS" "$bin/demo-heartbeat"
d_explore=$explore_cell
echo "  fixed: usleep(0) every megabyte of input"
run_green d.fixed --block-ms 100 -- "$bin/demo-heartbeat-fixed"
f=$green_rc
d_fixed_watchdog=$(grep -c 'watchdog:' d.fixed.log)
run_explore d.fixed.explore "$SLOW_RUNS" "$bin/demo-heartbeat-fixed"
d_fixed=$(fixed_cell "$f" "$explore_rc" "$SLOW_RUNS")
[ "$d_fixed_watchdog" -eq 0 ] || d_fixed="$d_fixed; watchdog x$d_fixed_watchdog"
if grep -q 'watchdog:' d.fifo.log; then d_caught="watchdog (--block-ms 100)"
elif [ "$d_fifo_rc" -ne 0 ]; then d_caught="fifo: the demo's clock"
else d_caught="nothing"; fi
row "(d) starved heartbeat" "$d_native" "$d_fifo" "$d_explore" "$d_fixed" "$d_caught"

# ---------------------------------------------------------------------------
heading "(e) No parallelism: two CPU-bound threads on one OS thread" no_parallelism.c
echo "  the work is split in two halves on two threads \"to use both cores\"."
wall() { sed -n 's/.*wall \([0-9.]*\) s, CPU [0-9.]* s, speedup \([0-9.]*x\).*/\2 in \1 s/p' "$1" | head -n 1; }
run_native e "$bin/demo-no-parallelism"
e_native=$(cell "$native_rc" e.native.log "$(wall e.native.log)")
run_green e.fifo -- "$bin/demo-no-parallelism"
e_fifo=$(cell "$green_rc" e.fifo.log "$(wall e.fifo.log)")
e_fifo_rc=$green_rc
echo "  the same program with --threads native (pthreads stay OS threads):"
run_green e.native_threads --threads native -- "$bin/demo-no-parallelism"
run_explore e.explore "$SLOW_RUNS" "$bin/demo-no-parallelism"
e_explore=$explore_cell
echo "  fixed: worker processes (fork, results through a pipe)"
run_green e.fixed -- "$bin/demo-no-parallelism-fixed"
f=$green_rc
run_explore e.fixed.explore "$SLOW_RUNS" "$bin/demo-no-parallelism-fixed"
e_fixed=$(fixed_cell "$f" "$explore_rc" "$SLOW_RUNS")
if [ "$e_fifo_rc" -ne 0 ] && grep -q 'side by side for 0.00 s' e.fifo.log; then e_caught="its clock: the halves never overlap"
elif [ "$e_fifo_rc" -ne 0 ]; then e_caught="fifo: exit $e_fifo_rc"
else e_caught="nothing"; fi
row "(e) no parallelism" "$e_native" "$e_fifo" "$e_explore" "$e_fixed" "$e_caught"

# ---------------------------------------------------------------------------
heading "(f) __thread state shared between green threads" thread_local.c
echo "  each handler sets a __thread request tag, calls the backend (a sleep), then logs with the tag."
misfiled() { sed -n 's/^verdict: FAIL: \([0-9]*\) of \([0-9]*\) lines misfiled.*/\1\/\2 misfiled/p' "$1"; }
run_native f "$bin/demo-thread-local"
f_native=$(cell "$native_rc" f.native.log "$(misfiled f.native.log)")
run_green f.fifo -- "$bin/demo-thread-local"
f_fifo=$(cell "$green_rc" f.fifo.log "$(misfiled f.fifo.log)")
f_fifo_rc=$green_rc
again f.fifo 2 -- "$bin/demo-thread-local"
f_again=$again_failed
run_explore f.explore "$RUNS" "$bin/demo-thread-local"
f_explore=$explore_cell
echo "  fixed: a pthread key (per green thread under greenring)"
run_green f.fixed -- "$bin/demo-thread-local-fixed"
f=$green_rc
run_explore f.fixed.explore "$RUNS" "$bin/demo-thread-local-fixed"
f_fixed=$(fixed_cell "$f" "$explore_rc" "$RUNS")
if [ "$f_fifo_rc" -ne 0 ]; then f_caught="fifo: $((f_again + 1))/3 runs fail"; else f_caught="explore: seed ${explore_seed:-none}"; fi
row "(f) __thread state" "$f_native" "$f_fifo" "$f_explore" "$f_fixed" "$f_caught"

# ---------------------------------------------------------------------------
heading "(g) Lock-order deadlock: a hang natively, a report under greenring" deadlock.c
echo "  transfer() locks the source account, calls the fraud service (a sleep), locks the destination."
run_native g "$bin/demo-deadlock"
g_native=$(cell "$native_rc" g.native.log)
run_green g.fifo -- "$bin/demo-deadlock"
g_fifo=$(cell "$green_rc" g.fifo.log)
g_fifo_rc=$green_rc
run_explore g.explore 50 "$bin/demo-deadlock"
g_explore=$explore_cell
echo "  fixed: both locks always taken in account-number order"
run_green g.fixed -- "$bin/demo-deadlock-fixed"
f=$green_rc
run_explore g.fixed.explore 50 "$bin/demo-deadlock-fixed"
g_fixed=$(fixed_cell "$f" "$explore_rc" 50)
if grep -q 'greenring: deadlock' g.fifo.log; then g_caught="deadlock report"
elif [ "$g_fifo_rc" -ne 0 ]; then g_caught="fifo: exit $g_fifo_rc"; else g_caught="nothing"; fi
row "(g) lock-order deadlock" "$g_native" "$g_fifo" "$g_explore" "$g_fixed" "$g_caught"

# ---------------------------------------------------------------------------
heading "Traces: the failing schedules, drawn (greenring run --trace, greenring trace summary|svg)"
# Relative names (the tour runs in $out): an SVG's title shows the file name only.
# A run that aborts (scope, --strict, deadlock) still writes its trace: the
# runtime flushes it before the abort, so (c) and (g) are drawn up to that point.
svg_tool=unknown
svg_error=''
# draw NAME: NAME.json -> NAME.svg; says where, or why not.
draw() {
  local name=$1
  if [ ! -s "$name.json" ]; then
    echo "      ${Y}→ no trace was written to $name.json${N}"
    return 1
  fi
  if [ "$svg_tool" != no ] && "$greenring" trace svg "$name.json" >"$name.svg" 2>svg-error.log && grep -q '<svg' "$name.svg"; then
    svg_tool=yes
    echo "      ${D}→${N} $(short "$out/$name.svg") ($(wc -c <"$name.svg") bytes, $(grep -c '"ph":"X"' "$name.json") run intervals)"
  else
    rm -f "$name.svg"
    if [ "$svg_tool" != no ]; then
      svg_tool=no
      svg_error=$(head -n 1 svg-error.log)
      echo "      ${Y}→ the SVG tool is not available (greenring trace svg: ${svg_error:-no SVG output}); the tour goes on without pictures${N}"
    fi
    return 1
  fi
}
echo "  (a) 4 tellers x 3 deposits under fifo"
run_green lost-update --trace lost-update.json -- "$bin/demo-lost-update" -n 3
if [ -s lost-update.json ]; then
  say_cmd greenring trace summary lost-update.json
  if "$greenring" trace summary lost-update.json >trace-summary.log 2>&1; then
    sed -n '/^yields by site/,/^$/p' trace-summary.log | head -n 6 | sed "s/^/      ${D}│${N} /"
  else
    echo "      ${Y}→ $(head -n 1 trace-summary.log)${N}"
  fi
fi
say_cmd greenring trace svg lost-update.json ">" lost-update.svg
draw lost-update && cp lost-update.svg timeline.svg
if [ -n "$b_seed" ]; then
  echo "  (b) the schedule explore found (seed $b_seed)"
  run_green lazy-init --sched random --seed "$b_seed" --trace lazy-init.json -- "$bin/demo-lazy-init"
  draw lazy-init
fi
echo "  (c) the clerks up to the sleep the no-yield scope refused"
run_green library-upgrade --trace library-upgrade.json -- "$bin/demo-library-upgrade"
draw library-upgrade
echo "  (d) the job and the heartbeat"
run_green heartbeat --trace heartbeat.json -- "$bin/demo-heartbeat"
draw heartbeat
echo "  (e) the two halves"
run_green no-parallelism --trace no-parallelism.json -- "$bin/demo-no-parallelism"
draw no-parallelism
echo "  (f) four handlers sharing one __thread tag"
run_green thread-local --trace thread-local.json -- "$bin/demo-thread-local"
draw thread-local
echo "  (g) the two clerks up to the deadlock report"
run_green deadlock --trace deadlock.json -- "$bin/demo-deadlock"
draw deadlock
if [ -s timeline.svg ]; then
  svg_note="$out/timeline.svg (the schedule of (a); the others next to it)"
  echo "  ${B}SVG timeline: $out/timeline.svg${N}"
else
  svg_note="not available (${svg_error:-no trace})"
fi

# ---------------------------------------------------------------------------
echo
echo "${B}Verdicts${N} (from the runs above; explore: random scheduling, the first failing seed and how often its replay failed again)"
{
  printf 'demo\tnative\tgreenring fifo\texplore (random)\tfixed variant\twhat caught it\n'
  printf '%s\n' "${rows[@]}"
} | awk -F'\t' -v bold="$B" -v red="$R" -v green="$G" -v off="$N" '
  { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
  END {
    for (r = 1; r <= n; r++) {
      line = ""; 
      for (i = 1; i <= nf; i++) {
        text = sprintf("%-" w[i] "s", cell[r, i]); c = ""
        if (r > 1 && i >= 2 && i <= 5) {
          if (cell[r, i] ~ /^(FAIL|abort|hang)|seed|FAIL/) c = red; else if (cell[r, i] ~ /^(ok|no failure|fifo ok)/) c = green
        }
        if (r == 1) text = bold text off; else if (c != "") text = c text off
        line = line (i > 1 ? " | " : "") text
      }
      print line
      if (r == 1) { sep = ""; for (i = 1; i <= nf; i++) { s = ""; for (k = 0; k < w[i]; k++) s = s "-"; sep = sep (i > 1 ? "-+-" : "") s } print sep }
    }
  }'
elapsed=$(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo
echo "SVG timeline: $svg_note"
echo "Every run's full output: $(short "$out")/*.log. Tour time: ${elapsed} s."
echo "The story of each hazard, with these commands and their output: docs/hazards.md"
