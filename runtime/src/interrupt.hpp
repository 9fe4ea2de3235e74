// interrupt: EINTR for green threads. A signal handler that runs while the
// OS thread sleeps in the reactor (so every green thread was blocked)
// interrupts one green thread parked in a call POSIX would interrupt, as
// the kernel would interrupt the blocked thread: the OS thread's main
// context first (CPython handles signals there), else the one parked
// longest. Calls that SA_RESTART restarts are left alone when the handler
// asked for it.
#pragma once

namespace greenring::detail {

struct Op;

enum class Restart {
  never,             // sleep, poll/select/epoll_wait: EINTR even with SA_RESTART
  unless_sa_restart  // read, write, accept, connect, waitpid...: restarted with SA_RESTART
};

// Marks the calling green thread's park, for as long as it lives, as one a
// signal may interrupt. The parking code checks interrupted() on wake-up.
class InterruptibleWait {
 public:
  explicit InterruptibleWait(Restart r) noexcept;
  ~InterruptibleWait();
  InterruptibleWait(const InterruptibleWait&) = delete;
  InterruptibleWait& operator=(const InterruptibleWait&) = delete;

  bool interrupted() const noexcept { return interrupted_; }
  // The ring op the green thread is parked on, if any (cancelled to wake it).
  void set_op(Op* op) noexcept { op_ = op; }

 private:
  friend class Scheduler;
  Restart restart_;
  bool interrupted_ = false;
  Op* op_ = nullptr;
  void* ctx_;
  bool main_;
  InterruptibleWait* prev_ = nullptr;
  InterruptibleWait* next_ = nullptr;
};

// The active InterruptibleWait of the calling green thread, or null.
InterruptibleWait* current_interruptible() noexcept;

// Called from a signal handler (async-signal-safe: it only sets flags):
// a handler ran on this OS thread; restartable = the handler has SA_RESTART.
void signal_delivered(bool restartable) noexcept;
// The reactor, after its wait: did a handler run since the last look?
bool take_signal(bool* restartable) noexcept;

}  // namespace greenring::detail
