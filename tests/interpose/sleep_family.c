/* sleep_family: sleep, usleep, nanosleep, clock_nanosleep (relative and
 * TIMER_ABSTIME, on each clock the shim parks on and on those it passes
 * through) and sched_yield. Each sleep must last at least what was asked,
 * return what libc returns and leave errno and *rem as libc does. */
#include "transcript.h"

#include <sched.h>

static void sleep_basics(void) {
  long long t0 = t_now_ms();
  CALL("sleep(0)", sleep(0));
  CALL("usleep(0)", usleep(0));
  t0 = t_now_ms();
  CALL("usleep(120000)", usleep(120000));
  t_took("usleep(120000)", t0, 120, 1500);
  t0 = t_now_ms();
  CALL("sleep(1)", sleep(1));
  t_took("sleep(1)", t0, 1000, 2500);
}

static void nanosleep_cases(void) {
  struct timespec req = {0, 150 * 1000000L};
  struct timespec rem = {7, 7};
  long long t0 = t_now_ms();
  CALL("nanosleep(150ms, &rem)", nanosleep(&req, &rem));
  t_took("nanosleep(150ms)", t0, 150, 1500);
  t_say("nanosleep leaves rem alone on success: %s", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");
  CALL("nanosleep(150ms, NULL)", nanosleep(&req, NULL));

  struct timespec zero = {0, 0};
  CALL("nanosleep(0)", nanosleep(&zero, NULL));
  struct timespec bad_ns = {0, 1000000000L};
  CALL("nanosleep(tv_nsec=1e9)", nanosleep(&bad_ns, NULL));
  struct timespec neg_ns = {0, -1};
  CALL("nanosleep(tv_nsec=-1)", nanosleep(&neg_ns, NULL));
  struct timespec neg_s = {-1, 0};
  CALL("nanosleep(tv_sec=-1)", nanosleep(&neg_s, NULL));
  struct timespec* volatile no_req = NULL; /* volatile: hide the NULL from the nonnull check */
  CALL("nanosleep(NULL)", nanosleep(no_req, NULL));
  CALL_RC("clock_nanosleep(MONOTONIC, 0, NULL)", clock_nanosleep(CLOCK_MONOTONIC, 0, no_req, NULL));
}

static struct timespec plus_ms(clockid_t c, long ms) {
  struct timespec ts;
  clock_gettime(c, &ts);
  ts.tv_nsec += (ms % 1000) * 1000000L;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static void clock_nanosleep_cases(void) {
  static const struct {
    clockid_t id;
    const char* name;
  } clocks[] = {
      {CLOCK_MONOTONIC, "MONOTONIC"},
      {CLOCK_REALTIME, "REALTIME"},
      {CLOCK_BOOTTIME, "BOOTTIME"},
      {CLOCK_TAI, "TAI"},
  };
  char label[128];
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; ++i) {
    struct timespec rel = {0, 100 * 1000000L};
    struct timespec rem = {7, 7};
    long long t0 = t_now_ms();
    snprintf(label, sizeof label, "clock_nanosleep(%s, 0, 100ms)", clocks[i].name);
    CALL_RC(label, clock_nanosleep(clocks[i].id, 0, &rel, &rem));
    t_took(label, t0, 100, 1500);
    t_say("  rem untouched: %s", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");

    struct timespec abs = plus_ms(clocks[i].id, 150);
    t0 = t_now_ms();
    snprintf(label, sizeof label, "clock_nanosleep(%s, TIMER_ABSTIME, now+150ms)", clocks[i].name);
    CALL_RC(label, clock_nanosleep(clocks[i].id, TIMER_ABSTIME, &abs, NULL));
    t_took(label, t0, 140, 1500);
    /* It must not end before the absolute time, read on the same clock. */
    struct timespec after;
    clock_gettime(clocks[i].id, &after);
    t_say("  %s clock is past the deadline: %s", clocks[i].name,
          after.tv_sec > abs.tv_sec || (after.tv_sec == abs.tv_sec && after.tv_nsec >= abs.tv_nsec) ? "yes"
                                                                                                    : "no");

    struct timespec past = plus_ms(clocks[i].id, 0);
    past.tv_sec -= 5;
    t0 = t_now_ms();
    snprintf(label, sizeof label, "clock_nanosleep(%s, TIMER_ABSTIME, 5s ago)", clocks[i].name);
    CALL_RC(label, clock_nanosleep(clocks[i].id, TIMER_ABSTIME, &past, NULL));
    t_took(label, t0, 0, 500);
  }

  struct timespec rel = {0, 1000000L};
  struct timespec bad = {0, 2000000000L};
  CALL_RC("clock_nanosleep(MONOTONIC, 0, tv_nsec=2e9)", clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL));
  CALL_RC("clock_nanosleep(MONOTONIC, ABSTIME, tv_nsec=2e9)",
          clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &bad, NULL));
  struct timespec neg = {-1, 0};
  CALL_RC("clock_nanosleep(REALTIME, 0, tv_sec=-1)", clock_nanosleep(CLOCK_REALTIME, 0, &neg, NULL));
  /* Clocks the shim does not park on go to libc unchanged. */
  CALL_RC("clock_nanosleep(THREAD_CPUTIME_ID)", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL));
  CALL_RC("clock_nanosleep(MONOTONIC_RAW)", clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &rel, NULL));
  CALL_RC("clock_nanosleep(clock 4242)", clock_nanosleep((clockid_t)4242, 0, &rel, NULL));
}

static void* sleeper(void* arg) {
  (void)arg;
  struct timespec req = {0, 300 * 1000000L};
  nanosleep(&req, NULL);
  usleep(10000);
  return NULL;
}

/* Each OS thread gets its own scheduler under the shim: four threads that
 * sleep 300 ms at the same time are done in about 300 ms, not 1.2 s. */
static void threads_sleep_in_parallel(void) {
  pthread_t t[4];
  long long t0 = t_now_ms();
  for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, sleeper, NULL);
  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  t_took("4 threads x 300 ms sleep, in parallel", t0, 300, 900);
}

int main(int argc, char** argv) {
  t_start("sleep_family", 25);
  if (t_want(argc, argv, "basics")) sleep_basics();
  if (t_want(argc, argv, "nanosleep")) nanosleep_cases();
  if (t_want(argc, argv, "clock_nanosleep")) clock_nanosleep_cases();
  if (t_want(argc, argv, "sched_yield")) {
    CALL("sched_yield()", sched_yield());
    CALL("sched_yield() again", sched_yield());
  }
  if (t_want(argc, argv, "threads")) threads_sleep_in_parallel();
  return t_end();
}
