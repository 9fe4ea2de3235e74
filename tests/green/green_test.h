/* green_test.h: what the threads-mode-green test programs share.
 *
 * Each program is an ordinary POSIX program: it is run by ctest under
 * `greenring run -- PROG CASE` (and some also natively, as a control that
 * the program's own expectations are POSIX's). A failed check prints
 * file:line and the expression and makes the program exit 1 at the end of
 * the case; a case that cannot run here exits 77 (ctest's SKIP_RETURN_CODE).
 *
 * GREEN_EXPECT=green (set by the ctest registration of the shim runs) means
 * "this run must be under the shim": the program then asserts that
 * libgreenring-preload.so is loaded and that its hundreds of threads ran on
 * at most GREEN_MAX_OS_THREADS (default 4) OS threads, counted as the
 * entries of /proc/self/task at checkpoints while the threads are alive. */
#ifndef GREEN_TEST_H
#define GREEN_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
#include <atomic>
#define GT_ATOMIC_INT std::atomic<int>
#define GT_LOAD(x) (x).load()
#define GT_MAX_STORE(x, v)                            \
  do {                                                \
    int gt_old_ = (x).load();                         \
    while (gt_old_ < (v) && !(x).compare_exchange_weak(gt_old_, (v))) { \
    }                                                 \
  } while (0)
#define GT_INLINE inline
#else
#include <stdatomic.h>
#define GT_ATOMIC_INT _Atomic int
#define GT_LOAD(x) atomic_load(&(x))
#define GT_MAX_STORE(x, v)                                                        \
  do {                                                                            \
    int gt_old_ = atomic_load(&(x));                                              \
    while (gt_old_ < (v) && !atomic_compare_exchange_weak(&(x), &gt_old_, (v))) { \
    }                                                                             \
  } while (0)
#define GT_INLINE static inline
#endif

#define GT_SKIP 77

#ifdef __cplusplus
inline std::atomic<int> gt_failures{0};
inline std::atomic<int> gt_max_os_threads{0};
#else
static _Atomic int gt_failures;
static _Atomic int gt_max_os_threads;
#endif

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
      gt_failures++;                                                                  \
    }                                                                                 \
  } while (0)

/* CHECK_EQ for integers, printing both values. */
#define CHECK_EQ(a, b)                                                                \
  do {                                                                                \
    long long gt_a_ = (long long)(a), gt_b_ = (long long)(b);                         \
    if (gt_a_ != gt_b_) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s == %s (%lld vs %lld)\n", __FILE__,     \
              __LINE__, #a, #b, gt_a_, gt_b_);                                        \
      gt_failures++;                                                                  \
    }                                                                                 \
  } while (0)

/* A check whose failure makes going on pointless. */
#define REQUIRE(cond)                                                                 \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: required check failed: %s (errno %d)\n", __FILE__,      \
              __LINE__, #cond, errno);                                                \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

GT_INLINE uint64_t gt_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An absolute time `ms` from now on `clock`, for the timed calls. */
GT_INLINE struct timespec gt_abs_ms(clockid_t clock, long ms) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* The number of OS threads of this process right now: the entries of
 * /proc/self/task (io_uring's kernel workers would be counted too). */
GT_INLINE int gt_os_threads(void) {
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

/* A checkpoint: records the OS-thread count now (the maximum is checked at
 * the end by gt_finish). */
GT_INLINE void gt_sample_os_threads(void) {
  int n = gt_os_threads();
  GT_MAX_STORE(gt_max_os_threads, n);
}

GT_INLINE int gt_expect_green(void) {
  const char* e = getenv("GREEN_EXPECT");
  return e && strcmp(e, "green") == 0;
}

GT_INLINE int gt_under_shim(void) {
  const char* p = getenv("LD_PRELOAD");
  return p && strstr(p, "libgreenring-preload.so") != NULL;
}

GT_INLINE int gt_os_thread_cap(void) {
  const char* e = getenv("GREEN_MAX_OS_THREADS");
  return e ? atoi(e) : 4;
}

/* The end of a case: the OS-thread bound when a green run is expected, then
 * the verdict as the exit status (0 pass, 1 fail). */
GT_INLINE int gt_finish(const char* name) {
  if (gt_expect_green()) {
    if (!gt_under_shim()) {
      fprintf(stderr, "%s: GREEN_EXPECT=green but libgreenring-preload.so is not in LD_PRELOAD\n", name);
      gt_failures++;
    }
    int peak = GT_LOAD(gt_max_os_threads);
    if (peak > gt_os_thread_cap()) {
      fprintf(stderr, "%s: ran on %d OS threads at a checkpoint, more than the %d allowed\n", name, peak,
              gt_os_thread_cap());
      gt_failures++;
    }
  }
  int f = GT_LOAD(gt_failures);
  fprintf(stderr, "%s: %s (%d failed checks, peak OS threads seen %d)\n", name, f ? "FAIL" : "ok", f,
          GT_LOAD(gt_max_os_threads));
  return f ? 1 : 0;
}

/* A case table: PROG CASE runs one; PROG with no argument lists them. */
struct gt_case {
  const char* name;
  void (*fn)(void);
};

GT_INLINE int gt_main(const struct gt_case* cases, int argc, char** argv) {
  if (argc < 2) {
    for (const struct gt_case* c = cases; c->name; ++c) printf("%s\n", c->name);
    return 2;
  }
  for (const struct gt_case* c = cases; c->name; ++c) {
    if (strcmp(c->name, argv[1]) == 0) {
      c->fn();
      return gt_finish(c->name);
    }
  }
  fprintf(stderr, "unknown case %s\n", argv[1]);
  return 2;
}

#endif
