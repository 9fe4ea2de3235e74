// thread family (threads mode green): pthread_create spawns a green thread
// on the calling OS thread's scheduler, and every call that takes a
// pthread_t learns to tell green handles from glibc's. Keys, once, cleanup
// handlers and exit work per green thread. In mode native all of these are
// glibc's own.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <dlfcn.h>

#include "green_pthread.hpp"
#include "green_sync.hpp"
#include "hook.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace gi = greenring::interpose;
namespace gp = greenring::detail::gp;
namespace gs = greenring::detail::sync;

namespace {

bool green_threads() { return gi::green_mode() && gi::can_park(); }

void say_once(std::atomic<bool>& said, const char* msg) {
  if (!said.exchange(true)) greenring::sys::say_line(msg);
}

}  // namespace

extern "C" {

int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  if (!green_threads()) return REAL(pthread_create)(t, attr, fn, arg);
  return gp::create(t, attr, fn, arg);
}

pthread_t pthread_self() {
  pthread_t g = gp::self();
  return g ? g : REAL(pthread_self)();
}

int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

int pthread_join(pthread_t t, void** ret) {
  if (!gp::is_green(t)) return REAL(pthread_join)(t, ret);
  greenring::detail::CallSite site(__builtin_return_address(0));
  return gp::join(t, ret, gs::kForever, false);
}

int pthread_tryjoin_np(pthread_t t, void** ret) {
  if (!gp::is_green(t)) return REAL(pthread_tryjoin_np)(t, ret);
  return gp::join(t, ret, gs::kForever, true);
}

int pthread_timedjoin_np(pthread_t t, void** ret, const struct timespec* abstime) {
  if (!gp::is_green(t)) return REAL(pthread_timedjoin_np)(t, ret, abstime);
  if (abstime && !gs::valid_timespec(abstime)) return EINVAL;
  greenring::detail::CallSite site(__builtin_return_address(0));
  return gp::join(t, ret, gs::deadline_from(CLOCK_REALTIME, abstime), false);
}

int pthread_clockjoin_np(pthread_t t, void** ret, clockid_t clock, const struct timespec* abstime) {
  if (!gp::is_green(t)) return REAL(pthread_clockjoin_np)(t, ret, clock, abstime);
  if (abstime && !gs::valid_timespec(abstime)) return EINVAL;
  greenring::detail::CallSite site(__builtin_return_address(0));
  return gp::join(t, ret, gs::deadline_from(clock, abstime), false);
}

int pthread_detach(pthread_t t) {
  if (!gp::is_green(t)) return REAL(pthread_detach)(t);
  return gp::detach(t);
}

void pthread_exit(void* value) {
  if (gp::self()) gp::exit(value);
  if (green_threads()) gp::exit_main();
  REAL(pthread_exit)(value);
  __builtin_unreachable();
}

int pthread_setname_np(pthread_t t, const char* name) {
  if (!gp::is_green(t)) return REAL(pthread_setname_np)(t, name);
  return gp::setname(t, name);
}

int pthread_getname_np(pthread_t t, char* buf, size_t len) {
  if (!gp::is_green(t)) return REAL(pthread_getname_np)(t, buf, len);
  return gp::getname(t, buf, len);
}

int pthread_getattr_np(pthread_t t, pthread_attr_t* attr) {
  if (!gp::is_green(t)) return REAL(pthread_getattr_np)(t, attr);
  return gp::getattr(t, attr);
}

// A signal for a green thread goes to the OS thread it runs on: its handler
// runs there, in whichever green thread is current (documented).
int pthread_kill(pthread_t t, int sig) {
  if (!gp::is_green(t)) return REAL(pthread_kill)(t, sig);
  return REAL(pthread_kill)(gp::host_of(t), sig);
}

int pthread_sigqueue(pthread_t t, int sig, const union sigval value) {
  if (!gp::is_green(t)) return REAL(pthread_sigqueue)(t, sig, value);
  return REAL(pthread_sigqueue)(gp::host_of(t), sig, value);
}

int pthread_cancel(pthread_t t) {
  if (!gp::is_green(t)) return REAL(pthread_cancel)(t);
  static std::atomic<bool> said{false};
  say_once(said, "greenring: pthread_cancel of a green thread is not supported; it returns ENOTSUP");
  return ENOTSUP;
}

int pthread_getschedparam(pthread_t t, int* policy, struct sched_param* param) {
  return REAL(pthread_getschedparam)(gp::is_green(t) ? gp::host_of(t) : t, policy, param);
}
int pthread_setschedparam(pthread_t t, int policy, const struct sched_param* param) {
  return REAL(pthread_setschedparam)(gp::is_green(t) ? gp::host_of(t) : t, policy, param);
}
int pthread_setschedprio(pthread_t t, int prio) {
  return REAL(pthread_setschedprio)(gp::is_green(t) ? gp::host_of(t) : t, prio);
}
int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t* set) {
  return REAL(pthread_getaffinity_np)(gp::is_green(t) ? gp::host_of(t) : t, size, set);
}
int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t* set) {
  return REAL(pthread_setaffinity_np)(gp::is_green(t) ? gp::host_of(t) : t, size, set);
}
int pthread_getcpuclockid(pthread_t t, clockid_t* clock) {
  return REAL(pthread_getcpuclockid)(gp::is_green(t) ? gp::host_of(t) : t, clock);
}

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  int r = REAL(pthread_key_create)(key, destructor);
  if (r == 0) gp::key_created(*key, destructor);
  return r;
}

int pthread_key_delete(pthread_key_t key) {
  gp::key_deleted(key);
  return REAL(pthread_key_delete)(key);
}

void* pthread_getspecific(pthread_key_t key) {
  void* v = nullptr;
  if (gp::getspecific(key, &v)) return v;
  return REAL(pthread_getspecific)(key);
}

// glibc declares the value access(none): only its address is stored, which
// gcc then reports as a read of maybe-uninitialised memory when forwarded.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
int pthread_setspecific(pthread_key_t key, const void* value) {
  int err = 0;
  if (gp::setspecific(key, value, &err)) return err;
  return REAL(pthread_setspecific)(key, value);
}
#pragma GCC diagnostic pop

int pthread_once(pthread_once_t* once, void (*init)()) {
  if (!green_threads()) return REAL(pthread_once)(once, init);
  return gs::once(once, init);
}

void __pthread_register_cancel(__pthread_unwind_buf_t* buf) {
  if (!gp::register_cleanup(buf)) REAL(__pthread_register_cancel)(buf);
}

void __pthread_unregister_cancel(__pthread_unwind_buf_t* buf) {
  if (!gp::unregister_cleanup(buf)) REAL(__pthread_unregister_cancel)(buf);
}

void __pthread_unwind_next(__pthread_unwind_buf_t* buf) {
  gp::unwind_next(buf);
  REAL(__pthread_unwind_next)(buf);
  __builtin_trap();  // glibc's never returns either
}

// Process exit must not wait for parked green threads (runtime/src/thread_exit.cpp).
int __cxa_thread_atexit_impl(void (*dtor)(void*), void* obj, void* dso) {
  if (greenring::detail::decline_thread_atexit(dtor)) return 0;
  return REAL(__cxa_thread_atexit_impl)(dtor, obj, dso);
}

}  // extern "C"
