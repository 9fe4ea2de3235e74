#!/usr/bin/env bash
# expect.sh: runs one command and checks how it ended, for the tests whose
# verdict is not just "exit 0": the exit status, lines its stdout/stderr
# must contain (extended regexes), and a bound on the wall time.
#
#   expect.sh [--status N] [--stdout RE]... [--stderr RE]... [--within S] -- CMD [ARGS...]
#
# Defaults: status 0, no bound. The command's output is shown either way.
# A command that exits 77 (skip) when 77 was not expected makes this exit 77.
set -u
status=0
within=""
out_res=()
err_res=()
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status="$2"; shift 2 ;;
    --stdout) out_res+=("$2"); shift 2 ;;
    --stderr) err_res+=("$2"); shift 2 ;;
    --within) within="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "expect.sh: no command" >&2; exit 2; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start=$(date +%s%N)
"$@" >"$dir/out" 2>"$dir/err"
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "---- stdout"; cat "$dir/out"
echo "---- stderr"; cat "$dir/err"
echo "---- exit status $rc after ${elapsed_ms} ms"

if [ "$rc" -eq 77 ] && [ "$status" -ne 77 ]; then exit 77; fi
fail=0
if [ "$rc" -ne "$status" ]; then
  echo "FAIL: exit status $rc, expected $status"
  fail=1
fi
for re in "${out_res[@]+"${out_res[@]}"}"; do
  grep -Eq -- "$re" "$dir/out" || { echo "FAIL: stdout has no line matching: $re"; fail=1; }
done
for re in "${err_res[@]+"${err_res[@]}"}"; do
  grep -Eq -- "$re" "$dir/err" || { echo "FAIL: stderr has no line matching: $re"; fail=1; }
done
if [ -n "$within" ] && [ "$elapsed_ms" -gt $((within * 1000)) ]; then
  echo "FAIL: took ${elapsed_ms} ms, more than ${within} s"
  fail=1
fi
[ "$fail" -eq 0 ] && echo "PASS"
exit "$fail"
