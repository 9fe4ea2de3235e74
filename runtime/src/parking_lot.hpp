// ParkingLot: a user-space futex table keyed by address. Green sync objects
// (the application's own pthread mutexes, condition variables, semaphores...)
// park the calling green thread on an address after checking, under the
// bucket's lock, that the object still says "wait"; whoever changes the
// object then unparks one or all waiters of that address. Wakers may be on
// any OS thread: a Boost.Fiber waker (epoch-checked) makes a timeout and a
// wake-up that race end in exactly one resumption.
#pragma once

#include <chrono>
#include <cstddef>

#include "scheduler.hpp"

namespace greenring::detail {

enum class Parked { woken, timed_out, invalid };

// A non-owning callable reference (the validate check runs before park_on
// returns, so nothing outlives the call).
class ValidateRef {
 public:
  template <class F>
  ValidateRef(F& f) : obj_(&f), call_([](void* o) { return (*static_cast<F*>(o))(); }) {}  // NOLINT
  bool operator()() const { return call_(obj_); }

 private:
  void* obj_;
  bool (*call_)(void*);
};

// Parks on addr while validate() holds, until unparked or `deadline`
// (steady clock; max() = none) passes. invalid: validate() was false.
Parked park_on(const void* addr, ValidateRef validate, std::chrono::steady_clock::time_point deadline,
               WaitReason why);
template <class F>
Parked park_on(const void* addr, F&& validate, std::chrono::steady_clock::time_point deadline, WaitReason why) {
  return park_on(addr, ValidateRef(validate), deadline, why);
}

// Wakes the longest-parked waiter of addr; false if there was none.
bool unpark_one(const void* addr);
// Wakes every waiter of addr; returns how many.
std::size_t unpark_all(const void* addr);

}  // namespace greenring::detail
