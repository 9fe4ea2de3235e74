/* echo_server: a thread-per-connection TCP echo server and its clients in
 * one process, every call a plain blocking one (accept, read, write, recv,
 * send, connect). The clients meet at a barrier after their first round trip,
 * each holding an open connection, so the run can only finish if every
 * thread's blocking calls leave the others free to run: per OS thread in
 * threads mode native, per green thread in mode green. */
#include "transcript.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

enum { CLIENTS = 8, ROUNDS = 50, MSG = 64 };

static struct sockaddr_in server_addr;
static pthread_barrier_t all_connected;

struct result {
  int rounds;
  long bytes;
  int intact;
};

static int read_exactly(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static void* serve_connection(void* arg) {
  int fd = (int)(long)arg;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = send(fd, buf + off, (size_t)(n - off), 0);
      if (w <= 0) break;
      off += w;
    }
  }
  close(fd);
  return NULL;
}

static void* acceptor(void* arg) {
  int l = (int)(long)arg;
  pthread_t handlers[CLIENTS];
  for (int i = 0; i < CLIENTS; ++i) {
    int c = accept(l, NULL, NULL);
    if (c < 0) {
      perror("accept");
      exit(2);
    }
    pthread_create(&handlers[i], NULL, serve_connection, (void*)(long)c);
  }
  for (int i = 0; i < CLIENTS; ++i) pthread_join(handlers[i], NULL);
  return NULL;
}

static void* client(void* arg) {
  struct result* res = (struct result*)arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr*)&server_addr, sizeof server_addr) != 0) {
    perror("connect");
    exit(2);
  }
  char out[MSG], in[MSG];
  res->intact = 1;
  for (int r = 0; r < ROUNDS; ++r) {
    for (int i = 0; i < MSG; ++i) out[i] = (char)('a' + (r + i + fd) % 26);
    if (write(fd, out, MSG) != MSG || read_exactly(fd, in, MSG) != 0) {
      res->intact = 0;
      break;
    }
    if (memcmp(in, out, MSG) != 0) res->intact = 0;
    res->rounds++;
    res->bytes += MSG;
    /* Every client holds its connection open until all are served once. */
    if (r == 0) pthread_barrier_wait(&all_connected);
  }
  shutdown(fd, SHUT_WR);
  char c;
  ssize_t eof = read(fd, &c, 1);
  if (eof != 0) res->intact = 0;
  close(fd);
  return NULL;
}

int main(void) {
  t_start("echo_server", 25);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  server_addr.sin_family = AF_INET;
  server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof server_addr;
  if (bind(l, (struct sockaddr*)&server_addr, sizeof server_addr) != 0 || listen(l, CLIENTS) != 0 ||
      getsockname(l, (struct sockaddr*)&server_addr, &len) != 0) {
    perror("listen");
    return 2;
  }
  pthread_barrier_init(&all_connected, NULL, CLIENTS);
  pthread_t acc, clients[CLIENTS];
  struct result results[CLIENTS];
  memset(results, 0, sizeof results);
  long long t0 = t_now_ms();
  pthread_create(&acc, NULL, acceptor, (void*)(long)l);
  for (int i = 0; i < CLIENTS; ++i) pthread_create(&clients[i], NULL, client, &results[i]);
  for (int i = 0; i < CLIENTS; ++i) pthread_join(clients[i], NULL);
  pthread_join(acc, NULL);
  close(l);
  int rounds = 0, intact = 1;
  long bytes = 0;
  for (int i = 0; i < CLIENTS; ++i) {
    rounds += results[i].rounds;
    bytes += results[i].bytes;
    intact &= results[i].intact;
  }
  t_say("clients %d, round trips %d, bytes echoed %ld", CLIENTS, rounds, bytes);
  t_check("every echo came back intact, then EOF", intact);
  t_took("the whole exchange", t0, 0, 15000);
  pthread_barrier_destroy(&all_connected);
  return t_end();
}
