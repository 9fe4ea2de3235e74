/* Demo (d): a CPU-bound green thread starves a heartbeat; the watchdog
 * (--block-ms) names it.
 *
 * The story. A worker process tells its supervisor it is alive: a heartbeat
 * thread beats every 20 ms, and the supervisor declares the worker dead
 * after 100 ms of silence. Meanwhile a job thread computes a checksum over a
 * buffer, 24 times over: pure computation, no system call, about a third
 * of a second of CPU.
 *
 * On OS threads the heartbeat runs on another core, or the kernel preempts
 * the job; it keeps its beat. Green threads are cooperative: nothing
 * preempts the job, and the heartbeat's sleep cannot end until the job
 * yields, which it never does. The supervisor would kill a healthy worker.
 *
 * `greenring run --block-ms 100` reports the culprit while it runs:
 *
 *     greenring: watchdog: green thread 2 has run 100 ms without yielding
 *     (GREENRING_BLOCK_MS=100); every other green thread of OS thread N is
 *     starved. Its stack:  ... checksum ... job ...
 *
 * The fixed variant (-DFIXED, demo-heartbeat-fixed) yields every megabyte
 * of input with usleep(0), eventlet's sleep(0): under greenring it lets
 * every green thread whose time has come run (the heartbeat's sleep has
 * ended by then), natively it costs a few microseconds. (Moving the
 * computation to another process is the other fix; see demo (e).)
 *
 * Exit status: 0 when no beat was late, 1 when the heartbeat was starved.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { BEAT_MS = 20, DEAD_AFTER_MS = 100, BUFFER_MB = 4, PASSES = 24, YIELD_EVERY = 1 << 20 };

static volatile int job_done;
static double longest_gap_ms;
static int beats;

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void* heartbeat(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "heartbeat");
  double last = now_ms();
  while (!job_done) {
    usleep(BEAT_MS * 1000);
    double t = now_ms();
    if (t - last > longest_gap_ms) longest_gap_ms = t - last;
    last = t;
    ++beats; /* in real life: write(supervisor_fd, "alive\n", 6) */
  }
  return NULL;
}

/* Fletcher-style checksum: all computation, no system call. */
uint64_t checksum(const unsigned char* p, size_t n, uint64_t seed) {
  uint64_t a = 1 + seed, b = 0;
  for (size_t i = 0; i < n; ++i) {
    a = (a + p[i]) % 4294967291u;
    b = (b + a) % 4294967291u;
#ifdef FIXED
    if (i % YIELD_EVERY == YIELD_EVERY - 1) usleep(0); /* let the others run */
#endif
  }
  return b << 32 | a;
}

void* job(void* arg) {
  pthread_setname_np(pthread_self(), "job");
  size_t n = (size_t)BUFFER_MB << 20;
  unsigned char* data = arg;
  uint64_t sum = 0;
  for (int pass = 0; pass < PASSES; ++pass) sum += checksum(data, n, (uint64_t)pass);
  printf("job: checksum %016llx\n", (unsigned long long)sum);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  size_t n = (size_t)BUFFER_MB << 20;
  unsigned char* data = malloc(n);
  if (!data) return 2;
  for (size_t i = 0; i < n; ++i) data[i] = (unsigned char)(i * 2654435761u >> 13);

  pthread_t beat, work;
  double t0 = now_ms();
  pthread_create(&beat, NULL, heartbeat, NULL);
  usleep(2 * BEAT_MS * 1000); /* the heartbeat is up and beating */
  pthread_create(&work, NULL, job, data);
  pthread_join(work, NULL);
  job_done = 1;
  pthread_join(beat, NULL);
  free(data);

  printf("heartbeat every %d ms: %d beats in %.0f ms, longest gap %.0f ms (the supervisor gives up after %d ms)\n",
         BEAT_MS, beats, now_ms() - t0, longest_gap_ms, DEAD_AFTER_MS);
  if (longest_gap_ms > DEAD_AFTER_MS) {
    printf("verdict: FAIL: the heartbeat was silent for %.0f ms: the worker would be declared dead\n",
           longest_gap_ms);
    return 1;
  }
  printf("verdict: ok: no beat was late\n");
  return 0;
}
