// Reactor: the I/O driver of one OS thread's scheduler. Owns the io_uring,
// turns completions into wake-ups of parked green threads, sleeps the thread
// until the next timer when nothing is ready, and can be woken from other
// OS threads through a doorbell the ring keeps waiting on: a futex word
// (Linux 6.7+, no fd at all) or, on older kernels, an eventfd.
#pragma once

#include <liburing.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include <greenring/io.hpp>

namespace boost::fibers {
class context;
}

namespace greenring::detail {

// Opcodes newer than liburing 2.3's header (Linux 6.7).
constexpr uint8_t kOpWaitid = 50, kOpFutexWait = 51;

// Prepares an IORING_OP_FUTEX_WAIT (Linux 6.7) on a 32-bit word: it
// completes when the word is woken, or at once (EAGAIN) if it no longer
// holds `expected`. A private wait matches FUTEX_WAKE_PRIVATE.
void prep_futex_wait(io_uring_sqe* s, const void* addr, uint32_t expected, bool shared);

class Scheduler;

// One operation in flight. It lives on the stack of the green thread that
// waits for it, which stays parked until the operation's completion has
// arrived — also after a timeout or a cancel — so the kernel never writes
// into a stack frame that is gone.
struct Op {
  boost::fibers::context* waiter = nullptr;  // set only while parked
  int32_t res = 0;
  uint32_t cqe_flags = 0;
  bool done = false;
  bool parked = false;     // the caller had to wait for the completion
  bool fd_closed = false;  // the application closed fd under this op
  int fd = -1;
  Op* prev = nullptr;  // in-flight list, for cancel_fd and diagnostics
  Op* next = nullptr;
};

class Reactor {
 public:
  explicit Reactor(Scheduler& sched);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // A free submission slot; submits what is queued when the ring is full.
  // `count` slots are guaranteed to be contiguous (for linked timeouts).
  io_uring_sqe* sqe(unsigned count = 1);

  // Submits the prepared `sqe` (user_data is set here) and parks the calling
  // green thread until its completion. With a deadline, a linked timeout
  // cancels the op when it passes. Returns the raw CQE result (>= 0 or
  // -errno), translated: a deadline expiry becomes -dl.timeout_errno() and an
  // op whose fd the application closed becomes -EBADF.
  int32_t run(Op& op, io_uring_sqe* sqe, const io::deadline& dl);

  // The pieces run() is made of, for callers that wait on several ops at
  // once (poll): start tracks an op whose SQE is prepared, flush submits and
  // reaps without parking, finish untracks a completed op.
  void start(Op& op, io_uring_sqe* sqe);
  void flush();
  void finish(Op& op);

  // Scheduler side: submit, then wait for completions until `until`.
  void wait(std::chrono::steady_clock::time_point until);
  // Scheduler side, while green threads are ready: submit what is queued and
  // take in what completed, without waiting — and without a system call
  // when the kernel has nothing for us.
  void poll();
  // Any thread: makes a concurrent or later wait() return promptly.
  void notify();

  // Cancels every op in flight on fd and returns once their completions have
  // been reaped; the waiting green threads see EBADF. Called before close().
  void cancel_fd(int fd);
  // The same for every fd in [first, last] (close_range).
  void cancel_fds(unsigned first, unsigned last);
  // Asks the kernel to cancel one op (its completion still arrives).
  void cancel_op(Op& op);

  unsigned inflight() const { return inflight_count_; }
  // The kernel has this opcode (IORING_REGISTER_PROBE at set-up; ops < 64).
  bool supports(uint8_t opcode) const { return opcode < 64 && (ops_ >> opcode) & 1; }

  // In a forked child: the parent's ring is not mapped here (dontfork) and
  // an eventfd doorbell is shared with the parent; build fresh ones. Operations that
  // were in flight belong to the parent and never complete here.
  void rebuild_after_fork();

 private:
  void submit();
  void reap();
  static void wake(Op& op);
  void arm_doorbell();
  void open_eventfd();
  void setup();

  Scheduler& sched_;
  io_uring ring_{};
  // The doorbell: bell_ is 1 once rung since the ring last armed its wait,
  // so one system call per sleep wakes it. The ring waits on bell_ itself
  // (IORING_OP_FUTEX_WAIT) when the kernel has that op; otherwise it reads
  // event_fd_, an eventfd that notify() writes.
  std::atomic<uint32_t> bell_{0};
  int event_fd_ = -1;
  uint64_t event_buf_ = 0;
  bool bell_armed_ = false;
  uint64_t ops_ = 0;  // one bit per supported opcode
  bool taskrun_flag_ = false;  // the kernel flags deferred completions (IORING_SQ_TASKRUN)
  // A cross-thread wake-up was taken in since the dispatcher last slept. Its
  // context sits in Boost's remote queue, which the dispatcher drains only at
  // the top of its loop: the next wait() must not sleep before that.
  bool woken_ = false;
  Op inflight_head_;  // sentinel of a circular list
  unsigned inflight_count_ = 0;
};

}  // namespace greenring::detail
