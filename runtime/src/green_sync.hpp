// green_sync: the application's own pthread mutexes, condition variables,
// rwlocks, semaphores, barriers, spinlocks, once-controls and futex words,
// made to park green threads instead of blocking the OS thread. Each works
// in place on glibc's layout (no wrapper objects, static initialisers keep
// working) through the ParkingLot. Ownership is tracked per green thread,
// not per OS thread (glibc's TID), so recursive and error-checking mutexes
// keep their meaning when many green threads share one OS thread.
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include <chrono>
#include <cstdint>

namespace greenring::detail::sync {

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kForever = Deadline::max();

// Returned when an object is of a kind this layer leaves to glibc (robust,
// priority-inheritance and priority-protect mutexes): call the original.
inline constexpr int kNotGreen = -1;

// An absolute time on `clock` as a steady-clock deadline.
Deadline deadline_from(clockid_t clock, const struct timespec* abstime);
// Validates a timespec as pthread timed calls do (EINVAL on a bad one).
bool valid_timespec(const struct timespec* ts);

// The owner id a mutex records: unique per green thread and per OS thread.
uint32_t owner_id() noexcept;

// Mutexes: pthread error numbers, or kNotGreen.
int mutex_lock(pthread_mutex_t* m, Deadline dl = kForever);
int mutex_trylock(pthread_mutex_t* m);
int mutex_unlock(pthread_mutex_t* m);
// After glibc's own unlock of m by a caller that cannot park (a
// runtime-internal OS thread, e.g. an offload worker): glibc woke only
// kernel futex waiters, so wake a green thread parked on m, if any.
void mutex_unlocked_natively(pthread_mutex_t* m);

// Condition variables: 0, ETIMEDOUT, or the mutex's error. A cond's clock
// (pthread_condattr_setclock) applies to `abstime`.
int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abstime);
int cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* abstime);
int cond_signal(pthread_cond_t* c);
int cond_broadcast(pthread_cond_t* c);
// Some OS thread waits on c in glibc's own wait (a caller that could not
// park): such a cond is glibc's, and only glibc's signal reaches it.
bool cond_has_native_waiters(const pthread_cond_t* c);

// Reader-writer locks (reader preference, like glibc's default).
int rwlock_rdlock(pthread_rwlock_t* rw, Deadline dl = kForever, bool try_only = false);
int rwlock_wrlock(pthread_rwlock_t* rw, Deadline dl = kForever, bool try_only = false);
int rwlock_unlock(pthread_rwlock_t* rw);

// Semaphores: 0, or -1 with errno (EAGAIN for trywait, ETIMEDOUT, EOVERFLOW).
int sem_wait(sem_t* s, Deadline dl = kForever, bool try_only = false);
int sem_post(sem_t* s);

int barrier_init(pthread_barrier_t* b, unsigned count);
int barrier_wait(pthread_barrier_t* b);

int spin_lock(pthread_spinlock_t* s);
int spin_trylock(pthread_spinlock_t* s);
int spin_unlock(pthread_spinlock_t* s);

int once(pthread_once_t* o, void (*init)());

// futex(2) WAIT/WAKE on a plain word: WAIT returns 0, -EAGAIN (value
// differs), -ETIMEDOUT; WAKE returns how many were woken, green or not.
long futex_wait(uint32_t* addr, uint32_t expected, Deadline dl);
long futex_wake(uint32_t* addr, int count);

}  // namespace greenring::detail::sync
