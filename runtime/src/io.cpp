// greenring::io: each call prepares one SQE and lets the Reactor park the
// calling green thread until it completes. Writes loop until everything is
// written, as a blocking write(2) does, and first offer the data to the
// kernel without the ring; reads return what arrived.
#include <greenring/io.hpp>

#include <liburing.h>
#include <unistd.h>

#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "hook_support.hpp"
#include "nowait.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::io {
namespace {

using detail::Op;
using detail::Reactor;
using detail::Scheduler;
using detail::nowait::kUseRing;

constexpr uint64_t kCurrentPosition = ~uint64_t{0};  // -1: use and advance the file offset

Reactor& reactor() { return Scheduler::current().reactor(); }

ssize_t result(int32_t r) {
  if (r < 0) {
    errno = -r;
    return -1;
  }
  return r;
}

// One op: prepare it with `prep`, run it with the deadline, return the raw result.
template <class Prep>
int32_t once(const deadline& dl, Prep&& prep, bool* waited = nullptr) {
  Reactor& r = reactor();
  io_uring_sqe* s = r.sqe(dl.is_set() ? 2 : 1);
  prep(s);
  Op op;
  int32_t res = r.run(op, s, dl);
  if (waited) *waited = op.parked;
  return res;
}

// Repeats a transfer until `total` bytes moved: POSIX blocking writes do not
// return early. A failure after progress returns the progress.
template <class Step>
ssize_t all(size_t total, Step&& step) {
  size_t done = 0;
  do {
    int32_t r = step(done);
    if (r < 0) {
      if (done) return static_cast<ssize_t>(done);
      errno = -r;
      return -1;
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  } while (done < total);
  return static_cast<ssize_t>(done);
}

// What the kernel checks before a positional transfer: a negative offset
// (EINVAL) and a fd without a position, such as a pipe or socket (ESPIPE).
// The ring would ignore the offset on those and transfer data instead.
bool positional_ok(int fd, off_t offset) {
  if (offset < 0) {
    errno = EINVAL;
    return false;
  }
  if (!detail::vouched_seekable(fd) && sys::raw(SYS_lseek, fd, 0, SEEK_CUR) == -ESPIPE) {
    errno = ESPIPE;
    return false;
  }
  return true;
}

// The kernel refuses more than IOV_MAX segments before touching any of them:
// EINVAL for readv/writev, EMSGSIZE for sendmsg/recvmsg.
bool iov_ok(long count, int err) {
  if (count >= 0 && count <= IOV_MAX) return true;
  errno = err;
  return false;
}

size_t iov_total(const struct iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n; ++i) t += iov[i].iov_len;
  return t;
}

// A msghdr over one buffer, for recv/send made as recvmsg/sendmsg. Not
// copyable: the msghdr points at the iovec beside it.
struct OneBuffer {
  struct iovec v;
  struct msghdr m{};
  OneBuffer(const void* buf, size_t len) : v{const_cast<void*>(buf), len} {
    m.msg_iov = &v;
    m.msg_iovlen = 1;
  }
  OneBuffer(const OneBuffer&) = delete;
  OneBuffer& operator=(const OneBuffer&) = delete;
};

// A read on a stream: first without the ring (`direct`) where the last read
// on fd found data, else (or when refused) through the ring, noting whether
// it waited.
template <class Direct, class Prep>
int32_t read_once(int fd, size_t len, const deadline& dl, Direct&& direct, Prep&& prep,
                  detail::Stream kind = detail::Stream::yes) {
  if (len != 0 && detail::nowait::reads_first(fd, kind)) {
    int32_t r = direct();
    if (r != kUseRing) return r;
  }
  bool waited = false;
  int32_t r = once(dl, prep, &waited);
  detail::nowait::read_done(fd, waited);
  return r;
}

// Current-position I/O on a regular file or a directory is made with the
// plain system call, which holds the file's position lock (the kernel takes
// it for those two kinds only). The ring's "current position" reads and
// advances the position without that lock, so threads or processes sharing
// the open file lose or repeat data: two OS threads writing 5,000 lines each
// through one fd kept 9,835 of them, a parent and its child 9,785. Anything
// else (pipes, sockets, ttys, eventfds, devices) uses the ring.
bool has_position(int fd, detail::Stream kind) {
  if (kind != detail::Stream::unknown) return kind == detail::Stream::no;
  if (detail::nowait::socket_hint(fd) || detail::nowait::not_a_file(fd)) return false;
  long file = sys::position_locked(fd);
  if (file == 0) detail::nowait::learned_not_a_file(fd);
  return file == 1;  // an error: the ring reports it
}

// A file write (at the current position, or at `at`) is a yield point, as
// it was when the ring's io-wq did it: the plain call, then the other green
// threads' turn. (Through io-wq a 40-byte write to ext4 took 46 us here;
// the plain call takes 1.)
int32_t file_writev(int fd, const struct iovec* v, int n, long at = -1) {
  long r = sys::raw(SYS_pwritev2, fd, reinterpret_cast<long>(v), n, at, at < 0 ? -1 : 0, 0);
  detail::vouched_blocking(fd);  // the hook's vouch is spent
  detail::yield_here({"write", detail::YieldInfo::fd, fd, nullptr});
  return static_cast<int32_t>(r);
}

// A file read: what the page cache holds comes at once (RWF_NOWAIT), as a
// ring read completes inline. Otherwise the ring reads the same bytes at the
// position's offset into the caller's buffer, the position untouched, while
// the green thread is parked; the plain read then takes them from the cache
// and moves the position under its lock. kUseRing: fd is no file after all
// (the kind came from a stale entry), so it is read as a stream.
int32_t file_readv(int fd, const struct iovec* v, int n, const deadline& dl) {
  int32_t r = detail::nowait::readv(fd, v, n);
  if (r != kUseRing) return r;
  // About to park: first make sure the hook's kind was not stale (a number
  // reused for a pipe or timerfd behind the hooks' back), as the ring would
  // read such a fd twice.
  if (sys::position_locked(fd) == 0) return kUseRing;
  long at = sys::raw(SYS_lseek, fd, 0, SEEK_CUR);
  if (at >= 0) {
    int32_t w = once(dl, [&](io_uring_sqe* s) { io_uring_prep_readv(s, fd, v, n, static_cast<uint64_t>(at)); });
    // Interrupted or out of time: nothing was read, as far as the caller
    // can tell (the position has not moved).
    if (w == -EINTR || (dl.is_set() && w == -dl.timeout_errno())) return w;
  }
  return static_cast<int32_t>(sys::raw(SYS_readv, fd, reinterpret_cast<long>(v), n));
}

// A read at an offset: where the kernel takes the attempt (a regular file,
// most devices), what the page cache holds comes at once; else the ring.
// Both are exact, the offset being the caller's.
template <class Prep>
int32_t read_at(int fd, const struct iovec* v, int n, off_t at, const deadline& dl, Prep&& prep) {
  detail::vouched_stream(fd);  // spent: the kind does not matter here
  if (iov_total(v, n) != 0 && !detail::nowait::refused(fd)) {
    int32_t r = detail::nowait::readv(fd, v, n, at);
    if (r != kUseRing) return r;
  }
  return once(dl, prep);
}

// A read at the current position: a file's own path, or a stream's.
template <class Prep>
int32_t read_current(int fd, const struct iovec* v, int n, const deadline& dl, Prep&& prep) {
  detail::Stream kind = detail::vouched_stream(fd);
  if (has_position(fd, kind)) {
    int32_t r = file_readv(fd, v, n, dl);
    if (r != kUseRing) return r;
    kind = detail::Stream::yes;
  }
  return read_once(
      fd, iov_total(v, n), dl, [&] { return detail::nowait::readv(fd, v, n); }, prep, kind);
}

// The iovecs that remain after skipping `skip` bytes, into `out`.
void iov_advance(const struct iovec* iov, int n, size_t skip, std::vector<struct iovec>& out) {
  out.clear();
  for (int i = 0; i < n; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    out.push_back({static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip});
    skip = 0;
  }
}

// `direct(v, n, done)` is the attempt without the ring (kUseRing when there
// is none or it was refused), `prep` the ring op.
template <class Direct, class Prep>
ssize_t writev_all(const struct iovec* iov, int n, const deadline& dl, Direct&& direct, Prep&& prep) {
  std::vector<struct iovec> rest;
  return all(iov_total(iov, n), [&](size_t done) {
    const struct iovec* v = iov;
    int count = n;
    if (done != 0) {
      iov_advance(iov, n, done, rest);
      v = rest.data();
      count = static_cast<int>(rest.size());
    }
    int32_t r = direct(v, count, done);
    if (r != kUseRing) return r;
    return once(dl, [&](io_uring_sqe* s) { prep(s, v, count, done); });
  });
}

int wait_for(int fd, unsigned events, const deadline& dl) {
  int32_t r = once(dl, [&](io_uring_sqe* s) { io_uring_prep_poll_add(s, fd, events); });
  if (r < 0) return static_cast<int>(result(r));
  if (r & POLLNVAL) {
    errno = EBADF;
    return -1;
  }
  return 0;
}

}  // namespace

