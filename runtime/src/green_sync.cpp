// green_sync: lock words follow glibc's (0 free, 1 locked, 2 locked with
// waiters) so that an object glibc itself locked before the hooks were on,
// or a thread that cannot park (runtime-internal), stays compatible: an
// unlock that sees 2 both unparks green waiters and futex-wakes native ones.
#include "green_sync.hpp"

#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>

#include <greenring/greenring.hpp>

#include <liburing.h>

#include <algorithm>

#include "parking_lot.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail::sync {
namespace {

constexpr uint32_t kGreenOwnerBase = 0x40000000;  // above any Linux TID (pid_max <= 2^22)
constexpr int kKindMask = 0x7f;
constexpr int kKindTypeMask = 3;
constexpr int kRobustOrPiOrPp = 16 | 32 | 64;

template <class T>
std::atomic_ref<T> word(T& v) {
  return std::atomic_ref<T>(v);
}

std::atomic_ref<int> lock_word(pthread_mutex_t* m) { return word(m->__data.__lock); }

int mutex_type(pthread_mutex_t* m) { return m->__data.__kind & kKindMask & kKindTypeMask; }
bool greenable(pthread_mutex_t* m) { return (m->__data.__kind & kRobustOrPiOrPp) == 0; }

// Acquires the lock word (recursion and ownership are the caller's).
Parked kernel_futex_wait(uint32_t* addr, uint32_t expected, bool shared, Deadline dl);

// PTHREAD_PROCESS_SHARED: the other side may be another process, reachable
// only through the kernel's futex.
bool mutex_shared(pthread_mutex_t* m) { return (m->__data.__kind & 128) != 0; }

int acquire(pthread_mutex_t* m, Deadline dl, bool try_only) {
  auto lw = lock_word(m);
  int c = 0;
  if (lw.compare_exchange_strong(c, 1, std::memory_order_acquire)) return 0;
  if (try_only) return EBUSY;
  for (;;) {
    if (lw.exchange(2, std::memory_order_acquire) == 0) return 0;
    Parked p = mutex_shared(m)
                   ? kernel_futex_wait(reinterpret_cast<uint32_t*>(&m->__data.__lock), 2, true, dl)
                   : park_on(&m->__data.__lock, [&] { return lw.load(std::memory_order_relaxed) == 2; }, dl,
                             {"mutex", m});
    if (p == Parked::timed_out) {
      int z = 0;
      if (lw.compare_exchange_strong(z, 2, std::memory_order_acquire)) return 0;
      return ETIMEDOUT;
    }
  }
}

void release_word(std::atomic_ref<int> lw, void* addr, bool shared = false) {
  if (lw.exchange(0, std::memory_order_release) == 2) {
    // Waiters may be green (parked here) or native (in futex_wait), or, for
    // a process-shared mutex, in another process.
    if (shared) {
      sys::raw(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAKE, 1);
    } else if (!unpark_one(addr)) {
      sys::futex_wake(reinterpret_cast<std::atomic<uint32_t>*>(addr), 1);
    }
  }
}

// Under random and pct, a sync call that did not block is still a place
// where a switch may happen (a latent yield point).
void latent(const YieldInfo& why) {
  if (Scheduler* s = Scheduler::current_if_any(); s && s->policy().kind() != SchedKind::fifo) s->latent_point(why);
}

// Waits on the kernel's futex for *addr through the ring
// (IORING_OP_FUTEX_WAIT, Linux 6.7; liburing 2.3 has no helper for it), so
// the OS thread keeps running other green threads. On an older kernel it
// falls back to short sleeps between checks.
Parked kernel_futex_wait(uint32_t* addr, uint32_t expected, bool shared, Deadline dl) {
  io::deadline d = dl == kForever ? io::deadline{} : io::deadline(dl);
  if (Reactor& r = Scheduler::current().reactor(); r.supports(kOpFutexWait)) {
    io_uring_sqe* s = r.sqe(d.is_set() ? 2 : 1);
    prep_futex_wait(s, addr, expected, shared);
    Op op;
    int32_t res = r.run(op, s, d);
    if (res == -ETIMEDOUT) return Parked::timed_out;
    // Woken, EAGAIN (changed before the kernel looked), EINTR: the caller
    // looks again. A wait the kernel refuses (EINVAL) sleeps below instead,
    // or the caller would spin without ever letting the owner run.
    if (res != -EINVAL) return Parked::woken;
  }
  auto until = std::min(dl, std::chrono::steady_clock::now() + std::chrono::milliseconds(1));
  park_until(until, {"futex", YieldInfo::addr, reinterpret_cast<long long>(addr), nullptr});
  if (std::atomic_ref<uint32_t>(*addr).load() != expected) return Parked::woken;
  return std::chrono::steady_clock::now() >= dl ? Parked::timed_out : Parked::woken;
}

long raw_futex_wake(void* addr, int n, int private_flag = FUTEX_PRIVATE_FLAG) {
  return sys::raw(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAKE | private_flag, n);
}

}  // namespace

