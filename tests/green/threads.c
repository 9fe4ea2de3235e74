/* threads: the pthread thread calls, with hundreds of threads at once.
 * Cases (argv[1]): create_join, attrs, names, tryjoin, detach, exit_cleanup,
 * keys, once, errno, cancel, kill. Each is POSIX behaviour that a native run
 * also shows, except where a case says "green only". */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "green_test.h"

#define MANY 300

/* ---- create_join: MANY threads alive at once, each with its own
 * pthread_self, results through pthread_join's value. */
static pthread_t handles[MANY];
static _Atomic int started;

static void* numbered(void* arg) {
  intptr_t i = (intptr_t)arg;
  pthread_t me = pthread_self();
  started++;
  /* Everyone is alive: wait until all have started (they yield in usleep). */
  while (atomic_load(&started) < MANY) usleep(1000);
  if (i % 50 == 0) gt_sample_os_threads();
  CHECK(pthread_equal(me, pthread_self()));
  CHECK(pthread_equal(me, handles[i]));
  /* Distinct from every other thread's handle. */
  for (int j = 0; j < MANY; ++j)
    if (j != i && pthread_equal(me, handles[j])) {
      CHECK(!"two threads share a pthread_t");
      break;
    }
  usleep(1000);
  return (void*)(i * 3 + 1);
}

static void create_join(void) {
  pthread_t main_self = pthread_self();
  for (intptr_t i = 0; i < MANY; ++i) REQUIRE(pthread_create(&handles[i], NULL, numbered, (void*)i) == 0);
  gt_sample_os_threads();
  for (int i = 0; i < MANY; ++i) {
    void* v = NULL;
    CHECK_EQ(pthread_join(handles[i], &v), 0);
    CHECK_EQ((intptr_t)v, i * 3 + 1);
  }
  CHECK(pthread_equal(main_self, pthread_self()));
  CHECK(!pthread_equal(main_self, handles[0]));
}

/* ---- attrs: detach state, stack size (used and reported), getattr. */
static _Atomic int detached_done;

static void* detached_body(void* arg) {
  (void)arg;
  pthread_attr_t a;
  int state = -1;
  CHECK_EQ(pthread_getattr_np(pthread_self(), &a), 0);
  CHECK_EQ(pthread_attr_getdetachstate(&a, &state), 0);
  CHECK_EQ(state, PTHREAD_CREATE_DETACHED);
  pthread_attr_destroy(&a);
  usleep(2000);
  detached_done++;
  return NULL;
}

static size_t stack_seen;

/* Uses most of a 1 MiB stack: works only if the requested size was honoured
 * (the green default is 256 KiB). */
static void* deep_stack(void* arg) {
  (void)arg;
  volatile char big[768 * 1024];
  for (size_t i = 0; i < sizeof big; i += 4096) big[i] = (char)i;
  usleep(1000); /* switch away and back with the big frame live */
  for (size_t i = 0; i < sizeof big; i += 4096) CHECK(big[i] == (char)i);
  pthread_attr_t a;
  CHECK_EQ(pthread_getattr_np(pthread_self(), &a), 0);
  void* lo;
  CHECK_EQ(pthread_attr_getstack(&a, &lo, &stack_seen), 0);
  /* This frame lies inside the reported stack. */
  CHECK((char*)&big[0] >= (char*)lo && (char*)&big[0] < (char*)lo + stack_seen);
  pthread_attr_destroy(&a);
  return NULL;
}

static void attrs(void) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < 100; ++i) {
    pthread_t t;
    REQUIRE(pthread_create(&t, &a, detached_body, NULL) == 0);
  }
  pthread_attr_destroy(&a);
  uint64_t t0 = gt_now_ns();
  while (atomic_load(&detached_done) < 100 && gt_now_ns() - t0 < 10000000000ull) usleep(1000);
  CHECK_EQ(atomic_load(&detached_done), 100);

  pthread_attr_init(&a);
  CHECK_EQ(pthread_attr_setstacksize(&a, 1024 * 1024), 0);
  pthread_t t;
  REQUIRE(pthread_create(&t, &a, deep_stack, NULL) == 0);
  pthread_attr_destroy(&a);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK(stack_seen >= 1024 * 1024);
  if (gt_expect_green()) {
    /* Green only: a huge request is capped (64 MiB), not refused. */
    pthread_attr_init(&a);
    CHECK_EQ(pthread_attr_setstacksize(&a, (size_t)1 << 30), 0);
    REQUIRE(pthread_create(&t, &a, deep_stack, NULL) == 0);
    pthread_attr_destroy(&a);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(stack_seen >= 1024 * 1024 && stack_seen <= ((size_t)64 << 20) + 65536);
  }
}