ssize_t read(int fd, void* buf, size_t count, deadline dl) {
  struct iovec v{buf, std::min<size_t>(count, 0x7ffff000)};
  if (detail::nowait::socket_hint(fd)) {  // read(2) on a socket is recv(2) with no flags
    int32_t r = read_once(
        fd, v.iov_len, dl, [&] { return detail::nowait::readv(fd, &v, 1); },
        [&](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, v.iov_len, 0); }, detail::vouched_stream(fd));
    if (r != -ENOTSOCK) return result(r);
    detail::nowait::fresh(fd, false);  // the number names something else now
  }
  return result(read_current(fd, &v, 1, dl, [&](io_uring_sqe* s) {
    io_uring_prep_read(s, fd, buf, static_cast<unsigned>(v.iov_len), kCurrentPosition);
  }));
}

ssize_t pread(int fd, void* buf, size_t count, off_t offset, deadline dl) {
  if (!positional_ok(fd, offset)) return -1;
  struct iovec v{buf, std::min<size_t>(count, 0x7ffff000)};
  return result(read_at(fd, &v, 1, offset, dl, [&](io_uring_sqe* s) {
    io_uring_prep_read(s, fd, buf, static_cast<unsigned>(v.iov_len), offset);
  }));
}

ssize_t readv(int fd, const struct iovec* iov, int iovcnt, deadline dl) {
  if (!iov_ok(iovcnt, EINVAL)) return -1;
  return result(read_current(
      fd, iov, iovcnt, dl, [&](io_uring_sqe* s) { io_uring_prep_readv(s, fd, iov, iovcnt, kCurrentPosition); }));
}

