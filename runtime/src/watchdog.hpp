// Watchdog (eventlet's hub_blocking_detection, gevent's monitor thread): a
// runtime-internal OS thread that reports a green thread which has run
// longer than GREENRING_BLOCK_MS without yielding — everything else on its
// OS thread is starved meanwhile — with its backtrace. The program goes on.
#pragma once

#include <atomic>
#include <cstdint>

namespace greenring::detail {

// What the watchdog reads of one scheduler; the scheduler writes it at
// every switch (only when the watchdog is on).
struct Heartbeat {
  std::atomic<uint64_t> switches{0};
  std::atomic<int64_t> since_ns{0};      // steady clock, when the running one started
  std::atomic<uint64_t> running{0};      // green thread id + 1; 0 = idle (the dispatcher)
  std::atomic<const char*> name{nullptr};
  long tid = 0;
};

class Watchdog {
 public:
  static bool enabled() noexcept;
  static void start();  // once per process, if GREENRING_BLOCK_MS is set
  static void add(Heartbeat* h);
  static void remove(Heartbeat* h);
  static int64_t now_ns() noexcept;
};

}  // namespace greenring::detail
