// OffloadPool: eventlet's tpool. Calls that have no asynchronous form run on
// runtime-internal OS threads while the green thread that asked is parked;
// the worker wakes it through its scheduler's remote queue.
#pragma once

#include <greenring/greenring.hpp>

namespace greenring::detail {

// True on the pool's own threads: interposed calls made there go straight
// to libc (they are what offloading is for).
bool on_internal_thread() noexcept;

}  // namespace greenring::detail