/* ---- names: set/get for self and for another thread. */
static _Atomic int name_stage;

static void* named_body(void* arg) {
  (void)arg;
  char buf[16];
  CHECK_EQ(pthread_setname_np(pthread_self(), "worker-self"), 0);
  CHECK_EQ(pthread_getname_np(pthread_self(), buf, sizeof buf), 0);
  CHECK(strcmp(buf, "worker-self") == 0);
  name_stage = 1;
  while (atomic_load(&name_stage) != 2) usleep(1000);
  CHECK_EQ(pthread_getname_np(pthread_self(), buf, sizeof buf), 0);
  CHECK(strcmp(buf, "renamed") == 0);
  return NULL;
}

static void names(void) {
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, named_body, NULL) == 0);
  while (atomic_load(&name_stage) != 1) usleep(1000);
  char buf[16];
  CHECK_EQ(pthread_getname_np(t, buf, sizeof buf), 0);
  CHECK(strcmp(buf, "worker-self") == 0);
  CHECK_EQ(pthread_getname_np(t, buf, 4), ERANGE);
  CHECK_EQ(pthread_setname_np(t, "this-name-is-too-long"), ERANGE);
  CHECK_EQ(pthread_setname_np(t, "renamed"), 0);
  name_stage = 2;
  CHECK_EQ(pthread_join(t, NULL), 0);
}

/* ---- tryjoin / timedjoin: EBUSY and ETIMEDOUT while it runs. */
static _Atomic int release_it;

static void* waits_for_release(void* arg) {
  (void)arg;
  while (!atomic_load(&release_it)) usleep(1000);
  return (void*)42;
}

static void tryjoin(void) {
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, waits_for_release, NULL) == 0);
  void* v = NULL;
  CHECK_EQ(pthread_tryjoin_np(t, &v), EBUSY);
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 100);
  uint64_t t0 = gt_now_ns();
  CHECK_EQ(pthread_timedjoin_np(t, &v, &dl), ETIMEDOUT);
  uint64_t ms = (gt_now_ns() - t0) / 1000000;
  CHECK(ms >= 90 && ms < 2000);
  release_it = 1;
  dl = gt_abs_ms(CLOCK_REALTIME, 5000);
  CHECK_EQ(pthread_timedjoin_np(t, &v, &dl), 0);
  CHECK_EQ((intptr_t)v, 42);

  /* A thread that already ended: tryjoin collects it. */
  release_it = 1;
  REQUIRE(pthread_create(&t, NULL, waits_for_release, NULL) == 0);
  usleep(20000);
  CHECK_EQ(pthread_tryjoin_np(t, &v), 0);
  CHECK_EQ((intptr_t)v, 42);
}

/* ---- detach: a running thread detached by another; it still finishes. */
static _Atomic int detach_done;

static void* detach_body(void* arg) {
  (void)arg;
  usleep(5000);
  detach_done++;
  return NULL;
}

static void detach_case(void) {
  pthread_t t[50];
  for (int i = 0; i < 50; ++i) REQUIRE(pthread_create(&t[i], NULL, detach_body, NULL) == 0);
  for (int i = 0; i < 50; ++i) CHECK_EQ(pthread_detach(t[i]), 0);
  uint64_t t0 = gt_now_ns();
  while (atomic_load(&detach_done) < 50 && gt_now_ns() - t0 < 10000000000ull) usleep(1000);
  CHECK_EQ(atomic_load(&detach_done), 50);
}

/* ---- exit_cleanup: pthread_exit deep in a call chain, C cleanup handlers
 * (LIFO, only those still pushed), key destructors with the last value. */
