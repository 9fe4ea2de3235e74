/* loadgen: the one TCP echo load generator every echo server is measured with.
 *
 *   loadgen PORT CONNS WARMUP_S MEASURE_S [SIZE]
 *
 * Opens CONNS connections to 127.0.0.1:PORT from one epoll loop on one OS
 * thread (the harness pins it to its own core). Every connection plays
 * ping-pong: send SIZE bytes (64 by default), wait for all SIZE bytes to come
 * back, send again, so each has exactly one request in flight. Requests that
 * complete during the MEASURE_S window after a WARMUP_S warm-up are counted
 * and their latency (send to last byte back) goes into a 1 us histogram. Then
 * it stops sending, waits (at most 5 s) for the requests still in flight and
 * closes every connection, which is how the servers know to exit.
 *
 * Prints "METRIC req_per_s", "METRIC p99_us" and, as INFO lines, the other
 * percentiles, the error count and its own CPU use: a loadgen near 100% CPU
 * would be the bottleneck, and the harness flags it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMaxConns = 10000, kMaxSize = 4096, kHistUs = 1000000 /* 1 s at 1 us */ };

struct conn {
  int fd;
  int connected;
  int got;         /* bytes of the current reply received */
  double sent_ns;  /* when the current request went out; 0 = none in flight */
};

static struct conn conns[kMaxConns];
static unsigned long hist[kHistUs + 1]; /* the last bucket: 1 s or more */
static unsigned char msg[kMaxSize];
static int size = 64;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char* what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Sends one request; 64 bytes always fit in an idle socket's send buffer. */
static int send_request(struct conn* c, double t) {
  ssize_t w = send(c->fd, msg, (size_t)size, MSG_NOSIGNAL);
  if (w != size) return -1;
  c->sent_ns = t;
  c->got = 0;
  return 0;
}

static double percentile(unsigned long total, double p) {
  if (total == 0) return 0;
  unsigned long rank = (unsigned long)((double)total * p);
  if (rank >= total) rank = total - 1;
  unsigned long seen = 0;
  for (int us = 0; us <= kHistUs; ++us) {
    seen += hist[us];
    if (seen > rank) return us + 1; /* bucket [us, us+1): report its upper edge */
  }
  return kHistUs;
}

int main(int argc, char** argv) {
  if (argc < 5 || argc > 6) {
    fprintf(stderr, "usage: loadgen PORT CONNS WARMUP_S MEASURE_S [SIZE]\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  const int n = atoi(argv[2]);
  const double warmup_s = atof(argv[3]);
  const double measure_s = atof(argv[4]);
  if (argc == 6) size = atoi(argv[5]);
  if (port <= 0 || port > 65535 || n <= 0 || n > kMaxConns || warmup_s < 0 || warmup_s > 60 || measure_s <= 0 ||
      measure_s > 600 || size <= 0 || size > kMaxSize) {
    fprintf(stderr, "loadgen: argument out of range\n");
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (int i = 0; i < size; ++i) msg[i] = (unsigned char)('a' + i % 26);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0 && errno != EINPROGRESS) die("connect");
    conns[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (unsigned)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }

  const double start = now_ns();
  const double measure_from = start + warmup_s * 1e9;
  const double measure_to = measure_from + measure_s * 1e9;
  const double give_up = measure_to + 5e9; /* drain bound */
  const double cpu0 = cpu_s();
  double cpu_in_window0 = -1, cpu_in_window1 = -1;
  unsigned long done_in_window = 0, done_total = 0, errors = 0;
  int connected = 0, in_flight = 0, stopping = 0;
  char buf[kMaxSize];
  struct epoll_event evs[256];

  for (;;) {
    double t = now_ns();
    if (!stopping && t >= measure_to) stopping = 1;
    if (cpu_in_window0 < 0 && t >= measure_from) cpu_in_window0 = cpu_s();
    if (cpu_in_window1 < 0 && t >= measure_to) cpu_in_window1 = cpu_s();
    if (stopping && in_flight == 0) break;
    if (t >= give_up) {
      fprintf(stderr, "loadgen: %d requests still in flight after the drain bound\n", in_flight);
      break;
    }
    int k = epoll_wait(ep, evs, 256, 10);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < k; ++e) {
      struct conn* c = &conns[evs[e].data.u32];
      if (c->fd < 0) continue;
      if (!c->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (evs[e].events & (EPOLLERR | EPOLLHUP))) {
          fprintf(stderr, "loadgen: connect: %s\n", strerror(err ? err : ECONNREFUSED));
          ++errors;
          close(c->fd);
          c->fd = -1;
          continue;
        }
        c->connected = 1;
        ++connected;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[e].data.u32};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
        if (!stopping) {
          if (send_request(c, now_ns()) != 0) die("send");
          ++in_flight;
        }
        continue;
      }
      ssize_t r = recv(c->fd, buf, sizeof buf, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0 || c->sent_ns == 0 || c->got + r > size) {
        if (r <= 0) fprintf(stderr, "loadgen: connection %u: %s\n", evs[e].data.u32, r == 0 ? "closed by the server" : strerror(errno));
        else fprintf(stderr, "loadgen: connection %u: unexpected bytes\n", evs[e].data.u32);
        ++errors;
        if (c->sent_ns != 0) --in_flight;
        close(c->fd);
        c->fd = -1;
        continue;
      }
      c->got += (int)r;
      if (c->got < size) continue;
      const double done = now_ns();
      --in_flight;
      ++done_total;
      if (done >= measure_from && done < measure_to) {
        ++done_in_window;
        double us = (done - c->sent_ns) / 1e3;
        int b = us >= kHistUs ? kHistUs : (int)us;
        ++hist[b];
      }
      c->sent_ns = 0;
      if (!stopping && done < measure_to) {
        if (send_request(c, done) != 0) die("send");
        ++in_flight;
      }
    }
  }
  const double end = now_ns();
  const double cpu_total = cpu_s() - cpu0;
  for (int i = 0; i < n; ++i)
    if (conns[i].fd >= 0) close(conns[i].fd);
  close(ep);

  if (cpu_in_window1 < 0) cpu_in_window1 = cpu_s();
  if (cpu_in_window0 < 0) cpu_in_window0 = cpu_in_window1;
  printf("INFO conns %d connected %d errors %lu requests_total %lu requests_in_window %lu run_s %.2f\n", n,
         connected, errors, done_total, done_in_window, (end - start) / 1e9);
  printf("INFO p50_us %.0f p90_us %.0f p999_us %.0f loadgen_cpu_in_window %.0f%% loadgen_cpu_total_s %.2f\n",
         percentile(done_in_window, 0.50), percentile(done_in_window, 0.90), percentile(done_in_window, 0.999),
         100.0 * (cpu_in_window1 - cpu_in_window0) / measure_s, cpu_total);
  if (connected != n || errors != 0) {
    fprintf(stderr, "loadgen: %d of %d connected, %lu errors\n", connected, n, errors);
    return 1;
  }
  printf("METRIC req_per_s %.0f req/s\n", (double)done_in_window / measure_s);
  printf("METRIC p99_us %.0f us\n", percentile(done_in_window, 0.99));
  return 0;
}
