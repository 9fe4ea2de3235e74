/* poll_family: poll, ppoll, select, pselect, epoll_wait, epoll_pwait,
 * epoll_pwait2: ready sets and revents, timeouts (with no fds they are plain
 * sleeps), select's write-back of the time not slept, bad arguments, waits
 * that end when another thread writes, and the signal mask of the p-calls. */
#include "transcript.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>

static void write_byte(void* arg) {
  if (write(*(int*)arg, "!", 1) != 1) perror("write");
}

/* The size of this process's fd table, as the kernel reports it. */
static int fd_table_size(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  int size = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "FDSize: %d", &size) == 1) break;
  if (f) fclose(f);
  if (size < 0) exit(2);
  return size;
}

static void polls(void) {
  int p[2];
  char c;
  if (pipe(p) != 0) exit(2);
  long long t0 = t_now_ms();
  CALL("poll(NULL, 0, 150): a sleep", poll(NULL, 0, 150));
  t_took("poll(NULL, 0, 150)", t0, 145, 1500);

  struct pollfd pf = {p[0], POLLIN, 0};
  t0 = t_now_ms();
  CALL("poll an empty pipe, 120 ms", poll(&pf, 1, 120));
  t_took("poll an empty pipe", t0, 115, 1500);
  t_say("  revents %#x", pf.revents);
  CALL("poll an empty pipe, timeout 0", poll(&pf, 1, 0));

  struct t_later l;
  t_later_start(&l, 150, write_byte, &p[1]);
  t0 = t_now_ms();
  CALL("poll(-1) wakes when a thread writes", poll(&pf, 1, -1));
  t_took("poll(-1) wakes when a thread writes", t0, 140, 2000);
  t_later_join(&l);
  t_say("  revents %#x", pf.revents);
  CALL("poll with data already there", poll(&pf, 1, 1000));

  struct pollfd set[4] = {{p[0], POLLIN, 0}, {-1, POLLIN, 0}, {p[1], POLLOUT, 0}, {999, POLLIN, 0}};
  CALL("poll: ready, ignored (-1), writable, bad fd", poll(set, 4, 1000));
  t_say("  revents %#x %#x %#x %#x", set[0].revents, set[1].revents, set[2].revents, set[3].revents);
  if (read(p[0], &c, 1) != 1) exit(2);
  struct pollfd only_neg = {-1, POLLIN, 0};
  t0 = t_now_ms();
  CALL("poll on fd -1 only, 100 ms", poll(&only_neg, 1, 100));
  t_took("poll on fd -1 only", t0, 95, 1500);

  close(p[1]);
  CALL("poll a pipe whose writer closed", poll(&pf, 1, 1000));
  t_say("  revents %#x", pf.revents);
  close(p[0]);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  struct pollfd both[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN, 0}};
  CALL("poll a socketpair (writable only)", poll(both, 2, 1000));
  t_say("  revents %#x %#x", both[0].revents, both[1].revents);
  close(sv[0]);
  CALL("poll after the peer closed", poll(&both[1], 1, 1000));
  t_say("  revents %#x", both[1].revents);
  close(sv[1]);

  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  CALL("poll with nfds above RLIMIT_NOFILE", poll(set, (nfds_t)rl.rlim_cur + 1, 10));
}

