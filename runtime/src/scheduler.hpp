// Scheduler: the Boost.Fiber algorithm of one OS thread. It keeps the ready
// queue, picks the next green thread (the one place a scheduling policy
// decides), and when nothing is ready lets the Reactor sleep the thread until
// the next timer or completion. Created lazily by Scheduler::current().
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/properties.hpp>
#include <boost/fiber/scheduler.hpp>

#include <chrono>
#include <cstdint>

#include "block_cache.hpp"
#include "interrupt.hpp"
#include "policy.hpp"
#include "watchdog.hpp"
#include "yield_info.hpp"
#include "reactor.hpp"

namespace greenring::detail {

class Scheduler;

// What a parked green thread waits on, and from where, for the deadlock
// report and traces.
struct WaitReason {
  const char* what = nullptr;  // "mutex", "cond", "join"...
  const void* addr = nullptr;
  void* site = nullptr;  // the application's call site, when a hook saw it
};

// What the runtime knows of each green thread (and of the thread's main and
// dispatcher contexts, which get one too).
struct GreenProps : boost::fibers::fiber_properties {
  GreenProps(boost::fibers::context* ctx, Scheduler* owner);
  explicit GreenProps(boost::fibers::context* ctx);  // Boost.Fiber's default factory shape
  ~GreenProps() override;
  // From the owning thread's BlockCache (Boost deletes props with ~context).
  static void* operator new(std::size_t size);
  static void operator delete(void* p) noexcept;
  boost::fibers::context* context() const noexcept { return ctx_; }
  uint64_t id = 0;         // 0: an OS thread's main context or the dispatcher
  void* pthread = nullptr;  // the green pthread record, in threads mode green
  const char* name = nullptr;  // set by pthread_setname_np (owned by the record)
  WaitReason waiting;      // what it is parked on in the parking lot, if anything
  InterruptibleWait* interruptible = nullptr;  // set while parked in an interruptible call
  YieldInfo yield;            // why it last gave up the OS thread
  double run_start = -1;      // Recorder: when its current run interval began
  int64_t priority = INT64_MIN;  // Policy pct: unset until first seen
  bool exited = false;        // its start routine has returned (it is ending)
  int no_yield_depth = 0;     // open no-yield scopes
  const char* scope_file = nullptr;  // where the outermost one was opened
  int scope_line = 0;
  const char* scope_func = nullptr;
  Scheduler* owner;
  GreenProps* prev = nullptr;  // the scheduler's list of live contexts
  GreenProps* next = nullptr;
};

class Scheduler final : public boost::fibers::algo::algorithm_with_properties<GreenProps> {
 public:
  Scheduler();
  ~Scheduler() override;

  void awakened(boost::fibers::context* ctx, GreenProps& props) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept override;
  void notify() noexcept override;
  boost::fibers::fiber_properties* new_properties(boost::fibers::context* ctx) override;

  Reactor& reactor() noexcept { return reactor_; }
  // Recycled memory for GreenProps, join states and small tasks
  // (green_thread.cpp).
  BlockCache& props_blocks() noexcept { return props_blocks_; }
  BlockCache& state_blocks() noexcept { return state_blocks_; }
  BlockCache& task_blocks() noexcept { return task_blocks_; }
  // The props new_properties made last: a new fiber's, right after its
  // construction made it ready.
  GreenProps* newest_props() const noexcept { return newest_props_; }
  // A green thread other than the caller is ready to run (the dispatcher,
  // always queued while a green thread runs, does not count).
  bool others_ready() const noexcept;

  // This OS thread's scheduler, installed on first use.
  static Scheduler& current();
  // Null when this OS thread has not used the runtime yet.
  static Scheduler* current_if_any() noexcept;

  // Green threads parked on an offload job: a wake-up will come.
  void offload_started() noexcept { ++offloads_; }
  void offload_ended() noexcept { --offloads_; }

