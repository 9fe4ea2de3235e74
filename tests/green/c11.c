/* c11: C11 <threads.h> (glibc implements it past the PLT, so the shim
 * interposes each call): thrd_*, mtx_* (plain, recursive, timed), cnd_*
 * (with a timed wait), tss_* with destructors, call_once. One case: all. */
#define _GNU_SOURCE
#include <threads.h>

#include "green_test.h"

#define N 200

static mtx_t mu;
static cnd_t cv;
static int ready_count, go;
static tss_t key;
static _Atomic int tss_dtors;
static once_flag once = ONCE_FLAG_INIT;
static _Atomic int once_runs;

static void tss_dtor(void* v) {
  CHECK(*(int*)v >= 0);
  free(v);
  tss_dtors++;
}

static void init_once(void) {
  once_runs++;
  thrd_sleep(&(struct timespec){0, 5 * 1000000L}, NULL); /* yields */
}

static int body(void* arg) {
  int i = (int)(intptr_t)arg;
  call_once(&once, init_once);
  int* mine = malloc(sizeof *mine);
  *mine = i;
  CHECK_EQ(tss_set(key, mine), thrd_success);
  CHECK_EQ(mtx_lock(&mu), thrd_success);
  ready_count++;
  cnd_broadcast(&cv);
  while (!go) CHECK_EQ(cnd_wait(&cv, &mu), thrd_success);
  CHECK_EQ(mtx_unlock(&mu), thrd_success);
  thrd_yield();
  CHECK(tss_get(key) == mine);
  if (i % 50 == 0) gt_sample_os_threads();
  return i * 2;
}

static int recursion_body(void* arg) {
  mtx_t* rm = arg;
  CHECK_EQ(mtx_trylock(rm), thrd_busy);
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 50);
  return mtx_timedlock(rm, &dl) == thrd_timedout ? 7 : 0;
}

static int exits_early(void* arg) {
  (void)arg;
  thrd_exit(11);
}

static void all(void) {
  REQUIRE(mtx_init(&mu, mtx_plain) == thrd_success);
  REQUIRE(cnd_init(&cv) == thrd_success);
  REQUIRE(tss_create(&key, tss_dtor) == thrd_success);
  thrd_t t[N];
  for (int i = 0; i < N; ++i) REQUIRE(thrd_create(&t[i], body, (void*)(intptr_t)i) == thrd_success);
  mtx_lock(&mu);
  while (ready_count < N) cnd_wait(&cv, &mu);
  gt_sample_os_threads();
  go = 1;
  cnd_broadcast(&cv);
  mtx_unlock(&mu);
  for (int i = 0; i < N; ++i) {
    int res = -1;
    CHECK_EQ(thrd_join(t[i], &res), thrd_success);
    CHECK_EQ(res, i * 2);
  }
  CHECK_EQ(atomic_load(&once_runs), 1);
  CHECK_EQ(atomic_load(&tss_dtors), N);

  /* cnd_timedwait times out. */
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 60);
  uint64_t t0 = gt_now_ns();
  mtx_lock(&mu);
  CHECK_EQ(cnd_timedwait(&cv, &mu, &dl), thrd_timedout);
  mtx_unlock(&mu);
  CHECK((gt_now_ns() - t0) / 1000000 >= 55);

  /* A recursive timed mutex held twice by us is busy for another thread. */
  mtx_t rm;
  REQUIRE(mtx_init(&rm, mtx_timed | mtx_recursive) == thrd_success);
  CHECK_EQ(mtx_lock(&rm), thrd_success);
  CHECK_EQ(mtx_lock(&rm), thrd_success);
  thrd_t other;
  REQUIRE(thrd_create(&other, recursion_body, &rm) == thrd_success);
  int res = 0;
  CHECK_EQ(thrd_join(other, &res), thrd_success);
  CHECK_EQ(res, 7);
  CHECK_EQ(mtx_unlock(&rm), thrd_success);
  CHECK_EQ(mtx_unlock(&rm), thrd_success);
  mtx_destroy(&rm);

  /* thrd_exit's value, thrd_current/thrd_equal, thrd_detach. */
  REQUIRE(thrd_create(&other, exits_early, NULL) == thrd_success);
  CHECK(!thrd_equal(other, thrd_current()));
  CHECK(thrd_equal(thrd_current(), thrd_current()));
  CHECK_EQ(thrd_join(other, &res), thrd_success);
  CHECK_EQ(res, 11);
  REQUIRE(thrd_create(&other, exits_early, NULL) == thrd_success);
  CHECK_EQ(thrd_detach(other), thrd_success);
  tss_delete(key);
}

static const struct gt_case cases[] = {{"all", all}, {NULL, NULL}};

int main(int argc, char** argv) { return gt_main(cases, argc, argv); }
