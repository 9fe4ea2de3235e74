// net family: accept, accept4, connect, recv, recvfrom, recvmsg, send,
// sendto, sendmsg. MSG_DONTWAIT and the application's own non-blocking
// sockets pass straight through; SO_RCVTIMEO / SO_SNDTIMEO become deadlines.
#include <sys/socket.h>

#include <optional>

#include "hook.hpp"
#include "scheduler.hpp"

namespace gi = greenring::interpose;
namespace io = greenring::io;

namespace {
bool green_msg(int fd, int flags) { return !(flags & MSG_DONTWAIT) && gi::green(fd); }
}  // namespace

extern "C" {

int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  ::greenring::detail::CallSite gr_site_(__builtin_return_address(0));
  std::optional<gi::MaybeInterruptible> intr_;
  if (gi::green(fd)) intr_.emplace(gi::recv_restart(fd));
  int c = intr_ ? io::accept(fd, addr, len, flags, gi::recv_deadline(fd))
                        : REAL(accept4)(fd, addr, len, flags);
  if (c >= 0) gi::fds().created(c, flags & SOCK_NONBLOCK, gi::FdTable::Kind::socket);
  return c;
}

int accept(int fd, struct sockaddr* addr, socklen_t* len) { return accept4(fd, addr, len, 0); }

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  if (!gi::green(fd)) return REAL(connect)(fd, addr, len);
  // A handler interrupts the handshake's wait (EINTR) as it does the
  // kernel's, with the send side's restart rule.
  GREEN_CALL(gi::send_restart(fd));
  // With SO_SNDTIMEO, Linux gives up a blocking connect with EINPROGRESS.
  return io::connect(fd, addr, len, gi::send_deadline(fd, EINPROGRESS));
}
int __connect(int fd, const struct sockaddr* addr, socklen_t len) { return connect(fd, addr, len); }

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!green_msg(fd, flags)) return REAL(recv)(fd, buf, n, flags);
  GREEN_CALL(gi::recv_restart(fd));
  return io::recv(fd, buf, n, flags, gi::recv_deadline(fd));
}
ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) gi::chk_fail();
  return recv(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* src, socklen_t* srclen) {
  if (!green_msg(fd, flags)) return REAL(recvfrom)(fd, buf, n, flags, src, srclen);
  GREEN_CALL(gi::recv_restart(fd));
  return io::recvfrom(fd, buf, n, flags, src, srclen, gi::recv_deadline(fd));
}
ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags, struct sockaddr* src,
                       socklen_t* srclen) {
  if (n > buflen) gi::chk_fail();
  return recvfrom(fd, buf, n, flags, src, srclen);
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  if (!green_msg(fd, flags)) return REAL(recvmsg)(fd, msg, flags);
  GREEN_CALL(gi::recv_restart(fd));
  return io::recvmsg(fd, msg, flags, gi::recv_deadline(fd));
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!green_msg(fd, flags)) return REAL(send)(fd, buf, n, flags);
  GREEN_CALL(gi::send_restart(fd));
  return io::send(fd, buf, n, flags, gi::send_deadline(fd));
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* dst, socklen_t dstlen) {
  if (!green_msg(fd, flags)) return REAL(sendto)(fd, buf, n, flags, dst, dstlen);
  GREEN_CALL(gi::send_restart(fd));
  return io::sendto(fd, buf, n, flags, dst, dstlen, gi::send_deadline(fd));
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (!green_msg(fd, flags)) return REAL(sendmsg)(fd, msg, flags);
  GREEN_CALL(gi::send_restart(fd));
  return io::sendmsg(fd, msg, flags, gi::send_deadline(fd));
}

}  // extern "C"
