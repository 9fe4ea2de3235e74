// green_hooks: proof that the hooks really go through the runtime. Two green
// threads (greenring::spawn) share one OS thread; the first makes a plain
// libc call that blocks (sleep, read, accept, poll, waitpid...), the second
// is what ends the wait (or just notes the time). Only a call that parks
// the green thread lets the second one run: without the hook the first
// blocks the OS thread, the second never runs, and the watchdog (alarm)
// ends the program. Each case prints its name first, so a hang names itself.
// Also: errno stays per green thread across a park, the application's own
// non-blocking fds do not park, and close() of a fd another green thread
// waits on makes that wait fail with EBADF. Runs only under the shim.
#include <greenring/greenring.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atomic>
#include <functional>

#include "transcript.h"

namespace {

using greenring::spawn;

// a blocks, b helps; b is spawned second, so it first runs when a parks.
void pair(const char* name, const std::function<void()>& a, const std::function<void()>& b) {
  t_say("-- %s", name);
  auto ta = spawn(a);
  auto tb = spawn(b);
  ta.join();
  tb.join();
}

// The common check: b ran while a was still inside its call.
struct Timeline {
  long long a_start = 0, a_end = 0, b_at = 0;
  void check(const char* what) const {
    char label[200];
    snprintf(label, sizeof label, "%s: the other green thread ran while it waited", what);
    t_check(label, b_at >= a_start && b_at < a_end);
  }
};

void sleeps() {
  struct Case {
    const char* name;
    std::function<void()> call;
  } cases[] = {
      {"sleep(1)", [] { sleep(1); }},
      {"usleep(200 ms)", [] { usleep(200000); }},
      {"nanosleep(200 ms)",
       [] {
         timespec ts{0, 200000000L};
         nanosleep(&ts, nullptr);
       }},
      {"clock_nanosleep(MONOTONIC, 200 ms)",
       [] {
         timespec ts{0, 200000000L};
         clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
       }},
      {"clock_nanosleep(REALTIME, TIMER_ABSTIME, now + 200 ms)",
       [] {
         timespec ts;
         clock_gettime(CLOCK_REALTIME, &ts);
         ts.tv_nsec += 200000000L;
         if (ts.tv_nsec >= 1000000000L) ts.tv_sec += 1, ts.tv_nsec -= 1000000000L;
         clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr);
       }},
      {"poll(NULL, 0, 200)", [] { poll(nullptr, 0, 200); }},
      {"select(0, ..., 200 ms)",
       [] {
         timeval tv{0, 200000};
         select(0, nullptr, nullptr, nullptr, &tv);
       }},
      {"system(\"sleep 0.2\")", [] { (void)system("sleep 0.2"); }},
  };
  for (auto& c : cases) {
    Timeline t;
    pair(
        c.name,
        [&] {
          t.a_start = t_now_ms();
          c.call();
          t.a_end = t_now_ms();
        },
        [&] { t.b_at = t_now_ms(); });
    t.check(c.name);
  }

  // sched_yield lets the other green thread run (a spin-wait on it ends).
  std::atomic<bool> flag{false};
  int spins = 0;
  pair(
      "sched_yield() spin-wait",
      [&] {
        while (!flag.load() && spins < 1000) {
          sched_yield();
          ++spins;
        }
      },
      [&] { flag.store(true); });
  t_check("sched_yield: the spin-wait ended because the other green thread ran", flag.load() && spins < 1000);
}

