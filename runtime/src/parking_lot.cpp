// ParkingLot: 256 hashed buckets of FIFO waiter lists; each waiter record
// lives on the parked green thread's stack.
#include "parking_lot.hpp"

#include <boost/fiber/context.hpp>
#include <boost/fiber/detail/spinlock.hpp>
#include <boost/fiber/waker.hpp>

#include <cstdint>
#include <mutex>

#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {

struct Waiter {
  const void* addr;
  boost::fibers::waker waker;
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool woken = false;
};

struct alignas(64) Bucket {
  sys::Mutex mu;
  Waiter* head = nullptr;
  Waiter* tail = nullptr;

  void push(Waiter* w) {
    w->prev = tail;
    w->next = nullptr;
    if (tail) {
      tail->next = w;
    } else {
      head = w;
    }
    tail = w;
  }
  void remove(Waiter* w) {
    if (w->prev) {
      w->prev->next = w->next;
    } else {
      head = w->next;
    }
    if (w->next) {
      w->next->prev = w->prev;
    } else {
      tail = w->prev;
    }
    w->prev = w->next = nullptr;
  }
};

constexpr std::size_t kBuckets = 256;
Bucket buckets[kBuckets];

Bucket& bucket_of(const void* addr) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  return buckets[((a >> 3) ^ (a >> 12)) % kBuckets];
}

// Takes up to `limit` waiters of addr off the bucket, then wakes them
// outside the lock (a wake may switch schedulers' queues).
std::size_t unpark(const void* addr, std::size_t limit) {
  Bucket& b = bucket_of(addr);
  Waiter* woken[16];
  std::size_t n = 0, total = 0;
  for (;;) {
    {
      sys::LockGuard lock(b.mu);
      for (Waiter* w = b.head; w && n < 16 && total + n < limit;) {
        Waiter* next = w->next;
        if (w->addr == addr) {
          b.remove(w);
          w->woken = true;
          woken[n++] = w;
        }
        w = next;
      }
    }
    // A woken waiter may resume (on its own OS thread) as soon as the waker
    // fires, so copy what wake() needs before waking.
    for (std::size_t i = 0; i < n; ++i) {
      boost::fibers::waker k = woken[i]->waker;
      k.wake();
    }
    total += n;
    if (n < 16 || total >= limit) return total;
    n = 0;
  }
}

}  // namespace

Parked park_on(const void* addr, ValidateRef validate, std::chrono::steady_clock::time_point deadline,
               WaitReason why) {
  Scheduler::current();
  boost::fibers::context* self = running_context();
  Bucket& b = bucket_of(addr);
  Waiter w{addr, {}};
  {
    sys::LockGuard lock(b.mu);
    if (!validate()) return Parked::invalid;
    w.waker = self->create_waker();
    b.push(&w);
  }
  note_wait(why);
  YieldInfo yi{why.what, YieldInfo::addr, reinterpret_cast<long long>(why.addr), nullptr};
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    park(yi);
  } else {
    note_yield(yi);
    boost::fibers::detail::spinlock unused;
    std::unique_lock<boost::fibers::detail::spinlock> lk(unused);
    SwitchGuard keep;
    boost::fibers::waker mine = w.waker;  // the same epoch as the queued one
    self->wait_until(deadline, lk, std::move(mine));
  }
  note_wait({});
  sys::LockGuard lock(b.mu);
  if (w.woken) return Parked::woken;
  b.remove(&w);
  return Parked::timed_out;
}

bool unpark_one(const void* addr) { return unpark(addr, 1) == 1; }
std::size_t unpark_all(const void* addr) { return unpark(addr, ~std::size_t{0}); }

}  // namespace greenring::detail
