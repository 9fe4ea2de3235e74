/* sync: the application's own sync objects shared by hundreds of threads.
 * Cases (argv[1]): mutex, recursive, errorcheck, timedlock, cond,
 * cond_monotonic, rwlock, sem, barrier, spin, futex, sem_pshared. */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "green_test.h"

#define JOIN_ALL(t, n)                                        \
  do {                                                        \
    for (int j_ = 0; j_ < (n); ++j_) CHECK_EQ(pthread_join((t)[j_], NULL), 0); \
  } while (0)

static uint64_t ms_since(uint64_t t0) { return (gt_now_ns() - t0) / 1000000; }

/* ---- mutex: 200 threads, a counter updated with a yield inside the
 * critical section; exclusion means no lost update and one owner at a time. */
static pthread_mutex_t counter_mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static _Atomic int inside, max_inside;

static void* counter_body(void* arg) {
  intptr_t i = (intptr_t)arg;
  for (int k = 0; k < 50; ++k) {
    CHECK_EQ(pthread_mutex_lock(&counter_mu), 0);
    int n = ++inside;
    GT_MAX_STORE(max_inside, n);
    long v = counter;
    if (k % 10 == 0) usleep(100); /* every waiter piles up behind the holder */
    counter = v + 1;
    inside--;
    CHECK_EQ(pthread_mutex_unlock(&counter_mu), 0);
  }
  if (i % 50 == 0) gt_sample_os_threads();
  return NULL;
}

static void mutex(void) {
  pthread_t t[200];
  for (intptr_t i = 0; i < 200; ++i) REQUIRE(pthread_create(&t[i], NULL, counter_body, (void*)i) == 0);
  JOIN_ALL(t, 200);
  CHECK_EQ(counter, 200 * 50);
  CHECK_EQ(atomic_load(&max_inside), 1);
}

/* ---- recursive: the count is per owner; another thread sees it busy until
 * the last unlock; only the owner may unlock. */
static pthread_mutex_t rec;
static _Atomic int rec_stage;

static void* rec_other(void* arg) {
  (void)arg;
  while (atomic_load(&rec_stage) < 1) usleep(500);
  CHECK_EQ(pthread_mutex_trylock(&rec), EBUSY); /* held 3 deep */
  CHECK_EQ(pthread_mutex_unlock(&rec), EPERM);  /* not the owner */
  rec_stage = 2;
  while (atomic_load(&rec_stage) < 3) usleep(500);
  CHECK_EQ(pthread_mutex_trylock(&rec), EBUSY); /* still held 1 deep */
  rec_stage = 4;
  while (atomic_load(&rec_stage) < 5) usleep(500);
  CHECK_EQ(pthread_mutex_lock(&rec), 0); /* free now */
  CHECK_EQ(pthread_mutex_lock(&rec), 0);
  CHECK_EQ(pthread_mutex_unlock(&rec), 0);
  CHECK_EQ(pthread_mutex_unlock(&rec), 0);
  return NULL;
}

static void* rec_many(void* arg) {
  (void)arg;
  for (int k = 0; k < 20; ++k) {
    CHECK_EQ(pthread_mutex_lock(&rec), 0);
    CHECK_EQ(pthread_mutex_lock(&rec), 0);
    long v = counter;
    usleep(50);
    CHECK_EQ(pthread_mutex_unlock(&rec), 0);
    counter = v + 1; /* still held once */
    CHECK_EQ(pthread_mutex_unlock(&rec), 0);
  }
  return NULL;
}