void io_waits() {
  int p[2];
  if (pipe(p) != 0) exit(2);
  char buf[16];
  ssize_t got = -1;
  pair(
      "read() on an empty pipe", [&] { got = read(p[0], buf, sizeof buf); },
      [&] {
        if (write(p[1], "hi", 2) != 2) perror("write");
      });
  t_check("read() returned what the other green thread wrote", got == 2);

  static char big[1 << 20];
  long drained = 0;
  ssize_t wrote = -1;
  pair(
      "write() of 1 MiB to a pipe", [&] { wrote = write(p[1], big, sizeof big); },
      [&] {
        while (drained < (long)sizeof big) {
          ssize_t n = read(p[0], big, 65536);
          if (n <= 0) break;
          drained += n;
        }
      });
  t_check("write() of 1 MiB completed while the other green thread drained it",
          wrote == (ssize_t)sizeof big && drained == (long)sizeof big);

  iovec v{buf, sizeof buf};
  pair(
      "readv() on an empty pipe", [&] { got = readv(p[0], &v, 1); },
      [&] {
        if (write(p[1], "abc", 3) != 3) perror("write");
      });
  t_check("readv() returned what the other green thread wrote", got == 3);

  int efd = eventfd(0, 0);
  uint64_t value = 0;
  pair(
      "read() on an eventfd", [&] { got = read(efd, &value, sizeof value); },
      [&] {
        uint64_t one = 5;
        if (write(efd, &one, sizeof one) != sizeof one) perror("write");
      });
  t_check("read() on an eventfd got the other green thread's value", got == 8 && value == 5);
  close(efd);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  pair(
      "recv() on a socket", [&] { got = recv(sv[0], buf, sizeof buf, 0); },
      [&] { send(sv[1], "sock", 4, 0); });
  t_check("recv() got the other green thread's bytes", got == 4);
  pair(
      "recv(MSG_PEEK) on a socket", [&] { got = recv(sv[0], buf, sizeof buf, MSG_PEEK); },
      [&] { send(sv[1], "peek", 4, 0); });
  t_check("recv(MSG_PEEK) waited without blocking the OS thread", got == 4 && recv(sv[0], buf, 4, 0) == 4);
  msghdr m{};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  pair(
      "recvmsg() on a socket", [&] { got = recvmsg(sv[0], &m, 0); },
      [&] { send(sv[1], "msg", 3, 0); });
  t_check("recvmsg() got the other green thread's bytes", got == 3);

  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (sockaddr*)&a, sizeof a) != 0 || listen(l, 4) != 0 || getsockname(l, (sockaddr*)&a, &alen) != 0)
    exit(2);
  int accepted = -1, client = -1;
  pair(
      "accept() on a listener", [&] { accepted = accept(l, nullptr, nullptr); },
      [&] {
        client = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(client, (sockaddr*)&a, sizeof a) != 0) perror("connect");
      });
  t_check("accept() got the other green thread's connection", accepted >= 0);
  pair(
      "recv() on TCP", [&] { got = recv(accepted, buf, sizeof buf, 0); },
      [&] { send(client, "tcp!", 4, 0); });
  t_check("recv() on TCP got the bytes", got == 4);
  close(accepted);
  close(client);
  close(l);
  close(sv[0]);
  close(sv[1]);
  close(p[0]);
  close(p[1]);
}

void poll_waits() {
  int p[2];
  if (pipe(p) != 0) exit(2);
  char c;
  auto writer = [&] {
    if (write(p[1], "!", 1) != 1) perror("write");
  };
  int r = -1;
  pollfd pf{p[0], POLLIN, 0};
  pair("poll(pipe, -1)", [&] { r = poll(&pf, 1, -1); }, writer);
  t_check("poll() woke for the other green thread's write", r == 1 && read(p[0], &c, 1) == 1);
  timespec ts{5, 0};
  pair("ppoll(pipe, 5 s)", [&] { r = ppoll(&pf, 1, &ts, nullptr); }, writer);
  t_check("ppoll() woke for the other green thread's write", r == 1 && read(p[0], &c, 1) == 1);
  fd_set rd;
  pair(
      "select(pipe, no timeout)",
      [&] {
        FD_ZERO(&rd);
        FD_SET(p[0], &rd);
        r = select(p[0] + 1, &rd, nullptr, nullptr, nullptr);
      },
      writer);
  t_check("select() woke for the other green thread's write", r == 1 && read(p[0], &c, 1) == 1);
  pair(
      "pselect(pipe, 5 s)",
      [&] {
        FD_ZERO(&rd);
        FD_SET(p[0], &rd);
        r = pselect(p[0] + 1, &rd, nullptr, nullptr, &ts, nullptr);
      },
      writer);
  t_check("pselect() woke for the other green thread's write", r == 1 && read(p[0], &c, 1) == 1);
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  epoll_event out[2];
  pair("epoll_wait(-1)", [&] { r = epoll_wait(ep, out, 2, -1); }, writer);
  t_check("epoll_wait() woke for the other green thread's write", r == 1 && read(p[0], &c, 1) == 1);
  pair("epoll_pwait(5 s)", [&] { r = epoll_pwait(ep, out, 2, 5000, nullptr); }, writer);
  t_check("epoll_pwait() woke for the other green thread's write", r == 1 && read(p[0], &c, 1) == 1);
  close(ep);
  close(p[0]);
  close(p[1]);
}

