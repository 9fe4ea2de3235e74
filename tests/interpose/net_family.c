/* net_family: accept, accept4, connect, recv, recvfrom, recvmsg, send, sendto,
 * sendmsg, shutdown on TCP, UDP and Unix sockets: results and errno, waits for
 * a peer, MSG_PEEK / MSG_WAITALL / MSG_DONTWAIT, SO_RCVTIMEO / SO_SNDTIMEO
 * with sub-second timeouts, the application's own non-blocking sockets,
 * addresses, truncation and SCM_RIGHTS. */
#include "transcript.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>

static struct sockaddr_in loopback(unsigned short port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int listener(struct sockaddr_in* where) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  *where = loopback(0);
  socklen_t len = sizeof *where;
  if (bind(s, (struct sockaddr*)where, sizeof *where) != 0 || listen(s, 16) != 0 ||
      getsockname(s, (struct sockaddr*)where, &len) != 0) {
    perror("listener");
    exit(2);
  }
  return s;
}

/* A connected TCP pair through a listener. */
static void tcp_pair(int* client, int* server) {
  struct sockaddr_in a;
  int l = listener(&a);
  *client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*client, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("connect");
    exit(2);
  }
  *server = accept(l, NULL, NULL);
  close(l);
}

struct send_later {
  int fd;
  const char* data;
};
static void do_send(void* arg) {
  struct send_later* s = (struct send_later*)arg;
  if (send(s->fd, s->data, strlen(s->data), 0) < 0) perror("send");
}

struct connect_later {
  struct sockaddr_in to;
  int fd;
};
static void do_connect(void* arg) {
  struct connect_later* c = (struct connect_later*)arg;
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c->fd, (struct sockaddr*)&c->to, sizeof c->to) != 0) perror("connect later");
}