bool valid_timespec(const struct timespec* ts) { return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1'000'000'000; }

Deadline deadline_from(clockid_t clock, const struct timespec* abstime) {
  if (!abstime) return kForever;
  struct timespec now;
  clock_gettime(clock, &now);
  auto left = std::chrono::seconds(abstime->tv_sec - now.tv_sec) + std::chrono::nanoseconds(abstime->tv_nsec - now.tv_nsec);
  return std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

uint32_t owner_id() noexcept {
  GreenProps* p = current_props();
  if (p && p->id) return kGreenOwnerBase + static_cast<uint32_t>(p->id);
  static GREENRING_TLS uint32_t tid = static_cast<uint32_t>(sys::gettid());
  return tid;
}

int mutex_lock(pthread_mutex_t* m, Deadline dl) {
  if (!greenable(m)) return kNotGreen;
  int type = mutex_type(m);
  uint32_t me = owner_id();
  auto owner = word(m->__data.__owner);
  if (type == PTHREAD_MUTEX_RECURSIVE && static_cast<uint32_t>(owner.load()) == me) {
    if (m->__data.__count == UINT_MAX) return EAGAIN;
    ++m->__data.__count;
    return 0;
  }
  if (type == PTHREAD_MUTEX_ERRORCHECK && static_cast<uint32_t>(owner.load()) == me) return EDEADLK;
  int r = acquire(m, dl, false);
  if (r) return r;
  owner.store(static_cast<int>(me), std::memory_order_relaxed);
  m->__data.__count = 1;
  latent({"mutex", YieldInfo::addr, reinterpret_cast<long long>(m), nullptr});
  return 0;
}

int mutex_trylock(pthread_mutex_t* m) {
  if (!greenable(m)) return kNotGreen;
  uint32_t me = owner_id();
  auto owner = word(m->__data.__owner);
  if (mutex_type(m) == PTHREAD_MUTEX_RECURSIVE && static_cast<uint32_t>(owner.load()) == me) {
    if (m->__data.__count == UINT_MAX) return EAGAIN;
    ++m->__data.__count;
    return 0;
  }
  int r = acquire(m, kForever, true);
  if (r) return r;
  owner.store(static_cast<int>(me), std::memory_order_relaxed);
  m->__data.__count = 1;
  return 0;
}

int mutex_unlock(pthread_mutex_t* m) {
  if (!greenable(m)) return kNotGreen;
  int type = mutex_type(m);
  auto owner = word(m->__data.__owner);
  if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
    if (static_cast<uint32_t>(owner.load()) != owner_id()) return EPERM;
    if (type == PTHREAD_MUTEX_RECURSIVE && --m->__data.__count != 0) return 0;
  }
  owner.store(0, std::memory_order_relaxed);
  release_word(lock_word(m), &m->__data.__lock, mutex_shared(m));
  latent({"mutex_unlock", YieldInfo::addr, reinterpret_cast<long long>(m), nullptr});
  return 0;
}

void mutex_unlocked_natively(pthread_mutex_t* m) {
  // A green waiter parks only after setting the word to 2 and seeing it
  // still 2 under the bucket lock, so one that glibc's unlock missed is in
  // the lot by now, and one that is not yet there will see the change.
  if (greenable(m)) unpark_one(&m->__data.__lock);
}

// A condition variable is a sequence word (the first 4 bytes of glibc's
// object, free for us since glibc never sees a green cond) plus glibc's own
// clock bit in __wrefs, set by pthread_cond_init from the condattr.
namespace {
std::atomic_ref<unsigned> cond_seq(pthread_cond_t* c) { return word(c->__data.__wseq.__value32.__low); }
clockid_t cond_clock(pthread_cond_t* c) { return (c->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME; }
}  // namespace

int cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* abstime) {
  if (abstime && !valid_timespec(abstime)) return EINVAL;
  auto seq = cond_seq(c);
  unsigned seen = seq.load(std::memory_order_acquire);
  if (int r = mutex_unlock(m)) return r;
  Parked p = park_on(&c->__data.__wseq, [&] { return seq.load(std::memory_order_acquire) == seen; },
                     deadline_from(clock, abstime), {"cond", c});
  int r = mutex_lock(m);
  if (r) return r;
  return p == Parked::timed_out ? ETIMEDOUT : 0;
}

int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abstime) {
  return cond_clockwait(c, m, cond_clock(c), abstime);
}

