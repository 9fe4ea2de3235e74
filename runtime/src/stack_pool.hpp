// StackPool: green-thread stacks, mapped once and reused. Touching a fresh
// page costs 3-30 µs on the target machines, so stacks go back to a free list
// on exit instead of to the kernel. Stacks get a guard page while the
// process's mapping budget allows (vm.max_map_count caps guarded stacks near
// 32k); beyond it, a canary at the stack's low end catches an overflow when
// the stack is returned. Either way an overflow is reported by name.
#pragma once

#include <boost/context/stack_context.hpp>

#include <cstddef>

namespace greenring::detail {

class StackPool {
 public:
  static boost::context::stack_context allocate(std::size_t size);
  static void deallocate(boost::context::stack_context& sc) noexcept;
  // The default green-thread stack size (GREENRING_STACK_SIZE).
  static std::size_t default_size();
  // Per OS thread: an alternate signal stack so a stack overflow can still be
  // reported; process-wide, once: the SIGSEGV handler that reports it.
  static void prepare_thread();
  // The stack most recently handed out on this OS thread (spawn reads it
  // right after creating a green thread, to know its bounds).
  static boost::context::stack_context last_allocated();
  // Counters for tests and benchmarks.
  static std::size_t mapped_count();
  static std::size_t free_count();
};

// The Boost.Context StackAllocator that hands out pooled stacks.
class PooledStack {
 public:
  explicit PooledStack(std::size_t size = StackPool::default_size()) : size_(size) {}
  boost::context::stack_context allocate() { return StackPool::allocate(size_); }
  void deallocate(boost::context::stack_context& sc) noexcept { StackPool::deallocate(sc); }

 private:
  std::size_t size_;
};

}  // namespace greenring::detail
