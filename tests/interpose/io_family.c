/* io_family: read, write, readv, writev, pread, pwrite, preadv, pwritev and
 * their 64 variants, fsync, fdatasync, on pipes, socketpairs, FIFOs, eventfds,
 * regular files and character devices: results, errno, partial transfers,
 * file offsets, EOF, EPIPE/SIGPIPE, the application's own O_NONBLOCK, and
 * one file's position shared by two threads or two processes.
 * Built twice: plain, and with _FORTIFY_SOURCE so that read() becomes
 * __read_chk (io_family_fortify). */
#include "transcript.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

static char tmpdir[64];

static void write_str(void* arg) {
  int fd = *(int*)arg;
  if (write(fd, "late", 4) != 4) perror("write");
}

static void close_fd(void* arg) { close(*(int*)arg); }

struct drain {
  int fd;
  long total;
};

static void drain_all(void* arg) {
  struct drain* d = (struct drain*)arg;
  char buf[4096];
  ssize_t n;
  while ((n = read(d->fd, buf, sizeof buf)) > 0) d->total += n;
}

static void pipes(void) {
  int p[2];
  char buf[256];
  CALL("pipe", pipe(p));
  CALL("write 5 to pipe", write(p[1], "hello", 5));
  CALL("read 256 from pipe (partial)", read(p[0], buf, sizeof buf));
  CALL("read 0 bytes", read(p[0], buf, 0));

  struct iovec wv[2] = {{"ab", 2}, {"cdef", 4}};
  CALL("writev 2+4", writev(p[1], wv, 2));
  char a[3], b[10];
  struct iovec rv[2] = {{a, 3}, {b, sizeof b}};
  CALL("readv 3+10", readv(p[0], rv, 2));
  t_say("  readv data: %.3s|%.3s", a, b);
  volatile int minus_one = -1; /* volatile: the compiler need not see the bad count */
  CALL("readv iovcnt=-1", readv(p[0], rv, minus_one));
  CALL("writev iovcnt=-1", writev(p[1], wv, minus_one));

  /* The data arrives while the caller waits. */
  struct t_later l;
  t_later_start(&l, 150, write_str, &p[1]);
  long long t0 = t_now_ms();
  CALL("read waits for a writer", read(p[0], buf, sizeof buf));
  t_took("read waits for a writer", t0, 140, 2000);
  t_later_join(&l);

  /* A write larger than the pipe completes in full once a reader drains it. */
  static char big[1 << 20];
  memset(big, 'x', sizeof big);
  struct drain d = {p[0], 0};
  t_later_start(&l, 100, drain_all, &d);
  CALL("write 1 MiB to a pipe a thread drains", write(p[1], big, sizeof big));
  struct iovec bv[2] = {{big, 300000}, {big, 200000}};
  CALL("writev 500000 to the same pipe", writev(p[1], bv, 2));
  close(p[1]);
  t_later_join(&l);
  t_say("  the reader got %ld bytes", d.total);
  CALL("read at EOF", read(p[0], buf, sizeof buf));
  close(p[0]);

  /* Partial transfer: the reader goes away while the writer is blocked. */
  signal(SIGPIPE, SIG_IGN);
  CALL("pipe", pipe(p));
  t_later_start(&l, 150, close_fd, &p[0]);
  CALL("write 200000, reader closes after 150 ms", write(p[1], big, 200000));
  t_later_join(&l);
  CALL("write with no reader (SIGPIPE ignored)", write(p[1], "x", 1));
  struct iovec one = {"x", 1};
  CALL("writev with no reader", writev(p[1], &one, 1));
  signal(SIGPIPE, SIG_DFL);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    ssize_t r = write(p[1], "x", 1);
    _exit(r < 0 ? 3 : 4);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  t_say("write with no reader, SIGPIPE default: child %s %d", WIFSIGNALED(st) ? "killed by signal" : "exited",
        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  close(p[1]);

  /* Errors. */
  CALL("pipe", pipe(p));
  CALL("read from the write end", read(p[1], buf, 1));
  CALL("write to the read end", write(p[0], "x", 1));
  CALL("read fd -1", read(-1, buf, 1));
  CALL("write fd 999", write(999, "x", 1));
  CALL("pread on a pipe", pread(p[0], buf, 1, 0));
  CALL("pwrite on a pipe", pwrite(p[1], "x", 1, 0));
  struct iovec iv = {buf, 1};
  CALL("preadv on a pipe", preadv(p[0], &iv, 1, 0));
  CALL("pwritev on a pipe", pwritev(p[1], &one, 1, 0));
  CALL("pipe still empty (pread took nothing): write 1", write(p[1], "y", 1));
  CALL("read 256", read(p[0], buf, sizeof buf));
  CALL("fsync on a pipe", fsync(p[0]));
  CALL("fdatasync on a pipe", fdatasync(p[1]));
  CALL("fsync fd -1", fsync(-1));
  close(p[0]);
  close(p[1]);
}

/* More iovecs than IOV_MAX: the kernel refuses the call before it looks at
 * any of them, so an array shorter than the count is never read. */
static void iov_max(void) {
  int p[2];
  char buf[8];
  struct iovec v[2] = {{buf, 4}, {buf + 4, 4}};
  volatile int too_many = IOV_MAX + 1;
  struct msghdr m = {0};
  m.msg_iov = v;
  m.msg_iovlen = (size_t)too_many;
  int sv[2];
  CALL("pipe", pipe(p));
  CALL("writev iovcnt=IOV_MAX+1", writev(p[1], v, too_many));
  CALL("readv iovcnt=IOV_MAX+1", readv(p[0], v, too_many));
  CALL("pwritev iovcnt=IOV_MAX+1 on a pipe", pwritev(p[1], v, too_many, 0));
  CALL("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  CALL("sendmsg msg_iovlen=IOV_MAX+1", sendmsg(sv[0], &m, 0));
  CALL("recvmsg msg_iovlen=IOV_MAX+1", recvmsg(sv[1], &m, MSG_DONTWAIT));
  close(p[0]);
  close(p[1]);
  close(sv[0]);
  close(sv[1]);
}

/* Lengths the compiler cannot see: built with _FORTIFY_SOURCE these calls
 * become __read_chk, __pread_chk, __recv_chk, __recvfrom_chk, __poll_chk
 * and __ppoll_chk (io_family_fortify); plain calls otherwise. */
static void unknown_lengths(void) {
  volatile size_t len = 4;
  volatile nfds_t count = 1;
  char buf[16];
  int p[2], sv[2];
  if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(2);
  CALL("write 4", write(p[1], "abcd", 4));
  CALL("read(len=4) [__read_chk]", read(p[0], buf, len));
  CALL("pread(len=4) on a pipe [__pread_chk]", pread(p[0], buf, len, 0));
  CALL("send 8", send(sv[0], "12345678", 8, 0));
  CALL("recv(len=4) [__recv_chk]", recv(sv[1], buf, len, 0));
  CALL("recvfrom(len=4) [__recvfrom_chk]", recvfrom(sv[1], buf, len, 0, NULL, NULL));
  struct pollfd pf[1] = {{p[0], POLLIN, 0}};
  CALL("poll(nfds=1, 50 ms) [__poll_chk]", poll(pf, count, 50));
  struct timespec ts = {0, 50000000L};
  CALL("ppoll(nfds=1, 50 ms) [__ppoll_chk]", ppoll(pf, count, &ts, NULL));
  int fd = open("/dev/zero", O_RDONLY);
  CALL("pread(len=4) on /dev/zero [__pread_chk]", pread(fd, buf, len, 0));
  close(fd);
  close(p[0]);
  close(p[1]);
  close(sv[0]);
  close(sv[1]);
}

static void nonblocking_pipes(void) {
  int p[2];
  char buf[16];
  CALL("pipe2(O_NONBLOCK)", pipe2(p, O_NONBLOCK));
  t_say("  F_GETFL read end: %#x", fcntl(p[0], F_GETFL));
  CALL("read empty O_NONBLOCK pipe", read(p[0], buf, sizeof buf));
  struct iovec iv = {buf, sizeof buf};
  CALL("readv empty O_NONBLOCK pipe", readv(p[0], &iv, 1));
  static char big[1 << 18];
  CALL("write 256 KiB to an empty O_NONBLOCK pipe (partial)", write(p[1], big, sizeof big));
  CALL("write to the full O_NONBLOCK pipe", write(p[1], big, 1));
  close(p[0]);
  close(p[1]);
}

static void socketpairs(void) {
  int sv[2];
  char buf[64];
  CALL("socketpair(AF_UNIX, SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  CALL("write 6 to a socket", write(sv[0], "socket", 6));
  CALL("read from the peer", read(sv[1], buf, sizeof buf));
  struct iovec wv[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
  CALL("writev 1+2+3", writev(sv[1], wv, 3));
  char x[2], y[10];
  struct iovec rv[2] = {{x, 2}, {y, sizeof y}};
  CALL("readv 2+10", readv(sv[0], rv, 2));
  struct t_later l;
  t_later_start(&l, 120, write_str, &sv[1]);
  long long t0 = t_now_ms();
  CALL("read on a socket waits for the peer", read(sv[0], buf, sizeof buf));
  t_took("read on a socket waits for the peer", t0, 110, 2000);
  t_later_join(&l);
  CALL("pread on a socket", pread(sv[0], buf, 1, 0));
  CALL("fsync on a socket", fsync(sv[0]));
  close(sv[1]);
  CALL("read after the peer closed", read(sv[0], buf, sizeof buf));
  signal(SIGPIPE, SIG_IGN);
  CALL("write after the peer closed", write(sv[0], "x", 1));
  signal(SIGPIPE, SIG_DFL);
  close(sv[0]);

  CALL("socketpair(AF_UNIX, SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  CALL("write a 10-byte datagram", write(sv[0], "0123456789", 10));
  CALL("read it with a 4-byte buffer (truncated)", read(sv[1], buf, 4));
  CALL("write an empty datagram", write(sv[0], "", 0));
  CALL("read the empty datagram", read(sv[1], buf, sizeof buf));
  close(sv[0]);
  close(sv[1]);
}

static void regular_files(void) {
  char path[128];
  char buf[64];
  snprintf(path, sizeof path, "%s/file", tmpdir);
  int fd;
  CALL("open(O_RDWR|O_CREAT|O_TRUNC)", (fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0 ? 0 : -1);
  CALL("write 10", write(fd, "0123456789", 10));
  CALL("lseek(0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
  CALL("pwrite 3 at 20", pwrite(fd, "XYZ", 3, 20));
  CALL("lseek(0, SEEK_CUR) unchanged by pwrite", lseek(fd, 0, SEEK_CUR));
  CALL("pread 5 at 2", pread(fd, buf, 5, 2));
  t_say("  data: %.5s", buf);
  CALL("pread 10 at 18 (hole then data)", pread(fd, buf, 10, 18));
  t_say("  data: %02x %02x %.3s", buf[0], buf[1], buf + 2);
  CALL("pread at 1000 (past EOF)", pread(fd, buf, 4, 1000));
  CALL("pread offset -1", pread(fd, buf, 4, -1));
  CALL("pwrite offset -1", pwrite(fd, "x", 1, -1));
  CALL("read at the current offset (EOF region)", read(fd, buf, sizeof buf));
  CALL("lseek(0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
  CALL("read 4", read(fd, buf, 4));
  CALL("lseek(0, SEEK_CUR) after read", lseek(fd, 0, SEEK_CUR));
  struct iovec wv[2] = {{"ab", 2}, {"cd", 2}};
  CALL("pwritev 2+2 at 30", pwritev(fd, wv, 2, 30));
  char p1[3], p2[3];
  struct iovec rv[2] = {{p1, 3}, {p2, 3}};
  CALL("preadv 3+3 at 29", preadv(fd, rv, 2, 29));
  CALL("preadv offset -1", preadv(fd, rv, 2, -1));
  CALL("writev 2+2 at the current offset", writev(fd, wv, 2));
  CALL("lseek(0, SEEK_CUR) after writev", lseek(fd, 0, SEEK_CUR));
  CALL("readv 3+3 at the current offset", readv(fd, rv, 2));
  CALL("pread64 4 at 0", pread64(fd, buf, 4, 0));
  CALL("pwrite64 1 at 40", pwrite64(fd, "!", 1, 40));
  CALL("preadv64 3+3 at 0", preadv64(fd, rv, 2, 0));
  CALL("pwritev64 2+2 at 50", pwritev64(fd, wv, 2, 50));
  CALL("fsync", fsync(fd));
  CALL("fdatasync", fdatasync(fd));
  struct stat stbuf;
  fstat(fd, &stbuf);
  t_say("  file size: %ld", (long)stbuf.st_size);

  static char big[1 << 22];
  memset(big, 'z', sizeof big);
  CALL("lseek(0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
  CALL("write 4 MiB", write(fd, big, sizeof big));
  CALL("lseek(0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
  long total = 0;
  ssize_t n;
  while ((n = read(fd, big, 100000)) > 0) total += n;
  t_say("  read back %ld bytes in 100000-byte reads", total);
  close(fd);

  CALL("open(O_WRONLY|O_APPEND)", (fd = open(path, O_WRONLY | O_APPEND)) >= 0 ? 0 : -1);
  CALL("write with O_APPEND", write(fd, "tail", 4));
  CALL("lseek(0, SEEK_CUR) after the append", lseek(fd, 0, SEEK_CUR));
  CALL("read from an O_WRONLY file", read(fd, buf, 1));
  close(fd);
  CALL("open(O_RDONLY)", (fd = open(path, O_RDONLY)) >= 0 ? 0 : -1);
  CALL("write to an O_RDONLY file", write(fd, "x", 1));
  CALL("pwrite to an O_RDONLY file", pwrite(fd, "x", 1, 0));
  close(fd);
  unlink(path);

  CALL("open(directory)", (fd = open(tmpdir, O_RDONLY | O_DIRECTORY)) >= 0 ? 0 : -1);
  CALL("read a directory", read(fd, buf, sizeof buf));
  CALL("fsync a directory", fsync(fd));
  close(fd);
  CALL("open(O_PATH)", (fd = open(tmpdir, O_PATH)) >= 0 ? 0 : -1);
  CALL("read an O_PATH fd", read(fd, buf, sizeof buf));
  close(fd);

  CALL("open /dev/full", (fd = open("/dev/full", O_RDWR)) >= 0 ? 0 : -1);
  CALL("write /dev/full", write(fd, "x", 1));
  CALL("read /dev/full", read(fd, buf, 8));
  close(fd);
  CALL("open /dev/null", (fd = open("/dev/null", O_RDWR)) >= 0 ? 0 : -1);
  CALL("read /dev/null", read(fd, buf, 8));
  CALL("write /dev/null", write(fd, big, 1 << 20));
  CALL("pread /dev/null at 5", pread(fd, buf, 8, 5));
  close(fd);
  CALL("open /dev/zero", (fd = open("/dev/zero", O_RDONLY)) >= 0 ? 0 : -1);
  CALL("read 64 from /dev/zero", read(fd, buf, sizeof buf));
  close(fd);
}

static void add_seven(void* arg) {
  uint64_t seven = 7;
  if (write(*(int*)arg, &seven, sizeof seven) != sizeof seven) perror("write eventfd");
}

static void eventfds(void) {
  uint64_t v = 0;
  char small[4];
  int fd;
  CALL("eventfd(3, 0)", (fd = eventfd(3, 0)) >= 0 ? 0 : -1);
  CALL("read eventfd", read(fd, &v, sizeof v));
  t_say("  value %llu", (unsigned long long)v);
  CALL("read eventfd into 4 bytes", read(fd, small, sizeof small));
  v = 5;
  CALL("write 8 to eventfd", write(fd, &v, sizeof v));
  CALL("write 4 to eventfd", write(fd, small, sizeof small));
  v = UINT64_MAX;
  CALL("write UINT64_MAX to eventfd", write(fd, &v, sizeof v));
  CALL("pread on an eventfd", pread(fd, &v, sizeof v, 0));
  CALL("read eventfd", read(fd, &v, sizeof v));
  t_say("  value %llu", (unsigned long long)v);
  struct t_later l;
  t_later_start(&l, 120, add_seven, &fd);
  long long t0 = t_now_ms();
  CALL("read an empty eventfd waits for a writer", read(fd, &v, sizeof v));
  t_took("read an empty eventfd waits for a writer", t0, 110, 2000);
  t_say("  value %llu", (unsigned long long)v);
  t_later_join(&l);
  close(fd);

  CALL("eventfd(0, EFD_NONBLOCK)", (fd = eventfd(0, EFD_NONBLOCK)) >= 0 ? 0 : -1);
  t_say("  F_GETFL: %#x", fcntl(fd, F_GETFL));
  CALL("read an empty EFD_NONBLOCK eventfd", read(fd, &v, sizeof v));
  close(fd);

  CALL("eventfd(2, EFD_SEMAPHORE)", (fd = eventfd(2, EFD_SEMAPHORE)) >= 0 ? 0 : -1);
  CALL("read semaphore eventfd", read(fd, &v, sizeof v));
  t_say("  value %llu", (unsigned long long)v);
  CALL("read semaphore eventfd", read(fd, &v, sizeof v));
  t_say("  value %llu", (unsigned long long)v);
  close(fd);
}

/* One open file, two writers or readers at its current position (threads,
 * or a parent and its child). The kernel locks a regular file's position
 * for read and write, so no line is lost, written twice or read twice. */
enum { kLines = 3000, kLineLen = 7 };

struct shared_io {
  int fd;
  char who;
  int seen[2 * kLines];
  int bad;
};

static void* write_lines(void* arg) {
  struct shared_io* s = (struct shared_io*)arg;
  char line[kLineLen + 1];
  for (int i = 0; i < kLines; ++i) {
    snprintf(line, sizeof line, "%c%05d\n", s->who, i);
    if (write(s->fd, line, kLineLen) != kLineLen) s->bad++;
  }
  return NULL;
}

static void* read_lines(void* arg) {
  struct shared_io* s = (struct shared_io*)arg;
  char line[kLineLen + 1] = "";
  ssize_t n;
  int i;
  while ((n = read(s->fd, line, kLineLen)) == kLineLen) {
    if (sscanf(line, "L%05d", &i) == 1 && i >= 0 && i < 2 * kLines)
      __atomic_add_fetch(&s->seen[i], 1, __ATOMIC_RELAXED);
    else
      s->bad++;
  }
  if (n != 0) s->bad++;
  return NULL;
}

static long file_size(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

static void shared_position(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/shared", tmpdir);
  struct shared_io a = {0}, b = {0};
  pthread_t ta, tb;

  a.fd = b.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  a.who = 'a';
  b.who = 'b';
  pthread_create(&ta, NULL, write_lines, &a);
  pthread_create(&tb, NULL, write_lines, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  t_say("two threads write %d lines each through one fd: %ld bytes of %d, failed writes %d", kLines,
        file_size(a.fd), 2 * kLines * kLineLen, a.bad + b.bad);
  close(a.fd);

  a.fd = open(path, O_WRONLY | O_TRUNC);
  fflush(stdout);
  pid_t child = fork();
  a.who = child == 0 ? 'c' : 'p';
  write_lines(&a);
  if (child == 0) _exit(a.bad);
  int st = 0;
  waitpid(child, &st, 0);
  t_say("a parent and its child write %d lines each through one fd: %ld bytes of %d, failed writes %d", kLines,
        file_size(a.fd), 2 * kLines * kLineLen, a.bad + (WIFEXITED(st) ? WEXITSTATUS(st) : 1));
  close(a.fd);

  int w = open(path, O_WRONLY | O_TRUNC);
  char line[kLineLen + 1];
  for (int i = 0; i < 2 * kLines; ++i) {
    snprintf(line, sizeof line, "L%05d\n", i);
    if (write(w, line, kLineLen) != kLineLen) exit(2);
  }
  close(w);
  static struct shared_io r;
  r.fd = open(path, O_RDONLY);
  pthread_create(&ta, NULL, read_lines, &r);
  pthread_create(&tb, NULL, read_lines, &r);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  int once = 0;
  for (int i = 0; i < 2 * kLines; ++i) once += r.seen[i] == 1;
  t_say("two threads read one fd line by line: %d of %d lines read exactly once, bad reads %d", once, 2 * kLines,
        r.bad);
  close(r.fd);
  unlink(path);
}

int main(int argc, char** argv) {
  t_start("io_family", 25);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/greenring-io-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  if (t_want(argc, argv, "pipes")) pipes();
  if (argc > 1 && strcmp(argv[1], "iov_max") == 0) iov_max(); /* only when named */
  if (t_want(argc, argv, "lengths")) unknown_lengths();
  if (t_want(argc, argv, "nonblocking")) nonblocking_pipes();
  if (t_want(argc, argv, "sockets")) socketpairs();
  if (t_want(argc, argv, "files")) regular_files();
  if (t_want(argc, argv, "eventfd")) eventfds();
  if (t_want(argc, argv, "shared")) shared_position();
  rmdir(tmpdir);
  return t_end();
}
