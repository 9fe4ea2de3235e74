/* signal_eintr: a signal handler that runs while a call waits. POSIX: the
 * sleeps and the waits for fds and children end with EINTR (the sleeps
 * report the time left); with SA_RESTART the I/O calls on a fd without a
 * timeout resume instead, while poll/select/epoll and sleeps never resume.
 * ppoll/pselect's mask: a signal blocked in the thread but not by the call's
 * mask interrupts the call. A one-shot timer (SIGALRM after 100 ms) or
 * another thread (pthread_kill) sends the signal. */
#include "transcript.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t handled;
static void on_signal(int sig) {
  (void)sig;
  handled++;
}

static void handler(int sig, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void alarm_in_100ms(void) {
  struct itimerval it = {{0, 0}, {0, 100000}};
  handled = 0;
  setitimer(ITIMER_REAL, &it, NULL);
}

static void write_byte(void* arg) {
  if (write(*(int*)arg, "!", 1) != 1) perror("write");
}

/* Every interrupted call ends long before its own 1-2 s wait. */
#define INTERRUPTED(label, expr)                 \
  do {                                           \
    alarm_in_100ms();                            \
    long long t0_ = t_now_ms();                  \
    CALL(label, expr);                           \
    t_took(label, t0_, 80, 900);                 \
    t_say("  handler ran: %d", (int)handled);    \
  } while (0)

static void sleeps(void) {
  handler(SIGALRM, 0);
  struct timespec req = {1, 0}, rem = {0, 0};
  INTERRUPTED("nanosleep(1 s)", nanosleep(&req, &rem));
  long long left = (long long)rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
  t_say("  rem in (0.5 s, 1 s): %s", left > 500 && left < 1000 ? "yes" : "no");
  alarm_in_100ms();
  long long t0 = t_now_ms();
  unsigned s = sleep(2);
  t_say("sleep(2) returned %u (seconds left)", s);
  t_took("sleep(2)", t0, 80, 900);
  INTERRUPTED("usleep(1 s)", usleep(999999));
  rem.tv_sec = rem.tv_nsec = 0;
  alarm_in_100ms();
  t0 = t_now_ms();
  CALL_RC("clock_nanosleep(MONOTONIC, 1 s)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem));
  t_took("clock_nanosleep(MONOTONIC, 1 s)", t0, 80, 900);
  left = (long long)rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
  t_say("  rem in (0.5 s, 1 s): %s", left > 500 && left < 1000 ? "yes" : "no");
  struct timespec abs;
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_sec += 1;
  alarm_in_100ms();
  t0 = t_now_ms();
  CALL_RC("clock_nanosleep(REALTIME, TIMER_ABSTIME, now + 1 s)", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL));
  t_took("clock_nanosleep(REALTIME, TIMER_ABSTIME)", t0, 80, 900);
  /* SA_RESTART does not restart a sleep. */
  handler(SIGALRM, SA_RESTART);
  INTERRUPTED("nanosleep(1 s) with SA_RESTART", nanosleep(&req, NULL));
}

static void fds(void) {
  int p[2], sv[2];
  char buf[8];
  if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  handler(SIGALRM, 0);
  INTERRUPTED("read(empty pipe)", read(p[0], buf, sizeof buf));
  INTERRUPTED("recv(empty socket)", recv(sv[0], buf, sizeof buf, 0));
  struct pollfd pf = {p[0], POLLIN, 0};
  INTERRUPTED("poll(empty pipe, 1 s)", poll(&pf, 1, 1000));
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  struct timeval tv = {1, 0};
  INTERRUPTED("select(empty pipe, 1 s)", select(p[0] + 1, &rd, NULL, NULL, &tv));
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  INTERRUPTED("epoll_wait(1 s)", epoll_wait(ep, &ev, 1, 1000));
  close(ep);

  /* SA_RESTART: the read resumes and gets the byte a thread writes later;
   * poll does not resume. */
  handler(SIGALRM, SA_RESTART);
  struct t_later l;
  t_later_start(&l, 400, write_byte, &p[1]);
  alarm_in_100ms();
  long long t0 = t_now_ms();
  CALL("read(empty pipe) with SA_RESTART resumes", read(p[0], buf, sizeof buf));
  t_took("read with SA_RESTART", t0, 390, 2000);
  t_say("  handler ran: %d", (int)handled);
  t_later_join(&l);
  INTERRUPTED("poll(empty pipe, 1 s) with SA_RESTART", poll(&pf, 1, 1000));
  /* With SO_RCVTIMEO set, a socket call is not restarted. */
  struct timeval rt = {2, 0};
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof rt);
  INTERRUPTED("recv with SO_RCVTIMEO and SA_RESTART", recv(sv[0], buf, sizeof buf, 0));
  close(p[0]);
  close(p[1]);
  close(sv[0]);
  close(sv[1]);

  /* A connect that waits for the handshake: a listener with backlog 0 and
   * its one queue slot taken does not answer. */
  handler(SIGALRM, 0);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(ls, (struct sockaddr*)&a, sizeof a) != 0 || listen(ls, 0) != 0 ||
      getsockname(ls, (struct sockaddr*)&a, &alen) != 0)
    exit(2);
  int first = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(first, (struct sockaddr*)&a, sizeof a) != 0) exit(2);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  INTERRUPTED("connect to a listener that does not answer", connect(c, (struct sockaddr*)&a, sizeof a));
  close(c);
  close(first);
  close(ls);
}

