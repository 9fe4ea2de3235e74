// Scheduler: FIFO ready queue, the reactor as the idle loop, lazy set-up.
#include "scheduler.hpp"

#include <cxxabi.h>
#include <pthread.h>

#include <atomic>

#include <boost/fiber/operations.hpp>

#include "hook_support.hpp"
#include "stack_pool.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {
thread_local Scheduler* tls_scheduler = nullptr;

struct EhGlobals {  // libstdc++'s per-thread exception bookkeeping
  void* caught;
  unsigned uncaught;
};
EhGlobals* eh_globals() noexcept { return reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals()); }
}  // namespace

namespace {
void child_after_fork() {
  if (tls_scheduler) tls_scheduler->reactor().rebuild_after_fork();
}
}  // namespace

Scheduler::Scheduler() : reactor_(*this) {
  tls_scheduler = this;
  StackPool::prepare_thread();
  static std::atomic<bool> fork_handler{false};
  if (!fork_handler.exchange(true)) pthread_atfork(nullptr, nullptr, child_after_fork);
}

Scheduler::~Scheduler() { tls_scheduler = nullptr; }

void Scheduler::awakened(boost::fibers::context* ctx, GreenProps&) noexcept {
  ctx->ready_link(ready_);
}

boost::fibers::context* Scheduler::pick_next() noexcept {
  // The single place that decides who runs next (FIFO for now).
  if (ready_.empty()) return nullptr;
  boost::fibers::context* ctx = &ready_.front();
  ready_.pop_front();
  return ctx;
}

bool Scheduler::has_ready_fibers() const noexcept { return !ready_.empty(); }

bool Scheduler::others_ready() const noexcept {
  for (const auto& ctx : ready_)
    if (!ctx.is_context(boost::fibers::type::dispatcher_context)) return true;
  return false;
}

void Scheduler::suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept {
  reactor_.wait(tp);
}

void Scheduler::notify() noexcept { reactor_.notify(); }

Scheduler& Scheduler::current() {
  if (!tls_scheduler) boost::fibers::use_scheduling_algorithm<Scheduler>();
  return *tls_scheduler;
}

Scheduler* Scheduler::current_if_any() noexcept { return tls_scheduler; }

SwitchGuard::SwitchGuard() noexcept : errno_(errno) {
  EhGlobals* g = eh_globals();
  caught_ = g->caught;
  uncaught_ = g->uncaught;
}

SwitchGuard::~SwitchGuard() {
  EhGlobals* g = eh_globals();
  g->caught = caught_;
  g->uncaught = uncaught_;
  errno = errno_;
}

void reset_thread_state() noexcept {
  EhGlobals* g = eh_globals();
  g->caught = nullptr;
  g->uncaught = 0;
  errno = 0;
}

namespace {
void check_no_scope() noexcept {
  if (runtime_depth() != 0) sys::die_line("greenring: internal error: a green thread parked inside a RuntimeScope");
}
}  // namespace

void park() noexcept {
  check_no_scope();
  SwitchGuard keep;
  boost::fibers::context::active()->suspend();
}

bool park_until(std::chrono::steady_clock::time_point tp) noexcept {
  check_no_scope();
  SwitchGuard keep;
  return boost::fibers::context::active()->wait_until(tp);
}

}  // namespace greenring::detail
