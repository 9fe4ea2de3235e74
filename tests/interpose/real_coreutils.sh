#!/bin/sh
# real_coreutils.sh: coreutils binaries nobody here wrote (sleep, cat, sort,
# head, dd) and the shell that connects them, every process of a pipeline
# under the shim. Each command line runs twice, natively and with LD_PRELOAD
# exported to the whole pipeline; output and exit status must agree.
# usage: real_coreutils.sh PRELOAD
set -u
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 PATH/TO/libgreenring-preload.so" >&2
    exit 2
fi
preload=$1
for tool in sleep cat sort head dd; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP: no $tool on this machine"
        exit 77
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 2
head -c 3000000 /dev/urandom >random.bin
i=0
while [ $i -lt 20000 ]; do
    echo "$(( (i * 7919) % 10007 )) line-$i"
    i=$((i + 1))
done >numbers.txt

failed=0
# same NAME SHELL-COMMAND: runs it natively and under the shim, compares.
same() {
    name=$1
    cmd=$2
    env -u LD_PRELOAD sh -c "$cmd" >native.out 2>native.err </dev/null
    native_rc=$?
    env LD_PRELOAD="$preload" sh -c "$cmd" >shim.out 2>shim.err </dev/null
    shim_rc=$?
    if [ $native_rc -ne $shim_rc ] || ! cmp -s native.out shim.out; then
        echo "FAIL: $name: status native $native_rc, shim $shim_rc"
        diff native.out shim.out | head -10
        sed 's/^/  shim stderr: /' shim.err | head -10
        failed=$((failed + 1))
    else
        echo "ok: $name (status $shim_rc, $(wc -c <shim.out) bytes of output)"
    fi
}

# now_ms: milliseconds, for the one timed check.
now_ms() { date +%s%3N; }

start=$(now_ms)
env LD_PRELOAD="$preload" sleep 0.3
rc=$?
elapsed=$(($(now_ms) - start))
if [ $rc -eq 0 ] && [ $elapsed -ge 300 ] && [ $elapsed -lt 3000 ]; then
    echo "ok: sleep 0.3 under the shim took ${elapsed} ms"
else
    echo "FAIL: sleep 0.3 under the shim: status $rc, ${elapsed} ms"
    failed=$((failed + 1))
fi

same "cat a file" 'cat random.bin'
same "cat | cat | cat" 'cat random.bin | cat | cat'
same "dd bs=4k | head -c" 'cat random.bin | dd bs=4k 2>/dev/null | head -c 1000000'
same "dd if= of= with record counts" 'dd if=random.bin of=copy.bin bs=64k 2>&1 | head -2; cmp random.bin copy.bin && echo same'
same "dd from a slow pipe" '(sleep 0.2; echo late) | dd bs=1 2>/dev/null'
same "sort (letters)" "printf 'b\\na\\nc\\n' | sort"
same "sort -n 20000 lines" 'sort -n numbers.txt'
same "sort -n --parallel=4 -S 64k" 'sort -n --parallel=4 -S 64k numbers.txt'
same "sort | head -n 5" 'sort -r numbers.txt | head -n 5'
same "head -c from stdin" 'head -c 12345 <random.bin | cat'
same "yes | head -n 3 (SIGPIPE ends yes)" 'yes | head -n 3'
same "a writer that sleeps between lines" '(echo one; sleep 0.1; echo two; sleep 0.1; echo three) | cat | sort'
same "cat of a FIFO" 'mkfifo f; (sleep 0.2; echo through-the-fifo >f) & cat f; wait; rm -f f'
same "exit status of a pipeline's last command" 'cat random.bin | head -c 10 >/dev/null; sh -c "exit 7"'

# A shell moves its own descriptors around (dup2 onto 3..9, 10, 255): the
# runtime's ring and eventfd must not sit where it writes. bash broke the
# ring this way before the ring kept no fd.
if command -v bash >/dev/null 2>&1; then
    same "bash: pipes, substitution, background job, fd 3..9" \
        'bash -c '"'"'for i in 1 2 3; do echo $i; done | cat; x=$(ls / | wc -l); echo files=$x; sleep 0.1 & wait; echo waited; exec 3>out3 4>out4; echo three >&3; echo four >&4; sleep 0.01; exec 3>&- 4>&-; cat out3 out4; for i in 1 2; do echo $i; done | cat; ls / | wc -l'"'"''
fi

echo "$failed failed"
[ $failed -eq 0 ]
