// poll family: poll, ppoll, select, pselect, epoll_wait, epoll_pwait,
// epoll_pwait2. The kernel is asked first with a zero timeout; only when
// nothing is ready does the green thread park (on the fds, or on the epoll
// fd's own readiness), so results are exactly the kernel's.
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <chrono>
#include <vector>

#include "hook.hpp"
#include "scheduler.hpp"

namespace gi = greenring::interpose;
namespace io = greenring::io;
using namespace std::chrono;

namespace {

io::deadline from_ms(int ms) { return ms < 0 ? io::deadline{} : io::deadline(milliseconds(ms)); }
io::deadline from_ts(const struct timespec* ts) {
  if (!ts) return {};
  return io::deadline(seconds(ts->tv_sec) + nanoseconds(ts->tv_nsec));
}

// A timeout the call can pass straight to libc: zero (just a check), or one
// the kernel refuses with EINVAL before it looks at anything else.
bool libc_timeout(const struct timespec* ts) {
  if (!ts) return false;
  bool zero = ts->tv_sec == 0 && ts->tv_nsec == 0;
  bool invalid = ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1'000'000'000;
  return zero || invalid;
}
// select normalises tv_usec beyond a second; only negative parts are refused.
bool libc_timeout(const struct timeval* tv) {
  if (!tv) return false;
  return (tv->tv_sec == 0 && tv->tv_usec == 0) || tv->tv_sec < 0 || tv->tv_usec < 0;
}

// An nfds select can scan in an fd_set. The kernel takes any nfds >= 0 (it
// stops at the process's fd table); beyond FD_SETSIZE the sets may be larger
// than fd_set, so libc gets the call (it blocks the OS thread, but means what
// it meant).
bool fd_set_size(int nfds) { return nfds >= 0 && nfds <= FD_SETSIZE; }

// The mask a p-call asks for, held while the green thread is parked. It is
// the OS thread's mask, so the other green threads share it meanwhile.
class MaskDuring {
 public:
  explicit MaskDuring(const sigset_t* m) : set_(m != nullptr) {
    if (set_) pthread_sigmask(SIG_SETMASK, m, &old_);
  }
  ~MaskDuring() {
    if (set_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  bool set_;
  sigset_t old_;
};

int epoll_green(int epfd, struct epoll_event* ev, int max, io::deadline dl) {
  int saved = errno;  // a timeout returns 0 and leaves errno as it was
  for (;;) {
    int r = REAL(epoll_wait)(epfd, ev, max, 0);
    if (r != 0) return r;
    if (io::wait_readable(epfd, dl) != 0) {
      if (errno != ETIMEDOUT) return -1;
      errno = saved;
      return 0;
    }
  }
}

// What select reports for a poll result (the kernel's POLLIN_SET,
// POLLOUT_SET and POLLEX_SET).
constexpr short kReadSet = POLLIN | POLLHUP | POLLERR;
constexpr short kWriteSet = POLLOUT | POLLERR;
constexpr short kExceptSet = POLLPRI;

int select_green(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, io::deadline dl) {
  if (nfds < 0 || nfds > FD_SETSIZE) {
    errno = EINVAL;
    return -1;
  }
  // The kernel's own answer first: it alone knows which closed fds are an
  // error (below the size of the fd table: EBADF) and which it passes over
  // (beyond it: their bits come back as they went in), and a ready fd needs
  // no park. After a 0, a bit still set in its copy is one passed over.
  fd_set krd{}, kwr{}, kex{};
  if (rd) krd = *rd;
  if (wr) kwr = *wr;
  if (ex) kex = *ex;
  struct timeval zero = {0, 0};
  int now = REAL(select)(nfds, rd ? &krd : nullptr, wr ? &kwr : nullptr, ex ? &kex : nullptr, &zero);
  if (now != 0) {
    if (now > 0) {
      if (rd) *rd = krd;
      if (wr) *wr = kwr;
      if (ex) *ex = kex;
    }
    return now;
  }
  std::vector<struct pollfd> p;
  for (int fd = 0; fd < nfds; ++fd) {
    short ev = 0;
    if (rd && FD_ISSET(fd, rd) && !FD_ISSET(fd, &krd)) ev |= POLLIN;
    if (wr && FD_ISSET(fd, wr) && !FD_ISSET(fd, &kwr)) ev |= POLLOUT;
    if (ex && FD_ISSET(fd, ex) && !FD_ISSET(fd, &kex)) ev |= POLLPRI;
    if (ev) p.push_back({fd, ev, 0});
  }
  auto wanted = [](const struct pollfd& q) {
    short w = 0;
    if (q.events & POLLIN) w |= kReadSet;
    if (q.events & POLLOUT) w |= kWriteSet;
    if (q.events & POLLPRI) w |= kExceptSet;
    return static_cast<short>(q.revents & w);
  };
  for (;;) {
    int r = io::poll(p.data(), p.size(), dl);
    if (r < 0) return -1;
    bool any = r == 0;  // a timeout reports empty sets
    for (auto& q : p) any = any || wanted(q);
    if (any) break;
    // poll always reports POLLHUP and POLLERR, select only in the sets that
    // take them: a fd that shows nothing else (a hung-up socket asked only
    // for exceptional conditions) stays that way, and the kernel's select
    // would go on waiting. Stop watching it and wait for the others. The
    // same goes for POLLNVAL, a fd closed since: select skips closed files.
    std::erase_if(p, [](const struct pollfd& q) { return q.revents != 0; });
  }
  if (rd) *rd = krd;
  if (wr) *wr = kwr;
  if (ex) *ex = kex;
  int count = 0;
  for (auto& q : p) {
    if (rd && (q.events & POLLIN) && (q.revents & kReadSet)) FD_SET(q.fd, rd), ++count;
    if (wr && (q.events & POLLOUT) && (q.revents & kWriteSet)) FD_SET(q.fd, wr), ++count;
    if (ex && (q.events & POLLPRI) && (q.revents & kExceptSet)) FD_SET(q.fd, ex), ++count;
  }
  return count;
}

}  // namespace

extern "C" {

int poll(struct pollfd* fds, nfds_t n, int timeout) {
  if (!gi::can_park() || timeout == 0) return REAL(poll)(fds, n, timeout);
  GREEN_CALL(greenring::detail::Restart::never);
  return io::poll(fds, n, timeout);
}
int __poll(struct pollfd* fds, nfds_t n, int timeout) { return poll(fds, n, timeout); }
int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n) gi::chk_fail();
  return poll(fds, n, timeout);
}

int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask) {
  if (!gi::can_park() || libc_timeout(ts)) return REAL(ppoll)(fds, n, ts, mask);
  MaskDuring m(mask);
  GREEN_CALL(greenring::detail::Restart::never);
  return io::poll(fds, n, from_ts(ts));
}
int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n) gi::chk_fail();
  return ppoll(fds, n, ts, mask);
}