bool cond_has_native_waiters(const pthread_cond_t* c) {
  // glibc counts its waiters in __wrefs above the three flag bits.
  return (std::atomic_ref<unsigned>(const_cast<pthread_cond_t*>(c)->__data.__wrefs).load() >> 3) != 0;
}

int cond_signal(pthread_cond_t* c) {
  cond_seq(c).fetch_add(1, std::memory_order_release);
  unpark_one(&c->__data.__wseq);
  return 0;
}

int cond_broadcast(pthread_cond_t* c) {
  cond_seq(c).fetch_add(1, std::memory_order_release);
  unpark_all(&c->__data.__wseq);
  return 0;
}

// rwlock: __readers holds the state (writer bit | reader count), __cur_writer
// the writing owner (for EDEADLK).
namespace {
constexpr unsigned kWriter = 0x80000000u;
std::atomic_ref<unsigned> rw_state(pthread_rwlock_t* rw) { return word(rw->__data.__readers); }
}  // namespace

int rwlock_rdlock(pthread_rwlock_t* rw, Deadline dl, bool try_only) {
  auto st = rw_state(rw);
  // The try variants only say busy (as glibc's do).
  if (static_cast<uint32_t>(rw->__data.__cur_writer) == owner_id() && (st.load() & kWriter))
    return try_only ? EBUSY : EDEADLK;
  for (;;) {
    unsigned s = st.load(std::memory_order_relaxed);
    if (!(s & kWriter)) {
      if ((s & ~kWriter) == ~kWriter) return EAGAIN;  // too many readers
      if (st.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) return 0;
      continue;
    }
    if (try_only) return EBUSY;
    if (park_on(&rw->__data.__readers, [&] { return st.load(std::memory_order_relaxed) == s; }, dl,
                {"rwlock", rw}) == Parked::timed_out)
      return ETIMEDOUT;
  }
}

int rwlock_wrlock(pthread_rwlock_t* rw, Deadline dl, bool try_only) {
  auto st = rw_state(rw);
  uint32_t me = owner_id();
  if (static_cast<uint32_t>(rw->__data.__cur_writer) == me && (st.load() & kWriter)) return try_only ? EBUSY : EDEADLK;
  for (;;) {
    unsigned s = 0;
    if (st.compare_exchange_strong(s, kWriter, std::memory_order_acquire)) {
      word(rw->__data.__cur_writer).store(static_cast<int>(me), std::memory_order_relaxed);
      return 0;
    }
    if (try_only) return EBUSY;
    if (park_on(&rw->__data.__readers, [&] { return st.load(std::memory_order_relaxed) == s; }, dl,
                {"rwlock", rw}) == Parked::timed_out)
      return ETIMEDOUT;
  }
}

