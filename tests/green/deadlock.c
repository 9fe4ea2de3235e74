/* deadlock: two threads, "alpha" and "beta", take two mutexes in opposite
 * order; main joins them. Under the shim every green thread is then parked
 * on a lock or a join with no I/O, timer or offload pending, so the runtime
 * prints "greenring: deadlock: all 3 green threads are blocked", one line
 * per thread (name, what it waits on, where), and aborts. A native run
 * would hang; this program is only run under the shim. */
#define _GNU_SOURCE
#include <pthread.h>

#include "green_test.h"

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;

static void* alpha(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "alpha");
  pthread_mutex_lock(&first);
  usleep(10000); /* beta takes `second` meanwhile */
  pthread_mutex_lock(&second);
  return NULL;
}

static void* beta(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "beta");
  pthread_mutex_lock(&second);
  usleep(10000);
  pthread_mutex_lock(&first);
  return NULL;
}

int main(void) {
  pthread_t a, b;
  REQUIRE(pthread_create(&a, NULL, alpha, NULL) == 0);
  REQUIRE(pthread_create(&b, NULL, beta, NULL) == 0);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  fprintf(stderr, "deadlock: both threads finished, which two opposite lock orders cannot do\n");
  return 1;
}
