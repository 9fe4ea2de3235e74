/* planted_race: a lost update that only some schedules expose, for testing
 * `greenring explore` and the determinism of seeded schedules.
 *
 * Two threads add 1 to a shared counter 30 times each, under a mutex, except
 * once: on its 18th round the first thread reads the counter, writes a byte
 * to a pipe (which has room, so the write completes at once: under fifo no
 * yield, under random a latent yield point taken half the time) and stores
 * the incremented value. Only a schedule that switches to the other thread
 * at that write, and lets it increment before the first resumes, loses an
 * update. No sleep, no timer, no I/O that can take a variable time: the
 * schedule depends on the seed alone.
 *
 * Exit status: 0 when the counter is 60, 1 when an update was lost. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

enum { ROUNDS = 30, PLANTED = 17 };

static long counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fds[2];

void* adder(void* arg) {
  int planted = arg != NULL;
  for (int i = 0; i < ROUNDS; ++i) {
    if (planted && i == PLANTED) {
      long v = counter;                         /* read, unlocked */
      if (write(pipe_fds[1], "x", 1) != 1) return NULL; /* a latent yield point */
      counter = v + 1;                          /* write */
    } else {
      pthread_mutex_lock(&lock);
      ++counter;
      pthread_mutex_unlock(&lock);
    }
  }
  return NULL;
}

int main(void) {
  if (pipe(pipe_fds) != 0) return 2;
  pthread_t a, b;
  pthread_create(&a, NULL, adder, (void*)1);
  pthread_create(&b, NULL, adder, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("counter %ld of %d\n", counter, 2 * ROUNDS);
  return counter == 2 * ROUNDS ? 0 : 1;
}
