// interrupt: the registration of interruptible parks and the signal flag.
#include "interrupt.hpp"

#include <csignal>

#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {
// Set by a handler, read by the reactor on the same OS thread.
GREENRING_TLS volatile sig_atomic_t pending = 0;
GREENRING_TLS volatile sig_atomic_t pending_restartable = 1;
}  // namespace

InterruptibleWait::InterruptibleWait(Restart r) noexcept : restart_(r) {
  Scheduler& s = Scheduler::current();
  GreenProps* p = current_props();
  ctx_ = running_context();
  main_ = !p || p->id == 0;
  if (p) p->interruptible = this;
  s.add_interruptible(this);
}

InterruptibleWait::~InterruptibleWait() {
  if (GreenProps* p = current_props()) p->interruptible = nullptr;
  Scheduler::current().remove_interruptible(this);
}

InterruptibleWait* current_interruptible() noexcept {
  GreenProps* p = current_props();
  return p ? p->interruptible : nullptr;
}

void signal_delivered(bool restartable) noexcept {
  // Linux gives a process-directed signal to the main thread when it can
  // take it. If the OS thread's main context is the one running, it took
  // the signal while running: nothing was blocked, nothing to interrupt.
  if (GreenProps* p = current_props();
      p && p->id == 0 && !p->context()->is_context(boost::fibers::type::dispatcher_context))
    return;
  // Several handlers before the scheduler looks: restart only if all asked.
  if (!pending) pending_restartable = 1;
  if (!restartable) pending_restartable = 0;
  pending = 1;
}

bool take_signal(bool* restartable) noexcept {
  if (!pending) return false;
  *restartable = pending_restartable;
  pending = 0;
  return true;
}

}  // namespace greenring::detail