static void recursive(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  REQUIRE(pthread_mutex_init(&rec, &a) == 0);
  pthread_mutexattr_destroy(&a);
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, rec_other, NULL) == 0);
  CHECK_EQ(pthread_mutex_lock(&rec), 0);
  CHECK_EQ(pthread_mutex_lock(&rec), 0);
  CHECK_EQ(pthread_mutex_trylock(&rec), 0);
  rec_stage = 1;
  while (atomic_load(&rec_stage) < 2) usleep(500);
  CHECK_EQ(pthread_mutex_unlock(&rec), 0);
  CHECK_EQ(pthread_mutex_unlock(&rec), 0);
  rec_stage = 3;
  while (atomic_load(&rec_stage) < 4) usleep(500);
  CHECK_EQ(pthread_mutex_unlock(&rec), 0);
  CHECK_EQ(pthread_mutex_unlock(&rec), EPERM); /* no longer held */
  rec_stage = 5;
  CHECK_EQ(pthread_join(t, NULL), 0);

  counter = 0;
  pthread_t many[100];
  for (int i = 0; i < 100; ++i) REQUIRE(pthread_create(&many[i], NULL, rec_many, NULL) == 0);
  gt_sample_os_threads();
  JOIN_ALL(many, 100);
  CHECK_EQ(counter, 100 * 20);
  CHECK_EQ(pthread_mutex_destroy(&rec), 0);
}

/* ---- errorcheck: EDEADLK on relock, EPERM on unlock by a non-owner and on
 * unlock of an unlocked mutex. */
static pthread_mutex_t ec;
static _Atomic int ec_stage;

static void* ec_other(void* arg) {
  (void)arg;
  while (atomic_load(&ec_stage) < 1) usleep(500);
  CHECK_EQ(pthread_mutex_unlock(&ec), EPERM);
  CHECK_EQ(pthread_mutex_trylock(&ec), EBUSY);
  ec_stage = 2;
  CHECK_EQ(pthread_mutex_lock(&ec), 0); /* parks until main unlocks */
  CHECK_EQ(pthread_mutex_lock(&ec), EDEADLK);
  CHECK_EQ(pthread_mutex_unlock(&ec), 0);
  return NULL;
}

static void errorcheck(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  REQUIRE(pthread_mutex_init(&ec, &a) == 0);
  pthread_mutexattr_destroy(&a);
  CHECK_EQ(pthread_mutex_unlock(&ec), EPERM);
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, ec_other, NULL) == 0);
  CHECK_EQ(pthread_mutex_lock(&ec), 0);
  CHECK_EQ(pthread_mutex_lock(&ec), EDEADLK);
  ec_stage = 1;
  while (atomic_load(&ec_stage) < 2) usleep(500);
  usleep(5000); /* the other is parked in lock now */
  CHECK_EQ(pthread_mutex_unlock(&ec), 0);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(pthread_mutex_unlock(&ec), EPERM);
  CHECK_EQ(pthread_mutex_destroy(&ec), 0);
}

/* ---- timedlock / trylock against a holder that sleeps. */
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int holding, released;

static void* holder(void* arg) {
  (void)arg;
  pthread_mutex_lock(&held_mu);
  holding = 1;
  usleep(300 * 1000);
  released = 1;
  pthread_mutex_unlock(&held_mu);
  return NULL;
}

static void timedlock(void) {
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, holder, NULL) == 0);
  while (!atomic_load(&holding)) usleep(500);
  CHECK_EQ(pthread_mutex_trylock(&held_mu), EBUSY);
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 60);
  uint64_t t0 = gt_now_ns();
  CHECK_EQ(pthread_mutex_timedlock(&held_mu, &dl), ETIMEDOUT);
  uint64_t ms = ms_since(t0);
  CHECK(ms >= 55 && ms < 2000);
  dl.tv_nsec = 1000000000L;
  CHECK_EQ(pthread_mutex_timedlock(&held_mu, &dl), EINVAL);
  dl = gt_abs_ms(CLOCK_REALTIME, 5000);
  t0 = gt_now_ns();
  CHECK_EQ(pthread_mutex_timedlock(&held_mu, &dl), 0); /* when the holder lets go */
  CHECK(atomic_load(&released));
  CHECK(ms_since(t0) < 4000); /* woken by the unlock, not by the deadline */
  CHECK_EQ(pthread_mutex_unlock(&held_mu), 0);
  CHECK_EQ(pthread_join(t, NULL), 0);
}