int rwlock_unlock(pthread_rwlock_t* rw) {
  auto st = rw_state(rw);
  unsigned s = st.load(std::memory_order_relaxed);
  if (s & kWriter) {
    if (static_cast<uint32_t>(rw->__data.__cur_writer) != owner_id()) return EPERM;
    word(rw->__data.__cur_writer).store(0, std::memory_order_relaxed);
    st.store(0, std::memory_order_release);
  } else {
    if (s == 0) return EPERM;
    if (st.fetch_sub(1, std::memory_order_release) != 1) return 0;  // readers remain
  }
  unpark_all(&rw->__data.__readers);
  return 0;
}

// Semaphores: glibc's 64-bit word, value in the low half and waiters in the
// high half; native waiters futex-wait on the value's address.
namespace {
constexpr uint64_t kWaiterOne = uint64_t{1} << 32;
// glibc keeps the futex flag to XOR in: 0 for a private semaphore,
// FUTEX_PRIVATE_FLAG for a process-shared one (sem_open, sem_init(s, 1, n)).
bool sem_shared(sem_t* s) { return reinterpret_cast<int*>(s)[2] == FUTEX_PRIVATE_FLAG; }
std::atomic_ref<uint64_t> sem_word(sem_t* s) { return word(*reinterpret_cast<uint64_t*>(s)); }
}  // namespace

int sem_wait(sem_t* s, Deadline dl, bool try_only) {
  auto w = sem_word(s);
  for (;;) {
    uint64_t d = w.load(std::memory_order_relaxed);
    if (static_cast<uint32_t>(d) > 0) {
      if (w.compare_exchange_weak(d, d - 1, std::memory_order_acquire)) return 0;
      continue;
    }
    if (try_only) {
      errno = EAGAIN;
      return -1;
    }
    w.fetch_add(kWaiterOne, std::memory_order_relaxed);
    Parked p;
    if (sem_shared(s)) {
      // Process-shared (sem_open, sem_init(s, 1, n)): the poster may be in
      // another process, whose futex wake only the kernel sees.
      p = kernel_futex_wait(reinterpret_cast<uint32_t*>(s), 0, true, dl);
    } else {
      p = park_on(s, [&] { return static_cast<uint32_t>(w.load(std::memory_order_relaxed)) == 0; }, dl,
                  {"semaphore", s});
    }
    w.fetch_sub(kWaiterOne, std::memory_order_relaxed);
    if (p == Parked::timed_out) {
      uint64_t again = w.load(std::memory_order_relaxed);
      if (static_cast<uint32_t>(again) > 0 && w.compare_exchange_strong(again, again - 1)) return 0;
      errno = ETIMEDOUT;
      return -1;
    }
  }
}

int sem_post(sem_t* s) {
  auto w = sem_word(s);
  uint64_t d = w.load(std::memory_order_relaxed);
  do {
    if (static_cast<uint32_t>(d) >= static_cast<uint32_t>(SEM_VALUE_MAX)) {
      errno = EOVERFLOW;
      return -1;
    }
  } while (!w.compare_exchange_weak(d, d + 1, std::memory_order_release));
  if (d >> 32) {
    if (!unpark_one(s)) raw_futex_wake(s, 1, sem_shared(s) ? 0 : FUTEX_PRIVATE_FLAG);
  }
  return 0;
}

// Barriers: glibc's five words, used as arrivals, round, count.
namespace {
struct BarrierWords {
  unsigned in, round, count;
  int shared;
  unsigned out;
};
BarrierWords* barrier(pthread_barrier_t* b) { return reinterpret_cast<BarrierWords*>(b); }
}  // namespace

int barrier_init(pthread_barrier_t* b, unsigned count) {
  if (count == 0) return EINVAL;
  BarrierWords* w = barrier(b);
  w->in = 0;
  w->round = 0;
  w->count = count;
  w->out = 0;
  return 0;
}

