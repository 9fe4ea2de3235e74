// Scheduler: FIFO ready queue, the reactor as the idle loop, lazy set-up.
#include "scheduler.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <boost/fiber/operations.hpp>

#include "config.hpp"
#include "hook_support.hpp"
#include "recorder.hpp"
#include "stack_pool.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {
GREENRING_TLS Scheduler* tls_scheduler = nullptr;
GREENRING_TLS void* tls_call_site = nullptr;
// The context pick_next chose, which Boost then resumes; null after a pick
// that found nothing (Boost resumes its dispatcher then) or before the first.
GREENRING_TLS boost::fibers::context* tls_running = nullptr;
std::atomic<bool> deadlock_report{false};

struct EhGlobals {  // libstdc++'s per-thread exception bookkeeping
  void* caught;
  unsigned uncaught;
};
// Its address is fixed per OS thread: ask libstdc++ (a __tls_get_addr) once.
GREENRING_TLS EhGlobals* tls_eh_globals = nullptr;
EhGlobals* eh_globals() noexcept {
  EhGlobals* g = tls_eh_globals;
  if (!g) g = tls_eh_globals = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  return g;
}
}  // namespace

namespace {
void child_after_fork() {
  if (tls_scheduler) tls_scheduler->reactor().rebuild_after_fork();
}
}  // namespace

namespace {
// Schedulers are numbered in creation order: the policy's random stream
// must not depend on anything that differs between runs (such as a TID).
std::atomic<uint64_t> schedulers_made{0};
}  // namespace

Scheduler::Scheduler() : policy_(schedulers_made.fetch_add(1)), reactor_(*this) {
  tls_scheduler = this;
  StackPool::prepare_thread();
  Recorder::start();
  Watchdog::start();
  if (Watchdog::enabled()) {
    heartbeat_.tid = sys::gettid();
    heartbeat_.since_ns = Watchdog::now_ns();
    Watchdog::add(&heartbeat_);
  }
  static std::atomic<bool> fork_handler{false};
  if (!fork_handler.exchange(true)) pthread_atfork(nullptr, nullptr, child_after_fork);
}

Scheduler::~Scheduler() {
  // The thread's main context (and its props) outlive the algorithm.
  for (GreenProps* p = live_; p; p = p->next) p->owner = nullptr;
  if (Watchdog::enabled()) Watchdog::remove(&heartbeat_);
  tls_scheduler = nullptr;  // before the block caches go: frees from now on go to the heap
  tls_running = nullptr;
}

GreenProps::GreenProps(boost::fibers::context* ctx, Scheduler* s) : fiber_properties(ctx), owner(s) {
  owner->link(this);
}

GreenProps::GreenProps(boost::fibers::context* ctx) : GreenProps(ctx, &Scheduler::current()) {}

GreenProps::~GreenProps() {
  if (owner) owner->unlink(this);
}

boost::fibers::fiber_properties* Scheduler::new_properties(boost::fibers::context* ctx) {
  newest_props_ = new GreenProps(ctx, this);
  return newest_props_;
}

void* GreenProps::operator new(std::size_t size) {
  if (tls_scheduler)
    if (void* p = tls_scheduler->props_blocks().take()) return p;
  return ::operator new(size);
}

void GreenProps::operator delete(void* p) noexcept {
  // A context may end after its thread's scheduler (the main context does).
  if (tls_scheduler && tls_scheduler->props_blocks().give(p)) return;
  ::operator delete(p);
}

void Scheduler::link(GreenProps* p) noexcept {
  p->next = live_;
  if (live_) live_->prev = p;
  live_ = p;
}

void Scheduler::unlink(GreenProps* p) noexcept {
  if (p->prev) {
    p->prev->next = p->next;
  } else if (live_ == p) {
    live_ = p->next;
  }
  if (p->next) p->next->prev = p->prev;
  p->prev = p->next = nullptr;
}

void Scheduler::enable_deadlock_report() noexcept { deadlock_report.store(true); }

