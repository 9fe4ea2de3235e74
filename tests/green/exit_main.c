/* exit_main: how the process ends while threads live.
 *   pthread_exit  main calls pthread_exit: the process lives on until the
 *                 last thread ends, then exits 0 (atexit handlers run) and
 *                 prints "finished=50" from an atexit handler.
 *   return_blocked  main returns while one thread is blocked forever on a
 *                 mutex and another sleeps for a minute: the process exits
 *                 at once with main's status (3), like native threads. */
#define _GNU_SOURCE
#include <pthread.h>

#include "green_test.h"

static _Atomic int finished;

static void report(void) {
  /* Runs at exit, after the last thread ended. */
  printf("finished=%d\n", atomic_load(&finished));
  fflush(stdout);
}

static void* late_worker(void* arg) {
  intptr_t i = (intptr_t)arg;
  usleep((useconds_t)(50000 + (i % 10) * 5000));
  if (i == 0) gt_sample_os_threads();
  finished++;
  return NULL;
}

static void pthread_exit_case(void) {
  atexit(report);
  for (intptr_t i = 0; i < 50; ++i) {
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, late_worker, (void*)i) == 0);
    pthread_detach(t);
  }
  pthread_exit(NULL);
}

static pthread_mutex_t never = PTHREAD_MUTEX_INITIALIZER;

static void* blocks_forever(void* arg) {
  (void)arg;
  pthread_mutex_lock(&never); /* main holds it and never lets go */
  return NULL;
}

static void* sleeps_long(void* arg) {
  (void)arg;
  sleep(60);
  return NULL;
}

static void return_blocked(void) {
  pthread_mutex_lock(&never);
  pthread_t a, b;
  REQUIRE(pthread_create(&a, NULL, blocks_forever, NULL) == 0);
  REQUIRE(pthread_create(&b, NULL, sleeps_long, NULL) == 0);
  usleep(20000); /* both are blocked now */
  printf("returning\n");
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "pthread_exit") == 0) pthread_exit_case();
  if (strcmp(argv[1], "return_blocked") == 0) {
    return_blocked();
    return 3;
  }
  return 2;
}