void process_waits() {
  int st = 0;
  struct Case {
    const char* name;
    std::function<pid_t(pid_t)> wait;
  } cases[] = {
      {"waitpid(child)", [&](pid_t pid) { return waitpid(pid, &st, 0); }},
      {"waitpid(-1)", [&](pid_t) { return waitpid(-1, &st, 0); }},
      {"wait()", [&](pid_t) { return wait(&st); }},
      {"waitid(P_PID)",
       [&](pid_t pid) {
         siginfo_t si{};
         int r = waitid(P_PID, (id_t)pid, &si, WEXITED);
         st = si.si_status << 8;
         return r == 0 ? si.si_pid : -1;
       }},
  };
  for (auto& c : cases) {
    Timeline t;
    pid_t pid = -1, got = -2;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
      t_msleep(200);
      _exit(9);
    }
    pair(
        c.name,
        [&] {
          t.a_start = t_now_ms();
          got = c.wait(pid);
          t.a_end = t_now_ms();
        },
        [&] { t.b_at = t_now_ms(); });
    t.check(c.name);
    t_check("  it returned the child and its status", got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
  }
}

void transparency() {
  // errno is the green thread's own across a park.
  int seen = 0;
  pair(
      "errno across a park",
      [&] {
        errno = 0;
        (void)read(-1, nullptr, 0);  // EBADF
        usleep(50000);               // parks; the other green thread sets errno
        seen = errno;
      },
      [&] { errno = EPIPE; });
  t_check("errno is still EBADF after the other green thread set EPIPE", seen == EBADF);

  // The application's own non-blocking fd: EAGAIN at once, no park.
  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) exit(2);
  bool b_ran = false, b_ran_before = true;
  ssize_t r = 0;
  int err = 0;
  pair(
      "read() on an O_NONBLOCK pipe",
      [&] {
        char c;
        r = read(p[0], &c, 1);
        err = errno;
        b_ran_before = b_ran;
      },
      [&] { b_ran = true; });
  t_check("EAGAIN at once, and no switch to the other green thread", r == -1 && err == EAGAIN && !b_ran_before);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  b_ran = false;
  pair(
      "recv(MSG_DONTWAIT)",
      [&] {
        char c;
        r = recv(sv[0], &c, 1, MSG_DONTWAIT);
        err = errno;
        b_ran_before = b_ran;
      },
      [&] { b_ran = true; });
  t_check("EAGAIN at once, and no switch to the other green thread", r == -1 && err == EAGAIN && !b_ran_before);
  // (A call that could complete at once may still let the other ready green
  // threads run first: the reactor batches its submission with theirs.)
  close(sv[0]);
  close(sv[1]);
  close(p[0]);
  close(p[1]);
}