void Scheduler::report_deadlock_if_stuck() noexcept {
  if (!deadlock_report.load(std::memory_order_relaxed) || reactor_.inflight() != 0 || offloads_ != 0) return;
  unsigned n = 0;
  for (GreenProps* p = live_; p; p = p->next) {
    if (p->context()->is_context(boost::fibers::type::dispatcher_context)) continue;
    if (!p->waiting.what) return;  // parked some other way: not provably stuck
    ++n;
  }
  if (n == 0) return;
  char line[512];
  snprintf(line, sizeof line, "greenring: deadlock: all %u green threads are blocked", n);
  sys::say_line(line);
  for (GreenProps* p = live_; p; p = p->next) {
    if (p->context()->is_context(boost::fibers::type::dispatcher_context)) continue;
    char where[512] = "";
    if (p->waiting.site) {
      char site[480];
      format_site(p->waiting.site, site, sizeof site);
      snprintf(where, sizeof where, " at %s", site);
    }
    char who[64];
    if (p->name && *p->name) {
      snprintf(who, sizeof who, "\"%s\"", p->name);
    } else if (p->id == 0) {
      snprintf(who, sizeof who, "main");
    } else {
      snprintf(who, sizeof who, "green thread %llu", static_cast<unsigned long long>(p->id));
    }
    snprintf(line, sizeof line, "  %s waits on %s %p%s", who, p->waiting.what, p->waiting.addr, where);
    sys::say_line(line);
  }
  Recorder::flush();
  abort();
}

void Scheduler::add_interruptible(InterruptibleWait* w) noexcept {
  w->prev_ = interruptible_tail_;
  w->next_ = nullptr;
  if (interruptible_tail_) {
    interruptible_tail_->next_ = w;
  } else {
    interruptible_ = w;
  }
  interruptible_tail_ = w;
}

void Scheduler::remove_interruptible(InterruptibleWait* w) noexcept {
  if (w->prev_) {
    w->prev_->next_ = w->next_;
  } else {
    interruptible_ = w->next_;
  }
  if (w->next_) {
    w->next_->prev_ = w->prev_;
  } else {
    interruptible_tail_ = w->prev_;
  }
  w->prev_ = w->next_ = nullptr;
}

void Scheduler::interrupt_one(bool restartable) noexcept {
  InterruptibleWait* pick = nullptr;
  for (InterruptibleWait* w = interruptible_; w; w = w->next_) {
    if (w->interrupted_ || (restartable && w->restart_ == Restart::unless_sa_restart)) continue;
    if (w->main_) {
      pick = w;
      break;
    }
    if (!pick) pick = w;
  }
  if (!pick) return;
  pick->interrupted_ = true;
  if (pick->op_ && !pick->op_->done) {
    reactor_.cancel_op(*pick->op_);  // its completion (-ECANCELED) wakes it
  } else {
    auto* ctx = static_cast<boost::fibers::context*>(pick->ctx_);
    if (!ctx->ready_is_linked()) ctx->get_scheduler()->schedule(ctx);
  }
}

void Scheduler::awakened(boost::fibers::context* ctx, GreenProps&) noexcept {
  ctx->ready_link(ready_);
}

void Scheduler::check_signals() noexcept {
  bool restartable;
  if (take_signal(&restartable)) interrupt_one(restartable);
}

boost::fibers::context* Scheduler::pick_next() noexcept {
  check_signals();
  // The dispatcher's turn while green threads are ready (it waits in
  // suspend_until only when none is): take in finished I/O here too, or a
  // green thread that only yields would starve every green thread whose
  // completion the kernel holds for this thread (DEFER_TASKRUN).
  if (tls_running && tls_running->is_context(boost::fibers::type::dispatcher_context)) reactor_.poll();
  if (ready_.empty()) {
    tls_running = nullptr;  // Boost resumes the dispatcher, which we do not know
    return nullptr;
  }
  // Who is leaving matters only to pct, traces and the watchdog; asking
  // Boost costs a __tls_get_addr, so the plain fifo path does not.
  bool observed = policy_.kind() == SchedKind::pct || Recorder::enabled() || Watchdog::enabled();
  boost::fibers::context* leaving = observed ? running_context() : nullptr;
  boost::fibers::context* next = policy_.pick(ready_, leaving);  // the one place that decides
  if (Recorder::enabled()) Recorder::on_switch(leaving, next);
  tls_running = next;
  if (Watchdog::enabled() && next != leaving) {
    auto* p = static_cast<GreenProps*>(next->get_properties());
    bool idle = next->is_context(boost::fibers::type::dispatcher_context);
    heartbeat_.since_ns.store(Watchdog::now_ns(), std::memory_order_relaxed);
    heartbeat_.name.store(p ? p->name : nullptr, std::memory_order_relaxed);
    heartbeat_.running.store(idle ? 0 : (p ? p->id + 1 : 1), std::memory_order_relaxed);
    heartbeat_.switches.fetch_add(1, std::memory_order_relaxed);
  }
  return next;
}

void Scheduler::latent_point(const YieldInfo& why) noexcept {
  if (!policy_.latent_yield(ready_, running_context())) return;
  note_yield(why);
  SwitchGuard keep;
  running_context()->yield();
}

bool Scheduler::has_ready_fibers() const noexcept { return !ready_.empty(); }

