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

#include "reactor.hpp"

namespace greenring::detail {

// What the runtime knows of each green thread (and of the thread's main and
// dispatcher contexts, which get one too).
struct GreenProps : boost::fibers::fiber_properties {
  explicit GreenProps(boost::fibers::context* ctx) : fiber_properties(ctx) {}
  uint64_t id = 0;  // 0: an OS thread's main context or the dispatcher
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

  Reactor& reactor() noexcept { return reactor_; }
  // A green thread other than the caller is ready to run (the dispatcher,
  // always queued while a green thread runs, does not count).
  bool others_ready() const noexcept;

  // This OS thread's scheduler, installed on first use.
  static Scheduler& current();
  // Null when this OS thread has not used the runtime yet.
  static Scheduler* current_if_any() noexcept;

 private:
  boost::fibers::scheduler::ready_queue_type ready_;
  Reactor reactor_;
};

// Parks the calling green thread until something schedules it again. Keeps
// the per-OS-thread state that green threads must not share across a switch
// (errno, the C++ exception globals) with the green thread that owns it.
void park() noexcept;
// The same, but the green thread also wakes when `tp` passes (Boost.Fiber's
// sleep queue, so no kernel timer per sleeper). True if woken before tp.
bool park_until(std::chrono::steady_clock::time_point tp) noexcept;

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
  void* caught_;
  unsigned uncaught_;
};

// A fresh green thread starts with no errno and no exception in flight.
void reset_thread_state() noexcept;

}  // namespace greenring::detail
