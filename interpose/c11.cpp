// C11 threads (threads mode green): glibc implements thrd_*, mtx_*, cnd_*,
// tss_* and call_once by calling its internal pthread functions directly,
// past the PLT, so they are interposed here one by one and sent through the
// public (hooked) pthread calls. In mode native they forward to glibc.
#include <threads.h>

#include <pthread.h>
#include <time.h>

#include "hook.hpp"

namespace gi = greenring::interpose;

namespace {

int thrd_result(int err) {
  switch (err) {
    case 0:
      return thrd_success;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    case ENOMEM:
      return thrd_nomem;
    default:
      return thrd_error;
  }
}

struct ThrdStart {
  thrd_start_t fn;
  void* arg;
};

void* thrd_trampoline(void* p) {
  ThrdStart s = *static_cast<ThrdStart*>(p);
  delete static_cast<ThrdStart*>(p);
  return reinterpret_cast<void*>(static_cast<intptr_t>(s.fn(s.arg)));
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* t, thrd_start_t fn, void* arg) {
  if (!gi::green_mode()) return REAL(thrd_create)(t, fn, arg);
  auto* s = new ThrdStart{fn, arg};
  pthread_t p;
  int r = pthread_create(&p, nullptr, thrd_trampoline, s);
  if (r != 0) {
    delete s;
    return thrd_result(r == EAGAIN ? ENOMEM : r);
  }
  *t = p;
  return thrd_success;
}

int thrd_join(thrd_t t, int* res) {
  if (!gi::green_mode()) return REAL(thrd_join)(t, res);
  void* v;
  int r = pthread_join(t, &v);
  if (r == 0 && res) *res = static_cast<int>(reinterpret_cast<intptr_t>(v));
  return thrd_result(r);
}

int thrd_detach(thrd_t t) {
  if (!gi::green_mode()) return REAL(thrd_detach)(t);
  return thrd_result(pthread_detach(t));
}

thrd_t thrd_current() { return pthread_self(); }
int thrd_equal(thrd_t a, thrd_t b) { return a == b; }

void thrd_exit(int res) {
  if (!gi::green_mode()) REAL(thrd_exit)(res);
  pthread_exit(reinterpret_cast<void*>(static_cast<intptr_t>(res)));
}

void thrd_yield() { sched_yield(); }

int thrd_sleep(const struct timespec* d, struct timespec* rem) {
  if (nanosleep(d, rem) == 0) return 0;
  return errno == EINTR ? -1 : -2;
}

int mtx_init(mtx_t* m, int type) {
  if (!gi::green_mode()) return REAL(mtx_init)(m, type);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL);
  int r = pthread_mutex_init(reinterpret_cast<pthread_mutex_t*>(m), &a);
  pthread_mutexattr_destroy(&a);
  return thrd_result(r);
}

int mtx_lock(mtx_t* m) {
  if (!gi::green_mode()) return REAL(mtx_lock)(m);
  return thrd_result(pthread_mutex_lock(reinterpret_cast<pthread_mutex_t*>(m)));
}

int mtx_trylock(mtx_t* m) {
  if (!gi::green_mode()) return REAL(mtx_trylock)(m);
  return thrd_result(pthread_mutex_trylock(reinterpret_cast<pthread_mutex_t*>(m)));
}

int mtx_timedlock(mtx_t* __restrict m, const struct timespec* __restrict ts) {
  if (!gi::green_mode()) return REAL(mtx_timedlock)(m, ts);
  return thrd_result(pthread_mutex_timedlock(reinterpret_cast<pthread_mutex_t*>(m), ts));
}

int mtx_unlock(mtx_t* m) {
  if (!gi::green_mode()) return REAL(mtx_unlock)(m);
  return thrd_result(pthread_mutex_unlock(reinterpret_cast<pthread_mutex_t*>(m)));
}

int cnd_wait(cnd_t* c, mtx_t* m) {
  if (!gi::green_mode()) return REAL(cnd_wait)(c, m);
  return thrd_result(pthread_cond_wait(reinterpret_cast<pthread_cond_t*>(c), reinterpret_cast<pthread_mutex_t*>(m)));
}

int cnd_timedwait(cnd_t* __restrict c, mtx_t* __restrict m, const struct timespec* __restrict ts) {
  if (!gi::green_mode()) return REAL(cnd_timedwait)(c, m, ts);
  return thrd_result(
      pthread_cond_timedwait(reinterpret_cast<pthread_cond_t*>(c), reinterpret_cast<pthread_mutex_t*>(m), ts));
}

int cnd_signal(cnd_t* c) {
  if (!gi::green_mode()) return REAL(cnd_signal)(c);
  return thrd_result(pthread_cond_signal(reinterpret_cast<pthread_cond_t*>(c)));
}

int cnd_broadcast(cnd_t* c) {
  if (!gi::green_mode()) return REAL(cnd_broadcast)(c);
  return thrd_result(pthread_cond_broadcast(reinterpret_cast<pthread_cond_t*>(c)));
}

int tss_create(tss_t* key, tss_dtor_t dtor) {
  if (!gi::green_mode()) return REAL(tss_create)(key, dtor);
  return thrd_result(pthread_key_create(reinterpret_cast<pthread_key_t*>(key), dtor));
}

void* tss_get(tss_t key) {
  if (!gi::green_mode()) return REAL(tss_get)(key);
  return pthread_getspecific(key);
}

int tss_set(tss_t key, void* v) {
  if (!gi::green_mode()) return REAL(tss_set)(key, v);
  return thrd_result(pthread_setspecific(key, v));
}

void call_once(once_flag* flag, void (*fn)()) {
  if (!gi::green_mode()) return REAL(call_once)(flag, fn);
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), fn);
}

}  // extern "C"
