"""green_bench: the comparative workloads on eventlet or gevent greenlets.

    /usr/bin/python3 green_bench.py eventlet|gevent switch N
        two greenlets hand a turn back and forth N times each way, waiting with sleep(0)
    ... spawn N        spawn+join N greenlets, in batches of 1000
    ... sleepers N     N greenlets sleep 1 s concurrently
    ... pipe N         N round trips of one byte through two pipes (green fd waits)
    ... echo PORT C    TCP echo server, a greenlet per connection on the library's
                       green sockets; exits after C connections have come and gone

Results are printed as "METRIC name value unit" lines. Run it with Debian's
/usr/bin/python3, which has python3-eventlet and python3-gevent.
"""
import os
import resource
import socket
import sys
import time

BATCH = 1000


def die(msg):
    sys.stderr.write("green_bench: %s\n" % msg)
    sys.exit(1)


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Lib:
    """The handful of primitives each workload needs, from one library."""

    def __init__(self, name):
        self.name = name
        if name == "eventlet":
            import eventlet
            import eventlet.hubs
            self.mod = eventlet
            self.sleep = eventlet.sleep
            self.spawn = eventlet.spawn
            self.join = lambda g: g.wait()
            self.wait_read = lambda fd: eventlet.hubs.trampoline(fd, read=True)
            self.wait_write = lambda fd: eventlet.hubs.trampoline(fd, write=True)
        elif name == "gevent":
            import gevent
            import gevent.socket
            self.mod = gevent
            self.sleep = gevent.sleep
            self.spawn = gevent.spawn
            self.join = lambda g: g.join()
            self.wait_read = gevent.socket.wait_read
            self.wait_write = gevent.socket.wait_write
        else:
            die("unknown library %r (eventlet or gevent)" % name)

    def listen(self, port):
        if self.name == "eventlet":
            return self.mod.listen(("127.0.0.1", port), backlog=4096)
        import gevent.socket
        s = gevent.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(4096)
        return s


def run_switch(lib, n):
    state = {"turn": 0}
    limit = 100000000

    def side(me):
        for _ in range(n):
            spins = 0
            while state["turn"] != me:
                lib.sleep(0)
                spins += 1
                if spins > limit:
                    die("switch: the other side never handed the turn back")
            state["turn"] = 1 - me

    t0 = time.perf_counter()
    a = lib.spawn(side, 0)
    b = lib.spawn(side, 1)
    lib.join(a)
    lib.join(b)
    ns = (time.perf_counter() - t0) * 1e9
    print("METRIC ns_per_switch %.2f ns" % (ns / (2.0 * n)))


def run_spawn(lib, n):
    ran = [0]

    def body():
        ran[0] += 1

    t0 = time.perf_counter()
    done = 0
    while done < n:
        k = min(BATCH, n - done)
        batch = [lib.spawn(body) for _ in range(k)]
        for g in batch:
            lib.join(g)
        done += k
    ns = (time.perf_counter() - t0) * 1e9
    if ran[0] != n:
        die("spawn: %d of %d greenlets ran" % (ran[0], n))
    print("METRIC ns_per_spawn_join %.2f ns" % (ns / n))


def run_sleepers(lib, n):
    started = [0]

    def sleeper():
        started[0] += 1
        lib.sleep(1.0)

    handles = [None] * n  # allocated before the baseline
    rss0 = status_kib("VmRSS")
    t0 = time.perf_counter()
    for i in range(n):
        handles[i] = lib.spawn(sleeper)
    spawn_ns = (time.perf_counter() - t0) * 1e9
    for _ in range(30000):  # at most 30 s until every sleeper has started
        if started[0] >= n:
            break
        lib.sleep(0.001)
    rss_asleep = status_kib("VmRSS")
    for g in handles:
        lib.join(g)
    wall = time.perf_counter() - t0
    print("METRIC wall_s %.4f s" % wall)
    print("METRIC rss_kib_per_thread %.3f KiB" % ((rss_asleep - rss0) / float(n)))
    print("INFO spawn_ns_per_thread %.1f started_before_rss %d" % (spawn_ns / n, started[0]))


def green_read(lib, fd, k):
    while True:
        try:
            return os.read(fd, k)
        except BlockingIOError:
            lib.wait_read(fd)


def green_write(lib, fd, data):
    while True:
        try:
            return os.write(fd, data)
        except BlockingIOError:
            lib.wait_write(fd)


def run_pipe(lib, n):
    there = os.pipe()
    back = os.pipe()
    for fd in there + back:
        os.set_blocking(fd, False)

    def echo():
        while True:
            c = green_read(lib, there[0], 1)
            if c != b"x":
                return
            if green_write(lib, back[1], c) != 1:
                return

    partner = lib.spawn(echo)
    t0 = time.perf_counter()
    for _ in range(n):
        if green_write(lib, there[1], b"x") != 1 or green_read(lib, back[0], 1) != b"x":
            die("pipe round trip failed")
    ns = (time.perf_counter() - t0) * 1e9
    green_write(lib, there[1], b"q")
    lib.join(partner)
    print("METRIC us_per_rtt %.3f us" % (ns / 1e3 / n))


def run_echo(lib, port, conns):
    raise_nofile()
    ls = lib.listen(port)
    print("LISTENING %d" % port, flush=True)
    left = [conns]
    handlers = []

    def serve(c):
        try:
            while True:
                data = c.recv(4096)
                if not data:
                    break
                c.sendall(data)
        except OSError:
            pass
        finally:
            c.close()
            left[0] -= 1

    for _ in range(conns):
        c, _addr = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handlers.append(lib.spawn(serve, c))
    ls.close()
    for g in handlers:
        lib.join(g)
    if left[0] != 0:
        die("echo: %d connections still open" % left[0])
    print("METRIC server_peak_rss_kib %d KiB" % status_kib("VmHWM"))


def count(s):
    v = int(s)
    if v <= 0 or v > 100000000:
        die("bad count %r" % s)
    return v


def main(argv):
    if len(argv) < 4:
        die("usage: green_bench.py eventlet|gevent switch|spawn|sleepers|pipe N | echo PORT CONNS")
    lib = Lib(argv[1])
    cmd = argv[2]
    if cmd == "echo" and len(argv) == 5:
        run_echo(lib, count(argv[3]), count(argv[4]))
    elif len(argv) == 4 and cmd in ("switch", "spawn", "sleepers", "pipe"):
        {"switch": run_switch, "spawn": run_spawn, "sleepers": run_sleepers, "pipe": run_pipe}[cmd](lib, count(argv[3]))
    else:
        die("unknown workload %r" % cmd)
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
