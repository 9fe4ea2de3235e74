/* bounded_buffer: the 64-thread acceptance program. 32 producers
 * and 32 consumers share a 16-slot ring under one mutex and two condition
 * variables (CLOCK_MONOTONIC condattr); every wait is a timed wait that
 * loops on timeouts. Each of the 64,000 items must be consumed exactly once.
 * A consumer that sees no item for 5 s fails the run instead of hanging. */
#define _GNU_SOURCE
#include <pthread.h>

#include "green_test.h"

#define PRODUCERS 32
#define CONSUMERS 32
#define PER_PRODUCER 2000
#define TOTAL (PRODUCERS * PER_PRODUCER)
#define SLOTS 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty, not_full;
static int ring[SLOTS], head, count, produced_all;
static unsigned char seen[TOTAL];
static long consumed, timeouts, duplicates;

static int timed_wait(pthread_cond_t* c, long ms) {
  struct timespec dl = gt_abs_ms(CLOCK_MONOTONIC, ms);
  int r = pthread_cond_timedwait(c, &mu, &dl);
  if (r == ETIMEDOUT) timeouts++;
  else CHECK_EQ(r, 0);
  return r;
}

static void* producer(void* arg) {
  int p = (int)(intptr_t)arg;
  for (int k = 0; k < PER_PRODUCER; ++k) {
    pthread_mutex_lock(&mu);
    while (count == SLOTS) timed_wait(&not_full, 3);
    ring[(head + count) % SLOTS] = p * PER_PRODUCER + k;
    count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&mu);
    if (k == PER_PRODUCER / 2 && p % 8 == 0) gt_sample_os_threads();
  }
  return NULL;
}

static void* consumer(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  for (;;) {
    uint64_t idle_since = gt_now_ns();
    while (count == 0 && !produced_all) {
      timed_wait(&not_empty, 7);
      if (count == 0 && gt_now_ns() - idle_since > 5000000000ull) {
        CHECK(!"no item for 5 s: a wake-up was lost");
        pthread_mutex_unlock(&mu);
        return NULL;
      }
    }
    if (count == 0) break;
    int item = ring[head];
    head = (head + 1) % SLOTS;
    count--;
    if (item < 0 || item >= TOTAL || seen[item]++) duplicates++;
    consumed++;
    pthread_cond_signal(&not_full);
    if (consumed % 1000 == 0) {
      /* Let go of the lock now and then, mid-stream. */
      pthread_mutex_unlock(&mu);
      usleep(50);
      pthread_mutex_lock(&mu);
    }
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void all(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&not_empty, &a);
  pthread_cond_init(&not_full, &a);
  pthread_condattr_destroy(&a);
  uint64_t t0 = gt_now_ns();
  pthread_t pt[PRODUCERS], ct[CONSUMERS];
  for (int i = 0; i < CONSUMERS; ++i) REQUIRE(pthread_create(&ct[i], NULL, consumer, NULL) == 0);
  for (int i = 0; i < PRODUCERS; ++i) REQUIRE(pthread_create(&pt[i], NULL, producer, (void*)(intptr_t)i) == 0);
  gt_sample_os_threads();
  for (int i = 0; i < PRODUCERS; ++i) CHECK_EQ(pthread_join(pt[i], NULL), 0);
  pthread_mutex_lock(&mu);
  produced_all = 1;
  pthread_cond_broadcast(&not_empty);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < CONSUMERS; ++i) CHECK_EQ(pthread_join(ct[i], NULL), 0);
  CHECK_EQ(consumed, TOTAL);
  CHECK_EQ(duplicates, 0);
  int missing = 0;
  for (int i = 0; i < TOTAL; ++i) missing += seen[i] != 1;
  CHECK_EQ(missing, 0);
  printf("bounded_buffer: %d items through %d slots by %d threads in %.3f s (%ld timed waits timed out)\n", TOTAL,
         SLOTS, PRODUCERS + CONSUMERS, (double)(gt_now_ns() - t0) / 1e9, timeouts);
}

static const struct gt_case cases[] = {{"all", all}, {NULL, NULL}};

int main(int argc, char** argv) {
  char* args[] = {argv[0], "all", NULL};
  return gt_main(cases, argc > 1 ? argc : 2, argc > 1 ? argv : args);
}