static pthread_key_t exit_key;
static char cleanup_log[64];
static _Atomic int key_dtor_calls;

static void log_cleanup(void* arg) { strcat(cleanup_log, (const char*)arg); }
static void exit_key_dtor(void* v) {
  CHECK_EQ((intptr_t)v, 7);
  key_dtor_calls++;
}

static void nested_exit(int depth) {
  if (depth < 0) return;
  if (depth == 0) {
    usleep(1000);
    pthread_exit((void*)99);
  }
  nested_exit(depth - 1);
}

static void* exiting_body(void* arg) {
  (void)arg;
  pthread_setspecific(exit_key, (void*)7);
  pthread_cleanup_push(log_cleanup, "A");
  pthread_cleanup_push(log_cleanup, "X");
  pthread_cleanup_pop(0); /* popped without running */
  pthread_cleanup_push(log_cleanup, "B");
  pthread_cleanup_push(log_cleanup, "C");
  nested_exit(5);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  CHECK(!"pthread_exit returned");
  return NULL;
}

static void* pop_and_run(void* arg) {
  (void)arg;
  pthread_cleanup_push(log_cleanup, "P");
  usleep(1000);
  pthread_cleanup_pop(1); /* runs the handler, no exit */
  return (void*)5;
}

static void exit_cleanup(void) {
  REQUIRE(pthread_key_create(&exit_key, exit_key_dtor) == 0);
  pthread_t t;
  void* v = NULL;
  REQUIRE(pthread_create(&t, NULL, exiting_body, NULL) == 0);
  CHECK_EQ(pthread_join(t, &v), 0);
  CHECK_EQ((intptr_t)v, 99);
  CHECK(strcmp(cleanup_log, "CBA") == 0);
  CHECK_EQ(atomic_load(&key_dtor_calls), 1);
  cleanup_log[0] = 0;
  REQUIRE(pthread_create(&t, NULL, pop_and_run, NULL) == 0);
  CHECK_EQ(pthread_join(t, &v), 0);
  CHECK_EQ((intptr_t)v, 5);
  CHECK(strcmp(cleanup_log, "P") == 0);
  pthread_key_delete(exit_key);
}

/* ---- keys: per-thread values across yields, destructors at exit, a
 * destructor that sets a value again gets another round. */
static pthread_key_t key_a, key_b;
static _Atomic int dtor_a, dtor_b, dtor_b_again;

static void a_dtor(void* v) {
  free(v);
  dtor_a++;
}
static void b_dtor(void* v) {
  if ((intptr_t)v == 1) {
    dtor_b++;
    pthread_setspecific(key_b, (void*)2); /* another round */
  } else {
    CHECK_EQ((intptr_t)v, 2);
    dtor_b_again++;
  }
}

static void* keyed_body(void* arg) {
  intptr_t i = (intptr_t)arg;
  CHECK(pthread_getspecific(key_a) == NULL);
  int* mine = malloc(sizeof *mine);
  *mine = (int)i;
  CHECK_EQ(pthread_setspecific(key_a, mine), 0);
  CHECK_EQ(pthread_setspecific(key_b, (void*)1), 0);
  for (int round = 0; round < 3; ++round) {
    usleep(1000);
    int* back = pthread_getspecific(key_a);
    CHECK(back == mine && *back == (int)i);
  }
  if (i % 40 == 0) gt_sample_os_threads();
  return NULL;
}

static void keys(void) {
  REQUIRE(pthread_key_create(&key_a, a_dtor) == 0);
  REQUIRE(pthread_key_create(&key_b, b_dtor) == 0);
  static int main_value;
  CHECK_EQ(pthread_setspecific(key_a, &main_value), 0);
  pthread_t t[200];
  for (intptr_t i = 0; i < 200; ++i) REQUIRE(pthread_create(&t[i], NULL, keyed_body, (void*)i) == 0);
  for (int i = 0; i < 200; ++i) CHECK_EQ(pthread_join(t[i], NULL), 0);
  CHECK_EQ(atomic_load(&dtor_a), 200);
  CHECK_EQ(atomic_load(&dtor_b), 200);
  CHECK_EQ(atomic_load(&dtor_b_again), 200);
  CHECK(pthread_getspecific(key_a) == &main_value); /* main's own value untouched */
  pthread_setspecific(key_a, NULL);
  CHECK_EQ(pthread_key_delete(key_a), 0);
  CHECK_EQ(pthread_key_delete(key_b), 0);
}