/* ---- cond: a queue with signal for items and broadcast for shutdown. */
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static int q_items, q_done;
static long q_sum;

static void* q_consumer(void* arg) {
  (void)arg;
  pthread_mutex_lock(&q_mu);
  for (;;) {
    while (q_items == 0 && !q_done) CHECK_EQ(pthread_cond_wait(&q_cv, &q_mu), 0);
    if (q_items == 0 && q_done) break;
    q_items--;
    q_sum++;
  }
  pthread_mutex_unlock(&q_mu);
  return NULL;
}

static void cond(void) {
  pthread_t t[150];
  for (int i = 0; i < 150; ++i) REQUIRE(pthread_create(&t[i], NULL, q_consumer, NULL) == 0);
  usleep(5000);
  gt_sample_os_threads();
  for (int i = 0; i < 3000; ++i) {
    pthread_mutex_lock(&q_mu);
    q_items++;
    pthread_cond_signal(&q_cv);
    pthread_mutex_unlock(&q_mu);
    if (i % 100 == 0) usleep(200);
  }
  pthread_mutex_lock(&q_mu);
  q_done = 1;
  pthread_cond_broadcast(&q_cv);
  pthread_mutex_unlock(&q_mu);
  JOIN_ALL(t, 150);
  CHECK_EQ(q_sum, 3000);
  CHECK_EQ(q_items, 0);

  /* A timed wait with the default (realtime) clock times out on time. */
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 80);
  uint64_t t0 = gt_now_ns();
  pthread_mutex_lock(&q_mu);
  CHECK_EQ(pthread_cond_timedwait(&q_cv, &q_mu, &dl), ETIMEDOUT);
  /* The mutex is held again after a timeout: a trylock by us would EBUSY
   * for an errorcheck mutex; for a normal one check via another thread's view. */
  pthread_mutex_unlock(&q_mu);
  uint64_t ms = ms_since(t0);
  CHECK(ms >= 75 && ms < 2000);
}

/* ---- cond_monotonic: the condattr clock applies to the absolute time. A
 * monotonic deadline read as realtime would lie decades in the past (the
 * wait returns at once), so the elapsed time tells the two apart. Also
 * pthread_cond_clockwait, and a signal arriving before the deadline. */
static pthread_cond_t mono_cv;
static pthread_mutex_t mono_mu = PTHREAD_MUTEX_INITIALIZER;
static int mono_flag;

static void* mono_signaller(void* arg) {
  (void)arg;
  usleep(50 * 1000);
  pthread_mutex_lock(&mono_mu);
  mono_flag = 1;
  pthread_cond_signal(&mono_cv);
  pthread_mutex_unlock(&mono_mu);
  return NULL;
}

static void cond_monotonic(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  CHECK_EQ(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
  REQUIRE(pthread_cond_init(&mono_cv, &a) == 0);
  pthread_condattr_destroy(&a);

  struct timespec dl = gt_abs_ms(CLOCK_MONOTONIC, 100);
  uint64_t t0 = gt_now_ns();
  pthread_mutex_lock(&mono_mu);
  CHECK_EQ(pthread_cond_timedwait(&mono_cv, &mono_mu, &dl), ETIMEDOUT);
  pthread_mutex_unlock(&mono_mu);
  uint64_t ms = ms_since(t0);
  CHECK(ms >= 95 && ms < 2000);

  /* clockwait names its clock explicitly, whatever the cond's. */
  dl = gt_abs_ms(CLOCK_REALTIME, 60);
  t0 = gt_now_ns();
  pthread_mutex_lock(&mono_mu);
  CHECK_EQ(pthread_cond_clockwait(&mono_cv, &mono_mu, CLOCK_REALTIME, &dl), ETIMEDOUT);
  pthread_mutex_unlock(&mono_mu);
  ms = ms_since(t0);
  CHECK(ms >= 55 && ms < 2000);

  /* Woken by a signal well before a 5 s deadline. */
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, mono_signaller, NULL) == 0);
  dl = gt_abs_ms(CLOCK_MONOTONIC, 5000);
  t0 = gt_now_ns();
  pthread_mutex_lock(&mono_mu);
  int r = 0;
  while (!mono_flag && r == 0) r = pthread_cond_timedwait(&mono_cv, &mono_mu, &dl);
  CHECK_EQ(r, 0);
  CHECK(mono_flag);
  pthread_mutex_unlock(&mono_mu);
  ms = ms_since(t0);
  CHECK(ms >= 40 && ms < 2000);
  CHECK_EQ(pthread_join(t, NULL), 0);
  pthread_cond_destroy(&mono_cv);
}

