// libc: resolves glibc's originals once, through a handle on libc.so.6 (not
// RTLD_NEXT: where libgreenring sits in the search order varies).
#include "libc.hpp"

#include <dlfcn.h>

#include "sys.hpp"

namespace greenring::detail::libc {
namespace {

void* resolve(const char* name) {
  static void* handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  void* p = handle ? dlsym(handle, name) : nullptr;
  if (!p) sys::die_line("greenring: cannot find glibc's own entry points in libc.so.6");
  return p;
}

}  // namespace

int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  using Fn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Fn>(resolve("pthread_create"));
  return real(t, attr, fn, arg);
}

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  using Fn = int (*)(int, const struct sigaction*, struct sigaction*);
  static const auto real = reinterpret_cast<Fn>(resolve("sigaction"));
  return real(sig, act, old);
}

int cxa_thread_atexit_impl(void (*dtor)(void*), void* obj, void* dso) {
  using Fn = int (*)(void (*)(void*), void*, void*);
  static const auto real = reinterpret_cast<Fn>(resolve("__cxa_thread_atexit_impl"));
  return real(dtor, obj, dso);
}

}  // namespace greenring::detail::libc
