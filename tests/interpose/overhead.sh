#!/bin/sh
# overhead.sh: runs the overhead program natively and under the shim and
# prints each figure side by side with the ratio. A report, never a verdict:
# it fails only if the program itself fails.
# usage: overhead.sh PRELOAD OVERHEAD_PROGRAM [N]
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 PRELOAD OVERHEAD_PROGRAM [N]" >&2
    exit 2
fi
preload=$1
program=$2
n=${3:-200000}
native=$(env -u LD_PRELOAD "$program" "$n") || { echo "native run failed"; exit 1; }
shim=$(env LD_PRELOAD="$preload" "$program" "$n") || { echo "run under the shim failed"; exit 1; }
echo "N=$n calls each; ns per call (write_read_1: per write+read pair)"
printf '%-14s %10s %10s %8s\n' what native shim ratio
echo "$native" | while read -r name value unit; do
    other=$(echo "$shim" | awk -v k="$name" '$1 == k { print $2 }')
    awk -v k="$name" -v a="$value" -v b="$other" 'BEGIN { printf "%-14s %10.1f %10.1f %7.2fx\n", k, a, b, b / a }'
done