int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, struct timeval* tv) {
  if (!gi::can_park() || libc_timeout(tv) || !fd_set_size(nfds)) return REAL(select)(nfds, rd, wr, ex, tv);
  io::deadline dl = tv ? io::deadline(seconds(tv->tv_sec) + microseconds(tv->tv_usec)) : io::deadline{};
  GREEN_CALL(greenring::detail::Restart::never);
  int r = select_green(nfds, rd, wr, ex, dl);
  if (tv) {  // Linux reports the time not slept
    auto left = duration_cast<microseconds>(dl.when() - steady_clock::now());
    if (left.count() < 0) left = microseconds(0);
    tv->tv_sec = static_cast<time_t>(left.count() / 1'000'000);
    tv->tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000);
  }
  return r;
}

int pselect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, const struct timespec* ts, const sigset_t* mask) {
  if (!gi::can_park() || libc_timeout(ts) || !fd_set_size(nfds))
    return REAL(pselect)(nfds, rd, wr, ex, ts, mask);
  MaskDuring m(mask);
  GREEN_CALL(greenring::detail::Restart::never);
  return select_green(nfds, rd, wr, ex, from_ts(ts));
}

int epoll_wait(int epfd, struct epoll_event* ev, int max, int timeout) {
  if (!gi::can_park() || timeout == 0) return REAL(epoll_wait)(epfd, ev, max, timeout);
  GREEN_CALL(greenring::detail::Restart::never);
  return epoll_green(epfd, ev, max, from_ms(timeout));
}

int epoll_pwait(int epfd, struct epoll_event* ev, int max, int timeout, const sigset_t* mask) {
  if (!gi::can_park() || timeout == 0) return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
  MaskDuring m(mask);
  GREEN_CALL(greenring::detail::Restart::never);
  return epoll_green(epfd, ev, max, from_ms(timeout));
}

int epoll_pwait2(int epfd, struct epoll_event* ev, int max, const struct timespec* ts, const sigset_t* mask) {
  if (!gi::can_park() || libc_timeout(ts)) return REAL(epoll_pwait2)(epfd, ev, max, ts, mask);
  MaskDuring m(mask);
  GREEN_CALL(greenring::detail::Restart::never);
  return epoll_green(epfd, ev, max, from_ts(ts));
}

}  // extern "C"
