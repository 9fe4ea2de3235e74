/* Demo (e): no parallelism. Two CPU-bound threads take twice the wall time
 * under green threads that they take natively on two cores.
 *
 * The story. A report generator splits its work in two halves and runs them
 * on two threads, "to use both cores". Natively that works: two OS threads,
 * two cores, half the wall time. Under greenring every pthread is a green
 * thread of the same OS thread, so the halves run one after the other on
 * one core: the same CPU time, and twice the wall time. Nothing is wrong
 * with the results, only with the expectation; eventlet and gevent have
 * the same property (and CPython's GIL hides it there).
 *
 * The program measures it: each half notes when it started and ended, and
 * the program reports the wall time, the speedup (CPU time / wall time:
 * about 2 natively on an idle two-core machine, about 1 under greenring)
 * and how long the halves ran side by side. It fails when they did not run
 * side by side at all although two cores are available: that part does not
 * depend on how busy the machine is.
 *
 * The fixed variant (-DFIXED, demo-no-parallelism-fixed) does what you do in
 * Python: it puts CPU-bound work in worker processes (fork, results back
 * through a pipe). Each process has its own scheduler and OS thread, so the
 * halves run in parallel under greenring too. (`greenring run --threads
 * native` is the other way: pthreads stay OS threads, each with its own
 * scheduler.)
 *
 * Exit status: 0 when the halves ran side by side (or only one core is
 * available), 1 when they ran one after the other.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { HALVES = 2 };
static const uint64_t kSteps = 120000000; /* per half: about 0.2 s of one core */

struct half {
  uint64_t seed, result;
  double start, end; /* CLOCK_MONOTONIC, comparable across processes */
};

double seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A stand-in for real work: an xorshift walk that the compiler cannot skip. */
uint64_t crunch(uint64_t seed) {
  uint64_t x = seed | 1;
  for (uint64_t i = 0; i < kSteps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

void work(struct half* h) {
  h->start = seconds(CLOCK_MONOTONIC);
  h->result = crunch(h->seed);
  h->end = seconds(CLOCK_MONOTONIC);
}

#ifdef FIXED
/* Each half in its own process; the outcome comes back through a pipe. */
void run_halves(struct half halves[HALVES]) {
  int fds[HALVES][2];
  pid_t pids[HALVES];
  for (int i = 0; i < HALVES; ++i) {
    if (pipe(fds[i]) != 0) exit(2);
    pids[i] = fork();
    if (pids[i] < 0) exit(2);
    if (pids[i] == 0) {
      work(&halves[i]);
      _exit(write(fds[i][1], &halves[i], sizeof halves[i]) == (ssize_t)sizeof halves[i] ? 0 : 1);
    }
    close(fds[i][1]);
  }
  for (int i = 0; i < HALVES; ++i) {
    if (read(fds[i][0], &halves[i], sizeof halves[i]) != (ssize_t)sizeof halves[i]) exit(2);
    close(fds[i][0]);
    waitpid(pids[i], NULL, 0);
  }
}
#else
void* run_half(void* arg) {
  pthread_setname_np(pthread_self(), "half");
  work(arg);
  return NULL;
}

/* Each half on its own thread. */
void run_halves(struct half halves[HALVES]) {
  pthread_t threads[HALVES];
  for (int i = 0; i < HALVES; ++i) pthread_create(&threads[i], NULL, run_half, &halves[i]);
  for (int i = 0; i < HALVES; ++i) pthread_join(threads[i], NULL);
}
#endif

double children_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  struct half halves[HALVES] = {{.seed = 1}, {.seed = 2}};
  double wall0 = seconds(CLOCK_MONOTONIC), cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID) + children_cpu();
  run_halves(halves);
  double wall = seconds(CLOCK_MONOTONIC) - wall0;
  double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) + children_cpu() - cpu0;
  double speedup = cpu / wall;
  /* How long both halves were running at the same time. */
  double first_end = halves[0].end < halves[1].end ? halves[0].end : halves[1].end;
  double last_start = halves[0].start > halves[1].start ? halves[0].start : halves[1].start;
  double together = first_end - last_start;

  printf("2 halves of work (results %04llx %04llx) on %ld core%s: wall %.2f s, CPU %.2f s, speedup %.2fx; "
         "the halves ran side by side for %.2f s\n",
         (unsigned long long)(halves[0].result & 0xffff), (unsigned long long)(halves[1].result & 0xffff), cores,
         cores == 1 ? "" : "s", wall, cpu, speedup, together > 0 ? together : 0.0);
  if (cores < 2) {
    printf("verdict: ok: one core only, nothing to compare\n");
    return 0;
  }
  if (together <= 0) {
    printf("verdict: FAIL: the halves ran one after the other: wall %.2f s, speedup %.2fx\n", wall, speedup);
    return 1;
  }
  if (speedup < 1.5)
    printf("verdict: ok: the halves ran side by side (speedup only %.2fx: other programs are using the cores)\n",
           speedup);
  else
    printf("verdict: ok: the halves ran in parallel: wall %.2f s, speedup %.2fx\n", wall, speedup);
  return 0;
}