/* ---- rwlock: readers share (several inside at once), a writer excludes
 * everyone; try and timed variants; EDEADLK on read-after-write. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static _Atomic int readers_in, writers_in, max_readers_in;
static long rw_value;

static void* rw_reader(void* arg) {
  (void)arg;
  for (int k = 0; k < 10; ++k) {
    CHECK_EQ(pthread_rwlock_rdlock(&rw), 0);
    int n = ++readers_in;
    GT_MAX_STORE(max_readers_in, n);
    CHECK_EQ(atomic_load(&writers_in), 0);
    long v = rw_value;
    usleep(200); /* other readers come in meanwhile */
    CHECK_EQ(rw_value, v);
    readers_in--;
    CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
  }
  return NULL;
}

static void* rw_writer(void* arg) {
  (void)arg;
  for (int k = 0; k < 10; ++k) {
    CHECK_EQ(pthread_rwlock_wrlock(&rw), 0);
    CHECK_EQ(++writers_in, 1);
    CHECK_EQ(atomic_load(&readers_in), 0);
    long v = rw_value;
    usleep(100);
    rw_value = v + 1;
    writers_in--;
    CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
    usleep(300);
  }
  return NULL;
}

static void rwlock(void) {
  CHECK_EQ(pthread_rwlock_wrlock(&rw), 0);
  CHECK_EQ(pthread_rwlock_rdlock(&rw), EDEADLK);
  CHECK_EQ(pthread_rwlock_unlock(&rw), 0);

  pthread_t t[120];
  for (int i = 0; i < 120; ++i)
    REQUIRE(pthread_create(&t[i], NULL, i % 12 == 0 ? rw_writer : rw_reader, NULL) == 0);
  usleep(1000);
  gt_sample_os_threads();
  JOIN_ALL(t, 120);
  CHECK_EQ(rw_value, 10 * 10);
  CHECK(atomic_load(&max_readers_in) > 1);

  /* try / timed against a reader and against a writer. */
  CHECK_EQ(pthread_rwlock_rdlock(&rw), 0);
  CHECK_EQ(pthread_rwlock_tryrdlock(&rw), 0);
  CHECK_EQ(pthread_rwlock_trywrlock(&rw), EBUSY);
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 50);
  uint64_t t0 = gt_now_ns();
  CHECK_EQ(pthread_rwlock_timedwrlock(&rw, &dl), ETIMEDOUT);
  CHECK(ms_since(t0) >= 45);
  CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
  CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
  CHECK_EQ(pthread_rwlock_wrlock(&rw), 0);
  /* The try calls only say "busy" (POSIX lists no EDEADLK for them). */
  CHECK_EQ(pthread_rwlock_tryrdlock(&rw), EBUSY);
  CHECK_EQ(pthread_rwlock_trywrlock(&rw), EBUSY);
  CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
}

/* ---- sem: counting across threads; trywait EAGAIN; timedwait ETIMEDOUT. */
static sem_t items, slots;
static long sem_total;

static void* sem_producer(void* arg) {
  (void)arg;
  for (int k = 0; k < 40; ++k) {
    CHECK_EQ(sem_wait(&slots), 0);
    CHECK_EQ(sem_post(&items), 0);
  }
  return NULL;
}

