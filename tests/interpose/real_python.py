# real_python.py: CPython, a program nobody here wrote, doing what Python
# programs do: time.sleep, sockets (a server thread and a client), select,
# pipes, subprocess, socket.getaddrinfo, threads meeting on a queue, and a
# signal handler that interrupts time.sleep (Ctrl-C's path). It prints a
# transcript of results, never timings; compare.sh runs it natively and under
# the shim (with /usr/bin/python3) and diffs the two.
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import queue
import time

failures = 0


def say(*args):
    print(*args, flush=True)


def check(label, good):
    global failures
    say(f"{label}: {'ok' if good else 'NOT OK'}")
    if not good:
        failures += 1


def took(label, start, low, high):
    d = time.monotonic() - start
    if not low <= d < high:
        print(f"{label}: took {d:.3f} s", file=sys.stderr)
    check(f"{label} took {low}..{high} s", low <= d < high)


def sleeps():
    t = time.monotonic()
    time.sleep(0.2)
    took("time.sleep(0.2)", t, 0.19, 1.5)
    t = time.monotonic()
    time.sleep(0)
    took("time.sleep(0)", t, 0, 0.5)


def sockets():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data.upper())

    th = threading.Thread(target=serve)
    th.start()
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.sendall(b"hello, server")
    say("echoed:", c.recv(100))
    big = bytes(range(256)) * 4096
    c.sendall(big)
    got = b""
    while len(got) < len(big):
        got += c.recv(65536)
    check("1 MiB echoed upper-cased", got == big.upper())
    c.shutdown(socket.SHUT_WR)
    say("after SHUT_WR the server closes:", c.recv(10))
    c.close()
    th.join()
    server.close()

    # A socket timeout (Python's own non-blocking socket plus poll).
    a, b = socket.socketpair()
    a.settimeout(0.25)
    t = time.monotonic()
    try:
        a.recv(10)
        say("recv with timeout: returned")
    except socket.timeout:
        say("recv with timeout: socket.timeout")
    took("recv with a 0.25 s timeout", t, 0.24, 1.5)
    b.sendall(b"x")
    say("recv after data:", a.recv(10))
    a.setblocking(False)
    try:
        a.recv(10)
    except BlockingIOError as e:
        say("non-blocking recv:", type(e).__name__, e.errno == 11)
    a.close()
    b.close()


def selects():
    r, w = os.pipe()
    t = time.monotonic()
    say("select on an empty pipe:", select.select([r], [], [], 0.15))
    took("select(0.15)", t, 0.14, 1.5)
    threading.Timer(0.1, lambda: os.write(w, b"!")).start()
    ready = select.select([r], [], [], 5)
    say("select woken by a thread:", ready[0] == [r])
    say("read:", os.read(r, 10))
    p = select.poll()
    p.register(r, select.POLLIN)
    say("poll on an empty pipe:", p.poll(100))
    os.close(w)
    say("poll after the writer closed:", p.poll(1000))
    os.close(r)


def processes():
    say("subprocess.run:", subprocess.run(["echo", "from", "a", "child"], capture_output=True).stdout)
    say("exit status:", subprocess.run(["sh", "-c", "exit 3"]).returncode)
    out = subprocess.check_output("printf 'b\\na\\n' | sort", shell=True)
    say("a pipeline in a shell:", out)
    p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = p.communicate(b"x" * 200000)
    say("communicate 200000 bytes through cat:", len(out), p.returncode)
    t = time.monotonic()
    try:
        subprocess.run(["sleep", "5"], timeout=0.3)
    except subprocess.TimeoutExpired:
        say("subprocess timeout: TimeoutExpired")
    took("subprocess timeout", t, 0.29, 3)
    pid = os.fork()
    if pid == 0:
        time.sleep(0.1)
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    say("fork + waitpid:", os.waitstatus_to_exitcode(status))


def names():
    infos = socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)
    say("getaddrinfo(localhost):", sorted({i[4] for i in infos}))
    say("gethostbyname(localhost):", socket.gethostbyname("localhost"))
    try:
        socket.getaddrinfo("not-a-number", 80, flags=socket.AI_NUMERICHOST)
    except socket.gaierror as e:
        say("gaierror:", e.errno == socket.EAI_NONAME)
    say("getnameinfo:", socket.getnameinfo(("127.0.0.1", 22), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV))


def threads():
    q = queue.Queue()
    results = []

    def worker(n):
        time.sleep(0.05 * n)
        q.put(n)

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(1, 5)]
    t = time.monotonic()
    for th in ts:
        th.start()
    for _ in ts:
        results.append(q.get(timeout=10))
    for th in ts:
        th.join()
    say("queue order:", results)
    took("4 threads sleeping 0.05..0.2 s", t, 0.19, 2)
    ev = threading.Event()
    threading.Timer(0.1, ev.set).start()
    say("event set by a timer:", ev.wait(5))
    lock = threading.Lock()
    counter = [0]

    def add():
        for _ in range(10000):
            with lock:
                counter[0] += 1

    ts = [threading.Thread(target=add) for _ in range(4)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    say("4 threads x 10000 locked increments:", counter[0])


class Interrupted(Exception):
    pass


def signals():
    def on_alarm(signum, frame):
        raise Interrupted()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    t = time.monotonic()
    try:
        time.sleep(5)
        say("time.sleep(5) with an alarm after 0.2 s: finished")
    except Interrupted:
        say("time.sleep(5) with an alarm after 0.2 s: interrupted by the handler")
    took("time.sleep(5) interrupted", t, 0.19, 2)
    r, w = os.pipe()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        os.read(r, 1)
        say("os.read with an alarm: returned")
    except Interrupted:
        say("os.read with an alarm: interrupted by the handler")
    os.close(r)
    os.close(w)
    # A handler that returns: PEP 475 retries the sleep for the time left.
    signal.signal(signal.SIGALRM, lambda s, f: None)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    t = time.monotonic()
    time.sleep(0.3)
    took("time.sleep(0.3) with a handler that returns", t, 0.29, 2)
    signal.signal(signal.SIGALRM, old)


for part in (sleeps, sockets, selects, processes, names, threads, signals):
    say(f"-- {part.__name__}")
    part()
say("== end")
sys.exit(1 if failures else 0)