static void children(void) {
  handler(SIGALRM, 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    t_msleep(1000);
    _exit(0);
  }
  int st;
  INTERRUPTED("waitpid(child)", waitpid(pid, &st, 0));
  waitpid(pid, &st, 0);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    t_msleep(1000);
    _exit(0);
  }
  siginfo_t si;
  INTERRUPTED("waitid(P_PID, child)", waitid(P_PID, (id_t)pid, &si, WEXITED));
  waitpid(pid, &st, 0);

  /* SA_RESTART: waitpid resumes and returns the child. */
  handler(SIGALRM, SA_RESTART);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    t_msleep(400);
    _exit(3);
  }
  alarm_in_100ms();
  long long t0 = t_now_ms();
  pid_t r = waitpid(pid, &st, 0);
  t_say("waitpid(child) with SA_RESTART resumes: %s, exited %d", r == pid ? "the child" : "not the child",
        WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  t_took("waitpid(child) with SA_RESTART", t0, 390, 2000);
  t_say("  handler ran: %d", (int)handled);
}

/* A wait for any child parks in the ring (IORING_OP_WAITID), where a handler
 * interrupts it as it interrupts the kernel's wait. Before Linux 6.7 the shim
 * runs it on the offload pool, where no handler can (docs/interposition.md). */
static void any_child(void) {
  if (!t_kernel_at_least(6, 7)) {
    t_say("waitpid(-1) interrupted: not asked (before Linux 6.7 the shim offloads it)");
    return;
  }
  handler(SIGALRM, 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    t_msleep(1000);
    _exit(0);
  }
  int st;
  INTERRUPTED("waitpid(-1)", waitpid(-1, &st, 0));
  waitpid(pid, &st, 0);
}

struct kill_later {
  pthread_t target;
  int sig;
};
static void send_signal(void* arg) {
  struct kill_later* k = (struct kill_later*)arg;
  pthread_kill(k->target, k->sig);
}

static void masks(void) {
  int p[2];
  if (pipe(p) != 0) exit(2);
  handler(SIGUSR1, 0);
  sigset_t usr1, old, call_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, &old);
  pthread_sigmask(SIG_SETMASK, NULL, &call_mask);
  sigdelset(&call_mask, SIGUSR1);

  struct kill_later k = {pthread_self(), SIGUSR1};
  struct t_later l;
  struct pollfd pf = {p[0], POLLIN, 0};
  struct timespec ts = {1, 0};
  handled = 0;
  t_later_start(&l, 100, send_signal, &k);
  long long t0 = t_now_ms();
  CALL("ppoll with a mask that lets SIGUSR1 in", ppoll(&pf, 1, &ts, &call_mask));
  t_took("ppoll with a mask that lets SIGUSR1 in", t0, 80, 900);
  t_say("  handler ran: %d", (int)handled);
  t_later_join(&l);

  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  handled = 0;
  t_later_start(&l, 100, send_signal, &k);
  t0 = t_now_ms();
  CALL("pselect with a mask that lets SIGUSR1 in", pselect(p[0] + 1, &rd, NULL, NULL, &ts, &call_mask));
  t_took("pselect with a mask that lets SIGUSR1 in", t0, 80, 900);
  t_say("  handler ran: %d", (int)handled);
  t_later_join(&l);

  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  handled = 0;
  t_later_start(&l, 100, send_signal, &k);
  t0 = t_now_ms();
  CALL("epoll_pwait with a mask that lets SIGUSR1 in", epoll_pwait(ep, &ev, 1, 1000, &call_mask));
  t_took("epoll_pwait with a mask that lets SIGUSR1 in", t0, 80, 900);
  t_say("  handler ran: %d", (int)handled);
  t_later_join(&l);
  close(ep);

  /* Still blocked outside the call: a signal sent now stays pending. */
  handled = 0;
  pthread_kill(pthread_self(), SIGUSR1);
  t_msleep(50);
  t_say("SIGUSR1 sent while blocked: handler ran: %d", (int)handled);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  t_say("after unblocking: handler ran: %d", (int)handled);
  close(p[0]);
  close(p[1]);
}

int main(int argc, char** argv) {
  t_start("signal_eintr", 0);
  t_watchdog_kill(25);
  if (t_want(argc, argv, "sleep")) sleeps();
  if (t_want(argc, argv, "fd")) fds();
  if (t_want(argc, argv, "child")) children();
  if (t_want(argc, argv, "any_child")) any_child();
  if (t_want(argc, argv, "mask")) masks();
  return t_end();
}
