#!/bin/sh
# compare.sh: runs a test program natively and under LD_PRELOAD=PRELOAD and
# fails unless both runs print the same transcript and end with the same exit
# status. A line "NOT OK" in either transcript (a program's own check, such as
# "waited at least 200 ms") fails too, even when both agree.
# usage: compare.sh PRELOAD PROGRAM [ARGS...]
# Exit status 77 of the native run means "the machine lacks what the test
# needs": the reason is on its stdout, and the test is skipped.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 PRELOAD PROGRAM [ARGS...]" >&2
    exit 2
fi
preload=$1
shift
if [ ! -x "$1" ]; then
    echo "SKIP: $1 is not there"
    exit 77
fi
if [ ! -f "$preload" ]; then
    echo "compare.sh: no preload library at $preload" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Both runs at once (the programs wait a lot and compute little); the native
# one must not inherit a preload library from the caller.
env -u LD_PRELOAD "$@" >"$work/native.out" 2>"$work/native.err" </dev/null &
native_pid=$!
env LD_PRELOAD="$preload" "$@" >"$work/shim.out" 2>"$work/shim.err" </dev/null &
shim_pid=$!
wait $native_pid
native_rc=$?
wait $shim_pid
shim_rc=$?
if [ $native_rc -eq 77 ]; then
    echo "SKIP (native run):"
    cat "$work/native.out"
    exit 77
fi

status=0
describe() {  # RC
    if [ "$1" -gt 128 ]; then
        echo "$1 (killed by $(kill -l $(($1 - 128)) 2>/dev/null || echo "signal $(($1 - 128))"))"
    else
        echo "$1"
    fi
}
if [ $native_rc -ne $shim_rc ]; then
    echo "FAIL: exit status native $(describe $native_rc), under the shim $(describe $shim_rc)"
    status=1
fi
if ! diff -u --label native "$work/native.out" --label shim "$work/shim.out" >"$work/diff"; then
    echo "FAIL: the transcripts differ (- native, + under the shim):"
    cat "$work/diff"
    status=1
fi
if grep -q 'NOT OK' "$work/native.out" "$work/shim.out"; then
    echo "FAIL: a check failed:"
    grep -H 'NOT OK' "$work/native.out" "$work/shim.out" | sed "s|$work/||"
    status=1
fi
if [ $native_rc -ne 0 ] && [ $status -eq 0 ]; then
    echo "FAIL: the native run itself failed with status $(describe $native_rc)"
    status=1
fi
if [ $status -ne 0 ]; then
    for run in native shim; do
        if [ -s "$work/$run.err" ]; then
            echo "--- stderr of the $run run:"
            head -40 "$work/$run.err"
        fi
    done
else
    cat "$work/shim.out"
    echo "(identical natively and under the shim, exit status $shim_rc)"
fi
exit $status
