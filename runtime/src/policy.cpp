// Policy: fifo, random and pct over Boost.Fiber's intrusive ready queue.
#include "policy.hpp"

#include <algorithm>

#include "scheduler.hpp"

namespace greenring::detail {
namespace {
constexpr int64_t kUnset = INT64_MIN;

bool is_dispatcher(const boost::fibers::context* c) {
  return c->is_context(boost::fibers::type::dispatcher_context);
}
}  // namespace

Policy::Policy(uint64_t stream) : kind_(config().sched), state_(config().seed * 0x9e3779b97f4a7c15ULL + stream) {
  if (kind_ == SchedKind::pct) {
    changes_ = std::min<unsigned>(config().depth > 0 ? config().depth - 1 : 0, 64);
    // PCT places the points uniformly over the run's k steps; k is not known
    // in advance (a test program takes tens of steps, a server millions), so
    // each point first draws a scale 2^4..2^11, then a step within it.
    for (unsigned i = 0; i < changes_; ++i) change_points_[i] = 1 + next() % (uint64_t{16} << (next() % 8));
  }
}

uint64_t Policy::next() noexcept {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int64_t Policy::priority(boost::fibers::context* ctx) {
  auto* p = static_cast<GreenProps*>(ctx->get_properties());
  if (!p) return 0;
  // Initial priorities are above every change-point priority (1..D-1).
  if (p->priority == kUnset) p->priority = 64 + static_cast<int64_t>(next() % 1'000'000'000);
  return p->priority;
}

boost::fibers::context* Policy::pick(boost::fibers::scheduler::ready_queue_type& ready,
                                     boost::fibers::context* leaving) {
  if (++ready.begin() == ready.end()) {
    boost::fibers::context* c = &ready.front();
    ready.pop_front();
    return c;
  }
  if (kind_ == SchedKind::fifo) {
    // Boost queues its dispatcher before every green thread it resumes, so
    // two green threads yielding to each other would pay a third switch per
    // round. The dispatcher has nothing to do while green threads are ready
    // but to move due timers and remote wake-ups over: let it wait its turn
    // for up to 15 picks. The green threads keep their FIFO order.
    boost::fibers::context* c = &ready.front();
    if (is_dispatcher(c) && (++dispatcher_skips_ & 15) != 0) c = &*++ready.begin();
    c->ready_unlink();
    return c;
  }
  ++steps_;
  boost::fibers::context* chosen = nullptr;
  if (kind_ == SchedKind::random) {
    std::size_t n = 0;
    for (auto& c : ready) (void)c, ++n;
    std::size_t k = next() % n;
    for (auto& c : ready)
      if (k-- == 0) {
        chosen = &c;
        break;
      }
  } else {
    // A change point lowers the priority of the green thread that was
    // running at that step.
    for (unsigned i = 0; i < changes_; ++i)
      if (change_points_[i] == steps_ && leaving && !is_dispatcher(leaving)) {
        if (auto* p = static_cast<GreenProps*>(leaving->get_properties())) p->priority = 1 + i;
      }
    // The dispatcher (timers, I/O, wake-ups from other threads) runs when no
    // green thread is ready, and every 64th step so that a green thread that
    // spins on yield cannot starve it.
    int64_t best = INT64_MIN;
    for (auto& c : ready) {
      if (is_dispatcher(&c)) continue;
      int64_t pr = priority(&c);
      if (pr > best) {
        best = pr;
        chosen = &c;
      }
    }
    if (!chosen || steps_ % 64 == 0) {
      for (auto& c : ready)
        if (is_dispatcher(&c)) chosen = &c;
      if (!chosen) chosen = &ready.front();
    }
  }
  chosen->ready_unlink();
  return chosen;
}

bool Policy::latent_yield(boost::fibers::scheduler::ready_queue_type& ready, boost::fibers::context* self) noexcept {
  switch (kind_) {
    case SchedKind::random:
      return next() & 1;
    case SchedKind::pct: {
      // A latent point is also a PCT step: a change point may demote self.
      ++steps_;
      for (unsigned i = 0; i < changes_; ++i)
        if (change_points_[i] == steps_)
          if (auto* p = static_cast<GreenProps*>(self->get_properties())) p->priority = 1 + i;
      int64_t mine = priority(self);
      for (auto& c : ready)
        if (!is_dispatcher(&c) && priority(&c) > mine) return true;
      return false;
    }
    default:
      return false;
  }
}

}  // namespace greenring::detail
