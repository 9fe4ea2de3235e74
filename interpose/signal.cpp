// signal family: sigaction and signal. The application's handler is
// installed behind a trampoline that tells the runtime a handler ran (so a
// green thread parked in a call POSIX would interrupt sees EINTR), then
// calls it. sigaction reports the application's own handler back, so the
// trampoline is invisible. Fault signals (SEGV, BUS, ILL, FPE, TRAP) are
// left alone: they interrupt nothing, and the runtime's stack-overflow
// report owns SIGSEGV until the application replaces it.
#include <signal.h>

#include <atomic>

#include "hook.hpp"
#include "interrupt.hpp"

namespace gi = greenring::interpose;

namespace {

struct AppHandler {
  std::atomic<void*> fn{nullptr};
  std::atomic<int> flags{0};
};
AppHandler handlers[_NSIG];
std::atomic<bool> any_wrapped{false};

bool wrappable(int sig, const struct sigaction* act) {
  if (sig <= 0 || sig >= _NSIG) return false;
  if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) return false;
  if (!act) return false;
  void* fn = (act->sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(act->sa_sigaction)
                                           : reinterpret_cast<void*>(act->sa_handler);
  return fn != reinterpret_cast<void*>(SIG_DFL) && fn != reinterpret_cast<void*>(SIG_IGN);
}

void trampoline(int sig, siginfo_t* info, void* uc) {
  AppHandler& h = handlers[sig];
  int flags = h.flags.load(std::memory_order_relaxed);
  greenring::detail::signal_delivered(flags & SA_RESTART);
  void* fn = h.fn.load(std::memory_order_relaxed);
  if (flags & SA_SIGINFO) {
    reinterpret_cast<void (*)(int, siginfo_t*, void*)>(fn)(sig, info, uc);
  } else {
    reinterpret_cast<void (*)(int)>(fn)(sig);
  }
}

}  // namespace

namespace greenring::interpose {
bool signal_handlers_wrapped() noexcept { return any_wrapped.load(std::memory_order_relaxed); }
}  // namespace greenring::interpose

extern "C" {

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  struct sigaction mine;
  const struct sigaction* give = act;
  bool wrap = gi::enabled() && wrappable(sig, act);
  if (wrap) {
    mine = *act;
    mine.sa_sigaction = trampoline;
    mine.sa_flags |= SA_SIGINFO;
    give = &mine;
  }
  // Publish the application's handler before the trampoline can run it.
  void* prev_fn = nullptr;
  int prev_flags = 0;
  if (sig > 0 && sig < _NSIG) {
    prev_fn = handlers[sig].fn.load();
    prev_flags = handlers[sig].flags.load();
    if (wrap) {
      handlers[sig].fn.store((act->sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(act->sa_sigaction)
                                                          : reinterpret_cast<void*>(act->sa_handler));
      handlers[sig].flags.store(act->sa_flags);
      any_wrapped.store(true);
    }
  }
  int r = REAL(sigaction)(sig, give, old);
  if (r != 0) return r;
  // What the application sees as the old handler is its own, not ours.
  if (old && old->sa_sigaction == trampoline) {
    if (prev_flags & SA_SIGINFO) {
      old->sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(prev_fn);
    } else {
      old->sa_handler = reinterpret_cast<void (*)(int)>(prev_fn);
    }
    old->sa_flags = prev_flags;
  }
  return r;
}

// glibc's signal() has BSD semantics: SA_RESTART, handler stays installed.
sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction act {}, old {};
  act.sa_handler = handler;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, sig);
  act.sa_flags = SA_RESTART;
  if (sigaction(sig, &act, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}

}  // extern "C"