bool Scheduler::others_ready() const noexcept {
  for (const auto& ctx : ready_)
    if (!ctx.is_context(boost::fibers::type::dispatcher_context)) return true;
  return false;
}

void Scheduler::suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept {
  if (tp == std::chrono::steady_clock::time_point::max()) report_deadlock_if_stuck();
  reactor_.wait(tp);
}

void Scheduler::notify() noexcept { reactor_.notify(); }

Scheduler& Scheduler::current() {
  if (!tls_scheduler) {
    boost::fibers::use_scheduling_algorithm<Scheduler>();
    // The OS thread's own context gets props now (Boost makes them only when
    // a context is first made ready), so it has a wait reason and is listed.
    boost::fibers::context* main = boost::fibers::context::active();
    tls_running = main;
    if (!main->get_properties()) main->set_properties(new GreenProps(main, tls_scheduler));
    if (Recorder::enabled()) Recorder::started_running(main);
  }
  return *tls_scheduler;
}

Scheduler* Scheduler::current_if_any() noexcept { return tls_scheduler; }

boost::fibers::context* running_context() noexcept {
  boost::fibers::context* ctx = tls_running;
#ifndef NDEBUG
  // Every switch goes through pick_next; a debug build checks that claim.
  if (ctx && ctx != boost::fibers::context::active())
    sys::die_line("greenring: internal error: the running context is not the one pick_next chose");
#endif
  return ctx ? ctx : boost::fibers::context::active();
}

GreenProps* current_props() noexcept {
  if (!tls_scheduler) return nullptr;
  return static_cast<GreenProps*>(running_context()->get_properties());
}

void note_wait(WaitReason why) noexcept {
  if (GreenProps* p = current_props()) {
    if (why.what && !why.site) why.site = tls_call_site;
    p->waiting = why;
  }
}

void* call_site() noexcept { return tls_call_site; }
CallSite::CallSite(void* site) noexcept : saved_(tls_call_site) { tls_call_site = site; }
CallSite::~CallSite() { tls_call_site = saved_; }

SwitchGuard::SwitchGuard() noexcept : errno_(errno), site_(tls_call_site) {
  tls_call_site = nullptr;  // the next green thread brings its own
  EhGlobals* g = eh_globals();
  caught_ = g->caught;
  uncaught_ = g->uncaught;
}

SwitchGuard::~SwitchGuard() {
  EhGlobals* g = eh_globals();
  g->caught = caught_;
  g->uncaught = uncaught_;
  tls_call_site = site_;
  errno = errno_;
}

void reset_thread_state() noexcept {
  EhGlobals* g = eh_globals();
  g->caught = nullptr;
  g->uncaught = 0;
  tls_call_site = nullptr;
  errno = 0;
}

namespace {
void check_no_scope() noexcept {
  if (runtime_depth() != 0) sys::die_line("greenring: internal error: a green thread parked inside a RuntimeScope");
}
}  // namespace

std::atomic<int> open_scopes{0};

void note_yield(YieldInfo why) noexcept {
  // Nobody looks at why a green thread yields unless a trace, the stats, a
  // no-yield scope or --strict is on: then skip the bookkeeping.
  static const bool strict = config().strict;
  if (open_scopes == 0 && !Recorder::enabled() && !strict) return;
  GreenProps* p = current_props();
  if (!p) return;
  if (!why.site) why.site = tls_call_site;
  p->yield = why;
  if (p->no_yield_depth == 0 && !strict) return;
  char what[128], site[512], msg[900];
  format_yield(why, what, sizeof what);
  format_site(why.site, site, sizeof site);
  if (p->no_yield_depth > 0) {
    snprintf(msg, sizeof msg,
             "greenring: %s at %s yields inside a no-yield scope opened at %s:%d (%s): another green thread "
             "can run in the middle of code that was meant to be atomic",
             what, site, p->scope_file, p->scope_line, p->scope_func);
  } else {
    snprintf(msg, sizeof msg,
             "greenring: %s at %s yields, and GREENRING_STRICT=1 (--strict) makes every yield an error", what, site);
  }
  sys::say_line(msg);
  Recorder::flush();
  abort();
}

void park(const YieldInfo& why) noexcept {
  check_no_scope();
  note_yield(why);
  SwitchGuard keep;
  running_context()->suspend();
}

void yield_here(const YieldInfo& why) noexcept {
  check_no_scope();
  note_yield(why);
  SwitchGuard keep;
  running_context()->yield();
}

bool park_until(std::chrono::steady_clock::time_point tp, const YieldInfo& why) noexcept {
  check_no_scope();
  note_yield(why);
  SwitchGuard keep;
  return running_context()->wait_until(tp);
}

}  // namespace greenring::detail
