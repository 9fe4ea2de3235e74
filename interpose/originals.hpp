// originals: the libc functions behind each hook, found with
// dlsym(RTLD_NEXT) once and cached. A hook that passes a call through uses
// REAL(name)(args...), never the name itself (which would be the hook).
#pragma once

#include <dlfcn.h>

namespace greenring::interpose {

[[noreturn]] void missing_original(const char* name);

template <class Fn>
Fn* resolve_next(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (!p) missing_original(name);
  return reinterpret_cast<Fn*>(p);
}

}  // namespace greenring::interpose

// The original of `name`, with the hook's own signature.
#define REAL(name)                                                                                   \
  ([]() noexcept {                                                                                   \
    static auto* const fn = ::greenring::interpose::resolve_next<decltype(::name)>(#name);          \
    return fn;                                                                                       \
  }())
