// net_test: greenring::io on sockets — TCP on 127.0.0.1, UDP, unix
// socketpairs with SCM_RIGHTS; accept flags, connect errors, timeouts, errno
// parity with libc, and a 100-client echo server in one OS thread.
#include <netinet/tcp.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "test_util.hpp"

namespace {

using namespace grtest;
using greenring::spawn;

sockaddr* sa(sockaddr_in& a) { return reinterpret_cast<sockaddr*>(&a); }

// A connected TCP pair made with io::accept/io::connect.
struct TcpPair {
  Fd client, server;
};

TcpPair tcp_pair() {
  Fd l = tcp_listener();
  sockaddr_in addr = local_address(l);
  TcpPair p;
  p.client = tcp_socket();
  auto acceptor = spawn([&] { p.server = Fd(io::accept(l, nullptr, nullptr, SOCK_CLOEXEC, 5s)); });
  EXPECT_EQ(io::connect(p.client, sa(addr), sizeof addr, 5s), 0) << strerror(errno);
  acceptor.join();
  EXPECT_GE(p.server, 0);
  return p;
}

// One recv with MSG_WAITALL on p.server must return "abcdef": what the
// client sent before, then each of `later`, 5 ms after the one before.
void expect_waitall_gathers(TcpPair& p, std::initializer_list<const char*> later) {
  int one = 1;
  setsockopt(p.client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto sender = spawn([&] {
    for (const char* part : later) {
      greenring::sleep_for(5ms);
      const auto n = static_cast<ssize_t>(std::strlen(part));
      EXPECT_EQ(io::send(p.client, part, static_cast<size_t>(n), 0), n);
    }
  });
  char buf[6];
  ASSERT_EQ(io::recv(p.server, buf, sizeof buf, MSG_WAITALL, 5s), 6);
  EXPECT_EQ(std::string(buf, 6), "abcdef");
  sender.join();
}

// ---------------------------------------------------------------- TCP

TEST(NetTcp, ConnectAcceptSendRecv) {
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  ASSERT_EQ(io::send(p.client, "ping", 4, 0), 4);
  char buf[16];
  ASSERT_EQ(io::recv(p.server, buf, sizeof buf, 0), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  ASSERT_EQ(io::write(p.server, "pong", 4), 4);
  ASSERT_EQ(io::read(p.client, buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");
}

TEST(NetTcp, AcceptFlagsReachTheNewSocket) {
  Fd l = tcp_listener();
  sockaddr_in addr = local_address(l);
  Fd c1 = tcp_socket(), c2 = tcp_socket();
  ASSERT_EQ(::connect(c1, sa(addr), sizeof addr), 0);
  ASSERT_EQ(::connect(c2, sa(addr), sizeof addr), 0);

  Fd with(io::accept(l, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  ASSERT_GE(with, 0) << strerror(errno);
  EXPECT_TRUE(fcntl(with, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(fcntl(with, F_GETFL) & O_NONBLOCK);

  Fd without(io::accept(l, nullptr, nullptr, 0));
  ASSERT_GE(without, 0) << strerror(errno);
  EXPECT_FALSE(fcntl(without, F_GETFD) & FD_CLOEXEC);
  EXPECT_FALSE(fcntl(without, F_GETFL) & O_NONBLOCK);
}

TEST(NetTcp, AcceptFillsInThePeerAddress) {
  Fd l = tcp_listener();
  sockaddr_in addr = local_address(l);
  Fd c = tcp_socket();
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  Fd s;
  auto acceptor = spawn([&] { s = Fd(io::accept(l, sa(peer), &len)); });
  ASSERT_EQ(io::connect(c, sa(addr), sizeof addr), 0) << strerror(errno);
  acceptor.join();
  ASSERT_GE(s, 0);
  EXPECT_EQ(len, sizeof peer);
  EXPECT_EQ(peer.sin_family, AF_INET);
  EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(peer.sin_port, local_address(c).sin_port);
}

TEST(NetTcp, AcceptParksUntilAClientConnects) {
  Fd l = tcp_listener();
  sockaddr_in addr = local_address(l);
  bool connected = false;
  auto client = spawn([&] {
    Fd c = tcp_socket();
    EXPECT_EQ(io::connect(c, sa(addr), sizeof addr), 0);
    connected = true;
    EXPECT_EQ(io::send(c, "hi", 2, 0), 2);
  });
  Fd s(io::accept(l, nullptr, nullptr));
  ASSERT_GE(s, 0) << strerror(errno);
  char buf[2];
  EXPECT_EQ(io::recv(s, buf, 2, MSG_WAITALL, 5s), 2);
  EXPECT_TRUE(connected);
  client.join();
}

TEST(NetTcp, ConnectToAPortWithNoListenerIsEconnrefused) {
  // Keep the port bound (not listening) so nobody else can take it.
  Fd holder = bound_socket(SOCK_STREAM);
  sockaddr_in addr = local_address(holder);
  Fd a = tcp_socket(), b = tcp_socket();
  Outcome want = outcome([&] { return ::connect(a, sa(addr), sizeof addr); });
  Outcome got = outcome([&] { return io::connect(b, sa(addr), sizeof addr); });
  EXPECT_EQ(want, (Outcome{-1, ECONNREFUSED}));
  EXPECT_EQ(got, (Outcome{-1, ECONNREFUSED}));
}

TEST(NetTcp, ConnectWithADeadlineThatIsNotReached) {
  Fd l = tcp_listener();
  sockaddr_in addr = local_address(l);
  Fd c = tcp_socket();
  EXPECT_EQ(io::connect(c, sa(addr), sizeof addr, 5s), 0) << strerror(errno);
}

TEST(NetTcp, RecvReturnsZeroAfterThePeerShutsDown) {
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  auto closer = spawn([&] {
    EXPECT_EQ(io::send(p.client, "bye", 3, 0), 3);
    ASSERT_EQ(::shutdown(p.client, SHUT_WR), 0);
  });
  char buf[8];
  EXPECT_EQ(io::recv(p.server, buf, sizeof buf, MSG_WAITALL), 3);
  EXPECT_EQ(io::recv(p.server, buf, sizeof buf, 0), 0);
  EXPECT_EQ(io::read(p.server, buf, sizeof buf), 0);
  closer.join();
}

// Reads on a socket go to the ring as RECV (nowait.cpp). The runtime learns
// "socket" from io::accept/io::connect and cannot see the number reused
// behind its back: a read there must still read, not fail with ENOTSOCK.
TEST(NetTcp, ReadOnANumberThatWasASocketReadsWhatIsThereNow) {
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  ASSERT_EQ(io::send(p.client, "sock", 4, 0), 4);
  char buf[8] = {};
  ASSERT_EQ(io::read(p.server, buf, sizeof buf), 4);  // the socket path
  const int n = p.server;
  Pipe q = make_pipe();
  ASSERT_EQ(::dup2(q.r, n), n);  // the number now names a pipe
  auto writer = spawn([&] { EXPECT_EQ(io::write(q.w, "pipe", 4), 4); });
  ASSERT_EQ(io::read(n, buf, sizeof buf), 4) << strerror(errno);
  EXPECT_EQ(std::string(buf, 4), "pipe");
  writer.join();
  char path[] = "/tmp/greenring-net-test-XXXXXX";
  int f = ::mkstemp(path);
  ASSERT_GE(f, 0);
  ::unlink(path);
  ASSERT_EQ(::write(f, "file", 4), 4);
  ASSERT_EQ(::lseek(f, 0, SEEK_SET), 0);
  ASSERT_EQ(::dup2(f, n), n);  // and now a regular file
  ::close(f);
  ASSERT_EQ(io::read(n, buf, sizeof buf), 4) << strerror(errno);
  EXPECT_EQ(std::string(buf, 4), "file");
}

// After recvs that found data, a recv is first tried without the ring
// (nowait.cpp); MSG_WAITALL must still wait for all of it.
TEST(NetTcp, RecvWaitallWaitsForAllAfterRecvsThatFoundData) {
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  char buf[6];
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(io::send(p.client, "xy", 2, 0), 2);
    ASSERT_EQ(io::wait_readable(p.server), 0);
    ASSERT_EQ(io::recv(p.server, buf, sizeof buf, 0), 2);
  }
  ASSERT_EQ(io::send(p.client, "ab", 2, 0), 2);  // there before the recv: a part of it
  expect_waitall_gathers(p, {"cdef"});
}

TEST(NetTcp, RecvPeekLeavesTheData) {
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  ASSERT_EQ(io::send(p.client, "peek", 4, 0), 4);
  char buf[8];
  ASSERT_EQ(io::recv(p.server, buf, 4, MSG_PEEK | MSG_WAITALL), 4);
  EXPECT_EQ(std::string(buf, 4), "peek");
  ASSERT_EQ(io::recv(p.server, buf, sizeof buf, 0), 4);
  EXPECT_EQ(std::string(buf, 4), "peek");
}

TEST(NetTcp, RecvWaitallGathersSeveralSegments) {
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  expect_waitall_gathers(p, {"ab", "cd", "ef"});
}

TEST(NetTcp, LargeSendReturnsTheFullCountWhileAGreenThreadReceives) {
  constexpr size_t kSize = 4 << 20;
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  const std::vector<char> data = pattern(kSize, 21);
  std::vector<char> got;
  auto receiver = spawn([&] { got = read_all(p.server, 10s); });
  EXPECT_EQ(io::send(p.client, data.data(), data.size(), 0), static_cast<ssize_t>(kSize));
  ::shutdown(p.client, SHUT_WR);
  receiver.join();
  EXPECT_TRUE(got == data) << "received " << got.size() << " bytes";
}

TEST(NetTcp, AcceptAndRecvTimeOut) {
  Fd l = tcp_listener();
  auto t0 = steady::now();
  EXPECT_EQ(io::accept(l, nullptr, nullptr, 0, 40ms), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  EXPECT_GE(ms_since(t0), 40ms);

  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  char buf[4];
  t0 = steady::now();
  EXPECT_EQ(io::recv(p.server, buf, sizeof buf, 0, io::deadline(40ms).fail_with(EAGAIN)), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_GE(ms_since(t0), 40ms);
  // The connection still works after the timed-out recv.
  ASSERT_EQ(io::send(p.client, "ok", 2, 0), 2);
  EXPECT_EQ(io::recv(p.server, buf, 2, MSG_WAITALL, 5s), 2) << strerror(errno);
  EXPECT_EQ(std::string(buf, 2), "ok");
}

TEST(NetTcp, ErrnoLikeLibc) {
  IgnoreSigpipe quiet;
  char buf[4] = {};
  // accept on a socket that is not listening: EINVAL.
  Fd s1 = bound_socket(SOCK_STREAM), s2 = bound_socket(SOCK_STREAM);
  EXPECT_EQ(outcome([&] { return io::accept(s2, nullptr, nullptr, 0, 2s); }),
            outcome([&] { return ::accept4(s1, nullptr, nullptr, 0); }));
  // recv on a never-connected socket: ENOTCONN; send: EPIPE.
  Fd u1 = tcp_socket(), u2 = tcp_socket();
  EXPECT_EQ(outcome([&] { return io::recv(u2, buf, sizeof buf, 0, 2s); }),
            outcome([&] { return ::recv(u1, buf, sizeof buf, 0); }));
  EXPECT_EQ(outcome([&] { return io::send(u2, buf, sizeof buf, MSG_NOSIGNAL, 2s); }),
            outcome([&] { return ::send(u1, buf, sizeof buf, MSG_NOSIGNAL); }));
  // connect on an already connected socket: EISCONN.
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  ASSERT_EQ(getpeername(p.client, sa(peer), &len), 0);
  Outcome libc_again = outcome([&] { return ::connect(p.client, sa(peer), sizeof peer); });
  Outcome gr_again = outcome([&] { return io::connect(p.client, sa(peer), sizeof peer); });
  EXPECT_EQ(gr_again, libc_again);
  EXPECT_EQ(gr_again.err, EISCONN);
  // send after the peer has gone: EPIPE or ECONNRESET, whichever libc says.
  p.server.reset();
  greenring::sleep_for(10ms);
  (void)::send(p.client, "x", 1, MSG_NOSIGNAL);  // provokes the RST
  greenring::sleep_for(10ms);
  Outcome after_libc = outcome([&] { return ::send(p.client, "x", 1, MSG_NOSIGNAL); });
  Outcome after_gr = outcome([&] { return io::send(p.client, "x", 1, MSG_NOSIGNAL); });
  EXPECT_EQ(after_gr, after_libc);
  EXPECT_EQ(after_gr.ret, -1);
}

TEST(NetTcp, NonblockingSocketSaysEagain) {
  // A socket the application made non-blocking gets EAGAIN at once, no park.
  // (The deadlines only keep a wrong park from hanging the test.)
  TcpPair p = tcp_pair();
  ASSERT_GE(p.server, 0);
  ASSERT_EQ(fcntl(p.server, F_SETFL, O_NONBLOCK), 0);
  char buf[4];
  EXPECT_EQ(outcome([&] { return io::recv(p.server, buf, sizeof buf, 0, 500ms); }),
            outcome([&] { return ::recv(p.server, buf, sizeof buf, 0); }));
  Fd l = tcp_listener();
  ASSERT_EQ(fcntl(l, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(outcome([&] { return io::accept(l, nullptr, nullptr, 0, 500ms); }),
            outcome([&] { return ::accept4(l, nullptr, nullptr, 0); }));
  // connect on a non-blocking socket: EINPROGRESS, or 0 when the loopback
  // handshake already finished (POSIX allows both); writable when done.
  sockaddr_in addr = local_address(l);
  Fd mine = tcp_socket();
  ASSERT_EQ(fcntl(mine, F_SETFL, O_NONBLOCK), 0);
  Outcome gr_connect = outcome([&] { return io::connect(mine, sa(addr), sizeof addr, 500ms); });
  EXPECT_TRUE(gr_connect == (Outcome{-1, EINPROGRESS}) || gr_connect == (Outcome{0, 0})) << gr_connect;
  EXPECT_EQ(io::wait_writable(mine, 5s), 0) << strerror(errno);
  int so_error = -1;
  socklen_t len = sizeof so_error;
  ASSERT_EQ(getsockopt(mine, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, 0) << strerror(so_error);
}

TEST(NetTcp, WaitAndPollOnSockets) {
  Fd l = tcp_listener();
  sockaddr_in addr = local_address(l);
  // A listener turns readable when a client is waiting to be accepted.
  EXPECT_EQ(io::wait_readable(l, 20ms), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  Fd c = tcp_socket();
  auto connector = spawn([&] { EXPECT_EQ(io::connect(c, sa(addr), sizeof addr, 5s), 0); });
  pollfd lp{l, POLLIN, 0};
  ASSERT_EQ(io::poll(&lp, 1, 5000), 1);
  EXPECT_EQ(lp.revents, POLLIN);
  connector.join();
  Fd s(io::accept(l, nullptr, nullptr, SOCK_CLOEXEC, 5s));
  ASSERT_GE(s, 0);
  EXPECT_EQ(io::wait_writable(c, 5s), 0) << strerror(errno);
  EXPECT_EQ(io::wait_readable(s, io::deadline(20ms).fail_with(EAGAIN)), -1);
  EXPECT_EQ(errno, EAGAIN);
  auto sender = spawn([&] {
    greenring::sleep_for(10ms);
    EXPECT_EQ(io::send(c, "x", 1, 0), 1);
  });
  EXPECT_EQ(io::wait_readable(s, 5s), 0) << strerror(errno);
  sender.join();
  // Peer closed: readable (EOF) and POLLIN|POLLRDHUP when asked.
  c.reset();
  pollfd sp{s, POLLIN | POLLRDHUP, 0};
  ASSERT_EQ(io::poll(&sp, 1, 5000), 1);
  EXPECT_TRUE(sp.revents & POLLRDHUP);
}

TEST(NetUnix, WaitAndPollOnASocketpair) {
  SockPair sp = make_socketpair();
  EXPECT_EQ(io::wait_writable(sp.a, 5s), 0);
  EXPECT_EQ(io::wait_readable(sp.b, 20ms), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  auto writer = spawn([&] { EXPECT_EQ(io::write(sp.a, "s", 1), 1); });
  pollfd f[2] = {{sp.b, POLLIN, 0}, {sp.a, POLLIN, 0}};
  ASSERT_EQ(io::poll(f, 2, 5000), 1);
  EXPECT_EQ(f[0].revents, POLLIN);
  EXPECT_EQ(f[1].revents, 0);
  writer.join();
}

// ---------------------------------------------------------------- UDP

TEST(NetUdp, SendtoAndRecvfromWithAddresses) {
  Fd a = bound_socket(SOCK_DGRAM), b = bound_socket(SOCK_DGRAM);
  sockaddr_in a_addr = local_address(a), b_addr = local_address(b);
  auto sender = spawn([&] {
    greenring::sleep_for(5ms);
    EXPECT_EQ(io::sendto(a, "one", 3, 0, sa(b_addr), sizeof b_addr), 3);
    EXPECT_EQ(io::sendto(a, "three", 5, 0, sa(b_addr), sizeof b_addr), 5);
  });
  char buf[64];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ASSERT_EQ(io::recvfrom(b, buf, sizeof buf, 0, sa(from), &len, 5s), 3) << strerror(errno);
  EXPECT_EQ(std::string(buf, 3), "one");
  EXPECT_EQ(len, sizeof from);
  EXPECT_EQ(from.sin_family, AF_INET);
  EXPECT_EQ(from.sin_port, a_addr.sin_port);
  EXPECT_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  // Datagram boundaries are kept; no address wanted.
  ASSERT_EQ(io::recvfrom(b, buf, sizeof buf, 0, nullptr, nullptr, 5s), 5);
  EXPECT_EQ(std::string(buf, 5), "three");
  sender.join();
}

TEST(NetUdp, TruncationLikeLibc) {
  Fd a = bound_socket(SOCK_DGRAM), b = bound_socket(SOCK_DGRAM);
  sockaddr_in b_addr = local_address(b);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(io::sendto(a, "0123456789", 10, 0, sa(b_addr), sizeof b_addr), 10);
  char buf[4];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  EXPECT_EQ(outcome([&] { return io::recvfrom(b, buf, 3, 0, sa(from), &len); }),
            outcome([&] { return ::recvfrom(b, buf, 3, 0, nullptr, nullptr); }));
  EXPECT_EQ(outcome([&] { return io::recvfrom(b, buf, 3, MSG_TRUNC, sa(from), &len); }),
            outcome([&] { return ::recvfrom(b, buf, 3, MSG_TRUNC, nullptr, nullptr); }));
  EXPECT_EQ(io::recvfrom(b, buf, 3, MSG_TRUNC, nullptr, nullptr, 5s), 10);
}

TEST(NetUdp, RecvfromTimesOut) {
  Fd b = bound_socket(SOCK_DGRAM);
  char buf[4];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  auto t0 = steady::now();
  EXPECT_EQ(io::recvfrom(b, buf, sizeof buf, 0, sa(from), &len, 30ms), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  EXPECT_GE(ms_since(t0), 30ms);
}

TEST(NetUdp, SendmsgAndRecvmsgWithNames) {
  Fd a = bound_socket(SOCK_DGRAM), b = bound_socket(SOCK_DGRAM);
  sockaddr_in a_addr = local_address(a), b_addr = local_address(b);
  char p1[] = "head-", p2[] = "tail";
  struct iovec out[2] = {{p1, 5}, {p2, 4}};
  struct msghdr m{};
  m.msg_name = &b_addr;
  m.msg_namelen = sizeof b_addr;
  m.msg_iov = out;
  m.msg_iovlen = 2;
  auto sender = spawn([&] { EXPECT_EQ(io::sendmsg(a, &m, 0), 9); });
  char x[4], y[16];
  struct iovec in[2] = {{x, 4}, {y, 16}};
  sockaddr_in from{};
  struct msghdr r{};
  r.msg_name = &from;
  r.msg_namelen = sizeof from;
  r.msg_iov = in;
  r.msg_iovlen = 2;
  ASSERT_EQ(io::recvmsg(b, &r, 0, 5s), 9) << strerror(errno);
  EXPECT_EQ(std::string(x, 4) + std::string(y, 5), "head-tail");
  EXPECT_EQ(r.msg_namelen, sizeof from);
  EXPECT_EQ(from.sin_port, a_addr.sin_port);
  EXPECT_EQ(r.msg_flags & MSG_TRUNC, 0);
  sender.join();
}

// ---------------------------------------------------------------- unix sockets, SCM_RIGHTS

struct FdMessage {
  char byte = 0;
  struct iovec iov{};
  struct msghdr msg{};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
};

TEST(NetUnix, SendmsgPassesAFileDescriptor) {
  SockPair sp = make_socketpair();
  Pipe p = make_pipe();
  {
    FdMessage out;
    out.byte = 'F';
    out.iov = {&out.byte, 1};
    out.msg.msg_iov = &out.iov;
    out.msg.msg_iovlen = 1;
    out.msg.msg_control = out.control;
    out.msg.msg_controllen = sizeof out.control;
    cmsghdr* c = CMSG_FIRSTHDR(&out.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int wfd = p.w;
    memcpy(CMSG_DATA(c), &wfd, sizeof wfd);
    ASSERT_EQ(io::sendmsg(sp.a, &out.msg, 0), 1) << strerror(errno);
  }
  p.w.reset();  // only the passed copy keeps the pipe's write end open now

  FdMessage in;
  in.iov = {&in.byte, 1};
  in.msg.msg_iov = &in.iov;
  in.msg.msg_iovlen = 1;
  in.msg.msg_control = in.control;
  in.msg.msg_controllen = sizeof in.control;
  ASSERT_EQ(io::recvmsg(sp.b, &in.msg, MSG_CMSG_CLOEXEC, 5s), 1) << strerror(errno);
  EXPECT_EQ(in.byte, 'F');
  EXPECT_EQ(in.msg.msg_flags & MSG_CTRUNC, 0);
  cmsghdr* c = CMSG_FIRSTHDR(&in.msg);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->cmsg_level, SOL_SOCKET);
  ASSERT_EQ(c->cmsg_type, SCM_RIGHTS);
  ASSERT_EQ(c->cmsg_len, CMSG_LEN(sizeof(int)));
  int got_fd;
  memcpy(&got_fd, CMSG_DATA(c), sizeof got_fd);
  Fd passed(got_fd);
  EXPECT_TRUE(fcntl(passed, F_GETFD) & FD_CLOEXEC) << "MSG_CMSG_CLOEXEC must reach the kernel";

  ASSERT_EQ(io::write(passed, "via passed fd", 13), 13);
  char buf[32];
  ASSERT_EQ(io::read(p.r, buf, sizeof buf), 13);
  EXPECT_EQ(std::string(buf, 13), "via passed fd");
  passed.reset();
  EXPECT_EQ(io::read(p.r, buf, sizeof buf, 5s), 0) << "the passed fd was the last write end";
}

TEST(NetUnix, LargeSendmsgWithAFdDeliversTheFdOnceAndEveryByte) {
  // A sendmsg larger than the socket buffer is resubmitted; the ancillary
  // data must go with the first part only.
  SockPair sp = make_socketpair();
  Pipe p = make_pipe();
  const std::vector<char> a = pattern(300 * 1024 + 7, 31), b = pattern(900 * 1024 + 1, 32);
  struct iovec out[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr m{};
  m.msg_iov = out;
  m.msg_iovlen = 2;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int wfd = p.w;
  memcpy(CMSG_DATA(c), &wfd, sizeof wfd);

  std::vector<char> got;
  std::vector<int> fds_received;
  auto receiver = spawn([&] {
    for (;;) {
      char buf[65536];
      alignas(struct cmsghdr) char ctl[CMSG_SPACE(4 * sizeof(int))] = {};
      struct iovec iov{buf, sizeof buf};
      struct msghdr r{};
      r.msg_iov = &iov;
      r.msg_iovlen = 1;
      r.msg_control = ctl;
      r.msg_controllen = sizeof ctl;
      ssize_t n = io::recvmsg(sp.b, &r, MSG_CMSG_CLOEXEC, 10s);
      if (n <= 0) break;
      got.insert(got.end(), buf, buf + n);
      for (cmsghdr* h = CMSG_FIRSTHDR(&r); h; h = CMSG_NXTHDR(&r, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
          int fd;
          memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
          fds_received.push_back(fd);
        }
      }
    }
  });
  EXPECT_EQ(io::sendmsg(sp.a, &m, 0), static_cast<ssize_t>(a.size() + b.size())) << strerror(errno);
  ::shutdown(sp.a, SHUT_WR);
  receiver.join();
  std::vector<char> expected(a);
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_TRUE(got == expected) << "received " << got.size() << " of " << expected.size() << " bytes";
  EXPECT_EQ(fds_received.size(), 1u) << "the descriptor must be passed exactly once";
  for (int fd : fds_received) ::close(fd);
}

TEST(NetUnix, SocketpairReadWriteAndEof) {
  SockPair sp = make_socketpair();
  auto peer = spawn([&] {
    char buf[16];
    ssize_t n = io::recv(sp.b, buf, sizeof buf, 0, 5s);
    ASSERT_EQ(n, 5);
    EXPECT_EQ(io::send(sp.b, buf, static_cast<size_t>(n), 0), 5);
    sp.b.reset();
  });
  ASSERT_EQ(io::write(sp.a, "hello", 5), 5);
  char buf[16];
  ASSERT_EQ(io::read(sp.a, buf, sizeof buf, 5s), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(io::read(sp.a, buf, sizeof buf, 5s), 0);
  peer.join();
}

TEST(NetUnix, DatagramSocketpairKeepsBoundaries) {
  SockPair sp = make_socketpair(SOCK_DGRAM);
  ASSERT_EQ(io::send(sp.a, "ab", 2, 0), 2);
  ASSERT_EQ(io::send(sp.a, "cde", 3, 0), 3);
  char buf[8];
  EXPECT_EQ(io::recv(sp.b, buf, sizeof buf, 0), 2);
  EXPECT_EQ(io::recv(sp.b, buf, sizeof buf, 0), 3);
  EXPECT_EQ(std::string(buf, 3), "cde");
}

// ---------------------------------------------------------------- many clients, one OS thread

TEST(NetEcho, HundredClientsAgainstOneServerInOneOsThread) {
  constexpr int kClients = 100;
  constexpr int kRounds = 5;
  const long tid = os_tid();
  Fd l = tcp_listener(kClients + 28);
  sockaddr_in addr = local_address(l);

  std::atomic<long> echoed{0};
  int accepted = 0, clients_ok = 0, foreign_tid = 0;
  auto note_tid = [&] {
    if (os_tid() != tid) ++foreign_tid;
  };

  auto server = spawn([&] {
    std::vector<greenring::green_thread> handlers;
    for (int i = 0; i < kClients; ++i) {
      int c = io::accept(l, nullptr, nullptr, SOCK_CLOEXEC, 10s);
      if (c < 0) {
        ADD_FAILURE() << "accept: " << strerror(errno);
        break;
      }
      ++accepted;
      handlers.push_back(spawn([&, c] {
        Fd conn(c);
        note_tid();
        char buf[4096];
        for (;;) {
          ssize_t n = io::recv(conn, buf, sizeof buf, 0, 10s);
          if (n <= 0) {
            EXPECT_EQ(n, 0) << strerror(errno);
            break;
          }
          ASSERT_EQ(io::send(conn, buf, static_cast<size_t>(n), MSG_NOSIGNAL, 10s), n);
          echoed += n;
        }
      }));
    }
    for (auto& h : handlers) h.join();
  });

  std::vector<greenring::green_thread> clients;
  for (int id = 0; id < kClients; ++id)
    clients.push_back(spawn([&, id] {
      note_tid();
      Fd c = tcp_socket();
      ASSERT_EQ(io::connect(c, sa(addr), sizeof addr, 10s), 0) << strerror(errno);
      for (int round = 0; round < kRounds; ++round) {
        const size_t len = 1 + (static_cast<size_t>(id) * 131 + static_cast<size_t>(round) * 977) % 6000;
        const std::vector<char> msg = pattern(len, static_cast<uint32_t>(id * 100 + round));
        ASSERT_EQ(io::send(c, msg.data(), msg.size(), MSG_NOSIGNAL, 10s), static_cast<ssize_t>(len));
        std::vector<char> back(len);
        ASSERT_EQ(io::recv(c, back.data(), len, MSG_WAITALL, 10s), static_cast<ssize_t>(len))
            << "client " << id << " round " << round << ": " << strerror(errno);
        ASSERT_TRUE(back == msg) << "client " << id << " round " << round << ": echo differs";
      }
      ::shutdown(c, SHUT_WR);
      char b;
      EXPECT_EQ(io::recv(c, &b, 1, 0, 10s), 0) << "server closes after our shutdown";
      ++clients_ok;
    }));
  for (auto& c : clients) c.join();
  server.join();

  long expected = 0;
  for (int id = 0; id < kClients; ++id)
    for (int round = 0; round < kRounds; ++round)
      expected += 1 + (static_cast<long>(id) * 131 + round * 977) % 6000;
  EXPECT_EQ(accepted, kClients);
  EXPECT_EQ(clients_ok, kClients);
  EXPECT_EQ(echoed.load(), expected);
  EXPECT_EQ(foreign_tid, 0) << "every green thread must run on the test's own OS thread";
}

}  // namespace