int barrier_wait(pthread_barrier_t* b) {
  BarrierWords* w = barrier(b);
  auto round = word(w->round);
  unsigned gen = round.load(std::memory_order_acquire);
  if (word(w->in).fetch_add(1, std::memory_order_acq_rel) + 1 == w->count) {
    word(w->in).store(0, std::memory_order_relaxed);
    round.fetch_add(1, std::memory_order_release);
    unpark_all(&w->round);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  while (round.load(std::memory_order_acquire) == gen)
    park_on(&w->round, [&] { return round.load(std::memory_order_acquire) == gen; }, kForever, {"barrier", b});
  return 0;
}

// Spinlocks keep glibc's encoding, which pthread_spin_init (not hooked)
// writes: on x86 free is 1 and held is any value <= 0 (glibc's lock is a
// locked decrement); elsewhere free is 0 and held 1.
namespace {
#if defined(__x86_64__) || defined(__i386__)
constexpr int kSpinFree = 1;
constexpr int kSpinHeld = 0;
bool was_free(int v) { return v > 0; }
#else
constexpr int kSpinFree = 0;
constexpr int kSpinHeld = 1;
bool was_free(int v) { return v == 0; }
#endif
}  // namespace

int spin_lock(pthread_spinlock_t* s) {
  auto w = word(*s);
  for (unsigned tries = 0;; ++tries) {
    if (was_free(w.exchange(kSpinHeld, std::memory_order_acquire))) return 0;
    Scheduler* sch = Scheduler::current_if_any();
    if (!sch) {
      sys::raw(SYS_sched_yield);
      continue;
    }
    // The holder is a green thread of this OS thread that is not running:
    // ready (a yield lets it run), or asleep, parked or waiting for I/O, which
    // only the dispatcher's timers and the reactor can end: then back off in
    // a short sleep, so that the OS thread reaches them instead of spinning.
    if (tries == 0 && sch->others_ready()) {
      greenring::yield();
    } else {
      greenring::sleep_for(std::chrono::microseconds(std::min(1000u, 10u << std::min(tries, 7u))));
    }
  }
}

int spin_trylock(pthread_spinlock_t* s) {
  return was_free(word(*s).exchange(kSpinHeld, std::memory_order_acquire)) ? 0 : EBUSY;
}

int spin_unlock(pthread_spinlock_t* s) {
  word(*s).store(kSpinFree, std::memory_order_release);
  return 0;
}

// once: glibc's encoding (1 in progress, 2 done), so a control glibc
// completed before the hooks were on reads as done.
int once(pthread_once_t* o, void (*init)()) {
  auto w = word(*o);
  for (;;) {
    int v = w.load(std::memory_order_acquire);
    if (v & 2) return 0;
    if (!(v & 1)) {
      if (!w.compare_exchange_strong(v, 1, std::memory_order_acquire)) continue;
      init();
      w.store(2, std::memory_order_release);
      unpark_all(o);
      raw_futex_wake(o, INT_MAX);
      return 0;
    }
    park_on(o, [&] { return (w.load(std::memory_order_acquire) & 3) == 1; }, kForever, {"once", o});
  }
}

long futex_wait(uint32_t* addr, uint32_t expected, Deadline dl) {
  auto w = word(*addr);
  switch (park_on(addr, [&] { return w.load(std::memory_order_acquire) == expected; }, dl, {"futex", addr})) {
    case Parked::invalid:
      return -EAGAIN;
    case Parked::timed_out:
      return -ETIMEDOUT;
    default:
      return 0;
  }
}

long futex_wake(uint32_t* addr, int count) {
  long n = 0;
  while (n < count && unpark_one(addr)) ++n;
  if (n < count) {
    long r = sys::raw(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAKE, count - n);
    if (r > 0) n += r;
    r = sys::raw(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAKE_PRIVATE, count - n);
    if (r > 0) n += r;
  }
  return n;
}

}  // namespace greenring::detail::sync