static struct timespec ms_ts(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  return ts;
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

struct kill_later {
  pthread_t target;
};
static void send_usr1(void* arg) { pthread_kill(((struct kill_later*)arg)->target, SIGUSR1); }

static void ppolls(void) {
  int p[2];
  if (pipe(p) != 0) exit(2);
  struct pollfd pf = {p[0], POLLIN, 0};
  struct timespec ts = ms_ts(120);
  long long t0 = t_now_ms();
  CALL("ppoll an empty pipe, 120 ms", ppoll(&pf, 1, &ts, NULL));
  t_took("ppoll an empty pipe", t0, 115, 1500);
  t_say("  ts unchanged: %s", ts.tv_sec == 0 && ts.tv_nsec == 120000000L ? "yes" : "no");
  t0 = t_now_ms();
  CALL("ppoll(NULL, 0, 100 ms): a sleep", ppoll(NULL, 0, &ts, NULL));
  t_took("ppoll(NULL, 0, 120 ms)", t0, 115, 1500);
  struct timespec zero = {0, 0};
  CALL("ppoll with a zero timeout", ppoll(&pf, 1, &zero, NULL));
  struct t_later l;
  t_later_start(&l, 150, write_byte, &p[1]);
  CALL("ppoll(NULL timeout) wakes when a thread writes", ppoll(&pf, 1, NULL, NULL));
  t_later_join(&l);
  struct timespec bad = {0, 2000000000L};
  CALL("ppoll with tv_nsec=2e9", ppoll(&pf, 1, &bad, NULL));
  struct timespec neg = {-1, 0};
  CALL("ppoll with tv_sec=-1", ppoll(&pf, 1, &neg, NULL));

  /* The mask holds for the call only: SIGUSR1, blocked by the call's mask,
   * stays pending until the call returns and the handler runs after it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t block_usr1, before, after;
  sigemptyset(&block_usr1);
  sigaddset(&block_usr1, SIGUSR1);
  pthread_sigmask(SIG_SETMASK, NULL, &before);
  char c;
  if (read(p[0], &c, 1) != 1) exit(2);
  struct kill_later kl = {pthread_self()};
  got_usr1 = 0;
  t_later_start(&l, 50, send_usr1, &kl);
  ts = ms_ts(250);
  CALL("ppoll with SIGUSR1 blocked by its mask, 250 ms (no EINTR)", ppoll(&pf, 1, &ts, &block_usr1));
  t_later_join(&l);
  pthread_sigmask(SIG_SETMASK, NULL, &after);
  t_say("  the handler ran by the time the call returned: %s", got_usr1 ? "yes" : "no");
  t_say("  the thread's mask is back: %s", sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1) ? "yes" : "no");
  close(p[0]);
  close(p[1]);
}

static long tv_ms(const struct timeval* tv) { return (long)tv->tv_sec * 1000 + tv->tv_usec / 1000; }

static void selects(void) {
  int p[2];
  if (pipe(p) != 0) exit(2);
  fd_set rd, wr, ex;
  struct timeval tv = {0, 150000};
  long long t0 = t_now_ms();
  CALL("select(0, NULL, NULL, NULL, 150 ms): a sleep", select(0, NULL, NULL, NULL, &tv));
  t_took("select with no fds", t0, 145, 1500);
  t_say("  timeout written back: %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);

  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv.tv_sec = 0;
  tv.tv_usec = 120000;
  t0 = t_now_ms();
  CALL("select an empty pipe, 120 ms", select(p[0] + 1, &rd, NULL, NULL, &tv));
  t_took("select an empty pipe", t0, 115, 1500);
  t_say("  read set cleared: %s, timeout written back: %ld.%06ld", FD_ISSET(p[0], &rd) ? "no" : "yes",
        (long)tv.tv_sec, (long)tv.tv_usec);

  if (write(p[1], "x", 1) != 1) exit(2);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  FD_ZERO(&wr);
  FD_SET(p[1], &wr);
  tv.tv_sec = 5;
  tv.tv_usec = 0;
  CALL("select: readable and writable", select(p[1] + 1, &rd, &wr, NULL, &tv));
  long left = tv_ms(&tv);
  t_say("  sets: read %d, write %d; time left in (4.5 s, 5 s]: %s", FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr),
        left > 4500 && left <= 5000 ? "yes" : "no");

  char c;
  if (read(p[0], &c, 1) != 1) exit(2);
  struct t_later l;
  t_later_start(&l, 150, write_byte, &p[1]);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv.tv_sec = 3;
  tv.tv_usec = 0;
  t0 = t_now_ms();
  CALL("select wakes when a thread writes", select(p[0] + 1, &rd, NULL, NULL, &tv));
  t_took("select wakes when a thread writes", t0, 140, 2000);
  left = tv_ms(&tv);
  t_say("  time left in (1 s, 2.9 s]: %s", left > 1000 && left <= 2900 ? "yes" : "no");
  t_later_join(&l);
  if (read(p[0], &c, 1) != 1) exit(2);
  t_later_start(&l, 100, write_byte, &p[1]);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  CALL("select with no timeout wakes when a thread writes", select(p[0] + 1, &rd, NULL, NULL, NULL));
  t_later_join(&l);
  if (read(p[0], &c, 1) != 1) exit(2);

  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv.tv_sec = 0;
  tv.tv_usec = 0;
  CALL("select with a zero timeout", select(p[0] + 1, &rd, NULL, NULL, &tv));

  /* The kernel's select refuses a closed fd only below the size of the
   * process's fd table; beyond it the fd is passed over. Open fd 100 once so
   * the table holds 77 in any environment, then ask for both kinds. */
  if (dup2(p[0], 100) != 100 || close(100) != 0) exit(2);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  FD_SET(77, &rd);
  tv.tv_sec = 1;
  tv.tv_usec = 0;
  CALL("select with a closed fd in the set", select(78, &rd, NULL, NULL, &tv));
  t_say("  read set kept: %s", FD_ISSET(p[0], &rd) && FD_ISSET(77, &rd) ? "yes" : "no");
  if (!t_kernel_at_least(6, 7)) {
    t_say("select with a closed fd beyond the fd table: not asked (before Linux 6.7 the shim holds a high fd)");
  } else if (fd_table_size() <= 1000) {
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    FD_SET(1000, &rd);
    tv.tv_sec = 0;
    tv.tv_usec = 150000;
    t0 = t_now_ms();
    CALL("select with a closed fd beyond the fd table", select(1001, &rd, NULL, NULL, &tv));
    t_took("select with a closed fd beyond the fd table", t0, 145, 1500);
    t_say("  pipe's bit cleared: %s, fd 1000's bit kept: %s", FD_ISSET(p[0], &rd) ? "no" : "yes",
          FD_ISSET(1000, &rd) ? "yes" : "no");
  } else {
    t_say("select with a closed fd beyond the fd table: not asked (fd table holds 1000)");
  }
  if (write(p[1], "z", 1) != 1) exit(2);
  tv.tv_sec = 0;
  tv.tv_usec = 2000000;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  CALL("select with tv_usec=2e6 (normalised) on a ready pipe", select(p[0] + 1, &rd, NULL, NULL, &tv));
  if (read(p[0], &c, 1) != 1) exit(2);
  tv.tv_sec = -1;
  tv.tv_usec = 0;
  CALL("select with tv_sec=-1", select(p[0] + 1, &rd, NULL, NULL, &tv));
  CALL("select with nfds=-1", select(-1, NULL, NULL, NULL, NULL));
  tv.tv_sec = 0;
  tv.tv_usec = 50000;
  CALL("select with nfds=FD_SETSIZE+1 and no sets, 50 ms", select(FD_SETSIZE + 1, NULL, NULL, NULL, &tv));

  /* A hung-up socket asked only for exceptional conditions: poll would say
   * POLLHUP, select says nothing and waits for its timeout. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  close(sv[1]);
  FD_ZERO(&ex);
  FD_SET(sv[0], &ex);
  tv.tv_sec = 0;
  tv.tv_usec = 200000;
  t0 = t_now_ms();
  CALL("select a hung-up socket for exceptions only, 200 ms", select(sv[0] + 1, NULL, NULL, &ex, &tv));
  t_took("select a hung-up socket for exceptions only", t0, 195, 1500);
  t_say("  timeout written back: %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
  FD_ZERO(&rd);
  FD_SET(sv[0], &rd);
  FD_ZERO(&ex);
  FD_SET(sv[0], &ex);
  tv.tv_sec = 1;
  tv.tv_usec = 0;
  CALL("select the same socket for reading and exceptions", select(sv[0] + 1, &rd, NULL, &ex, &tv));
  t_say("  read %d, except %d", FD_ISSET(sv[0], &rd), FD_ISSET(sv[0], &ex));
  close(sv[0]);

  /* pselect: the timeout is left alone, the mask holds for the call. */
  struct timespec ts = ms_ts(120);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  t0 = t_now_ms();
  CALL("pselect an empty pipe, 120 ms", pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL));
  t_took("pselect an empty pipe", t0, 115, 1500);
  t_say("  ts unchanged: %s", ts.tv_sec == 0 && ts.tv_nsec == 120000000L ? "yes" : "no");
  if (write(p[1], "y", 1) != 1) exit(2);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  sigset_t empty;
  sigemptyset(&empty);
  CALL("pselect a ready pipe with a mask", pselect(p[0] + 1, &rd, NULL, NULL, &ts, &empty));
  t_say("  read set: %d", FD_ISSET(p[0], &rd));
  struct timespec bad = {0, 2000000000L};
  CALL("pselect with tv_nsec=2e9", pselect(p[0] + 1, &rd, NULL, NULL, &bad, NULL));
  t0 = t_now_ms();
  CALL("pselect(0, ..., 100 ms): a sleep", pselect(0, NULL, NULL, NULL, &ts, NULL));
  t_took("pselect with no fds", t0, 115, 1500);
  close(p[0]);
  close(p[1]);
}

