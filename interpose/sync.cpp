// sync family (threads mode green): the application's own mutexes,
// condition variables, rwlocks, semaphores, barriers, spinlocks and futex
// words park the green thread instead of blocking the OS thread. Each hook
// is a translation into greenring::detail::sync; init/destroy and the
// attribute calls stay glibc's (the layout is glibc's).
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include <cstdarg>

#include "green_sync.hpp"
#include "hook.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace gi = greenring::interpose;
namespace gs = greenring::detail::sync;
using greenring::detail::CallSite;

namespace {

bool green_sync() { return gi::green_mode() && gi::can_park(); }

// The waking calls never park, so a caller that cannot park (a
// runtime-internal OS thread: an offload worker running application code)
// still makes them green: a green thread parked on the object is in the
// parking lot, where glibc's futex wake does not reach.
bool green_wake() { return gi::green_mode(); }

// Runs the green version; kNotGreen (robust, PI, PP mutexes) falls back to glibc.
template <class Green, class Real>
int either(Green&& green, Real&& real) {
  int r = green();
  return r == gs::kNotGreen ? real() : r;
}

}  // namespace

#define SITE CallSite site_(__builtin_return_address(0))

extern "C" {

int pthread_mutex_lock(pthread_mutex_t* m) {
  if (!green_sync()) return REAL(pthread_mutex_lock)(m);
  SITE;
  return either([&] { return gs::mutex_lock(m); }, [&] { return REAL(pthread_mutex_lock)(m); });
}

int pthread_mutex_trylock(pthread_mutex_t* m) {
  if (!green_sync()) return REAL(pthread_mutex_trylock)(m);
  return either([&] { return gs::mutex_trylock(m); }, [&] { return REAL(pthread_mutex_trylock)(m); });
}

int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_mutex_timedlock)(m, abstime);
  if (!gs::valid_timespec(abstime)) return EINVAL;
  SITE;
  return either([&] { return gs::mutex_lock(m, gs::deadline_from(CLOCK_REALTIME, abstime)); },
                [&] { return REAL(pthread_mutex_timedlock)(m, abstime); });
}

int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_mutex_clocklock)(m, clock, abstime);
  if (!gs::valid_timespec(abstime)) return EINVAL;
  SITE;
  return either([&] { return gs::mutex_lock(m, gs::deadline_from(clock, abstime)); },
                [&] { return REAL(pthread_mutex_clocklock)(m, clock, abstime); });
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  if (!green_sync()) {
    // glibc locked it here (this caller cannot park), so glibc unlocks it;
    // green waiters may have queued behind it meanwhile.
    int r = REAL(pthread_mutex_unlock)(m);
    if (r == 0 && green_wake()) gs::mutex_unlocked_natively(m);
    return r;
  }
  return either([&] { return gs::mutex_unlock(m); }, [&] { return REAL(pthread_mutex_unlock)(m); });
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (!green_sync()) return REAL(pthread_cond_wait)(c, m);
  SITE;
  return gs::cond_wait(c, m, nullptr);
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_cond_timedwait)(c, m, abstime);
  SITE;
  return gs::cond_wait(c, m, abstime);
}

int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_cond_clockwait)(c, m, clock, abstime);
  SITE;
  return gs::cond_clockwait(c, m, clock, abstime);
}

// From a caller that cannot park, a cond with glibc waiters (callers that
// could not park either) is signalled by glibc, any other one green.
int pthread_cond_signal(pthread_cond_t* c) {
  if (!green_sync() && (!green_wake() || gs::cond_has_native_waiters(c))) return REAL(pthread_cond_signal)(c);
  return gs::cond_signal(c);
}

int pthread_cond_broadcast(pthread_cond_t* c) {
  if (!green_sync() && (!green_wake() || gs::cond_has_native_waiters(c))) return REAL(pthread_cond_broadcast)(c);
  return gs::cond_broadcast(c);
}

