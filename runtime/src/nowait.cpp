// nowait: per-fd hints and the direct attempts.
#include "nowait.hpp"

#include <sys/syscall.h>

#include <atomic>
#include <cerrno>

#include "hook_support.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail::nowait {
namespace {

// Hints for fds below 4096, one bit each. All but not_files steer speed
// only: a stale bit after the number is reused costs an extra system call or
// a ring trip, never a different result. A stale not_files bit (a number the
// API saw as a pipe, closed with ::close and reused for a regular file) sends
// that file's current-position I/O through the ring, without the position
// lock; io::close and the hooks reset it (fresh).
constexpr int kHintFds = 4096;
class FdBits {
 public:
  bool test(int fd) const noexcept {
    return fd >= 0 && fd < kHintFds && ((words_[fd / 64].load(std::memory_order_relaxed) >> (fd % 64)) & 1);
  }
  void set(int fd, bool on) noexcept {
    if (fd < 0 || fd >= kHintFds || test(fd) == on) return;
    uint64_t bit = uint64_t{1} << (fd % 64);
    if (on) {
      words_[fd / 64].fetch_or(bit, std::memory_order_relaxed);
    } else {
      words_[fd / 64].fetch_and(~bit, std::memory_order_relaxed);
    }
  }

 private:
  std::atomic<uint64_t> words_[kHintFds / 64]{};
};

FdBits refuses;    // EOPNOTSUPP: the file cannot refuse instead of blocking (a tty; a regular file on most file systems)
FdBits had_data;   // the last read found data without waiting
FdBits sockets;    // a socket, as far as anyone told us
FdBits not_files;  // fstat said: not a regular file or directory (no position lock to keep)

int32_t settle(int fd, long r, const char* what) noexcept {
  if (r >= 0) {
    // As a ring op that completes inline: a latent yield point for random
    // and pct, and the hook's vouch is spent.
    vouched_blocking(fd);
    Scheduler& sch = Scheduler::current();
    if (sch.policy().kind() != SchedKind::fifo) sch.latent_point({what, YieldInfo::fd, fd, nullptr});
    return static_cast<int32_t>(r);
  }
  switch (-r) {
    case EAGAIN:
    case EINTR:
      return kUseRing;
    case EOPNOTSUPP:
    case EINVAL:
    case ENOSYS:
      refuses.set(fd, true);
      return kUseRing;
    default:
      return static_cast<int32_t>(r);
  }
}

}  // namespace

bool writes_first(int fd, Stream kind) noexcept { return kind != Stream::no && !refuses.test(fd); }

bool reads_first(int fd, Stream kind) noexcept {
  return kind != Stream::no && had_data.test(fd) && !refuses.test(fd);
}

int32_t writev(int fd, const struct iovec* v, int n) noexcept {
  // pwritev2's offset -1 is the file position, as for write(2).
  return settle(fd, sys::raw(SYS_pwritev2, fd, reinterpret_cast<long>(v), n, -1, -1, RWF_NOWAIT), "write");
}

int32_t sendmsg(int fd, const struct msghdr* m, int flags) noexcept {
  return settle(fd, sys::raw(SYS_sendmsg, fd, reinterpret_cast<long>(m), flags | MSG_DONTWAIT), "send");
}

int32_t readv(int fd, const struct iovec* v, int n, long at) noexcept {
  long r = sys::raw(SYS_preadv2, fd, reinterpret_cast<long>(v), n, at, at < 0 ? -1 : 0, RWF_NOWAIT);
  if (r == -EAGAIN) had_data.set(fd, false);
  return settle(fd, r, "read");
}

int32_t recvmsg(int fd, struct msghdr* m, int flags) noexcept {
  long r = sys::raw(SYS_recvmsg, fd, reinterpret_cast<long>(m), flags | MSG_DONTWAIT);
  if (r == -EAGAIN) had_data.set(fd, false);
  return settle(fd, r, "recv");
}

bool refused(int fd) noexcept { return refuses.test(fd); }

void read_done(int fd, bool waited) noexcept { had_data.set(fd, !waited); }

void fresh(int fd, bool socket) noexcept {
  refuses.set(fd, false);
  had_data.set(fd, false);
  sockets.set(fd, socket);
  not_files.set(fd, socket);
}

void fresh_range(unsigned first, unsigned last) noexcept {
  for (unsigned fd = first; fd <= last && fd < kHintFds; ++fd) fresh(static_cast<int>(fd), false);
}

bool socket_hint(int fd) noexcept { return sockets.test(fd); }

bool not_a_file(int fd) noexcept { return not_files.test(fd); }
void learned_not_a_file(int fd) noexcept { not_files.set(fd, true); }

}  // namespace greenring::detail::nowait
