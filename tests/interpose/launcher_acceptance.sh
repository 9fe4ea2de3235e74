#!/bin/sh
# launcher_acceptance.sh: the launcher and the preload library together, as a
# user meets them: `greenring run` on real programs, a bad option and a bad
# variable (given to the launcher, or straight to LD_PRELOAD without it) each
# a one-line error that names what is wrong, and --no-inherit against the
# default inheritance of the shim by the program's own children.
# usage: launcher_acceptance.sh PATH/TO/greenring PATH/TO/libgreenring-preload.so
set -u
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -f "$2" ]; then
    echo "usage: $0 PATH/TO/greenring PATH/TO/libgreenring-preload.so" >&2
    exit 2
fi
G=$1
PRELOAD=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The launcher must use this build's library, and no setting of the caller's
# may change what is checked.
export GREENRING_PRELOAD="$PRELOAD"
for var in $(env | sed -n 's/^\(GREENRING_[A-Z_]*\)=.*/\1/p'); do
    [ "$var" = GREENRING_PRELOAD ] || unset "$var"
done
unset LD_PRELOAD

failed=0
ok() { printf 'ok: %s\n' "$1"; }
bad() {
    printf 'FAIL: %s\n' "$1"
    sed 's/^/  stderr: /' "$work/err" | head -5
    failed=$((failed + 1))
}
now_ms() { date +%s%3N; }
# one_line NAME WANT_NONZERO REGEX: stderr is one line matching REGEX, the status non-zero.
one_line() {
    if [ "$rc" -eq 0 ]; then
        bad "$1: status 0, want non-zero"
    elif [ "$(wc -l <"$work/err")" -ne 1 ]; then
        bad "$1: want one line on stderr, got $(wc -l <"$work/err")"
    elif ! grep -Eq -- "$2" "$work/err"; then
        bad "$1: stderr does not match /$2/"
    else
        ok "$1 (status $rc: $(cat "$work/err"))"
    fi
}

start=$(now_ms)
"$G" run --threads native -- sleep 0.2 >"$work/out" 2>"$work/err"
rc=$?
took=$(($(now_ms) - start))
if [ $rc -eq 0 ] && [ $took -ge 200 ] && [ $took -lt 3000 ]; then
    ok "greenring run --threads native -- sleep 0.2 (${took} ms)"
else
    bad "greenring run --threads native -- sleep 0.2: status $rc, ${took} ms"
fi

printf 'b\na\n' | "$G" run --threads native -- sort >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$work/out")" = "$(printf 'a\nb')" ]; then
    ok "printf 'b\\na\\n' | greenring run --threads native -- sort"
else
    bad "greenring run -- sort: status $rc, output '$(cat "$work/out")'"
fi

"$G" run --threads native -- sh -c 'exit 3' >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 3 ]; then ok "the program's exit status comes back (3)"; else bad "exit status: $rc, want 3"; fi

"$G" run --threads native -- env >"$work/out" 2>"$work/err"
if grep -q '^GREENRING_THREADS=native$' "$work/out" && grep -q "^LD_PRELOAD=.*libgreenring-preload.so" "$work/out"; then
    ok "run sets GREENRING_THREADS and LD_PRELOAD"
else
    bad "run's environment lacks GREENRING_THREADS=native or LD_PRELOAD"
fi

"$G" run --threads bogus -- true >"$work/out" 2>"$work/err"
rc=$?
one_line "greenring run --threads bogus -- true" '^greenring: .*bogus.*green, native'

# The same validation without the launcher: the preload library itself.
env GREENRING_LOG=loud LD_PRELOAD="$PRELOAD" true >"$work/out" 2>"$work/err"
rc=$?
one_line "GREENRING_LOG=loud LD_PRELOAD=... true" '^greenring: GREENRING_LOG=loud: .*error, warn, info, debug, trace'
env GREENRING_THREADS=bogus LD_PRELOAD="$PRELOAD" true >"$work/out" 2>"$work/err"
rc=$?
one_line "GREENRING_THREADS=bogus LD_PRELOAD=... true" '^greenring: GREENRING_THREADS=bogus'
env GREENRING_STACK_SIZE=12 LD_PRELOAD="$PRELOAD" true >"$work/out" 2>"$work/err"
rc=$?
one_line "GREENRING_STACK_SIZE=12 LD_PRELOAD=... true" '^greenring: GREENRING_STACK_SIZE=12'
env GREENRING_LOG=loud LD_PRELOAD="$PRELOAD" sh -c 'echo started' >"$work/out" 2>"$work/err"
if [ -s "$work/out" ]; then bad "a bad variable: the program started anyway"; else ok "a bad variable: the program does not start"; fi
env GREENRING_SOMETHING_ELSE=1 GREENRING_LOG=info LD_PRELOAD="$PRELOAD" sh -c 'echo started' >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$work/out")" = started ]; then
    ok "an unknown GREENRING_ name and good values: the program runs"
else
    bad "good values with LD_PRELOAD: status $rc"
fi

# Inheritance: by default the program's children run under the shim too.
maps='grep -c libgreenring-preload /proc/$$/maps'
"$G" run --threads native -- sh -c "echo \"[\$LD_PRELOAD]\"; $maps; sh -c '$maps'" >"$work/out" 2>"$work/err"
if sed -n 1p "$work/out" | grep -q 'libgreenring-preload.so' && [ "$(sed -n 2p "$work/out")" -ge 1 ] &&
    [ "$(sed -n 3p "$work/out")" -ge 1 ]; then
    ok "default: the program and its child are under the shim"
else
    bad "default inheritance: $(tr '\n' ' ' <"$work/out")"
fi

"$G" run --threads native --no-inherit -- sh -c 'echo "[$LD_PRELOAD]"' >"$work/out" 2>"$work/err"
if [ "$(cat "$work/out")" = "[]" ]; then
    ok "--no-inherit: sh -c 'echo \$LD_PRELOAD' prints no preload path"
else
    bad "--no-inherit: LD_PRELOAD seen by the program is '$(cat "$work/out")'"
fi
"$G" run --threads native --no-inherit -- sh -c "$maps; sh -c '$maps'" >"$work/out" 2>"$work/err"
if [ "$(sed -n 1p "$work/out")" -ge 1 ] && [ "$(sed -n 2p "$work/out")" -eq 0 ]; then
    ok "--no-inherit: the program is under the shim, its child is not"
else
    bad "--no-inherit: maps counts $(tr '\n' ' ' <"$work/out")"
fi
cc -shared -o "$work/libother.so" -x c /dev/null 2>/dev/null || cp "$PRELOAD" "$work/libother.so"
env LD_PRELOAD="$work/libother.so" "$G" run --threads native --no-inherit -- sh -c 'echo "$LD_PRELOAD"' \
    >"$work/out" 2>"$work/err"
if [ "$(cat "$work/out")" = "$work/libother.so" ]; then
    ok "--no-inherit keeps the other entries of LD_PRELOAD"
else
    bad "--no-inherit with another library: LD_PRELOAD is '$(cat "$work/out")'"
fi

echo "$failed failed"
[ $failed -eq 0 ]
