/* c_api_test: the C API (greenring.h) from a C program. Exits 0 when every
 * check passes, 1 otherwise, naming each failed check on stderr. */
#define _POSIX_C_SOURCE 200809L
#include <greenring/greenring.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- FIFO yield: three green threads append their number, yield, twice. */
static int order[16];
static int order_len = 0;
static uint64_t ids_inside[4];

static void append_and_yield(void* arg) {
  int n = *(int*)arg;
  ids_inside[n] = gr_self();
  for (int round = 0; round < 2; ++round) {
    order[order_len++] = n;
    gr_yield();
  }
}

static void test_fifo_yield_and_ids(void) {
  static int nums[4] = {0, 1, 2, 3};
  gr_thread* t[4];
  for (int i = 1; i <= 3; ++i) {
    t[i] = gr_spawn(append_and_yield, &nums[i]);
    CHECK(t[i] != NULL);
  }
  CHECK(order_len == 0); /* nothing runs before the caller yields or blocks */
  for (int i = 1; i <= 3; ++i) CHECK(gr_join(t[i]) == 0);
  int expected[6] = {1, 2, 3, 1, 2, 3};
  CHECK(order_len == 6);
  CHECK(memcmp(order, expected, sizeof expected) == 0);
  CHECK(ids_inside[1] != 0 && ids_inside[2] != 0 && ids_inside[3] != 0);
  CHECK(ids_inside[1] != ids_inside[2] && ids_inside[2] != ids_inside[3] && ids_inside[1] != ids_inside[3]);
}

/* ---- sleep: no earlier than asked, in main and in a green thread. */
static uint64_t slept_ns_inside = 0;

static void sleeper(void* arg) {
  uint64_t ns = *(uint64_t*)arg;
  uint64_t t0 = now_ns();
  gr_sleep_ns(ns);
  slept_ns_inside = now_ns() - t0;
}

static void test_sleep(void) {
  uint64_t t0 = now_ns();
  gr_sleep_ns(20000000u); /* 20 ms */
  CHECK(now_ns() - t0 >= 20000000u);
  static uint64_t ns = 15000000u;
  gr_thread* t = gr_spawn(sleeper, &ns);
  CHECK(t != NULL);
  CHECK(gr_join(t) == 0);
  CHECK(slept_ns_inside >= ns);
}

/* ---- detach: the green thread still runs to the end. */
static volatile int detached_done = 0;

static void detached_body(void* arg) {
  (void)arg;
  gr_sleep_ns(5000000u);
  detached_done = 1;
}

static void test_detach(void) {
  gr_thread* t = gr_spawn(detached_body, NULL);
  CHECK(t != NULL);
  CHECK(gr_detach(t) == 0);
  uint64_t t0 = now_ns();
  while (!detached_done && now_ns() - t0 < 5000000000u) gr_sleep_ns(1000000u);
  CHECK(detached_done == 1);
}

/* ---- join from another green thread, and self-join. */
static gr_thread* inner_handle = NULL;
static int inner_done = 0, outer_saw_inner_done = 0;
static gr_thread* self_handle = NULL;
static int self_join_result = 0, self_join_errno = 0;

static void inner_body(void* arg) {
  (void)arg;
  gr_sleep_ns(5000000u);
  inner_done = 1;
}

static void outer_body(void* arg) {
  (void)arg;
  if (gr_join(inner_handle) == 0) outer_saw_inner_done = inner_done;
}

static void self_joiner(void* arg) {
  (void)arg;
  errno = 0;
  self_join_result = gr_join(self_handle);
  self_join_errno = errno;
}

static void test_join_from_green_and_self(void) {
  inner_handle = gr_spawn(inner_body, NULL);
  gr_thread* outer = gr_spawn(outer_body, NULL);
  CHECK(inner_handle != NULL && outer != NULL);
  CHECK(gr_join(outer) == 0);
  CHECK(outer_saw_inner_done == 1);

  self_handle = gr_spawn(self_joiner, NULL);
  CHECK(self_handle != NULL);
  gr_yield(); /* self_joiner runs and fails to join itself */
  CHECK(self_join_result == -1);
  CHECK(self_join_errno == EDEADLK);
  CHECK(gr_join(self_handle) == 0);
}

/* ---- invalid arguments. */
static void test_invalid_arguments(void) {
  errno = 0;
  CHECK(gr_spawn(NULL, NULL) == NULL);
  CHECK(errno == EINVAL);
  errno = 0;
  CHECK(gr_join(NULL) == -1);
  CHECK(errno == EINVAL);
  errno = 0;
  CHECK(gr_detach(NULL) == -1);
  CHECK(errno == EINVAL);
}

/* ---- many green threads at once. */
static int counter = 0;

static void count_after_sleep(void* arg) {
  (void)arg;
  gr_sleep_ns(2000000u);
  ++counter;
}

static void test_many(void) {
  enum { N = 500 };
  static gr_thread* t[N];
  for (int i = 0; i < N; ++i) t[i] = gr_spawn(count_after_sleep, NULL);
  int joined = 0;
  for (int i = 0; i < N; ++i)
    if (t[i] && gr_join(t[i]) == 0) ++joined;
  CHECK(joined == N);
  CHECK(counter == N);
}

int main(void) {
  CHECK(gr_self() == 0);
  test_fifo_yield_and_ids();
  CHECK(gr_self() == 0);
  test_sleep();
  test_detach();
  test_join_from_green_and_self();
  test_invalid_arguments();
  test_many();
  gr_yield(); /* with nothing ready: returns */
  if (failures) {
    fprintf(stderr, "c_api_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
