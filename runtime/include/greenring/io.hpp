// greenring::io: POSIX-shaped blocking calls that park the calling green
// thread on the io_uring reactor instead of blocking the OS thread. Each
// returns what the libc call returns and sets errno exactly as it would.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>

namespace greenring::io {

// When a blocking call gives up. Default: never. A relative timeout counts
// from the call. When it expires the call fails with errno = timeout_errno
// (ETIMEDOUT unless chosen otherwise, e.g. EAGAIN to mimic SO_RCVTIMEO).
// Data already transferred is never lost: a call that moved bytes before the
// deadline returns their count.
class deadline {
 public:
  using clock = std::chrono::steady_clock;
  deadline() noexcept = default;
  template <class Rep, class Period>
  deadline(std::chrono::duration<Rep, Period> timeout)  // NOLINT: implicit on purpose
      : when_(clock::now() + std::chrono::duration_cast<clock::duration>(timeout)), set_(true) {}
  deadline(clock::time_point when) noexcept : when_(when), set_(true) {}  // NOLINT
  static deadline never() noexcept { return {}; }

  deadline& fail_with(int err) noexcept {
    timeout_errno_ = err;
    return *this;
  }
  bool is_set() const noexcept { return set_; }
  clock::time_point when() const noexcept { return when_; }
  int timeout_errno() const noexcept { return timeout_errno_; }

 private:
  clock::time_point when_{};
  bool set_ = false;
  int timeout_errno_ = ETIMEDOUT;
};

ssize_t read(int fd, void* buf, size_t count, deadline dl = {});
ssize_t write(int fd, const void* buf, size_t count, deadline dl = {});
ssize_t readv(int fd, const struct iovec* iov, int iovcnt, deadline dl = {});
ssize_t writev(int fd, const struct iovec* iov, int iovcnt, deadline dl = {});
ssize_t pread(int fd, void* buf, size_t count, off_t offset, deadline dl = {});
ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset, deadline dl = {});
ssize_t preadv(int fd, const struct iovec* iov, int iovcnt, off_t offset, deadline dl = {});
ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset, deadline dl = {});

ssize_t recv(int fd, void* buf, size_t len, int flags, deadline dl = {});
ssize_t send(int fd, const void* buf, size_t len, int flags, deadline dl = {});
ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* src, socklen_t* srclen,
                 deadline dl = {});
ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* dst,
               socklen_t dstlen, deadline dl = {});
ssize_t recvmsg(int fd, struct msghdr* msg, int flags, deadline dl = {});
ssize_t sendmsg(int fd, const struct msghdr* msg, int flags, deadline dl = {});

// accept4's flags (SOCK_NONBLOCK, SOCK_CLOEXEC) are accepted.
int accept(int fd, struct sockaddr* addr, socklen_t* addrlen, int flags = 0, deadline dl = {});
int connect(int fd, const struct sockaddr* addr, socklen_t addrlen, deadline dl = {});

// poll(2) semantics, including timeout_ms < 0 = forever and 0 = just check.
int poll(struct pollfd* fds, nfds_t nfds, int timeout_ms);
int poll(struct pollfd* fds, nfds_t nfds, deadline dl);

int fsync(int fd);
int fdatasync(int fd);

// Parks until fd is readable (writable), or the deadline passes. Returns 0,
// or -1 with errno = the deadline's timeout_errno or the poll error.
int wait_readable(int fd, deadline dl = {});
int wait_writable(int fd, deadline dl = {});

// close(2), after the operations other green threads of this OS thread have
// pending on fd are cancelled (they fail with EBADF, and the number cannot
// be reused under them) and what the runtime learned of the number is
// forgotten. The runtime remembers, per fd number, that a fd is no regular
// file (those keep the kernel's position lock, so they take another path):
// close with this, not ::close, a fd these calls were used on. (Under the
// shim ::close does the same.)
int close(int fd);

// waitid(2) semantics (P_PID, P_PIDFD, P_PGID, P_ALL; WEXITED, WSTOPPED,
// WCONTINUED, WNOWAIT...), the wait parked in the ring. Returns 0 with *info
// filled, or -1 with errno; ENOSYS when the kernel cannot wait for children
// through io_uring (IORING_OP_WAITID, before Linux 6.7).
int waitid(idtype_t type, id_t id, siginfo_t* info, int options, deadline dl = {});

}  // namespace greenring::io
