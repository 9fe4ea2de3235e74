/* echo: the acceptance program. A thread-per-connection TCP echo
 * over 127.0.0.1: N client threads and N server threads (one per accepted
 * connection, started by an acceptor thread), R round trips of 64-byte
 * messages each, every reply checked byte for byte.
 *
 *   echo [N [R]]      defaults: N=1000, R=50
 *
 * It needs 2N+ descriptors: RLIMIT_NOFILE is raised to the hard limit, and
 * when even that is too low the program exits 77 (skip) saying so. Prints
 * the wall time and the peak OS-thread count seen. With GREEN_EXPECT=green
 * it also asserts that all of it ran on at most 4 OS threads. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "green_test.h"

#define MSG 64

static int nconn = 1000, rounds = 50;
static struct sockaddr_in addr;
static int listen_fd;
static _Atomic int good_clients, served_conns, connected;
static _Atomic long bytes_echoed;

static int full_io(int fd, char* buf, int len, int sending) {
  int done = 0;
  while (done < len) {
    ssize_t k = sending ? send(fd, buf + done, (size_t)(len - done), MSG_NOSIGNAL)
                        : recv(fd, buf + done, (size_t)(len - done), 0);
    if (k <= 0) return -1;
    done += (int)k;
  }
  return 0;
}

static void* server_conn(void* arg) {
  int fd = (int)(intptr_t)arg;
  char buf[MSG];
  int n = 0;
  while (full_io(fd, buf, MSG, 0) == 0) {
    if (full_io(fd, buf, MSG, 1) != 0) break;
    bytes_echoed += MSG;
    ++n;
  }
  if (n == rounds) served_conns++;
  close(fd);
  return NULL;
}

static void* acceptor(void* arg) {
  pthread_t* servers = arg;
  for (int i = 0; i < nconn; ++i) {
    int c = accept(listen_fd, NULL, NULL);
    if (c < 0) {
      fprintf(stderr, "accept: %s\n", strerror(errno));
      CHECK(!"accept failed");
      servers[i] = 0;
      continue;
    }
    if (pthread_create(&servers[i], NULL, server_conn, (void*)(intptr_t)c) != 0) {
      CHECK(!"pthread_create for a connection failed");
      close(c);
      servers[i] = 0;
    }
  }
  for (int i = 0; i < nconn; ++i)
    if (servers[i]) pthread_join(servers[i], NULL);
  return NULL;
}

static void* client(void* arg) {
  int id = (int)(intptr_t)arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    fprintf(stderr, "client %d: connect: %s\n", id, strerror(errno));
    CHECK(!"connect failed");
    if (fd >= 0) close(fd);
    return NULL;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  connected++;
  char msg[MSG], back[MSG];
  int ok = 1;
  for (int r = 0; r < rounds && ok; ++r) {
    for (int k = 0; k < MSG; ++k) msg[k] = (char)(id * 31 + r * 7 + k);
    if (full_io(fd, msg, MSG, 1) != 0 || full_io(fd, back, MSG, 0) != 0) ok = 0;
    else if (memcmp(msg, back, MSG) != 0) ok = 0;
    if (r == rounds / 2 && id % 100 == 0) gt_sample_os_threads();
  }
  close(fd);
  if (ok) good_clients++;
  return NULL;
}

static void all(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t need = (rlim_t)(2 * nconn + 64);
  if (rl.rlim_cur < need) {
    if (rl.rlim_max < need) {
      printf("SKIP: %d connections need %lu descriptors; RLIMIT_NOFILE's hard limit is %lu\n", nconn,
             (unsigned long)need, (unsigned long)rl.rlim_max);
      exit(GT_SKIP);
    }
    rl.rlim_cur = rl.rlim_max;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
  }
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listen_fd >= 0);
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listen_fd, (struct sockaddr*)&addr, sizeof addr) == 0);
  REQUIRE(listen(listen_fd, 4096) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(listen_fd, (struct sockaddr*)&addr, &len) == 0);

  uint64_t t0 = gt_now_ns();
  pthread_t* servers = calloc((size_t)nconn, sizeof *servers);
  pthread_t* clients = calloc((size_t)nconn, sizeof *clients);
  pthread_t acc;
  REQUIRE(pthread_create(&acc, NULL, acceptor, servers) == 0);
  for (int i = 0; i < nconn; ++i) REQUIRE(pthread_create(&clients[i], NULL, client, (void*)(intptr_t)i) == 0);
  gt_sample_os_threads();
  for (int i = 0; i < nconn; ++i) pthread_join(clients[i], NULL);
  pthread_join(acc, NULL);
  double secs = (double)(gt_now_ns() - t0) / 1e9;
  close(listen_fd);
  free(servers);
  free(clients);
  CHECK_EQ(atomic_load(&connected), nconn);
  CHECK_EQ(atomic_load(&good_clients), nconn);
  CHECK_EQ(atomic_load(&served_conns), nconn);
  CHECK_EQ(atomic_load(&bytes_echoed), (long)nconn * rounds * MSG);
  printf("echo: %d connections x %d round trips of %d bytes: %.3f s, %.0f round trips/s, peak OS threads %d\n",
         nconn, rounds, MSG, secs, (double)nconn * rounds / secs, atomic_load(&gt_max_os_threads));
}

int main(int argc, char** argv) {
  if (argc > 1) nconn = atoi(argv[1]);
  if (argc > 2) rounds = atoi(argv[2]);
  if (nconn <= 0 || rounds <= 0) {
    fprintf(stderr, "usage: echo [CONNECTIONS [ROUNDS]]\n");
    return 2;
  }
  all();
  return gt_finish("echo");
}