void close_cancels() {
  int p[2];
  char buf[8];
  ssize_t r = 0;
  int err = 0;
  if (pipe(p) != 0) exit(2);
  pair(
      "io::read() while another green thread closes the fd",
      [&] {
        r = greenring::io::read(p[0], buf, sizeof buf);
        err = errno;
      },
      [&] { close(p[0]); });
  t_check("io::read() failed with EBADF", r == -1 && err == EBADF);
  close(p[1]);

  if (pipe(p) != 0) exit(2);
  pair(
      "read() while another green thread closes the fd",
      [&] {
        r = read(p[0], buf, sizeof buf);
        err = errno;
      },
      [&] { close(p[0]); });
  t_check("read() failed with EBADF", r == -1 && err == EBADF);
  // The number is free at once and the next owner is not disturbed.
  int q[2];
  if (pipe(q) != 0) exit(2);
  t_check("the fd number was reused", q[0] == p[0]);
  if (write(q[1], "new", 3) != 3) exit(2);
  t_check("the new pipe on the reused number works", read(q[0], buf, sizeof buf) == 3);
  close(q[0]);
  close(q[1]);
  close(p[1]);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  pair(
      "recv() while another green thread closes the socket",
      [&] {
        r = recv(sv[0], buf, sizeof buf, 0);
        err = errno;
      },
      [&] { close(sv[0]); });
  t_check("recv() failed with EBADF", r == -1 && err == EBADF);
  close(sv[1]);

  if (pipe(p) != 0) exit(2);
  int moved = 0;
  pair(
      "read() while another green thread's dup2/dup3 onto the fd fail",
      [&] {
        r = read(p[0], buf, sizeof buf);
        err = errno;
      },
      [&] {
        moved = (dup2(-1, p[0]) == -1 && errno == EBADF) + (dup3(999, p[0], 0) == -1 && errno == EBADF) +
                (dup3(p[1], p[0], 0x4000) == -1 && errno == EINVAL);
        if (write(p[1], "still", 5) != 5) perror("write");
      });
  t_check("the failed dup2/dup3 left the fd and its reader alone", moved == 3 && r == 5);
  close(p[0]);
  close(p[1]);

  // A daemon's "close everything": close_range and closefrom reach the
  // pending read as close() does, and the runtime keeps working after.
  if (pipe(p) != 0) exit(2);
  pair(
      "read() while another green thread calls close_range over the fd",
      [&] {
        r = read(p[0], buf, sizeof buf);
        err = errno;
      },
      [&] { close_range(static_cast<unsigned>(p[0]), static_cast<unsigned>(p[0]), 0); });
  t_check("read() failed with EBADF", r == -1 && err == EBADF);
  close(p[1]);
  if (pipe(p) != 0) exit(2);
  int top = p[0] > p[1] ? p[0] : p[1];
  pair(
      "read() while another green thread calls closefrom below the fd",
      [&] {
        r = read(p[0], buf, sizeof buf);
        err = errno;
      },
      [&] { closefrom(top - 1); });
  t_check("read() failed with EBADF", r == -1 && err == EBADF);
  t_check("both ends are closed", fcntl(p[0], F_GETFD) == -1 && fcntl(p[1], F_GETFD) == -1);
  if (pipe(q) != 0) exit(2);
  t_check("the fd number was reused", q[0] == p[0]);
  pair(
      "read() on the reused number while another green thread writes",
      [&] { r = read(q[0], buf, sizeof buf); },
      [&] {
        if (write(q[1], "again", 5) != 5) perror("write");
      });
  t_check("the new pipe on the reused number works", r == 5);
  close(q[0]);
  close(q[1]);

  if (pipe(p) != 0 || pipe(q) != 0) exit(2);
  pair(
      "read() while another green thread dup2()s over the fd",
      [&] {
        r = read(p[0], buf, sizeof buf);
        err = errno;
      },
      [&] { dup2(q[0], p[0]); });
  t_check("read() failed with EBADF", r == -1 && err == EBADF);
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

}  // namespace

int main(int argc, char** argv) {
  if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "libgreenring-preload")) {
    printf("green_hooks runs under LD_PRELOAD=libgreenring-preload.so only\n");
    return T_SKIP;
  }
  t_start("green_hooks", 25);
  if (t_want(argc, argv, "sleep")) sleeps();
  if (t_want(argc, argv, "io")) io_waits();
  if (t_want(argc, argv, "poll")) poll_waits();
  if (t_want(argc, argv, "process")) process_waits();
  if (t_want(argc, argv, "transparency")) transparency();
  if (t_want(argc, argv, "close")) close_cancels();
  return t_end();
}
