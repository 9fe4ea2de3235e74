// Watchdog: a polling thread, and a signal that makes the starving OS thread
// print its own backtrace.
#include "watchdog.hpp"

#include <execinfo.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "config.hpp"
#include "libc.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {

constexpr int kMaxThreads = 1024;
std::atomic<Heartbeat*> beats[kMaxThreads];
std::atomic<bool> on{false};
int backtrace_signal() { return SIGRTMAX - 1; }

void print_backtrace(int) {
  void* frames[64];
  int n = backtrace(frames, 64);
  // Frame 0-1 are this handler and the signal trampoline.
  backtrace_symbols_fd(frames + 2, n > 2 ? n - 2 : 0, 2);
}

void* loop(void*) {
  const int64_t limit = static_cast<int64_t>(config().block_ms) * 1'000'000;
  struct timespec tick {};
  int64_t step = limit / 4 > 1'000'000 ? limit / 4 : 1'000'000;
  tick.tv_sec = step / 1'000'000'000;
  tick.tv_nsec = step % 1'000'000'000;
  uint64_t reported[kMaxThreads] = {};
  for (;;) {
    sys::raw(SYS_nanosleep, reinterpret_cast<long>(&tick), 0);
    int64_t now = Watchdog::now_ns();
    for (int i = 0; i < kMaxThreads; ++i) {
      Heartbeat* h = beats[i].load(std::memory_order_acquire);
      if (!h) continue;
      uint64_t running = h->running.load(std::memory_order_relaxed);
      uint64_t sw = h->switches.load(std::memory_order_relaxed);
      int64_t ran = now - h->since_ns.load(std::memory_order_relaxed);
      if (!running || ran < limit || reported[i] == sw + 1) continue;
      reported[i] = sw + 1;  // once per run interval
      char msg[256];
      const char* name = h->name.load(std::memory_order_relaxed);
      char who[64];
      if (name && *name) {
        snprintf(who, sizeof who, "\"%s\"", name);
      } else if (running == 1) {
        snprintf(who, sizeof who, "main");
      } else {
        snprintf(who, sizeof who, "green thread %llu", static_cast<unsigned long long>(running - 1));
      }
      snprintf(msg, sizeof msg,
               "greenring: watchdog: %s has run %lld ms without yielding (GREENRING_BLOCK_MS=%u); every other "
               "green thread of OS thread %ld is starved. Its stack:",
               who, static_cast<long long>(ran / 1'000'000), config().block_ms, h->tid);
      sys::say_line(msg);
      sys::raw(SYS_tgkill, getpid(), h->tid, backtrace_signal());
    }
  }
  return nullptr;
}

}  // namespace

bool Watchdog::enabled() noexcept { return on.load(std::memory_order_relaxed); }

int64_t Watchdog::now_ns() noexcept {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void Watchdog::start() {
  static std::atomic<bool> started{false};
  if (config().block_ms == 0 || started.exchange(true)) return;
  // backtrace() loads libgcc on first use: not in a signal handler.
  void* warm[2];
  backtrace(warm, 2);
  struct sigaction sa {};
  sa.sa_handler = print_backtrace;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  libc::sigaction(backtrace_signal(), &sa, nullptr);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  libc::pthread_create(&t, &attr, loop, nullptr);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  on.store(true);
}

void Watchdog::add(Heartbeat* h) {
  for (auto& b : beats) {
    Heartbeat* expected = nullptr;
    if (b.compare_exchange_strong(expected, h)) return;
  }
}

void Watchdog::remove(Heartbeat* h) {
  for (auto& b : beats) {
    Heartbeat* expected = h;
    if (b.compare_exchange_strong(expected, nullptr)) return;
  }
}

}  // namespace greenring::detail
