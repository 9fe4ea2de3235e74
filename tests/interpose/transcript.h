/* transcript.h: what the interposition test programs share.
 *
 * Each program performs libc calls and prints one line per call: the label,
 * the return value and, on failure, errno's name. The same program runs once
 * natively and once under LD_PRELOAD=libgreenring-preload.so (compare.sh), and
 * the two transcripts must be identical. Timings are never printed; a check
 * of a duration prints "ok" or "NOT OK", and compare.sh fails on any
 * "NOT OK" even when both transcripts agree.
 *
 * Everything here is static so each program is a single C file. */
#ifndef GREENRING_TEST_TRANSCRIPT_H
#define GREENRING_TEST_TRANSCRIPT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* The exit status ctest takes as "skipped" (SKIP_RETURN_CODE). */
#define T_SKIP 77

/* Every helper is static and some programs use only a few of them. */
#define T_FN static __attribute__((unused))

static int t_bad_count;

/* The running kernel's release is at least major.minor. Before Linux 6.7
 * the shim's wake-up between OS threads is an eventfd kept near the fd
 * limit: a program that closes every fd, or a select() that counts on the
 * size of the fd table, then sees it. */
T_FN int t_kernel_at_least(int major, int minor) {
  struct utsname u;
  int ma = 0, mi = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2) return 0;
  return ma > major || (ma == major && mi >= minor);
}

/* Line-buffered stdout, so that a program killed by its watchdog still shows
 * every line it completed; a watchdog that ends a hung program (the default
 * action of SIGALRM kills it whatever the shim does with the signal). */
T_FN void t_start(const char* name, unsigned watchdog_seconds) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("== %s\n", name);
  if (watchdog_seconds) alarm(watchdog_seconds);
}

/* For programs that use SIGALRM themselves (setitimer shares alarm's
 * timer): a POSIX timer that kills the process with SIGKILL. */
T_FN void t_watchdog_kill(unsigned seconds) {
  struct sigevent sev;
  timer_t timer;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGKILL;
  struct itimerspec when = {{0, 0}, {(time_t)seconds, 0}};
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0 || timer_settime(timer, 0, &when, NULL) != 0) {
    perror("watchdog timer");
    exit(2);
  }
}

T_FN int t_end(void) {
  printf("== end\n");
  fflush(stdout);
  return t_bad_count ? 1 : 0;
}

T_FN void t_say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
T_FN void t_say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

T_FN const char* t_errname(int e) {
  const char* n = e ? strerrorname_np(e) : "0";
  return n ? n : "E?";
}

/* One call: result, and errno when it failed. errno is cleared first, so a
 * call that succeeds but leaves errno changed shows that too ("errno left
 * ..."): a transparent shim must not clobber it either. */
T_FN void t_result(const char* label, long r, int err) {
  if (r < 0) {
    printf("%s = %ld errno=%s\n", label, r, t_errname(err));
  } else if (err) {
    printf("%s = %ld (errno left %s)\n", label, r, t_errname(err));
  } else {
    printf("%s = %ld\n", label, r);
  }
}
#define CALL(label, expr)              \
  do {                                 \
    errno = 0;                         \
    long t_r_ = (long)(expr);          \
    int t_e_ = errno;                  \
    t_result((label), t_r_, t_e_);     \
  } while (0)

/* For functions that return an error number instead of setting errno
 * (clock_nanosleep, getaddrinfo's EAI_*, pthread_*). */
#define CALL_RC(label, expr)                                         \
  do {                                                               \
    int t_rc_ = (int)(expr);                                         \
    printf("%s = %s\n", (label), t_rc_ ? t_errname(t_rc_) : "0");    \
  } while (0)

T_FN void t_check(const char* label, int good) {
  printf("%s: %s\n", label, good ? "ok" : "NOT OK");
  if (!good) ++t_bad_count;
}

T_FN long long t_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A duration check: at least min_ms (the call really waited) and less than
 * max_ms (it did not wait for something else). Bounds are loose on purpose. */
T_FN void t_took(const char* label, long long start_ms, long long min_ms, long long max_ms) {
  long long d = t_now_ms() - start_ms;
  char what[256];
  snprintf(what, sizeof what, "%s took %lld..%lld ms", label, min_ms, max_ms);
  if (d < min_ms || d >= max_ms) fprintf(stderr, "%s: took %lld ms\n", label, d);
  t_check(what, d >= min_ms && d < max_ms);
}

T_FN void t_msleep(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* A helper OS thread that does something after a delay: the other side of a
 * call the main thread blocks in. */
struct t_later {
  pthread_t thread;
  long delay_ms;
  void (*fn)(void*);
  void* arg;
};

T_FN void* t_later_main(void* p) {
  struct t_later* l = (struct t_later*)p;
  t_msleep(l->delay_ms);
  l->fn(l->arg);
  return NULL;
}

T_FN void t_later_start(struct t_later* l, long delay_ms, void (*fn)(void*), void* arg) {
  l->delay_ms = delay_ms;
  l->fn = fn;
  l->arg = arg;
  if (pthread_create(&l->thread, NULL, t_later_main, l) != 0) {
    perror("pthread_create");
    exit(2);
  }
}

T_FN void t_later_join(struct t_later* l) { pthread_join(l->thread, NULL); }

/* Runs one named case when argv[1] names it or when no case is named. */
T_FN int t_want(int argc, char** argv, const char* name) {
  return argc < 2 || strcmp(argv[1], name) == 0;
}

#endif