  void link(GreenProps* p) noexcept;
  void unlink(GreenProps* p) noexcept;

  // Threads mode green: every application thread is a green thread of this
  // one OS thread, so when all are parked on locks/joins and no I/O, timer
  // or offload job is pending, nothing can ever wake them: report and abort.
  static void enable_deadlock_report() noexcept;

  // Signals (see interrupt.hpp): the reactor calls this when a handler ran
  // while it slept.
  void interrupt_one(bool restartable) noexcept;
  // A call completed without blocking. Under random and pct the policy may
  // switch here anyway, so that latent yield points get exercised.
  void latent_point(const YieldInfo& why) noexcept;
  Policy& policy() noexcept { return policy_; }

  // At every switch: a handler that ran since the last look interrupts one
  // parked green thread (the main context first), as Linux would have
  // interrupted the blocked main thread.
  void check_signals() noexcept;
  void add_interruptible(InterruptibleWait* w) noexcept;
  void remove_interruptible(InterruptibleWait* w) noexcept;

 private:
  void report_deadlock_if_stuck() noexcept;

  BlockCache props_blocks_;
  GreenProps* newest_props_ = nullptr;
  BlockCache state_blocks_;
  BlockCache task_blocks_;
  boost::fibers::scheduler::ready_queue_type ready_;
  Policy policy_;
  Heartbeat heartbeat_;
  Reactor reactor_;
  unsigned offloads_ = 0;
  GreenProps* live_ = nullptr;
  InterruptibleWait* interruptible_ = nullptr;  // oldest first
  InterruptibleWait* interruptible_tail_ = nullptr;
};

// Records what the calling green thread is about to wait on (or, with {},
// that it no longer waits).
void note_wait(WaitReason why) noexcept;

// The application's call site of the hook being run, set by the hook (a
// CallSite) so that reports can name it. Cleared when the hook returns.
void* call_site() noexcept;
class CallSite {
 public:
  explicit CallSite(void* site) noexcept;
  ~CallSite();
  CallSite(const CallSite&) = delete;
  CallSite& operator=(const CallSite&) = delete;

 private:
  void* saved_;
};

// The context running on this OS thread: Boost's context::active(), without
// its __tls_get_addr when pick_next has recorded it (the common case).
boost::fibers::context* running_context() noexcept;

// The props of the running context, or null before the runtime is used here.
GreenProps* current_props() noexcept;

// Parks the calling green thread until something schedules it again. Keeps
// the per-OS-thread state that green threads must not share across a switch
// (errno, the C++ exception globals) with the green thread that owns it,
// and records why it yielded (`why`).
void park(const YieldInfo& why) noexcept;
// Gives the other ready green threads their turn, then continues: a call
// that did its work at once but is a yield point all the same.
void yield_here(const YieldInfo& why) noexcept;
// The same as park, but the green thread also wakes when `tp` passes (Boost.Fiber's
// sleep queue, so no kernel timer per sleeper). True if woken before tp.
bool park_until(std::chrono::steady_clock::time_point tp, const YieldInfo& why) noexcept;

// Records why the calling green thread is about to yield; a yield inside a
// no-yield scope (or any yield under GREENRING_STRICT=1) stops the program
// here with both places named.
void note_yield(YieldInfo why) noexcept;
// No-yield scopes open in the whole process (no_yield.cpp keeps it).
extern std::atomic<int> open_scopes;

// Saves errno and the C++ exception state on construction and puts them back
// on destruction: wrap every switch away from a green thread in one.
class SwitchGuard {
 public:
  SwitchGuard() noexcept;
  ~SwitchGuard();
  SwitchGuard(const SwitchGuard&) = delete;
  SwitchGuard& operator=(const SwitchGuard&) = delete;

 private:
  int errno_;
  void* site_;
  void* caught_;
  unsigned uncaught_;
};

// A fresh green thread starts with no errno and no exception in flight.
void reset_thread_state() noexcept;

}  // namespace greenring::detail
