// greenring: green threads (Boost.Fiber fibers) whose blocking calls park on an
// io_uring reactor instead of blocking the OS thread. This header is the whole
// C++ API: spawn/join, yield and sleep, offload to OS threads, and io::.
#pragma once

#include <greenring/io.hpp>
#include <greenring/no_yield.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <new>
#include <type_traits>
#include <utility>

namespace greenring {

using clock = std::chrono::steady_clock;

namespace detail {
// A type-erased unit of work: spawn and offload hand these to the runtime so
// that the public header needs neither Boost nor liburing.
struct task {
  virtual ~task() = default;
  virtual void run() = 0;
  // Small tasks are recycled by the spawning OS thread's scheduler rather
  // than returned to malloc: one less malloc/free pair per spawn.
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;
  static void* operator new(std::size_t size, std::align_val_t al) { return ::operator new(size, al); }
  static void operator delete(void* p, std::size_t, std::align_val_t al) noexcept { ::operator delete(p, al); }
};
template <class F>
struct task_of final : task {
  explicit task_of(F&& f) : fn(std::forward<F>(f)) {}
  void run() override { fn(); }
  std::decay_t<F> fn;
};
struct green_thread_state;
green_thread_state* spawn_task(std::unique_ptr<task> t, std::size_t stack_size = 0);
void offload_task(task& t);
}  // namespace detail

// A handle to one green thread, like std::thread. Destroying a joinable handle
// detaches the green thread (eventlet's spawn_n, Go's go statement) rather
// than terminating the program.
class green_thread {
 public:
  using id = std::uint64_t;

  green_thread() noexcept = default;
  green_thread(green_thread&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  green_thread& operator=(green_thread&& o) noexcept;
  green_thread(const green_thread&) = delete;
  green_thread& operator=(const green_thread&) = delete;
  ~green_thread();

  // Waits for the green thread to finish; callable from a green thread or a
  // plain OS thread (including another OS thread than the one it runs on).
  void join();
  void detach();
  bool joinable() const noexcept { return s_ != nullptr; }
  id get_id() const noexcept;

 private:
  template <class F>
  friend green_thread spawn(F&&);
  explicit green_thread(detail::green_thread_state* s) noexcept : s_(s) {}
  detail::green_thread_state* s_ = nullptr;
};

// Starts f as a green thread on the calling OS thread's scheduler (created on
// first use). It first runs when the caller yields or blocks.
template <class F>
green_thread spawn(F&& f) {
  return green_thread(detail::spawn_task(std::make_unique<detail::task_of<F>>(std::forward<F>(f))));
}

// Lets every other ready green thread of this OS thread run once.
void yield();
void sleep_for(std::chrono::nanoseconds d);
void sleep_until(clock::time_point tp);
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
  sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
}

namespace this_green_thread {
// 0 for the OS thread's own (main) context, else the id spawn gave.
green_thread::id get_id() noexcept;
}  // namespace this_green_thread

// eventlet's tpool.execute: runs f on a runtime-internal OS thread while the
// calling green thread is parked; other green threads keep running. Returns
// f's result; an exception thrown by f is rethrown here.
template <class F>
auto offload(F&& f) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  struct job final : detail::task {
    explicit job(F& fn) : fn(fn) {}
    void run() override {
      try {
        if constexpr (std::is_void_v<R>) {
          fn();
        } else {
          result.emplace(fn());
        }
      } catch (...) {
        error = std::current_exception();
      }
    }
    F& fn;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
    std::exception_ptr error;
  } j(f);
  detail::offload_task(j);
  if (j.error) std::rethrow_exception(j.error);
  if constexpr (!std::is_void_v<R>) return std::move(*j.result);
}

}  // namespace greenring
