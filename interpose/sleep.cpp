// sleep family: sleep, usleep, nanosleep, clock_nanosleep, sched_yield.
// Each parks the green thread on the scheduler's timer queue.
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <greenring/greenring.hpp>

#include <cerrno>
#include <algorithm>
#include <chrono>

#include "hook.hpp"
#include "scheduler.hpp"

namespace gi = greenring::interpose;
using namespace std::chrono;

namespace {

bool valid(const struct timespec* ts) {
  return ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1'000'000'000;
}

nanoseconds to_ns(const struct timespec& ts) { return seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec); }

// Parks for d. 0 when the time is up; EINTR when a signal handler ended the
// sleep early, with what was left of it in *left.
int park_for(nanoseconds d, nanoseconds* left = nullptr) {
  auto until = steady_clock::now() + d;
  gi::MaybeInterruptible intr(greenring::detail::Restart::never);
  greenring::sleep_until(until);
  if (!intr.interrupted()) return 0;
  if (left) *left = std::max(nanoseconds::zero(), duration_cast<nanoseconds>(until - steady_clock::now()));
  return EINTR;
}

void fill(struct timespec* ts, nanoseconds d) {
  if (!ts) return;
  ts->tv_sec = static_cast<time_t>(d.count() / 1'000'000'000);
  ts->tv_nsec = static_cast<long>(d.count() % 1'000'000'000);
}

bool clock_sleeps_green(clockid_t c) {
  return c == CLOCK_MONOTONIC || c == CLOCK_REALTIME || c == CLOCK_BOOTTIME || c == CLOCK_TAI;
}

}  // namespace

extern "C" {

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (!gi::can_park() || !req) return REAL(nanosleep)(req, rem);  // NULL: the kernel's EFAULT
  greenring::detail::CallSite gr_site_(__builtin_return_address(0));
  if (!valid(req)) {
    errno = EINVAL;
    return -1;
  }
  nanoseconds left;
  if (park_for(to_ns(*req), &left) == EINTR) {
    fill(rem, left);
    errno = EINTR;
    return -1;
  }
  return 0;
}

int __nanosleep(const struct timespec* req, struct timespec* rem) { return nanosleep(req, rem); }

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  if (!gi::can_park() || !clock_sleeps_green(clock) || !req) return REAL(clock_nanosleep)(clock, flags, req, rem);
  greenring::detail::CallSite gr_site_(__builtin_return_address(0));
  if (!valid(req)) return EINVAL;
  nanoseconds d = to_ns(*req);
  if (flags & TIMER_ABSTIME) {
    // Absolute on `clock`: how far that is from now on the same clock.
    struct timespec now;
    clock_gettime(clock, &now);
    d -= to_ns(now);
    if (d <= nanoseconds::zero()) return 0;
  }
  nanoseconds left;
  int r = park_for(d, &left);
  if (r == EINTR && !(flags & TIMER_ABSTIME)) fill(rem, left);
  return r;
}

unsigned int sleep(unsigned int seconds_) {
  if (!gi::can_park()) return REAL(sleep)(seconds_);
  greenring::detail::CallSite gr_site_(__builtin_return_address(0));
  nanoseconds left;
  if (park_for(seconds(seconds_), &left) == EINTR)  // the unslept seconds, truncated as glibc does
    return static_cast<unsigned>(left.count() / 1'000'000'000);
  return 0;
}

int usleep(useconds_t usec) {
  if (!gi::can_park()) return REAL(usleep)(usec);
  greenring::detail::CallSite gr_site_(__builtin_return_address(0));
  if (park_for(microseconds(usec)) == EINTR) {
    errno = EINTR;
    return -1;
  }
  return 0;
}

int sched_yield() {
  if (!gi::can_park()) return REAL(sched_yield)();
  // Other green threads first — and the scheduler, so that due timers and
  // finished I/O are taken in even when nothing else is ready yet. When no
  // other green thread was ready, the OS thread also yields its core as the
  // caller asked (it may be spinning for another OS thread).
  bool others = greenring::detail::Scheduler::current().others_ready();
  greenring::yield();
  if (!others) REAL(sched_yield)();
  return 0;
}

}  // extern "C"
