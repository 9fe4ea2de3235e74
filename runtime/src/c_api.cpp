// The C API: thin wrappers over the C++ one; errors become errno.
#include <greenring/greenring.h>
#include <greenring/greenring.hpp>

#include <cerrno>
#include <new>

struct gr_thread {
  greenring::green_thread t;
};

extern "C" {

gr_thread* gr_spawn(void (*fn)(void*), void* arg) {
  if (!fn) {
    errno = EINVAL;
    return nullptr;
  }
  try {
    return new gr_thread{greenring::spawn([fn, arg] { fn(arg); })};
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
  } catch (...) {
    errno = EAGAIN;
  }
  return nullptr;
}

int gr_join(gr_thread* t) {
  if (!t) {
    errno = EINVAL;
    return -1;
  }
  try {
    t->t.join();
  } catch (...) {
    errno = EDEADLK;
    return -1;
  }
  delete t;
  return 0;
}

int gr_detach(gr_thread* t) {
  if (!t) {
    errno = EINVAL;
    return -1;
  }
  t->t.detach();
  delete t;
  return 0;
}

void gr_yield(void) { greenring::yield(); }

void gr_sleep_ns(uint64_t ns) { greenring::sleep_for(std::chrono::nanoseconds(ns)); }

uint64_t gr_self(void) { return greenring::this_green_thread::get_id(); }
}