static void tcp(void) {
  char buf[256];
  struct sockaddr_in a;
  int l = listener(&a);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CALL("connect to a listener", connect(c, (struct sockaddr*)&a, sizeof a));
  CALL("connect again", connect(c, (struct sockaddr*)&a, sizeof a));
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int s;
  CALL("accept", (s = accept(l, (struct sockaddr*)&peer, &plen)) >= 0 ? 0 : -1);
  t_say("  peer address: len %u, family %d, loopback %s", plen, peer.sin_family,
        peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "yes" : "no");
  CALL("send 5", send(c, "hello", 5, 0));
  CALL("recv 256 (partial)", recv(s, buf, sizeof buf, 0));

  struct t_later l1;
  struct send_later sl = {c, "later"};
  t_later_start(&l1, 150, do_send, &sl);
  long long t0 = t_now_ms();
  CALL("recv waits for the peer", recv(s, buf, sizeof buf, 0));
  t_took("recv waits for the peer", t0, 140, 2000);
  t_later_join(&l1);

  sl.data = "peeked";
  t_later_start(&l1, 150, do_send, &sl);
  t0 = t_now_ms();
  CALL("recv(MSG_PEEK) waits for the peer", recv(s, buf, sizeof buf, MSG_PEEK));
  t_took("recv(MSG_PEEK) waits for the peer", t0, 140, 2000);
  t_later_join(&l1);
  CALL("recv after the peek gets the same bytes", recv(s, buf, sizeof buf, 0));
  t_say("  data: %.6s", buf);

  CALL("recv(MSG_DONTWAIT) on an empty socket", recv(s, buf, sizeof buf, MSG_DONTWAIT));
  CALL("recv(MSG_DONTWAIT|MSG_PEEK)", recv(s, buf, sizeof buf, MSG_DONTWAIT | MSG_PEEK));
  CALL("recvfrom(MSG_DONTWAIT)", recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
  struct iovec iv = {buf, sizeof buf};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  CALL("recvmsg(MSG_DONTWAIT)", recvmsg(s, &m, MSG_DONTWAIT));

  CALL("send 'ab'", send(c, "ab", 2, 0));
  sl.data = "cd";
  t_later_start(&l1, 120, do_send, &sl);
  CALL("recv(4, MSG_WAITALL) gets both halves", recv(s, buf, 4, MSG_WAITALL));
  t_later_join(&l1);
  t_say("  data: %.4s", buf);

  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  CALL("sendto (connected, no address)", sendto(c, "to", 2, 0, NULL, 0));
  CALL("recvfrom with an address on TCP", recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen));
  t_say("  address length: %u", flen);
  struct iovec two[2] = {{"msg", 3}, {"hdr", 3}};
  struct msghdr sm;
  memset(&sm, 0, sizeof sm);
  sm.msg_iov = two;
  sm.msg_iovlen = 2;
  CALL("sendmsg 3+3", sendmsg(c, &sm, 0));
  char x[2], y[16];
  struct iovec rv[2] = {{x, 2}, {y, sizeof y}};
  memset(&m, 0, sizeof m);
  m.msg_iov = rv;
  m.msg_iovlen = 2;
  CALL("recvmsg 2+16", recvmsg(s, &m, 0));
  t_say("  msg_flags %#x", m.msg_flags);

  CALL("shutdown(client, SHUT_WR)", shutdown(c, SHUT_WR));
  CALL("recv after the peer's SHUT_WR", recv(s, buf, sizeof buf, 0));
  CALL("send the other way still works", send(s, "back", 4, 0));
  CALL("recv it", recv(c, buf, sizeof buf, 0));
  CALL("shutdown(server, SHUT_RDWR)", shutdown(s, SHUT_RDWR));
  CALL("recv after SHUT_RDWR from the peer", recv(c, buf, sizeof buf, 0));
  CALL("shutdown on a pipe-less fd -1", shutdown(-1, SHUT_RD));
  close(s);
  close(c);

  /* The peer goes away: EPIPE, with and without SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  tcp_pair(&c, &s);
  close(s);
  CALL("send to a closed peer (1st)", send(c, "x", 1, 0));
  /* The peer answers with a RST: wait for it (POLLERR/POLLHUP) rather than
   * for a fixed time, so a loaded machine gives the same transcript. */
  struct pollfd rst = {c, 0, 0};
  for (int i = 0; i < 40 && !(rst.revents & (POLLERR | POLLHUP)); ++i) poll(&rst, 1, 50);
  t_say("  the RST arrived: %s", (rst.revents & (POLLERR | POLLHUP)) ? "yes" : "no");
  CALL("send to a closed peer (2nd, after the RST)", send(c, "x", 1, 0));
  CALL("send to a closed peer (3rd)", send(c, "x", 1, 0));
  CALL("write to a closed peer", write(c, "x", 1));
  CALL("send(MSG_NOSIGNAL) to a closed peer", send(c, "x", 1, MSG_NOSIGNAL));
  CALL("recv from a reset connection", recv(c, buf, sizeof buf, 0));
  close(c);
  signal(SIGPIPE, SIG_DFL);

  /* Errors. */
  int u = socket(AF_INET, SOCK_STREAM, 0);
  CALL("recv on an unconnected socket", recv(u, buf, sizeof buf, 0));
  signal(SIGPIPE, SIG_IGN);
  CALL("send on an unconnected socket", send(u, "x", 1, 0));
  signal(SIGPIPE, SIG_DFL);
  CALL("accept on a socket that does not listen", accept(u, NULL, NULL));
  struct sockaddr_in closed;
  int tmp = listener(&closed);
  close(tmp); /* nothing listens on that port now */
  CALL("connect to a closed port", connect(u, (struct sockaddr*)&closed, sizeof closed));
  close(u);
  int p[2];
  if (pipe(p) != 0) exit(2);
  CALL("recv on a pipe", recv(p[0], buf, 1, 0));
  CALL("send on a pipe", send(p[1], "x", 1, 0));
  CALL("accept on a pipe", accept(p[0], NULL, NULL));
  CALL("connect on a pipe", connect(p[0], (struct sockaddr*)&a, sizeof a));
  CALL("recvmsg on a pipe", recvmsg(p[0], &m, 0));
  CALL("sendmsg on a pipe", sendmsg(p[1], &sm, 0));
  close(p[0]);
  close(p[1]);
  CALL("recv on fd -1", recv(-1, buf, 1, 0));
  CALL("accept on fd 999", accept(999, NULL, NULL));
  int un = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un ua;
  memset(&ua, 0, sizeof ua);
  ua.sun_family = AF_UNIX;
  snprintf(ua.sun_path, sizeof ua.sun_path, "/nonexistent/greenring-test.sock");
  CALL("connect to a missing unix socket", connect(un, (struct sockaddr*)&ua, sizeof ua));
  close(un);

  /* accept waits for a client. */
  struct connect_later cl = {a, -1};
  t_later_start(&l1, 150, do_connect, &cl);
  t0 = t_now_ms();
  CALL("accept waits for a client", (s = accept(l, NULL, NULL)) >= 0 ? 0 : -1);
  t_took("accept waits for a client", t0, 140, 2000);
  t_later_join(&l1);
  close(s);
  close(cl.fd);

  /* accept4's flags: the new socket is the application's non-blocking one. */
  t_later_start(&l1, 50, do_connect, &cl);
  CALL("accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)", (s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ? 0 : -1);
  t_later_join(&l1);
  t_say("  F_GETFL O_NONBLOCK: %s, FD_CLOEXEC: %s", (fcntl(s, F_GETFL) & O_NONBLOCK) ? "yes" : "no",
        (fcntl(s, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
  CALL("recv on the accepted non-blocking socket", recv(s, buf, sizeof buf, 0));
  CALL("read on the accepted non-blocking socket", read(s, buf, sizeof buf));
  close(s);
  close(cl.fd);
  close(l);
}

static void nonblocking_sockets(void) {
  char buf[16];
  struct sockaddr_in a;
  int l = listener(&a);
  CALL("fcntl(listener, F_SETFL, O_NONBLOCK)", fcntl(l, F_SETFL, O_NONBLOCK | fcntl(l, F_GETFL)));
  CALL("accept on an empty non-blocking listener", accept(l, NULL, NULL));
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  t_say("socket(SOCK_NONBLOCK) F_GETFL O_NONBLOCK: %s", (fcntl(c, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
  errno = 0;
  int r = connect(c, (struct sockaddr*)&a, sizeof a);
  /* Loopback may finish the handshake at once; both are POSIX. */
  t_say("non-blocking connect: %s", r == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS" : t_errname(errno));
  struct pollfd pf = {c, POLLOUT, 0};
  CALL("poll for the connection", poll(&pf, 1, 2000));
  int err = -1;
  socklen_t elen = sizeof err;
  getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen);
  t_say("  SO_ERROR: %s", t_errname(err));
  int s;
  pf.fd = l;
  pf.events = POLLIN;
  poll(&pf, 1, 2000);
  CALL("accept on the non-blocking listener", (s = accept(l, NULL, NULL)) >= 0 ? 0 : -1);
  CALL("recv on an empty non-blocking socket", recv(c, buf, sizeof buf, 0));
  CALL("send on it", send(c, "nb", 2, 0));
  CALL("recv on the blocking side", recv(s, buf, sizeof buf, 0));
  close(s);
  close(c);
  close(l);
}

static void timeouts(void) {
  char buf[64];
  int c, s;
  tcp_pair(&c, &s);
  struct timeval tv = {0, 250000};
  CALL("setsockopt(SO_RCVTIMEO, 0.25 s)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  struct timeval got = {0, 0};
  socklen_t glen = sizeof got;
  CALL("getsockopt(SO_RCVTIMEO)", getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &glen));
  t_say("  %ld.%06ld s", (long)got.tv_sec, (long)got.tv_usec);
  long long t0 = t_now_ms();
  CALL("recv with SO_RCVTIMEO 0.25 s", recv(s, buf, sizeof buf, 0));
  t_took("recv with SO_RCVTIMEO 0.25 s", t0, 240, 1000);
  t0 = t_now_ms();
  CALL("read with SO_RCVTIMEO 0.25 s", read(s, buf, sizeof buf));
  t_took("read with SO_RCVTIMEO 0.25 s", t0, 240, 1000);
  t0 = t_now_ms();
  CALL("recvfrom with SO_RCVTIMEO 0.25 s", recvfrom(s, buf, sizeof buf, 0, NULL, NULL));
  t_took("recvfrom with SO_RCVTIMEO 0.25 s", t0, 240, 1000);
  struct iovec iv = {buf, sizeof buf};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  t0 = t_now_ms();
  CALL("recvmsg with SO_RCVTIMEO 0.25 s", recvmsg(s, &m, 0));
  t_took("recvmsg with SO_RCVTIMEO 0.25 s", t0, 240, 1000);
  t0 = t_now_ms();
  CALL("readv with SO_RCVTIMEO 0.25 s", readv(s, &iv, 1));
  t_took("readv with SO_RCVTIMEO 0.25 s", t0, 240, 1000);

  struct t_later l1;
  struct send_later sl = {c, "in time"};
  t_later_start(&l1, 100, do_send, &sl);
  CALL("recv with data before the timeout", recv(s, buf, sizeof buf, 0));
  t_later_join(&l1);

  int d = dup(s);
  t0 = t_now_ms();
  CALL("recv on a dup of the socket (same timeout)", recv(d, buf, sizeof buf, 0));
  t_took("recv on a dup (same timeout)", t0, 240, 1000);
  close(d);

  struct timeval none = {0, 0};
  CALL("setsockopt(SO_RCVTIMEO, 0): no timeout", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none));
  sl.data = "slow";
  t_later_start(&l1, 400, do_send, &sl);
  t0 = t_now_ms();
  CALL("recv without a timeout waits 0.4 s", recv(s, buf, sizeof buf, 0));
  t_took("recv without a timeout", t0, 390, 2000);
  t_later_join(&l1);

  struct timeval bad = {0, 1000000};
  CALL("setsockopt(SO_RCVTIMEO, tv_usec=1e6)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad));
  CALL("setsockopt(SO_RCVTIMEO, short optlen)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
  int p[2];
  if (pipe(p) != 0) exit(2);
  CALL("setsockopt(SO_RCVTIMEO) on a pipe", setsockopt(p[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  close(p[0]);
  close(p[1]);

  /* SO_SNDTIMEO: a send that cannot complete returns what it moved. */
  int small = 4096;
  setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  struct timeval stv = {0, 200000};
  CALL("setsockopt(SO_SNDTIMEO, 0.2 s)", setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv));
  static char big[4 << 20];
  t0 = t_now_ms();
  errno = 0;
  ssize_t n = send(c, big, sizeof big, 0);
  t_say("send 4 MiB with SO_SNDTIMEO: partial: %s", n > 0 && n < (ssize_t)sizeof big ? "yes" : "no");
  t_took("send 4 MiB with SO_SNDTIMEO", t0, 190, 1500);
  t0 = t_now_ms();
  CALL("send to the full socket with SO_SNDTIMEO", send(c, big, 1, 0));
  t_took("send to the full socket with SO_SNDTIMEO", t0, 190, 1500);
  CALL("write to the full socket with SO_SNDTIMEO", write(c, big, 1));
  close(c);
  close(s);

  /* MSG_WAITALL that times out returns what arrived. */
  tcp_pair(&c, &s);
  CALL("setsockopt(SO_RCVTIMEO, 0.25 s)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  CALL("send 'ab'", send(c, "ab", 2, 0));
  t0 = t_now_ms();
  CALL("recv(4, MSG_WAITALL) with only 2 bytes coming", recv(s, buf, 4, MSG_WAITALL));
  t_took("recv(MSG_WAITALL) with a timeout", t0, 240, 1000);
  close(c);
  close(s);

  /* connect's timeout is SO_SNDTIMEO: a listener whose queue is full
   * (backlog 0, nobody accepting) lets the handshake wait, and the connect
   * gives up with EINPROGRESS. */
  struct sockaddr_in full;
  int fl = socket(AF_INET, SOCK_STREAM, 0);
  full = loopback(0);
  socklen_t full_len = sizeof full;
  if (bind(fl, (struct sockaddr*)&full, sizeof full) != 0 || listen(fl, 0) != 0 ||
      getsockname(fl, (struct sockaddr*)&full, &full_len) != 0)
    exit(2);
  int cs[3];
  for (int i = 0; i < 3; ++i) {
    char label[96];
    cs[i] = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(cs[i], SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv);
    snprintf(label, sizeof label, "connect #%d to a backlog-0 listener, SO_SNDTIMEO 0.2 s", i + 1);
    t0 = t_now_ms();
    CALL(label, connect(cs[i], (struct sockaddr*)&full, sizeof full));
    t_say("  waited for the timeout: %s", t_now_ms() - t0 >= 190 ? "yes" : "no");
  }
  for (int i = 0; i < 3; ++i) close(cs[i]);
  close(fl);

  /* accept's timeout is SO_RCVTIMEO too. */
  struct sockaddr_in a;
  int l = listener(&a);
  CALL("setsockopt(listener, SO_RCVTIMEO, 0.25 s)", setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  t0 = t_now_ms();
  CALL("accept with SO_RCVTIMEO 0.25 s", accept(l, NULL, NULL));
  t_took("accept with SO_RCVTIMEO 0.25 s", t0, 240, 1000);
  close(l);
}

static void udp(void) {
  char buf[64];
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in aa = loopback(0);
  socklen_t len = sizeof aa;
  bind(a, (struct sockaddr*)&aa, sizeof aa);
  getsockname(a, (struct sockaddr*)&aa, &len);
  CALL("sendto 3", sendto(b, "udp", 3, 0, (struct sockaddr*)&aa, sizeof aa));
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  CALL("recvfrom", recvfrom(a, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen));
  t_say("  from: len %u, family %d", flen, from.sin_family);

  CALL("sendto 3", sendto(b, "udp", 3, 0, (struct sockaddr*)&aa, sizeof aa));
  char tiny[4];
  flen = sizeof tiny;
  CALL("recvfrom with a 4-byte address buffer", recvfrom(a, buf, sizeof buf, 0, (struct sockaddr*)tiny, &flen));
  t_say("  address length reported: %u", flen);

  CALL("sendto 10", sendto(b, "0123456789", 10, 0, (struct sockaddr*)&aa, sizeof aa));
  struct iovec iv = {buf, 4};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  CALL("recvmsg into 4 bytes", recvmsg(a, &m, 0));
  t_say("  msg_flags MSG_TRUNC: %s, namelen %u", (m.msg_flags & MSG_TRUNC) ? "yes" : "no", m.msg_namelen);

  CALL("sendto 10", sendto(b, "0123456789", 10, 0, (struct sockaddr*)&aa, sizeof aa));
  CALL("recv(MSG_TRUNC) into 4 bytes", recv(a, buf, 4, MSG_TRUNC));

  struct t_later l1;
  CALL("connect the sender", connect(b, (struct sockaddr*)&aa, sizeof aa));
  struct send_later sl = {b, "later"};
  t_later_start(&l1, 120, do_send, &sl);
  long long t0 = t_now_ms();
  CALL("recv waits for a datagram", recv(a, buf, sizeof buf, 0));
  t_took("recv waits for a datagram", t0, 110, 2000);
  t_later_join(&l1);

  struct iovec two[2] = {{"ab", 2}, {"cd", 2}};
  struct msghdr sm;
  memset(&sm, 0, sizeof sm);
  sm.msg_iov = two;
  sm.msg_iovlen = 2;
  CALL("sendmsg 2+2 (connected)", sendmsg(b, &sm, 0));
  CALL("recv", recv(a, buf, sizeof buf, 0));
  CALL("send an empty datagram", send(b, "", 0, 0));
  CALL("recv the empty datagram", recv(a, buf, sizeof buf, 0));
  CALL("sendto with a bad address length", sendto(a, "x", 1, 0, (struct sockaddr*)&aa, 3));
  close(a);
  close(b);
}

static void unix_rights(void) {
  int sv[2], p[2];
  char buf[16];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(p) != 0) exit(2);
  union {
    char raw[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } out, in;
  memset(&out, 0, sizeof out);
  struct iovec siv = {"f", 1};
  struct msghdr sm;
  memset(&sm, 0, sizeof sm);
  sm.msg_iov = &siv;
  sm.msg_iovlen = 1;
  sm.msg_control = out.raw;
  sm.msg_controllen = sizeof out.raw;
  struct cmsghdr* c = CMSG_FIRSTHDR(&sm);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[0], sizeof(int));
  CALL("sendmsg with SCM_RIGHTS (a pipe's read end)", sendmsg(sv[0], &sm, 0));
  struct iovec riv = {buf, sizeof buf};
  struct msghdr rm;
  memset(&rm, 0, sizeof rm);
  rm.msg_iov = &riv;
  rm.msg_iovlen = 1;
  rm.msg_control = in.raw;
  rm.msg_controllen = sizeof in.raw;
  CALL("recvmsg with room for one fd", recvmsg(sv[1], &rm, 0));
  struct cmsghdr* rc = CMSG_FIRSTHDR(&rm);
  int passed = -1;
  if (rc && rc->cmsg_type == SCM_RIGHTS) memcpy(&passed, CMSG_DATA(rc), sizeof passed);
  t_say("  controllen %zu, got a fd: %s", (size_t)rm.msg_controllen, passed >= 0 ? "yes" : "no");
  CALL("write into the pipe", write(p[1], "via", 3));
  CALL("read through the received fd", read(passed, buf, sizeof buf));
  close(passed);

  CALL("sendmsg with SCM_RIGHTS again", sendmsg(sv[0], &sm, 0));
  rm.msg_control = NULL;
  rm.msg_controllen = 0;
  CALL("recvmsg with no room for the fd", recvmsg(sv[1], &rm, 0));
  t_say("  msg_flags MSG_CTRUNC: %s", (rm.msg_flags & MSG_CTRUNC) ? "yes" : "no");
  close(sv[0]);
  close(sv[1]);
  close(p[0]);
  close(p[1]);
}

int main(int argc, char** argv) {
  t_start("net_family", 25);
  if (t_want(argc, argv, "tcp")) tcp();
  if (t_want(argc, argv, "nonblocking")) nonblocking_sockets();
  if (t_want(argc, argv, "timeouts")) timeouts();
  if (t_want(argc, argv, "udp")) udp();
  if (t_want(argc, argv, "unix")) unix_rights();
  return t_end();
}
