// hook: what every family of hooks shares: whether a call on a fd should be
// made green, and the deadline the application's socket timeouts imply.
#pragma once

#include <greenring/io.hpp>

#include <chrono>
#include <optional>

#include "fd_table.hpp"
#include "hook_support.hpp"
#include "interrupt.hpp"
#include "originals.hpp"

namespace greenring::interpose {

// The preload library's own switch: off until its constructor validated the
// environment, and on a runtime-internal path.
bool enabled() noexcept;

// Threads mode green (GREENRING_THREADS=green, the default): pthreads are
// green threads and the sync hooks park them. Mode native: glibc's own.
bool green_mode() noexcept;

// A call may park: the library is on and the runtime allows it here.
inline bool can_park() noexcept { return enabled() && detail::can_park(); }

// A call on fd is made green: it may park, and the application did not ask
// for non-blocking behaviour on fd.
inline bool green(int fd) {
  if (!can_park() || fds().nonblocking(fd)) return false;
  detail::vouch_blocking(fd);
  return true;
}

// SO_RCVTIMEO / SO_SNDTIMEO as deadlines; when they pass the call fails the
// way the kernel would have failed it (EAGAIN; EINPROGRESS for connect).
inline io::deadline timeout_deadline(int64_t ns, int err) {
  if (ns <= 0) return {};
  return io::deadline(std::chrono::nanoseconds(ns)).fail_with(err);
}
inline io::deadline recv_deadline(int fd) { return timeout_deadline(fds().recv_timeout(fd), EAGAIN); }
inline io::deadline send_deadline(int fd, int err = EAGAIN) { return timeout_deadline(fds().send_timeout(fd), err); }

// SA_RESTART restarts a socket call only when the socket has no timeout in
// that direction; with SO_RCVTIMEO (input) or SO_SNDTIMEO (output) set the
// call fails with EINTR whatever the handler's flags (signal(7)).
inline detail::Restart recv_restart(int fd) {
  return fds().recv_timeout(fd) > 0 ? detail::Restart::never : detail::Restart::unless_sa_restart;
}
inline detail::Restart send_restart(int fd) {
  return fds().send_timeout(fd) > 0 ? detail::Restart::never : detail::Restart::unless_sa_restart;
}

// True once the application installed a signal handler (signal.cpp).
bool signal_handlers_wrapped() noexcept;

// For the duration of a hook: a park a signal handler may interrupt with
// EINTR (interrupt.hpp). Free when the program has no handlers.
class MaybeInterruptible {
 public:
  explicit MaybeInterruptible(detail::Restart r) {
    if (signal_handlers_wrapped()) w_.emplace(r);
  }
  bool interrupted() const { return w_ && w_->interrupted(); }

 private:
  std::optional<detail::InterruptibleWait> w_;
};

// The application's call site (this hook's return address) for traces and
// reports, plus an interruptible park: the two things every parking hook
// declares first. A macro because the return address must be the hook's own.
#define GREEN_CALL(restart)                                        \
  ::greenring::detail::CallSite gr_site_(__builtin_return_address(0)); \
  ::greenring::interpose::MaybeInterruptible gr_intr_(restart)

// Fortified variants (_FORTIFY_SOURCE) check the destination size first.
[[noreturn]] void chk_fail();

}  // namespace greenring::interpose