ssize_t preadv(int fd, const struct iovec* iov, int iovcnt, off_t offset, deadline dl) {
  if (!positional_ok(fd, offset) || !iov_ok(iovcnt, EINVAL)) return -1;
  return result(
      read_at(fd, iov, iovcnt, offset, dl, [&](io_uring_sqe* s) { io_uring_prep_readv(s, fd, iov, iovcnt, offset); }));
}

ssize_t write(int fd, const void* buf, size_t count, deadline dl) {
  auto* p = static_cast<const char*>(buf);
  // (Not for 0 bytes: the vectored path skips an empty write, which on a
  // datagram socket is an empty datagram.)
  // A file is never offered the write directly: where the file system takes
  // RWF_NOWAIT writes that would complete without the switch a file write is.
  const detail::Stream kind = detail::vouched_stream(fd);
  const bool file = has_position(fd, kind);
  const bool direct = !file && detail::nowait::writes_first(fd, kind) && count != 0;
  return all(count, [&](size_t done) {
    struct iovec v{const_cast<char*>(p + done), std::min<size_t>(count - done, 0x7ffff000)};
    if (file) return file_writev(fd, &v, 1);
    if (direct) {
      int32_t r = detail::nowait::writev(fd, &v, 1);
      if (r != kUseRing) return r;
    }
    return once(dl, [&](io_uring_sqe* s) {
      io_uring_prep_write(s, fd, p + done, static_cast<unsigned>(std::min<size_t>(count - done, 0x7ffff000)),
                          kCurrentPosition);
    });
  });
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset, deadline dl) {
  if (!positional_ok(fd, offset)) return -1;
  auto* p = static_cast<const char*>(buf);
  const bool file = has_position(fd, detail::vouched_stream(fd));
  return all(count, [&](size_t done) {
    if (file) {
      struct iovec v{const_cast<char*>(p + done), std::min<size_t>(count - done, 0x7ffff000)};
      return file_writev(fd, &v, 1, offset + static_cast<off_t>(done));
    }
    return once(dl, [&](io_uring_sqe* s) {
      io_uring_prep_write(s, fd, p + done, static_cast<unsigned>(std::min<size_t>(count - done, 0x7ffff000)),
                          static_cast<uint64_t>(offset) + done);
    });
  });
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt, deadline dl) {
  if (!iov_ok(iovcnt, EINVAL)) return -1;
  const detail::Stream kind = detail::vouched_stream(fd);
  const bool file = has_position(fd, kind);
  const bool direct = !file && detail::nowait::writes_first(fd, kind) && iov_total(iov, iovcnt) != 0;
  return writev_all(
      iov, iovcnt, dl,
      [&](const struct iovec* v, int n, size_t) {
        if (file) return file_writev(fd, v, n);
        return direct ? detail::nowait::writev(fd, v, n) : kUseRing;
      },
      [&](io_uring_sqe* s, const struct iovec* v, int n, size_t) {
        io_uring_prep_writev(s, fd, v, n, kCurrentPosition);
      });
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset, deadline dl) {
  if (!positional_ok(fd, offset) || !iov_ok(iovcnt, EINVAL)) return -1;
  const bool file = has_position(fd, detail::vouched_stream(fd));
  return writev_all(
      iov, iovcnt, dl,
      [&](const struct iovec* v, int n, size_t done) {
        return file ? file_writev(fd, v, n, offset + static_cast<off_t>(done)) : kUseRing;
      },
      [&](io_uring_sqe* s, const struct iovec* v, int n, size_t done) {
        io_uring_prep_writev(s, fd, v, n, static_cast<uint64_t>(offset) + done);
      });
}

