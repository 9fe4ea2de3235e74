#!/usr/bin/env bash
# cli_test.sh: checks the launcher's contract (DESIGN §3): exit statuses, one-line errors,
# the environment `run` sets, signal forwarding, and `explore` with its replay line.
# usage: cli_test.sh PATH/TO/greenring [PATH/TO/libgreenring-preload.so]
# Without the second argument an empty stand-in library is built, so the launcher can be
# tested apart from the runtime.
set -u

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 PATH/TO/greenring [PATH/TO/libgreenring-preload.so]" >&2
    exit 2
fi
G=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# explore keeps a failing run's output in $TMPDIR: let it go away with the rest.
export TMPDIR=$work

if [[ $# -eq 2 ]]; then
    PRELOAD=$(realpath "$2")
else
    PRELOAD=$work/lib/libgreenring-preload.so
    mkdir -p "$work/lib"
    cc -shared -o "$PRELOAD" -x c /dev/null || exit 2
fi
export GREENRING_PRELOAD=$PRELOAD
# A developer's own settings must not change what is being checked.
for var in $(compgen -e | grep '^GREENRING_' | grep -v '^GREENRING_PRELOAD$'); do
    unset "$var"
done

passed=0
failed=0
rc=0

# g ARGS...: runs the launcher; stdout in $work/out, stderr in $work/err, status in $rc.
g() {
    "$G" "$@" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
}

ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $1"
    echo "  status $rc; stderr:"
    sed 's/^/  | /' "$work/err" | head -20
}

expect_rc() {  # NAME WANT
    if [[ $rc -eq $2 ]]; then ok; else bad "$1: want status $2"; fi
}

# A usage or command error is exactly one line on stderr, starting with "greenring: ".
expect_error() {  # NAME WANT_RC [REGEX]
    local lines
    lines=$(wc -l <"$work/err")
    if [[ $rc -ne $2 ]]; then
        bad "$1: want status $2"
    elif [[ $lines -ne 1 ]]; then
        bad "$1: want a one-line error, got $lines lines"
    elif ! grep -q '^greenring: ' "$work/err"; then
        bad "$1: error does not start with 'greenring: '"
    elif [[ $# -ge 3 ]] && ! grep -Eq -- "$3" "$work/err"; then
        bad "$1: error does not match /$3/"
    else
        ok
    fi
}

expect_in() {  # NAME FILE(out|err) REGEX
    if grep -Eq -- "$3" "$work/$2"; then ok; else bad "$1: $2 does not match /$3/"; fi
}
expect_not_in() {  # NAME FILE(out|err) REGEX
    if grep -Eq -- "$3" "$work/$2"; then bad "$1: $2 matches /$3/"; else ok; fi
}

now_ms() { date +%s%3N; }

# --- top level ---------------------------------------------------------------------------
g --version
expect_rc "--version" 0
expect_in "--version output" out '^greenring [0-9]+\.[0-9]+\.[0-9]+$'

g --help
expect_rc "--help" 0
for opt in --threads --sched --seed --depth --trace --stats --block-ms --strict \
    --stack-size --log --no-inherit --runs --timeout summary svg; do
    expect_in "--help mentions $opt" out "^ +$opt "
done

g
expect_rc "no arguments" 2
expect_in "no arguments: usage on stderr" err '^usage: greenring run'
if [[ -s $work/out ]]; then bad "no arguments: stdout not empty"; else ok; fi

g frobnicate
expect_error "unknown command" 2 "accepted: run, explore, trace"

# --- run: option errors ------------------------------------------------------------------
g run --threads bogus -- true
expect_error "run --threads bogus" 2 "accepted: green, native"
g run --threads=bogus -- true
expect_error "run --threads=bogus" 2 "accepted: green, native"
g run --sched fifo2 -- true
expect_error "run --sched fifo2" 2 "accepted: fifo, random, pct"
g run --seed abc -- true
expect_error "run --seed abc" 2 "accepted: "
g run --seed -1 -- true
expect_error "run --seed -1" 2 "accepted: "
g run --depth 0 -- true
expect_error "run --depth 0" 2 "accepted: "
g run --block-ms x -- true
expect_error "run --block-ms x" 2 "accepted: "
g run --log loud -- true
expect_error "run --log loud" 2 "accepted: error, warn, info, debug, trace"
g run --stack-size 8k -- true
expect_error "run --stack-size 8k (below 16k)" 2 "accepted: "
g run --stack-size 2048M -- true
expect_error "run --stack-size 2048M (above 1 GiB)" 2 "accepted: "
g run --stack-size 64q -- true
expect_error "run --stack-size 64q" 2 "accepted: "
g run --seed
expect_error "run --seed without value" 2 "needs a value"
g run --trace --stats -- true
expect_error "run --trace followed by an option" 2 "needs a value"
g run --stats=1 -- true
expect_error "run --stats=1" 2 "takes no value"
g run --bogus -- true
expect_error "run --bogus" 2 "unknown option.*accepted: --threads"
g run
expect_error "run without command" 2 "missing command"
g run --stats --
expect_error "run -- without command" 2 "missing command"
g run --seed=$'1\n2' -- true
expect_error "run: a newline in a value stays one line" 2

# --- run: finding the command ------------------------------------------------------------
g run -- greenring-no-such-command
expect_error "command not found" 127 "greenring-no-such-command: command not found"
g run -- ./no/such/file
expect_error "missing path" 127 "No such file or directory"
printf 'echo hi\n' >"$work/noexec"
chmod 644 "$work/noexec"
g run -- "$work/noexec"
expect_error "not executable" 126 "Permission denied"
g run -- "$work"
expect_error "directory" 126
mkdir -p "$work/p1" "$work/p2"
printf '#!/bin/sh\necho from-p1\n' >"$work/p1/gr-cmd"
printf '#!/bin/sh\necho from-p2\n' >"$work/p2/gr-cmd"
chmod 644 "$work/p1/gr-cmd"
chmod 755 "$work/p2/gr-cmd"
PATH=$work/p1:$work/p2:$PATH g run -- gr-cmd
expect_rc "PATH search skips a non-executable entry" 0
expect_in "PATH search runs the later executable" out '^from-p2$'
PATH=$work/p1:$PATH g run -- gr-cmd
expect_error "only a non-executable in PATH" 126 "gr-cmd: Permission denied"
printf 'echo no-shebang "$@"\n' >"$work/noshebang"
chmod 755 "$work/noshebang"
g run -- "$work/noshebang" a b
expect_in "script without #! runs with sh" out '^no-shebang a b$'

# --- run: exit statuses ------------------------------------------------------------------
g run -- true
expect_rc "run true" 0
g run -- sh -c 'exit 3'
expect_rc "exit status passes through" 3
g run sh -c 'exit 4'
expect_rc "command without -- (lenient)" 4
g run -- sh -c 'kill -TERM $$'
expect_rc "death by SIGTERM is 143" 143
g run -- sh -c 'kill -KILL $$'
expect_rc "death by SIGKILL is 137" 137
g run -- sh -c 'echo out; echo err >&2'
expect_in "stdout passes through" out '^out$'
expect_in "stderr passes through" err '^err$'

# --- run: environment --------------------------------------------------------------------
g run -- env
expect_in "GREENRING_THREADS defaults to green" out '^GREENRING_THREADS=green$'
expect_in "LD_PRELOAD starts with the library" out "^LD_PRELOAD=$PRELOAD(:|\$)"
expect_not_in "unset options set nothing" out '^GREENRING_(SCHED|SEED|DEPTH|TRACE|STATS|BLOCK_MS|STRICT|STACK_SIZE|LOG|NO_INHERIT)='

g run --threads native --sched pct --seed 42 --depth 2 --stats --block-ms 50 --strict \
    --stack-size 64k --log debug --no-inherit --trace t.json -- env
expect_rc "all options" 0
for want in GREENRING_THREADS=native GREENRING_SCHED=pct GREENRING_SEED=42 GREENRING_DEPTH=2 \
    GREENRING_STATS=1 GREENRING_BLOCK_MS=50 GREENRING_STRICT=1 GREENRING_STACK_SIZE=65536 \
    GREENRING_LOG=debug GREENRING_NO_INHERIT=1; do
    expect_in "sets $want" out "^$want\$"
done
expect_in "--trace is made absolute" out "^GREENRING_TRACE=$(pwd)/t.json\$"

g run --sched=random --seed=7 --stack-size=1M -- env
expect_in "--opt=VALUE form" out '^GREENRING_SCHED=random$'
expect_in "--stack-size 1M" out '^GREENRING_STACK_SIZE=1048576$'
g run --seed 1 --seed 2 -- env
expect_in "a repeated option: last wins" out '^GREENRING_SEED=2$'

GREENRING_LOG=warn GREENRING_THREADS=native g run -- env
expect_in "exported GREENRING_LOG is kept" out '^GREENRING_LOG=warn$'
expect_in "exported GREENRING_THREADS is kept" out '^GREENRING_THREADS=native$'
GREENRING_LOG=warn g run --log error -- env
expect_in "an option overrides the environment" out '^GREENRING_LOG=error$'

cc -shared -o "$work/lib-other.so" -x c /dev/null 2>/dev/null ||
    cp "$PRELOAD" "$work/lib-other.so"
LD_PRELOAD=$work/lib-other.so g run -- env
expect_in "existing LD_PRELOAD entries are kept after ours" out \
    "^LD_PRELOAD=$PRELOAD:$work/lib-other.so\$"

GREENRING_SCHED=bogus g run -- true
expect_error "a bad exported variable is caught" 2 "GREENRING_SCHED=bogus: accepted values are fifo, random, pct"
GREENRING_PRELOAD=$work/none.so g run -- true
expect_error "GREENRING_PRELOAD missing" 2 "none.so"

# In the build and install trees the library sits in ../lib next to bin/.
sibling=$(dirname "$G")/../lib/libgreenring-preload.so
if [[ -f $sibling ]]; then
    GREENRING_PRELOAD= g run -- true
    expect_error "empty GREENRING_PRELOAD" 2 "GREENRING_PRELOAD="
    (unset GREENRING_PRELOAD && "$G" run -- env >"$work/out" 2>"$work/err" </dev/null)
    expect_in "finds ../lib/libgreenring-preload.so" out \
        "^LD_PRELOAD=$(realpath "$(dirname "$sibling")")/libgreenring-preload.so"
fi

# --- run: signals ------------------------------------------------------------------------
for sig in TERM HUP; do
    "$G" run -- sleep 30 >/dev/null 2>&1 </dev/null &
    pid=$!
    sleep 0.5
    kill -$sig $pid
    wait $pid
    rc=$?
    want=$((128 + $(kill -l $sig)))
    if [[ $rc -eq $want ]]; then ok; else bad "SIG$sig to the launcher reaches the child: want $want"; fi
done

# --- explore -----------------------------------------------------------------------------
g explore --sched fifo -- true
expect_error "explore --sched fifo" 2 "accepted: random, pct"
g explore --runs 0 -- true
expect_error "explore --runs 0" 2 "accepted: "
g explore --timeout inf -- true
expect_error "explore --timeout inf" 2 "accepted: "
g explore --frob -- true
expect_error "explore unknown option" 2 "unknown option"
g explore
expect_error "explore without command" 2 "missing command"
g explore -- greenring-no-such-command
expect_error "explore: command not found" 127 "command not found"

g explore --runs 25 -- true
expect_rc "explore without failure" 0
expect_in "explore reports no failure" err '^greenring: 25 runs, no failure$'

g explore --runs 20 -- sh -c 'echo "marker seed=$GREENRING_SEED sched=$GREENRING_SCHED depth=$GREENRING_DEPTH"; test "$GREENRING_SEED" -ne 7' "arg with space" "it's"
expect_rc "explore finds seed 7" 1
expect_in "explore names the run" err '^greenring: run 7 failed \(exit status 1\)$'
expect_in "explore shows the run's output" err '^marker seed=7 sched=random depth=3$'
expect_in "explore prints a replay line" err "^replay: .*greenring run --sched random --seed 7 --depth 3 -- sh -c "
expect_not_in "explore stops at the first failure" err 'seed=8'
replay=$(grep '^replay: ' "$work/err")
(eval "${replay#replay: }") >"$work/out" 2>"$work/err" </dev/null
rc=$?
expect_rc "the replay line replays the failure" 1
expect_in "the replay line keeps the arguments" out '^marker seed=7 sched=random depth=3$'

g explore --runs 5 --sched pct --depth 2 -- sh -c 'test "$GREENRING_SCHED $GREENRING_DEPTH" = "pct 2" && kill -SEGV $$'
expect_rc "explore: death by signal" 1
expect_in "explore names the signal" err '^greenring: run 1 failed \(signal SIGSEGV'
expect_in "explore replays pct" err '^replay: .* run --sched pct --seed 1 --depth 2 -- '

start=$(now_ms)
g explore --runs 3 --timeout 0.5 -- sh -c 'sleep 4242.5 & sleep 30'
elapsed=$(($(now_ms) - start))
expect_rc "explore: timeout" 1
expect_in "explore names the timeout" err '^greenring: run 1 failed \(timeout after 0\.5 s\)$'
if [[ $elapsed -lt 3000 ]]; then ok; else bad "explore timeout took ${elapsed} ms"; fi
sleep 0.2
if pgrep -f 'sleep 4242.5' >/dev/null; then
    bad "explore left the run's background process alive"
    for p in $(pgrep -f 'sleep 4242.5'); do kill "$p"; done
else
    ok
fi

# --- trace -------------------------------------------------------------------------------
g trace
expect_error "trace without tool" 2 "accepted: summary, svg"
g trace frob x.json
expect_error "trace unknown tool" 2 "accepted: summary, svg"
g trace summary
expect_error "trace without file" 2
g trace summary "$work/none.json"
expect_error "trace missing file" 1 "No such file or directory"
echo '{}' >"$work/t.json"
g trace summary "$work/t.json" extra
expect_error "trace extra argument" 2

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