/* ---- once: a yielding initializer, called from many threads at once, runs
 * once, and nobody returns before it finished. */
static pthread_once_t once_control = PTHREAD_ONCE_INIT;
static _Atomic int init_runs, init_finished;

static void slow_init(void) {
  init_runs++;
  usleep(20000); /* yields to every other caller */
  init_finished = 1;
}

static void* once_body(void* arg) {
  (void)arg;
  CHECK_EQ(pthread_once(&once_control, slow_init), 0);
  CHECK_EQ(atomic_load(&init_finished), 1);
  return NULL;
}

static void once(void) {
  pthread_t t[100];
  for (int i = 0; i < 100; ++i) REQUIRE(pthread_create(&t[i], NULL, once_body, NULL) == 0);
  for (int i = 0; i < 100; ++i) CHECK_EQ(pthread_join(t[i], NULL), 0);
  CHECK_EQ(atomic_load(&init_runs), 1);
}

/* ---- errno: per thread across yields (DESIGN §6). */
static void* errno_body(void* arg) {
  intptr_t i = (intptr_t)arg;
  int expect = (i % 2) ? EBADF : ENOENT;
  for (int round = 0; round < 5; ++round) {
    if (i % 2) {
      CHECK(close(-1) == -1); /* EBADF */
    } else {
      CHECK(access("/nonexistent/greenring-test", F_OK) == -1); /* ENOENT */
    }
    usleep(1000 + (unsigned)(i % 7) * 100); /* others set their errno meanwhile */
    CHECK_EQ(errno, expect);
  }
  return NULL;
}

static void errno_case(void) {
  pthread_t t[100];
  for (intptr_t i = 0; i < 100; ++i) REQUIRE(pthread_create(&t[i], NULL, errno_body, (void*)i) == 0);
  for (int i = 0; i < 100; ++i) CHECK_EQ(pthread_join(t[i], NULL), 0);
}

/* ---- cancel: green only (native cancellation works, and is POSIX's):
 * pthread_cancel of a green thread fails with ENOTSUP (the launcher test
 * checks the one-line message), the thread runs on unharmed. */
static void* cancel_target(void* arg) {
  (void)arg;
  usleep(20000);
  return (void*)3;
}

static void cancel(void) {
  if (!gt_expect_green()) exit(GT_SKIP);
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, cancel_target, NULL) == 0);
  CHECK_EQ(pthread_cancel(t), ENOTSUP);
  void* v = NULL;
  CHECK_EQ(pthread_join(t, &v), 0);
  CHECK_EQ((intptr_t)v, 3);
}

/* ---- kill: a signal sent to a thread is delivered (its handler runs; under
 * the shim on the OS thread hosting it); signal 0 probes it. */
static volatile sig_atomic_t got_signal;
static void on_usr1(int sig) { got_signal = sig; }

static void* kill_target(void* arg) {
  (void)arg;
  uint64_t t0 = gt_now_ns();
  while (!got_signal && gt_now_ns() - t0 < 5000000000ull) usleep(1000);
  return NULL;
}

static void kill_case(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, kill_target, NULL) == 0);
  usleep(5000);
  CHECK_EQ(pthread_kill(t, 0), 0);
  CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(got_signal, SIGUSR1);
}

static const struct gt_case cases[] = {
    {"create_join", create_join}, {"attrs", attrs},
    {"names", names},             {"tryjoin", tryjoin},
    {"detach", detach_case},      {"exit_cleanup", exit_cleanup},
    {"keys", keys},               {"once", once},
    {"errno", errno_case},        {"cancel", cancel},
    {"kill", kill_case},          {NULL, NULL},
};

int main(int argc, char** argv) { return gt_main(cases, argc, argv); }
