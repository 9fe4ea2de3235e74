// green_thread: spawn, join and detach over Boost.Fiber fibers with pooled
// stacks; yield and sleep as switches that keep per-thread state apart.
#include <greenring/greenring.hpp>

#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>

#include <atomic>
#include <cstdio>
#include <system_error>
#include <typeinfo>

#include "green_thread_state.hpp"
#include "scheduler.hpp"
#include "stack_pool.hpp"
#include "sys.hpp"

namespace greenring {
namespace detail {

struct green_thread_state {
  boost::fibers::fiber fiber;
  green_thread::id id = 0;
  GreenProps* props = nullptr;  // lives with the fiber's context, which the handle keeps

  // From the joining thread's BlockCache, like GreenProps.
  static void* operator new(std::size_t size) {
    if (Scheduler* sch = Scheduler::current_if_any())
      if (void* p = sch->state_blocks().take()) return p;
    return ::operator new(size);
  }
  static void operator delete(void* p) noexcept {
    Scheduler* sch = Scheduler::current_if_any();
    if (sch && sch->state_blocks().give(p)) return;
    ::operator delete(p);
  }
};

namespace {
std::atomic<green_thread::id> next_id{1};
// Tasks up to this size share one block size, so one cache serves them all;
// a lambda that captures a few pointers fits.
constexpr std::size_t kSmallTask = 64;
}  // namespace

void* task::operator new(std::size_t size) {
  if (size > kSmallTask) return ::operator new(size);
  if (Scheduler* sch = Scheduler::current_if_any())
    if (void* p = sch->task_blocks().take()) return p;
  return ::operator new(kSmallTask);
}

void task::operator delete(void* p, std::size_t size) noexcept {
  if (size <= kSmallTask) {
    Scheduler* sch = Scheduler::current_if_any();
    if (sch && sch->task_blocks().give(p)) return;
  }
  ::operator delete(p);
}

namespace {

[[noreturn]] void uncaught(green_thread::id id) {
  char msg[512];
  try {
    throw;
  } catch (const std::exception& e) {
    snprintf(msg, sizeof msg, "greenring: green thread %llu ended by an uncaught %s: %s",
             static_cast<unsigned long long>(id), typeid(e).name(), e.what());
  } catch (...) {
    snprintf(msg, sizeof msg, "greenring: green thread %llu ended by an uncaught exception",
             static_cast<unsigned long long>(id));
  }
  sys::say_line(msg);
  std::abort();
}
}  // namespace

green_thread_state* spawn_task(std::unique_ptr<task> t, std::size_t stack_size) {
  Scheduler& sch = Scheduler::current();
  if (stack_size == 0) stack_size = StackPool::default_size();
  auto* s = new green_thread_state;
  s->id = next_id.fetch_add(1, std::memory_order_relaxed);
  s->fiber = boost::fibers::fiber(std::allocator_arg, PooledStack{stack_size},
                                  [work = std::move(t), id = s->id]() mutable {
                                    reset_thread_state();
                                    try {
                                      work->run();
                                      work.reset();
                                    } catch (...) {
                                      uncaught(id);
                                    }
                                    // The last run interval ends in the thread's end.
                                    if (GreenProps* p = current_props()) {
                                      p->yield = YieldInfo{"exit"};
                                      p->exited = true;
                                    }
                                  });
  // Props exist from the fiber's construction (it was made ready, which
  // made them): name it now, so that reports about it are right before it
  // first runs. (fiber::properties<> would cost a dynamic_cast.)
  s->props = sch.newest_props();
#ifndef NDEBUG
  if (s->props != &s->fiber.properties<GreenProps>())
    sys::die_line("greenring: internal error: a new green thread's props were not the newest");
#endif
  s->props->id = s->id;
  return s;
}

void join_state(green_thread_state* s) {
  Scheduler& sch = Scheduler::current();
  if (s->props->exited && s->props->owner == &sch) {
    // Ended on this OS thread: nothing between its end and its termination
    // could switch, so the join will not either, and there is no wait to
    // record (nor a yield for a no-yield scope or --strict to refuse).
    s->fiber.join();
  } else {
    SwitchGuard keep;
    note_wait({"join", s});
    note_yield({"join", YieldInfo::addr, reinterpret_cast<long long>(s), nullptr});
    s->fiber.join();
    note_wait({});
  }
  delete s;
}

void detach_state(green_thread_state* s) {
  s->fiber.detach();
  delete s;
}

green_thread::id state_id(const green_thread_state* s) noexcept { return s->id; }

GreenProps& state_props(green_thread_state* s) { return *s->props; }

}  // namespace detail

green_thread& green_thread::operator=(green_thread&& o) noexcept {
  if (this != &o) {
    if (s_) detach();
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}

green_thread::~green_thread() {
  if (s_) detach();
}

void green_thread::join() {
  if (!s_) throw std::system_error(std::make_error_code(std::errc::invalid_argument), "green_thread::join");
  if (s_->id == this_green_thread::get_id())
    throw std::system_error(std::make_error_code(std::errc::resource_deadlock_would_occur),
                            "green_thread::join");
  detail::join_state(std::exchange(s_, nullptr));
}

void green_thread::detach() {
  if (!s_) throw std::system_error(std::make_error_code(std::errc::invalid_argument), "green_thread::detach");
  detail::detach_state(std::exchange(s_, nullptr));
}

green_thread::id green_thread::get_id() const noexcept { return s_ ? s_->id : 0; }

void yield() {
  detail::Scheduler::current();
  detail::yield_here({"yield", detail::YieldInfo::none, 0, nullptr});
}

namespace {
// `asked` is what the caller asked for, for traces (not what is left after
// the runtime's own set-up on first use).
void sleep_to(clock::time_point tp, std::chrono::nanoseconds asked) {
  detail::Scheduler::current();
  long long ns = asked.count() < 0 ? 0 : asked.count();
  detail::park_until(tp, {"sleep", detail::YieldInfo::ns, ns, nullptr});
}
}  // namespace

void sleep_until(clock::time_point tp) {
  sleep_to(tp, std::chrono::duration_cast<std::chrono::nanoseconds>(tp - clock::now()));
}

void sleep_for(std::chrono::nanoseconds d) { sleep_to(clock::now() + d, d); }

namespace this_green_thread {
green_thread::id get_id() noexcept {
  if (!detail::Scheduler::current_if_any()) return 0;
  auto* p = detail::running_context()->get_properties();
  return p ? static_cast<detail::GreenProps*>(p)->id : 0;
}
}  // namespace this_green_thread

}  // namespace greenring
