// thread_exit: process exit must not wait for parked green threads. At exit
// the main thread's thread-local destructors run first, and Boost.Fiber's
// (its scheduler's) would wait for every green thread to end, so a program
// whose main() returns while a detached green thread is parked would hang.
// Native threads vanish at exit; green ones do the same: the main thread's
// Boost.Fiber scheduler is never torn down (the process is ending anyway).
// Other OS threads keep Boost's behaviour: their scheduler waits for their
// green threads when the thread exits.
#include <dlfcn.h>
#include <unistd.h>

#include <cstring>

#include "libc.hpp"
#include "sys.hpp"

namespace greenring::detail {

bool decline_thread_atexit(void (*dtor)(void*)) noexcept {
  if (sys::gettid() != getpid()) return false;
  Dl_info info{};
  return dladdr(reinterpret_cast<void*>(dtor), &info) && info.dli_fname && strstr(info.dli_fname, "libboost_fiber");
}

}  // namespace greenring::detail

// When a program links libgreenring, this definition comes before glibc's
// in the search order. (Under LD_PRELOAD the preload library's comes first
// and asks decline_thread_atexit the same question.)
extern "C" int __cxa_thread_atexit_impl(void (*dtor)(void*), void* obj, void* dso) {
  if (greenring::detail::decline_thread_atexit(dtor)) return 0;
  return greenring::detail::libc::cxa_thread_atexit_impl(dtor, obj, dso);
}
