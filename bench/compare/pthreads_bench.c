/* pthreads_bench: the comparative workloads as a plain pthreads/libc C program.
 *
 * The same binary is the "pthreads" system when run natively and the
 * "greenring-shim" system under `greenring run --` (every pthread becomes a
 * green thread, every blocking call parks it). Nothing here knows about
 * greenring.
 *
 *   pthreads_bench switch N      two threads hand a turn back and forth N times
 *                                each way, waiting with sched_yield
 *   pthreads_bench spawn N       create+join N threads, in batches of 1000
 *   pthreads_bench sleepers N    N threads sleep 1 s concurrently
 *   pthreads_bench pipe N        N round trips of one byte through two pipes
 *   pthreads_bench interpose N   N reads of an empty O_NONBLOCK pipe (EAGAIN)
 *   pthreads_bench echo PORT C   TCP echo server, thread per connection,
 *                                blocking read/write; exits after C
 *                                connections have come and gone
 *
 * Results are printed as "METRIC name value unit" lines (bench/README.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kBatch = 1000, kMaxCount = 100000000 };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char* what) {
  fprintf(stderr, "pthreads_bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void die_rc(const char* what, int rc) {
  fprintf(stderr, "pthreads_bench: %s: %s\n", what, strerror(rc));
  exit(1);
}

/* A field of /proc/self/status in KiB (VmRSS, VmHWM), or -1. */
static long status_kib(const char* field) {
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return -1;
  long kib = -1;
  size_t len = strlen(field);
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      kib = strtol(line + len + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static void sleep_ns(long ns) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ---- switch ------------------------------------------------------------ */

static atomic_int turn;
static long switch_rounds;

static void* switch_side(void* arg) {
  const int me = (int)(long)arg;
  for (long i = 0; i < switch_rounds; ++i) {
    /* Bounded wait: a lost turn would otherwise spin forever. */
    long spins = 0;
    while (atomic_load_explicit(&turn, memory_order_acquire) != me) {
      sched_yield();
      if (++spins > 100000000L) {
        fprintf(stderr, "pthreads_bench: switch: the other side never handed the turn back\n");
        exit(1);
      }
    }
    atomic_store_explicit(&turn, 1 - me, memory_order_release);
  }
  return NULL;
}

static void run_switch(long n) {
  switch_rounds = n;
  atomic_store(&turn, 0);
  pthread_t a, b;
  const double t0 = now_ns();
  int rc = pthread_create(&a, NULL, switch_side, (void*)0L);
  if (rc) die_rc("pthread_create", rc);
  rc = pthread_create(&b, NULL, switch_side, (void*)1L);
  if (rc) die_rc("pthread_create", rc);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  const double ns = now_ns() - t0;
  printf("METRIC ns_per_switch %.2f ns\n", ns / (2.0 * (double)n));
}

/* ---- spawn ------------------------------------------------------------- */

static atomic_long spawned_ran;

static void* empty_thread(void* arg) {
  (void)arg;
  atomic_fetch_add_explicit(&spawned_ran, 1, memory_order_relaxed);
  return NULL;
}

static void run_spawn(long n) {
  pthread_t batch[kBatch];
  const double t0 = now_ns();
  for (long done = 0; done < n; done += kBatch) {
    const long k = n - done < kBatch ? n - done : kBatch;
    for (long i = 0; i < k; ++i) {
      int rc = pthread_create(&batch[i], NULL, empty_thread, NULL);
      if (rc) die_rc("pthread_create", rc);
    }
    for (long i = 0; i < k; ++i) pthread_join(batch[i], NULL);
  }
  const double ns = now_ns() - t0;
  if (atomic_load(&spawned_ran) != n) {
    fprintf(stderr, "pthreads_bench: spawn: %ld of %ld threads ran\n", atomic_load(&spawned_ran), n);
    exit(1);
  }
  printf("METRIC ns_per_spawn_join %.2f ns\n", ns / (double)n);
}

/* ---- sleepers ---------------------------------------------------------- */

static atomic_long sleepers_started;

static void* sleeper(void* arg) {
  (void)arg;
  atomic_fetch_add_explicit(&sleepers_started, 1, memory_order_relaxed);
  sleep_ns(1000000000L);
  return NULL;
}

static void run_sleepers(long n) {
  pthread_t* ts = calloc((size_t)n, sizeof *ts);
  if (!ts) die("calloc");
  memset(ts, 0, (size_t)n * sizeof *ts); /* touched before the baseline */
  const long rss0 = status_kib("VmRSS");
  const double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    int rc = pthread_create(&ts[i], NULL, sleeper, NULL);
    if (rc) {
      fprintf(stderr, "pthreads_bench: sleepers: pthread_create failed after %ld threads: %s\n", i, strerror(rc));
      exit(2);
    }
  }
  const double spawn_ns = now_ns() - t0;
  /* Wait (at most 30 s) until every sleeper has started its sleep. */
  for (int i = 0; i < 30000 && atomic_load(&sleepers_started) < n; ++i) sleep_ns(1000000L);
  const long rss_asleep = status_kib("VmRSS");
  for (long i = 0; i < n; ++i) pthread_join(ts[i], NULL);
  const double wall_ns = now_ns() - t0;
  printf("METRIC wall_s %.4f s\n", wall_ns / 1e9);
  printf("METRIC rss_kib_per_thread %.3f KiB\n", (double)(rss_asleep - rss0) / (double)n);
  printf("INFO spawn_ns_per_thread %.1f started_before_rss %ld\n", spawn_ns / (double)n,
         atomic_load(&sleepers_started));
  free(ts);
}

/* ---- pipe ping-pong ---------------------------------------------------- */

static int there[2], back[2];

static void* pipe_echo(void* arg) {
  (void)arg;
  char c;
  while (read(there[0], &c, 1) == 1 && c != 'q')
    if (write(back[1], &c, 1) != 1) break;
  return NULL;
}

static void run_pipe(long n) {
  if (pipe2(there, O_CLOEXEC) != 0 || pipe2(back, O_CLOEXEC) != 0) die("pipe2");
  pthread_t echo;
  int rc = pthread_create(&echo, NULL, pipe_echo, NULL);
  if (rc) die_rc("pthread_create", rc);
  char c = 'x';
  const double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) die("pipe round trip");
  }
  const double ns = now_ns() - t0;
  c = 'q';
  if (write(there[1], &c, 1) != 1) die("write");
  pthread_join(echo, NULL);
  printf("METRIC us_per_rtt %.3f us\n", ns / 1e3 / (double)n);
}