int pthread_rwlock_rdlock(pthread_rwlock_t* rw) {
  if (!green_sync()) return REAL(pthread_rwlock_rdlock)(rw);
  SITE;
  return gs::rwlock_rdlock(rw);
}
int pthread_rwlock_tryrdlock(pthread_rwlock_t* rw) {
  if (!green_sync()) return REAL(pthread_rwlock_tryrdlock)(rw);
  return gs::rwlock_rdlock(rw, gs::kForever, true);
}
int pthread_rwlock_timedrdlock(pthread_rwlock_t* rw, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_rwlock_timedrdlock)(rw, abstime);
  if (!gs::valid_timespec(abstime)) return EINVAL;
  SITE;
  return gs::rwlock_rdlock(rw, gs::deadline_from(CLOCK_REALTIME, abstime));
}
int pthread_rwlock_clockrdlock(pthread_rwlock_t* rw, clockid_t clock, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_rwlock_clockrdlock)(rw, clock, abstime);
  if (!gs::valid_timespec(abstime)) return EINVAL;
  SITE;
  return gs::rwlock_rdlock(rw, gs::deadline_from(clock, abstime));
}
int pthread_rwlock_wrlock(pthread_rwlock_t* rw) {
  if (!green_sync()) return REAL(pthread_rwlock_wrlock)(rw);
  SITE;
  return gs::rwlock_wrlock(rw);
}
int pthread_rwlock_trywrlock(pthread_rwlock_t* rw) {
  if (!green_sync()) return REAL(pthread_rwlock_trywrlock)(rw);
  return gs::rwlock_wrlock(rw, gs::kForever, true);
}
int pthread_rwlock_timedwrlock(pthread_rwlock_t* rw, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_rwlock_timedwrlock)(rw, abstime);
  if (!gs::valid_timespec(abstime)) return EINVAL;
  SITE;
  return gs::rwlock_wrlock(rw, gs::deadline_from(CLOCK_REALTIME, abstime));
}
int pthread_rwlock_clockwrlock(pthread_rwlock_t* rw, clockid_t clock, const struct timespec* abstime) {
  if (!green_sync()) return REAL(pthread_rwlock_clockwrlock)(rw, clock, abstime);
  if (!gs::valid_timespec(abstime)) return EINVAL;
  SITE;
  return gs::rwlock_wrlock(rw, gs::deadline_from(clock, abstime));
}
int pthread_rwlock_unlock(pthread_rwlock_t* rw) {
  if (!green_sync()) return REAL(pthread_rwlock_unlock)(rw);
  return gs::rwlock_unlock(rw);
}

int sem_wait(sem_t* s) {
  if (!green_sync()) return REAL(sem_wait)(s);
  SITE;
  return gs::sem_wait(s);
}
int sem_trywait(sem_t* s) {
  if (!green_sync()) return REAL(sem_trywait)(s);
  return gs::sem_wait(s, gs::kForever, true);
}
int sem_timedwait(sem_t* s, const struct timespec* abstime) {
  if (!green_sync()) return REAL(sem_timedwait)(s, abstime);
  if (!gs::valid_timespec(abstime)) {
    errno = EINVAL;
    return -1;
  }
  SITE;
  return gs::sem_wait(s, gs::deadline_from(CLOCK_REALTIME, abstime));
}
int sem_clockwait(sem_t* s, clockid_t clock, const struct timespec* abstime) {
  if (!green_sync()) return REAL(sem_clockwait)(s, clock, abstime);
  if (!gs::valid_timespec(abstime)) {
    errno = EINVAL;
    return -1;
  }
  SITE;
  return gs::sem_wait(s, gs::deadline_from(clock, abstime));
}
int sem_post(sem_t* s) {
  // Green sem_post also futex-wakes glibc's waiters (same word, same flag).
  if (!green_wake()) return REAL(sem_post)(s);
  return gs::sem_post(s);
}

int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t* attr, unsigned count) {
  int r = REAL(pthread_barrier_init)(b, attr, count);
  if (r == 0 && gi::green_mode()) r = gs::barrier_init(b, count);
  return r;
}
int pthread_barrier_wait(pthread_barrier_t* b) {
  if (!green_sync()) return REAL(pthread_barrier_wait)(b);
  SITE;
  return gs::barrier_wait(b);
}

int pthread_spin_lock(pthread_spinlock_t* s) {
  if (!green_sync()) return REAL(pthread_spin_lock)(s);
  return gs::spin_lock(s);
}
int pthread_spin_trylock(pthread_spinlock_t* s) {
  if (!green_sync()) return REAL(pthread_spin_trylock)(s);
  return gs::spin_trylock(s);
}
int pthread_spin_unlock(pthread_spinlock_t* s) {
  if (!green_sync()) return REAL(pthread_spin_unlock)(s);
  return gs::spin_unlock(s);
}

// syscall(SYS_futex, ...): FUTEX_WAIT(_BITSET) parks, FUTEX_WAKE(_BITSET)
// also wakes parked green threads; everything else goes to the kernel.
long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (nr == SYS_futex && green_wake()) {
    auto* addr = reinterpret_cast<uint32_t*>(a[0]);
    int op = static_cast<int>(a[1]) & FUTEX_CMD_MASK;
    if ((op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) && green_sync()) {
      auto* ts = reinterpret_cast<const struct timespec*>(a[3]);
      gs::Deadline dl = gs::kForever;
      if (ts) {
        if (op == FUTEX_WAIT) {  // relative
          dl = std::chrono::steady_clock::now() + std::chrono::seconds(ts->tv_sec) + std::chrono::nanoseconds(ts->tv_nsec);
        } else {
          dl = gs::deadline_from((a[1] & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC, ts);
        }
      }
      SITE;
      return greenring::sys::to_errno(gs::futex_wait(addr, static_cast<uint32_t>(a[2]), dl));
    }
    if (op == FUTEX_WAKE || op == FUTEX_WAKE_BITSET)
      return gs::futex_wake(addr, static_cast<int>(a[2]));
  }
  return greenring::sys::to_errno(greenring::sys::raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

}  // extern "C"
