// process family: waitpid, wait, wait3, wait4, waitid, system. (fork needs
// no hook: the runtime's pthread_atfork handler gives the child a fresh ring
// and offload pool.) A wait parks in the ring until a child it names changes
// state (IORING_OP_WAITID with WNOWAIT, Linux 6.7), then collects it with the
// libc call and WNOHANG, so status, rusage and every option mean what libc
// makes of them. Before Linux 6.7 a wait for one child's exit parks on a
// pidfd and the others run on the offload pool. system() runs on the offload
// pool, its shell with the caller's signal mask. A signal handler interrupts
// a parked wait (EINTR), not an offloaded one.
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

// Parks until child `pid` has exited; Parked::no when it cannot be watched.
Parked park_on_child(pid_t pid) {
  long pidfd = greenring::sys::raw(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return Parked::no;
  Parked p = park_on_pidfd(static_cast<int>(pidfd));
  int err = errno;
  greenring::sys::close(static_cast<int>(pidfd));
  errno = err;
  return p;
}

// Parks until a child that (type, id) names has a state change `options`
// (waitid's) asks for, leaving it to be collected; Parked::no when the
// kernel offers no way to park for it (then the caller offloads the wait).
Parked park_for_children(idtype_t type, id_t id, int options) {
  const int saved = errno;  // a wait that succeeds leaves errno as it was
  {
    gi::MaybeInterruptible intr(greenring::detail::Restart::unless_sa_restart);
    siginfo_t info;
    int r = io::waitid(type, id, &info, (options & ~WNOHANG) | WNOWAIT);
    if (r != 0 && errno == EINTR) return Parked::interrupted;
    bool parked = r == 0 || errno == ECHILD;  // ECHILD: the next try reports it
    errno = saved;
    if (parked) return Parked::yes;
  }
  // ENOSYS (before Linux 6.7), or a wait the ring refuses that libc takes.
  // A pidfd becomes readable only when its process exits.
  if (options & (WSTOPPED | WCONTINUED)) return Parked::no;
  if (type == P_PIDFD) return park_on_pidfd(static_cast<int>(id));
  if (type == P_PID) return park_on_child(static_cast<pid_t>(id));
  return Parked::no;
}

// The common shape: try without blocking; if nothing is there yet, park
// until something is (or offload the blocking call), then try again.
template <class Try, class Blocking>
auto wait_green(idtype_t type, id_t id, int options, Try&& try_now, Blocking&& blocking) -> decltype(try_now()) {
  for (;;) {
    auto r = try_now();
    if (r != 0) return r;  // a child, or an error such as ECHILD
    Parked p = park_for_children(type, id, options);
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
  // The children wait4 names, in waitid's terms (pid 0: the caller's group).
  idtype_t type = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
  id_t id = pid > 0 ? static_cast<id_t>(pid) : pid < -1 ? static_cast<id_t>(-pid) : 0;
  // WUNTRACED is waitid's WSTOPPED; exits are always reported.
  int waitid_options = WEXITED | (options & (WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL));
  return wait_green(
      type, id, waitid_options, [&] { return REAL(wait4)(pid, status, options | WNOHANG, ru); },
      [&] { return REAL(wait4)(pid, status, options, ru); });
}

pid_t waitpid(pid_t pid, int* status, int options) { return wait4(pid, status, options, nullptr); }
pid_t __waitpid(pid_t pid, int* status, int options) { return wait4(pid, status, options, nullptr); }
pid_t wait(int* status) { return wait4(-1, status, 0, nullptr); }
pid_t wait3(int* status, int options, struct rusage* ru) { return wait4(-1, status, options, ru); }

int waitid(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (!gi::can_park() || (options & WNOHANG)) return REAL(waitid)(type, id, info, options);
  // Linux accepts a null info; the non-blocking try still needs one to tell
  // "no child yet" from "a child" (si_pid stays 0).
  siginfo_t local;
  siginfo_t* out = info ? info : &local;
  int r = wait_green(
      type, id, options,
      [&] {
        out->si_pid = 0;
        int x = REAL(waitid)(type, id, out, options | WNOHANG);
        return x != 0 ? x : out->si_pid != 0 ? 1 : 0;
      },
      [&] { return REAL(waitid)(type, id, info, options); });
  return r == 1 ? 0 : r;
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