ssize_t recv(int fd, void* buf, size_t len, int flags, deadline dl) {
  // MSG_WAITALL waits for all of it: an attempt that returns a part would not.
  OneBuffer one(buf, len);
  return result(read_once(
      fd, (flags & MSG_WAITALL) ? 0 : len, dl, [&] { return detail::nowait::recvmsg(fd, &one.m, flags); },
      [&](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, len, flags); }));
}

ssize_t send(int fd, const void* buf, size_t len, int flags, deadline dl) {
  auto* p = static_cast<const char*>(buf);
  return all(len, [&](size_t done) {
    OneBuffer one(p + done, len - done);
    int32_t r = detail::nowait::sendmsg(fd, &one.m, flags);
    if (r != kUseRing) return r;
    return once(dl, [&](io_uring_sqe* s) { io_uring_prep_send(s, fd, p + done, len - done, flags); });
  });
}

ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* src, socklen_t* srclen, deadline dl) {
  if (!src) return recv(fd, buf, len, flags, dl);
  OneBuffer one(buf, len);
  struct msghdr& m = one.m;
  m.msg_name = src;
  m.msg_namelen = srclen ? *srclen : 0;
  ssize_t r = result(once(dl, [&](io_uring_sqe* s) { io_uring_prep_recvmsg(s, fd, &m, flags); }));
  if (r >= 0 && srclen) *srclen = m.msg_namelen;
  return r;
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* dst, socklen_t dstlen,
               deadline dl) {
  if (!dst) return send(fd, buf, len, flags, dl);
  OneBuffer one(buf, len);
  struct msghdr& m = one.m;
  m.msg_name = const_cast<struct sockaddr*>(dst);
  m.msg_namelen = dstlen;
  return sendmsg(fd, &m, flags, dl);
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags, deadline dl) {
  if (!iov_ok(static_cast<long>(msg->msg_iovlen), EMSGSIZE)) return -1;
  return result(once(dl, [&](io_uring_sqe* s) { io_uring_prep_recvmsg(s, fd, msg, flags); }));
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags, deadline dl) {
  if (!iov_ok(static_cast<long>(msg->msg_iovlen), EMSGSIZE)) return -1;
  struct msghdr m = *msg;
  auto part = [&](const struct iovec* v, int n, size_t done) {
    m.msg_iov = const_cast<struct iovec*>(v);
    m.msg_iovlen = static_cast<size_t>(n);
    if (done) m.msg_control = nullptr, m.msg_controllen = 0;  // ancillary data goes once
  };
  return writev_all(
      msg->msg_iov, static_cast<int>(msg->msg_iovlen), dl,
      [&](const struct iovec* v, int n, size_t done) {
        part(v, n, done);
        return detail::nowait::sendmsg(fd, &m, flags);
      },
      [&](io_uring_sqe* s, const struct iovec* v, int n, size_t done) {
        part(v, n, done);
        io_uring_prep_sendmsg(s, fd, &m, flags);
      });
}

int accept(int fd, struct sockaddr* addr, socklen_t* addrlen, int flags, deadline dl) {
  int r = static_cast<int>(
      result(once(dl, [&](io_uring_sqe* s) { io_uring_prep_accept(s, fd, addr, addrlen, flags); })));
  detail::nowait::fresh(r, true);  // a new socket: forget what the number's last file taught
  return r;
}

int connect(int fd, const struct sockaddr* addr, socklen_t addrlen, deadline dl) {
  int32_t r = once(dl, [&](io_uring_sqe* s) { io_uring_prep_connect(s, fd, addr, addrlen); });
  if (r >= 0) detail::nowait::fresh(fd, true);
  return static_cast<int>(result(r > 0 ? 0 : r));
}

int fsync(int fd) {
  return static_cast<int>(result(once({}, [&](io_uring_sqe* s) { io_uring_prep_fsync(s, fd, 0); })));
}

int fdatasync(int fd) {
  return static_cast<int>(
      result(once({}, [&](io_uring_sqe* s) { io_uring_prep_fsync(s, fd, IORING_FSYNC_DATASYNC); })));
}

