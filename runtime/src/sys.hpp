// Raw system calls for the runtime's own use. The preload library interposes
// libc's wrappers (read, write, syscall, futex users...), so the runtime never
// calls them for itself: it enters the kernel directly, or through the ring.
#pragma once

#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <ctime>

// The runtime's thread-locals are touched at every switch; the initial-exec
// model reads them with one instruction instead of a __tls_get_addr call.
// libgreenring is loaded at start-up (DT_NEEDED or LD_PRELOAD), where that
// model is allowed.
#define GREENRING_TLS thread_local __attribute__((tls_model("initial-exec")))

namespace greenring::sys {

// Returns the kernel's raw result: >= 0, or -errno. errno is left untouched,
// which is what the callers want (they decide what the application sees).
inline long raw(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
#if defined(__x86_64__)
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
#else
#error "greenring: raw system calls are written for x86_64 and aarch64 only"
#endif
}

// Sets errno from a raw result and returns the libc-style value.
inline long to_errno(long r) {
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

inline long write(int fd, const void* buf, size_t n) {
  return raw(SYS_write, fd, reinterpret_cast<long>(buf), static_cast<long>(n));
}
inline long read(int fd, void* buf, size_t n) {
  return raw(SYS_read, fd, reinterpret_cast<long>(buf), static_cast<long>(n));
}
inline long close(int fd) { return raw(SYS_close, fd); }

// 1 if fd is a regular file or a directory (the kinds whose position the
// kernel locks for read/write), 0 if it is something else, -errno if fstat
// failed.
inline long position_locked(int fd) {
  struct stat st;
  long r = raw(SYS_fstat, fd, reinterpret_cast<long>(&st));
  if (r < 0) return r;
  return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}
inline long gettid() { return raw(SYS_gettid); }

inline long futex_wait(std::atomic<uint32_t>* addr, uint32_t expected) {
  return raw(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAIT_PRIVATE, expected, 0);
}
inline long futex_wake(std::atomic<uint32_t>* addr, int n) {
  return raw(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAKE_PRIVATE, n);
}

// A small futex mutex for the runtime's own cross-thread structures (offload
// queue, stack pool). pthread_mutex_* is interposed in green-threads mode, so
// the runtime does not use it for itself.
class Mutex {
 public:
  void lock() {
    uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    if (c != 2) c = state_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      futex_wait(&state_, 2);
      c = state_.exchange(2, std::memory_order_acquire);
    }
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) futex_wake(&state_, 1);
  }

 private:
  std::atomic<uint32_t> state_{0};  // 0 free, 1 locked, 2 locked with waiters
};

struct LockGuard {
  explicit LockGuard(Mutex& m) : m_(m) { m_.lock(); }
  ~LockGuard() { m_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  Mutex& m_;
};

// Writes one whole line to stderr without stdio (stdio may be locked by the
// code that failed, and its write is interposed).
void die_line(const char* msg) __attribute__((noreturn));
void say_line(const char* msg);

}  // namespace greenring::sys
