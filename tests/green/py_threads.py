"""CPython's threading, socket and queue under the shim: 100 client threads
and 100 handler threads (one per accepted connection) echo messages over
127.0.0.1, report through a queue.Queue, and use Lock, Condition (timed
waits), Event and Semaphore. With GREEN_EXPECT=green the OS-thread count
(entries of /proc/self/task) is sampled while all threads are alive and
must stay at most 4. Exits 0 when every check passed."""
import os
import queue
import socket
import sys
import threading
import time

CLIENTS = 100
ROUNDS = 20
failures = []
peak_os_threads = 0
peak_lock = threading.Lock()


def check(cond, what):
    if not cond:
        failures.append(what)
        print("check failed:", what, file=sys.stderr)


def sample_os_threads():
    global peak_os_threads
    n = len(os.listdir("/proc/self/task"))
    with peak_lock:
        peak_os_threads = max(peak_os_threads, n)


def handler(conn):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)


def acceptor(server, handlers):
    for _ in range(CLIENTS):
        conn, _ = server.accept()
        t = threading.Thread(target=handler, args=(conn,))
        t.start()
        handlers.append(t)


def client(i, port, results, all_connected, gate):
    # socket.create_connection would resolve "127.0.0.1" with getaddrinfo,
    # which the shim runs on its offload pool (up to 4 more OS threads);
    # connect with a numeric address does not resolve anything.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect(("127.0.0.1", port))
        with gate:  # a Semaphore: at most 10 in this section at once
            pass
        all_connected.wait(timeout=20)
        ok = True
        for r in range(ROUNDS):
            msg = ("client %d round %d " % (i, r)).encode() * 3
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                chunk = s.recv(len(msg) - len(got))
                if not chunk:
                    break
                got += chunk
            ok = ok and got == msg
            if r == ROUNDS // 2 and i % 20 == 0:
                sample_os_threads()
        results.put((i, ok))


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    port = server.getsockname()[1]
    handlers = []
    acc = threading.Thread(target=acceptor, args=(server, handlers))
    acc.start()
    results = queue.Queue()
    all_connected = threading.Event()
    gate = threading.Semaphore(10)
    t0 = time.monotonic()
    clients = [threading.Thread(target=client, args=(i, port, results, all_connected, gate)) for i in range(CLIENTS)]
    for t in clients:
        t.start()
    acc.join(timeout=30)
    check(not acc.is_alive(), "every connection accepted")
    sample_os_threads()
    check(threading.active_count() >= CLIENTS, "the clients are alive together (%d)" % threading.active_count())
    all_connected.set()
    got = {}
    for _ in range(CLIENTS):
        i, ok = results.get(timeout=30)
        got[i] = ok
    for t in clients + handlers:
        t.join(timeout=30)
    server.close()
    check(len(got) == CLIENTS and all(got.values()), "every client's echoes came back intact")

    # A timed Condition wait times out; a notify wakes a waiter.
    cond = threading.Condition()
    start = time.monotonic()
    with cond:
        check(cond.wait(timeout=0.08) is False, "Condition.wait times out")
    waited = time.monotonic() - start
    check(0.07 <= waited < 2.0, "the timed wait took its time (%.3f s)" % waited)
    box = []

    def notifier():
        time.sleep(0.02)
        with cond:
            box.append(1)
            cond.notify()

    n = threading.Thread(target=notifier)
    n.start()
    with cond:
        check(cond.wait_for(lambda: box, timeout=10), "Condition.notify wakes the waiter")
    n.join()
    elapsed = time.monotonic() - t0

    if os.environ.get("GREEN_EXPECT") == "green":
        check("libgreenring-preload.so" in os.environ.get("LD_PRELOAD", ""), "run under the shim")
        check(peak_os_threads <= 4, "at most 4 OS threads (saw %d)" % peak_os_threads)
    print("py_threads: %d clients, %.3f s, peak OS threads %d, %d failed checks"
          % (CLIENTS, elapsed, peak_os_threads, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
