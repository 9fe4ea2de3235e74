// Policy: the choice of the next green thread, the one place it is made.
// fifo (eventlet's order); random (a seeded choice among the ready, plus
// seeded extra yields at calls that completed without blocking, so latent
// yield points are exercised); pct (probabilistic concurrency testing,
// Burckhardt et al. ASPLOS'10: random distinct priorities, D-1 priority
// change points; the highest-priority ready green thread runs).
#pragma once

#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>

#include <cstdint>

#include "config.hpp"

namespace greenring::detail {

struct GreenProps;

class Policy {
 public:
  explicit Policy(uint64_t stream);
  SchedKind kind() const noexcept { return kind_; }

  // Takes the next context off `ready` (non-empty). `leaving` is the context
  // that is giving up the thread.
  boost::fibers::context* pick(boost::fibers::scheduler::ready_queue_type& ready, boost::fibers::context* leaving);
  // A call completed without blocking: should the green thread (`self`)
  // yield anyway? random: a coin flip; pct: only if a ready green thread
  // has a higher priority (else pct would degenerate to round-robin).
  bool latent_yield(boost::fibers::scheduler::ready_queue_type& ready, boost::fibers::context* self) noexcept;

 private:
  uint64_t next() noexcept;  // splitmix64
  int64_t priority(boost::fibers::context* ctx);

  SchedKind kind_;
  uint64_t state_;
  uint64_t steps_ = 0;
  uint64_t dispatcher_skips_ = 0;
  uint64_t change_points_[64] = {};
  unsigned changes_ = 0;
};

}  // namespace greenring::detail