static void* sem_consumer(void* arg) {
  (void)arg;
  for (int k = 0; k < 40; ++k) {
    struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 10000);
    CHECK_EQ(sem_timedwait(&items, &dl), 0);
    __atomic_add_fetch(&sem_total, 1, __ATOMIC_RELAXED);
    CHECK_EQ(sem_post(&slots), 0);
  }
  return NULL;
}

static void sem(void) {
  REQUIRE(sem_init(&items, 0, 0) == 0);
  REQUIRE(sem_init(&slots, 0, 4) == 0);
  pthread_t t[200];
  for (int i = 0; i < 200; ++i) REQUIRE(pthread_create(&t[i], NULL, i % 2 ? sem_producer : sem_consumer, NULL) == 0);
  usleep(1000);
  gt_sample_os_threads();
  JOIN_ALL(t, 200);
  CHECK_EQ(sem_total, 100 * 40);
  int v = -1;
  sem_getvalue(&items, &v);
  CHECK_EQ(v, 0);
  sem_getvalue(&slots, &v);
  CHECK_EQ(v, 4);

  errno = 0;
  CHECK_EQ(sem_trywait(&items), -1);
  CHECK_EQ(errno, EAGAIN);
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 70);
  uint64_t t0 = gt_now_ns();
  errno = 0;
  CHECK_EQ(sem_timedwait(&items, &dl), -1);
  CHECK_EQ(errno, ETIMEDOUT);
  uint64_t ms = ms_since(t0);
  CHECK(ms >= 65 && ms < 2000);
  CHECK_EQ(sem_post(&items), 0);
  CHECK_EQ(sem_trywait(&items), 0);
  sem_destroy(&items);
  sem_destroy(&slots);
}

/* ---- barrier: 50 threads, 20 rounds; exactly one serial thread per round,
 * and nobody leaves a round before everyone arrived. */
#define B_THREADS 50
#define B_ROUNDS 20
static pthread_barrier_t barrier;
static _Atomic int arrived[B_ROUNDS], serials[B_ROUNDS];

static void* barrier_body(void* arg) {
  intptr_t i = (intptr_t)arg;
  for (int r = 0; r < B_ROUNDS; ++r) {
    if ((i + r) % 7 == 0) usleep(200);
    arrived[r]++;
    int rc = pthread_barrier_wait(&barrier);
    CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD) serials[r]++;
    CHECK_EQ(atomic_load(&arrived[r]), B_THREADS);
  }
  return NULL;
}

static void barrier_case(void) {
  REQUIRE(pthread_barrier_init(&barrier, NULL, B_THREADS) == 0);
  pthread_t t[B_THREADS];
  for (intptr_t i = 0; i < B_THREADS; ++i) REQUIRE(pthread_create(&t[i], NULL, barrier_body, (void*)i) == 0);
  JOIN_ALL(t, B_THREADS);
  for (int r = 0; r < B_ROUNDS; ++r) CHECK_EQ(atomic_load(&serials[r]), 1);
  CHECK_EQ(pthread_barrier_destroy(&barrier), 0);
}

/* ---- spin: the holder sleeps inside; the others spin. On one OS thread a
 * spin that never yields would never end. */
static pthread_spinlock_t spin;
static long spin_counter;

static void* spin_body(void* arg) {
  (void)arg;
  for (int k = 0; k < 20; ++k) {
    CHECK_EQ(pthread_spin_lock(&spin), 0);
    long v = spin_counter;
    if (k % 5 == 0) usleep(100); /* switches away while holding it */
    spin_counter = v + 1;
    CHECK_EQ(pthread_spin_unlock(&spin), 0);
  }
  return NULL;
}