/* ---- interpose overhead ------------------------------------------------ */

static void run_interpose(long n) {
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) die("pipe2");
  char c;
  long eagain = 0;
  const double t0 = now_ns();
  for (long i = 0; i < n; ++i)
    if (read(p[0], &c, 1) < 0 && errno == EAGAIN) ++eagain;
  const double ns = now_ns() - t0;
  if (eagain != n) {
    fprintf(stderr, "pthreads_bench: interpose: %ld of %ld reads returned EAGAIN\n", eagain, n);
    exit(1);
  }
  printf("METRIC ns_per_call %.2f ns\n", ns / (double)n);
}

/* ---- echo server ------------------------------------------------------- */

static pthread_mutex_t echo_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t echo_done = PTHREAD_COND_INITIALIZER;
static long echo_closed;

static void* echo_conn(void* arg) {
  const int fd = (int)(long)arg;
  char buf[4096];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) break;
    ssize_t off = 0;
    while (off < r) {
      ssize_t w = write(fd, buf + off, (size_t)(r - off));
      if (w <= 0) goto out;
      off += w;
    }
  }
out:
  close(fd);
  pthread_mutex_lock(&echo_lock);
  ++echo_closed;
  pthread_cond_signal(&echo_done);
  pthread_mutex_unlock(&echo_lock);
  return NULL;
}

static void run_echo(int port, long conns) {
  raise_nofile();
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr*)&a, sizeof a) != 0) die("bind");
  if (listen(ls, 4096) != 0) die("listen");
  printf("LISTENING %d\n", port);
  fflush(stdout);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (long i = 0; i < conns; ++i) {
    int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) die("accept4");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    int rc = pthread_create(&t, &attr, echo_conn, (void*)(long)fd);
    if (rc) die_rc("pthread_create", rc);
  }
  pthread_attr_destroy(&attr);
  close(ls);
  pthread_mutex_lock(&echo_lock);
  while (echo_closed < conns) pthread_cond_wait(&echo_done, &echo_lock);
  pthread_mutex_unlock(&echo_lock);
  printf("METRIC server_peak_rss_kib %ld KiB\n", status_kib("VmHWM"));
}

/* ------------------------------------------------------------------------ */

static long count_arg(const char* s) {
  char* end;
  long v = strtol(s, &end, 10);
  if (*end || v <= 0 || v > kMaxCount) {
    fprintf(stderr, "pthreads_bench: bad count '%s'\n", s);
    exit(2);
  }
  return v;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "switch") == 0) {
    run_switch(count_arg(argv[2]));
  } else if (argc == 3 && strcmp(argv[1], "spawn") == 0) {
    run_spawn(count_arg(argv[2]));
  } else if (argc == 3 && strcmp(argv[1], "sleepers") == 0) {
    run_sleepers(count_arg(argv[2]));
  } else if (argc == 3 && strcmp(argv[1], "pipe") == 0) {
    run_pipe(count_arg(argv[2]));
  } else if (argc == 3 && strcmp(argv[1], "interpose") == 0) {
    run_interpose(count_arg(argv[2]));
  } else if (argc == 4 && strcmp(argv[1], "echo") == 0) {
    run_echo((int)count_arg(argv[2]), count_arg(argv[3]));
  } else {
    fprintf(stderr, "usage: pthreads_bench switch|spawn|sleepers|pipe|interpose N | echo PORT CONNS\n");
    return 2;
  }
  return 0;
}
