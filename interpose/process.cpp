// process family: waitpid, wait, wait3, wait4, waitid, system. (fork needs
// no hook: the runtime's pthread_atfork handler gives the child a fresh ring
// and offload pool.) A wait for one child parks on a pidfd; a wait for any
// child, and system(), run on the offload pool while the caller is parked.
// system()'s shell gets the caller's signal mask, not the worker's. A signal
// handler interrupts the pidfd wait (EINTR), not an offloaded one.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <greenring/greenring.hpp>

#include "hook.hpp"
#include "sys.hpp"

namespace gi = greenring::interpose;
namespace io = greenring::io;

namespace {

enum class Parked { no, yes, interrupted };

// Parks until the process behind pidfd exits. A signal handler interrupts
// the wait as it interrupts waitpid (unless SA_RESTART): then errno = EINTR.
Parked park_on_pidfd(int pidfd) {
  gi::MaybeInterruptible intr(greenring::detail::Restart::unless_sa_restart);
  if (io::wait_readable(pidfd) != 0 && errno == EINTR) return Parked::interrupted;
  return Parked::yes;
}

// Parks until child `pid` has changed state; Parked::no when it cannot be
// watched (then the caller falls back to the offload pool).
Parked park_on_child(pid_t pid) {
  long pidfd = greenring::sys::raw(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return Parked::no;
  Parked p = park_on_pidfd(static_cast<int>(pidfd));
  int err = errno;
  greenring::sys::close(static_cast<int>(pidfd));
  errno = err;
  return p;
}

// The common shape: try without blocking; if nothing is there yet, wait for
// the child (pidfd) or for any child (offload), then ask again. A pidfd
// becomes readable only when its process exits: a wait that also reports
// stopped or continued children (WUNTRACED, WCONTINUED) goes to the offload
// pool too.
template <class Try, class Blocking>
auto wait_green(pid_t pid, bool exits_only, Try&& try_now, Blocking&& blocking) -> decltype(try_now()) {
  for (;;) {
    auto r = try_now();
    if (r != 0) return r;  // a child, or an error such as ECHILD
    Parked p = pid > 0 && exits_only ? park_on_child(pid) : Parked::no;
    if (p == Parked::interrupted) return -1;
    if (p == Parked::no) {
      int err = 0;
      auto v = greenring::offload([&] {
        auto x = blocking();
        err = errno;
        return x;
      });
      errno = err;
      return v;
    }
  }
}

}  // namespace

extern "C" {

pid_t wait4(pid_t pid, int* status, int options, struct rusage* ru) {
  if (!gi::can_park() || (options & WNOHANG)) return REAL(wait4)(pid, status, options, ru);
  bool exits_only = !(options & (WUNTRACED | WCONTINUED));
  return wait_green(
      pid, exits_only, [&] { return REAL(wait4)(pid, status, options | WNOHANG, ru); },
      [&] { return REAL(wait4)(pid, status, options, ru); });
}

pid_t waitpid(pid_t pid, int* status, int options) { return wait4(pid, status, options, nullptr); }
pid_t __waitpid(pid_t pid, int* status, int options) { return wait4(pid, status, options, nullptr); }
pid_t wait(int* status) { return wait4(-1, status, 0, nullptr); }
pid_t wait3(int* status, int options, struct rusage* ru) { return wait4(-1, status, options, ru); }

int waitid(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (!gi::can_park() || (options & WNOHANG)) return REAL(waitid)(type, id, info, options);
  pid_t pid = type == P_PID ? static_cast<pid_t>(id) : -1;
  bool exits_only = !(options & (WSTOPPED | WCONTINUED));
  // Linux accepts a null info; the non-blocking try still needs one to tell
  // "no child yet" from "a child".
  siginfo_t local;
  siginfo_t* out = info ? info : &local;
  for (;;) {
    out->si_pid = 0;
    int r = REAL(waitid)(type, id, out, options | WNOHANG);
    if (r != 0 || out->si_pid != 0) return r;
    Parked p = Parked::no;
    if (exits_only) p = type == P_PIDFD ? park_on_pidfd(static_cast<int>(id)) : pid > 0 ? park_on_child(pid) : p;
    if (p == Parked::interrupted) return -1;
    if (p == Parked::yes) continue;
    int err = 0;
    int v = greenring::offload([&] {
      int x = REAL(waitid)(type, id, info, options);
      err = errno;
      return x;
    });
    errno = err;
    return v;
  }
}

int system(const char* command) {
  if (!gi::can_park()) return REAL(system)(command);
  // The shell inherits the signal mask of the thread that calls system():
  // the caller's, not the offload worker's (which blocks every signal, so
  // the command could not even be killed with SIGTERM).
  sigset_t caller;
  pthread_sigmask(SIG_SETMASK, nullptr, &caller);
  int err = 0;
  int r = greenring::offload([&] {
    sigset_t worker;
    pthread_sigmask(SIG_SETMASK, &caller, &worker);
    int x = REAL(system)(command);
    err = errno;
    pthread_sigmask(SIG_SETMASK, &worker, nullptr);
    return x;
  });
  errno = err;
  return r;
}

}  // extern "C"
