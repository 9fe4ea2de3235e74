#!/bin/sh
# real_curl.sh: curl fetching from CPython's http.server, both under the shim
# (two programs nobody here wrote, talking over loopback TCP). A 2 MB file,
# several fetches at once, a 404, and a refused connection; every curl has a
# bounded time, and the server is killed at the end whatever happens.
# usage: real_curl.sh PRELOAD
set -u
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 PATH/TO/libgreenring-preload.so" >&2
    exit 2
fi
preload=$1
python=/usr/bin/python3
if ! command -v curl >/dev/null 2>&1 || [ ! -x $python ]; then
    echo "SKIP: needs curl and $python"
    exit 77
fi
work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir "$work/www"
head -c 2000000 /dev/urandom >"$work/www/big.bin"
echo "hello from the server" >"$work/www/hello.txt"

shimmed() { env LD_PRELOAD="$preload" "$@"; }
free_port() {
    $python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start the server (a few tries, in case another process takes the port).
url=
for attempt in 1 2 3; do
    port=$(free_port)
    # Not through the shell function: $! must be the server's own pid.
    env LD_PRELOAD="$preload" timeout 120 $python -m http.server "$port" --bind 127.0.0.1 \
        --directory "$work/www" >"$work/server.log" 2>&1 &
    server=$!
    tries=0
    while [ $tries -lt 50 ]; do
        if shimmed curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$port/hello.txt"; then
            url="http://127.0.0.1:$port"
            break
        fi
        kill -0 "$server" 2>/dev/null || break
        sleep 0.2
        tries=$((tries + 1))
    done
    [ -n "$url" ] && break
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=
done
if [ -z "$url" ]; then
    echo "FAIL: the server did not start under the shim"
    cat "$work/server.log"
    exit 1
fi
echo "server under the shim at $url"

failed=0
result() {  # NAME GOOD
    if [ "$2" = yes ]; then echo "ok: $1"; else echo "FAIL: $1"; failed=$((failed + 1)); fi
}

shimmed curl -sS --max-time 20 -o "$work/got.bin" "$url/big.bin"
rc=$?
result "curl under the shim fetched 2 MB (status $rc)" \
    "$([ $rc -eq 0 ] && cmp -s "$work/got.bin" "$work/www/big.bin" && echo yes)"

got=$(shimmed curl -sS --max-time 10 "$url/hello.txt")
result "small file: '$got'" "$([ "$got" = "hello from the server" ] && echo yes)"

fetches=
for i in 1 2 3 4 5; do
    env LD_PRELOAD="$preload" curl -sS --max-time 20 -o "$work/par$i.bin" "$url/big.bin" &
    fetches="$fetches $!"
done
wait_failed=0
for job in $fetches; do
    wait "$job" || wait_failed=1
done
same=yes
for i in 1 2 3 4 5; do cmp -s "$work/par$i.bin" "$work/www/big.bin" || same=no; done
result "5 fetches at once" "$([ $wait_failed -eq 0 ] && [ $same = yes ] && echo yes)"

code=$(shimmed curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$url/missing")
result "a missing file is HTTP $code" "$([ "$code" = 404 ] && echo yes)"

closed=$(free_port)
shimmed curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$closed/"
rc=$?
env -u LD_PRELOAD curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$closed/"
native_rc=$?
result "a refused connection: curl status $rc under the shim, $native_rc natively" \
    "$([ $rc -eq $native_rc ] && [ $rc -ne 0 ] && echo yes)"

requests=$(grep -c '"GET ' "$work/server.log")
result "the server logged $requests requests" "$([ "$requests" -ge 9 ] && echo yes)"
echo "$failed failed"
[ $failed -eq 0 ]