static void epolls(void) {
  int p[2];
  if (pipe(p) != 0) exit(2);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42};
  CALL("epoll_ctl(ADD, pipe)", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  struct epoll_event out[4];
  long long t0 = t_now_ms();
  CALL("epoll_wait on nothing ready, 120 ms", epoll_wait(ep, out, 4, 120));
  t_took("epoll_wait on nothing ready", t0, 115, 1500);
  CALL("epoll_wait with a zero timeout", epoll_wait(ep, out, 4, 0));

  struct t_later l;
  t_later_start(&l, 150, write_byte, &p[1]);
  t0 = t_now_ms();
  CALL("epoll_wait(-1) wakes when a thread writes", epoll_wait(ep, out, 4, -1));
  t_took("epoll_wait(-1) wakes when a thread writes", t0, 140, 2000);
  t_later_join(&l);
  t_say("  event %#x data %u", out[0].events, out[0].data.u32);
  CALL("epoll_wait again (level-triggered: still ready)", epoll_wait(ep, out, 4, 1000));

  sigset_t empty;
  sigemptyset(&empty);
  CALL("epoll_pwait with a mask", epoll_pwait(ep, out, 4, 1000, &empty));
  CALL("epoll_pwait with no mask", epoll_pwait(ep, out, 4, 1000, NULL));
  struct timespec ts = ms_ts(500);
  CALL("epoll_pwait2 (ready)", epoll_pwait2(ep, out, 4, &ts, NULL));
  char c;
  if (read(p[0], &c, 1) != 1) exit(2);
  ts = ms_ts(120);
  t0 = t_now_ms();
  CALL("epoll_pwait2 on nothing ready, 120 ms", epoll_pwait2(ep, out, 4, &ts, &empty));
  t_took("epoll_pwait2 on nothing ready", t0, 115, 1500);
  struct timespec bad = {0, 2000000000L};
  CALL("epoll_pwait2 with tv_nsec=2e9", epoll_pwait2(ep, out, 4, &bad, NULL));
  t0 = t_now_ms();
  CALL("epoll_pwait on nothing ready, 120 ms", epoll_pwait(ep, out, 4, 120, &empty));
  t_took("epoll_pwait on nothing ready", t0, 115, 1500);

  /* Edge-triggered: one report per new arrival. */
  ev.events = EPOLLIN | EPOLLET;
  CALL("epoll_ctl(MOD, EPOLLET)", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  if (write(p[1], "ab", 2) != 2) exit(2);
  CALL("epoll_wait (edge)", epoll_wait(ep, out, 4, 1000));
  t0 = t_now_ms();
  CALL("epoll_wait (no new edge), 120 ms", epoll_wait(ep, out, 4, 120));
  t_took("epoll_wait (no new edge)", t0, 115, 1500);

  CALL("epoll_wait with maxevents 0", epoll_wait(ep, out, 0, 100));
  CALL("epoll_wait on fd -1", epoll_wait(-1, out, 4, 100));
  CALL("epoll_wait on a pipe", epoll_wait(p[0], out, 4, 100));
  close(ep);
  close(p[0]);
  close(p[1]);
}

int main(int argc, char** argv) {
  t_start("poll_family", 25);
  if (t_want(argc, argv, "poll")) polls();
  if (t_want(argc, argv, "ppoll")) ppolls();
  if (t_want(argc, argv, "select")) selects();
  if (t_want(argc, argv, "epoll")) epolls();
  return t_end();
}
