/* overhead: the cost the shim adds to calls that do not block. Run it
 * natively and under LD_PRELOAD and compare (overhead.sh does both and prints
 * the ratios). Not a test of speed: nothing here is asserted.
 *   read_eagain   read() of an empty O_NONBLOCK pipe: EAGAIN (under the shim
 *                 the fd is the application's non-blocking one: a pass-through)
 *   write_1       write() of 1 byte to a blocking pipe with room (under the
 *                 shim: through the ring, completing inline); the pipe is
 *                 drained between batches, outside the timed part
 *   write_read_1  write() of 1 byte then read() of it back, blocking pipe
 *   pread_file    pread() of 1 byte from a regular file in the page cache
 *   write_file    write() of 40 bytes at a regular file's current position
 *                 (a log line; under the shim the plain call and a yield)
 *   read_file     read() of those 40-byte lines back, from the page cache
 * usage: overhead [N]   (default N = 200000) */
#include "transcript.h"

#include <fcntl.h>

static double ns_since(const struct timespec* t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e9 + (double)(t1.tv_nsec - t0->tv_nsec);
}

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  if (n <= 0) n = 200000;
  int nb[2], bl[2];
  if (pipe2(nb, O_NONBLOCK) != 0 || pipe(bl) != 0) return 2;
  char c = 'x', buf[4096];
  struct timespec t0;

  /* Warm-up: the first calls set the runtime up under the shim. */
  for (int i = 0; i < 1000; ++i) {
    if (read(nb[0], &c, 1) != -1) return 2;
    if (write(bl[1], &c, 1) != 1 || read(bl[0], &c, 1) != 1) return 2;
  }

  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; ++i)
    if (read(nb[0], &c, 1) != -1 || errno != EAGAIN) return 2;
  double eagain = ns_since(&t0) / (double)n;

  double writes = 0;
  for (long done = 0; done < n;) {
    long batch = n - done < (long)sizeof buf ? n - done : (long)sizeof buf;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < batch; ++i)
      if (write(bl[1], &c, 1) != 1) return 2;
    writes += ns_since(&t0);
    for (long left = batch; left > 0;) {
      ssize_t r = read(bl[0], buf, (size_t)left);
      if (r <= 0) return 2;
      left -= r;
    }
    done += batch;
  }
  double write1 = writes / (double)n;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; ++i)
    if (write(bl[1], &c, 1) != 1 || read(bl[0], &c, 1) != 1) return 2;
  double pair = ns_since(&t0) / (double)n;

  char path[] = "/tmp/greenring-overhead-XXXXXX";
  int f = mkstemp(path);
  if (f < 0 || write(f, "data", 4) != 4) return 2;
  unlink(path);
  for (int i = 0; i < 1000; ++i)
    if (pread(f, &c, 1, 1) != 1) return 2;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; ++i)
    if (pread(f, &c, 1, 1) != 1) return 2;
  double pread_file = ns_since(&t0) / (double)n;
  const char line[] = "a log line of forty bytes, give or take\n";
  if (ftruncate(f, 0) != 0 || lseek(f, 0, SEEK_SET) != 0) return 2;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; ++i)
    if (write(f, line, 40) != 40) return 2;
  double write_file = ns_since(&t0) / (double)n;
  if (lseek(f, 0, SEEK_SET) != 0) return 2;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; ++i)
    if (read(f, buf, 40) != 40) return 2;
  double read_file = ns_since(&t0) / (double)n;
  close(f);

  printf("read_eagain %.1f ns/call\n", eagain);
  printf("write_1 %.1f ns/call\n", write1);
  printf("write_read_1 %.1f ns/pair\n", pair);
  printf("pread_file %.1f ns/call\n", pread_file);
  printf("write_file %.1f ns/call\n", write_file);
  printf("read_file %.1f ns/call\n", read_file);
  return 0;
}