static void spin_case(void) {
  REQUIRE(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0);
  CHECK_EQ(pthread_spin_trylock(&spin), 0);
  CHECK_EQ(pthread_spin_trylock(&spin), EBUSY);
  CHECK_EQ(pthread_spin_unlock(&spin), 0);
  pthread_t t[100];
  for (int i = 0; i < 100; ++i) REQUIRE(pthread_create(&t[i], NULL, spin_body, NULL) == 0);
  JOIN_ALL(t, 100);
  CHECK_EQ(spin_counter, 100 * 20);
  pthread_spin_destroy(&spin);
}

/* ---- futex: syscall(SYS_futex) WAIT parks, WAKE wakes (and counts);
 * EAGAIN on a changed value, ETIMEDOUT on a relative timeout. */
static uint32_t fword;
static _Atomic int fwoken;

static void* futex_waiter(void* arg) {
  (void)arg;
  while (__atomic_load_n(&fword, __ATOMIC_ACQUIRE) == 0) {
    long r = syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    CHECK(r == 0 || errno == EAGAIN || errno == EINTR);
  }
  fwoken++;
  return NULL;
}

static void futex(void) {
  uint32_t other = 5;
  errno = 0;
  CHECK_EQ(syscall(SYS_futex, &other, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), -1);
  CHECK_EQ(errno, EAGAIN);
  struct timespec rel = {0, 60 * 1000000L};
  uint64_t t0 = gt_now_ns();
  errno = 0;
  CHECK_EQ(syscall(SYS_futex, &other, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0), -1);
  CHECK_EQ(errno, ETIMEDOUT);
  CHECK(ms_since(t0) >= 55);

  pthread_t t[100];
  for (int i = 0; i < 100; ++i) REQUIRE(pthread_create(&t[i], NULL, futex_waiter, NULL) == 0);
  usleep(20000); /* all parked in FUTEX_WAIT */
  gt_sample_os_threads();
  CHECK_EQ(atomic_load(&fwoken), 0);
  __atomic_store_n(&fword, 1, __ATOMIC_RELEASE);
  long n = syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
  /* Green threads are all parked by now (they ran before main's sleep
   * ended, in FIFO order); native ones may still be on their way. */
  if (gt_expect_green()) CHECK_EQ(n, 100);
  else CHECK(n >= 0 && n <= 100);
  JOIN_ALL(t, 100);
  CHECK_EQ(atomic_load(&fwoken), 100);
}

/* ---- sem_pshared: a process-shared semaphore posted by another process
 * (a forked child) wakes the waiter at once. Under the shim the green waiter
 * waits on the kernel futex through the ring (IORING_OP_FUTEX_WAIT), since
 * the poster's futex wake happens in another process. */
static void sem_pshared(void) {
  sem_t* s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(s != MAP_FAILED);
  /* An attempt counts only when the wait began before the post (a loaded
   * machine may delay the parent past the child's sleep). */
  for (int attempt = 0; attempt < 5; ++attempt) {
    REQUIRE(sem_init(s, 1, 0) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      usleep(200 * 1000);
      sem_post(s);
      _exit(0);
    }
    struct timespec dl = gt_abs_ms(CLOCK_REALTIME, 2000);
    uint64_t t0 = gt_now_ns();
    int r = sem_timedwait(s, &dl);
    uint64_t ms = ms_since(t0);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sem_destroy(s);
    if (r == 0 && ms < 20) continue; /* posted before we waited: inconclusive */
    CHECK_EQ(r, 0);
    CHECK(ms < 1500); /* woken by the post, not by the deadline */
    break;
  }
  munmap(s, sizeof *s);
}

static const struct gt_case cases[] = {
    {"mutex", mutex},
    {"recursive", recursive},
    {"errorcheck", errorcheck},
    {"timedlock", timedlock},
    {"cond", cond},
    {"cond_monotonic", cond_monotonic},
    {"rwlock", rwlock},
    {"sem", sem},
    {"barrier", barrier_case},
    {"spin", spin_case},
    {"futex", futex},
    {"sem_pshared", sem_pshared},
    {NULL, NULL},
};

int main(int argc, char** argv) { return gt_main(cases, argc, argv); }