int close(int fd) {
  reactor().cancel_fd(fd);
  detail::nowait::fresh(fd, false);
  return static_cast<int>(result(static_cast<int32_t>(sys::close(fd))));
}

int waitid(idtype_t type, id_t id, siginfo_t* info, int options, deadline dl) {
  Reactor& r = reactor();
  if (!r.supports(detail::kOpWaitid)) {
    errno = ENOSYS;
    return -1;
  }
  // liburing 2.3 has no io_uring_prep_waitid: the kernel reads the id from
  // the fd field, the idtype from len, the options from file_index and
  // where to write the siginfo from addr2.
  return static_cast<int>(result(once(dl, [&](io_uring_sqe* s) {
    io_uring_prep_rw(detail::kOpWaitid, s, static_cast<int>(id), nullptr, static_cast<unsigned>(type), 0);
    s->file_index = static_cast<uint32_t>(options);
    s->addr2 = reinterpret_cast<uint64_t>(info);
  })));
}

int wait_readable(int fd, deadline dl) { return wait_for(fd, POLLIN, dl); }
int wait_writable(int fd, deadline dl) { return wait_for(fd, POLLOUT, dl); }

int poll(struct pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (timeout_ms < 0) return poll(fds, nfds, deadline{});
  return poll(fds, nfds, deadline{std::chrono::milliseconds(timeout_ms)});
}

int poll(struct pollfd* fds, nfds_t nfds, deadline dl) {
  Reactor& r = reactor();
  for (;;) {
    // The kernel's own answer first: exact revents, and no park when ready.
    long ready = sys::raw(SYS_poll, reinterpret_cast<long>(fds), static_cast<long>(nfds), 0);
    if (ready != 0) return static_cast<int>(sys::to_errno(ready));
    if (dl.is_set() && std::chrono::steady_clock::now() >= dl.when()) return 0;
    if (nfds == 0) {
      detail::park_until(dl.is_set() ? dl.when() : std::chrono::steady_clock::time_point::max(),
                         {"poll", detail::YieldInfo::count, 0, nullptr});
      if (detail::InterruptibleWait* iw = detail::current_interruptible(); iw && iw->interrupted()) {
        errno = EINTR;
        return -1;
      }
      continue;
    }
    // Arm one poll per fd; the first completion (or the deadline) wakes us.
    std::vector<Op> ops(nfds);
    for (nfds_t i = 0; i < nfds; ++i) {
      if (fds[i].fd < 0) {
        ops[i].done = true;
        continue;
      }
      io_uring_sqe* s = r.sqe();
      io_uring_prep_poll_add(s, fds[i].fd, static_cast<unsigned>(fds[i].events) | POLLERR | POLLHUP);
      r.start(ops[i], s);
    }
    r.flush();
    auto any_done = [&] {
      for (nfds_t i = 0; i < nfds; ++i)
        if (fds[i].fd >= 0 && ops[i].done) return true;
      return false;
    };
    detail::InterruptibleWait* iw = detail::current_interruptible();
    auto interrupted = [&] { return iw && iw->interrupted(); };
    if (!any_done()) {
      boost::fibers::context* self = detail::running_context();
      for (auto& op : ops) op.waiter = self;
      if (dl.is_set()) {
        detail::park_until(dl.when(), {"poll", detail::YieldInfo::count, static_cast<long long>(nfds), nullptr});
      } else {
        while (!any_done() && !interrupted()) detail::park({"poll", detail::YieldInfo::count, static_cast<long long>(nfds), nullptr});
      }
      for (auto& op : ops) op.waiter = nullptr;
    }
    // Take back the polls that did not fire; their completions must be
    // reaped before `ops` goes out of scope.
    for (nfds_t i = 0; i < nfds; ++i) {
      if (ops[i].done) continue;
      io_uring_sqe* s = r.sqe();
      io_uring_prep_poll_remove(s, reinterpret_cast<uint64_t>(&ops[i]));
      io_uring_sqe_set_data64(s, 0);
    }
    r.flush();
    boost::fibers::context* self = detail::running_context();
    for (nfds_t i = 0; i < nfds; ++i) {
      while (!ops[i].done) {
        ops[i].waiter = self;
        detail::park({"poll", detail::YieldInfo::count, static_cast<long long>(nfds), nullptr});
        ops[i].waiter = nullptr;
      }
      if (fds[i].fd >= 0) r.finish(ops[i]);
    }
    if (interrupted()) {
      errno = EINTR;
      return -1;
    }
  }
}

}  // namespace greenring::io
