/* fd_family: the calls the shim follows to know what the application asked
 * of each fd: socket, socketpair, pipe, pipe2, eventfd, open*, accept4, dup,
 * dup2, dup3, fcntl (F_SETFL, F_DUPFD), ioctl(FIONBIO), setsockopt
 * (SO_RCVTIMEO/SO_SNDTIMEO), close, fclose. What is checked: F_GETFL shows
 * only the application's flags; its own O_NONBLOCK passes through (EAGAIN)
 * through every way of setting it, and follows the open file description
 * across dups; a reused fd number does not inherit the old fd's state. */
#include "transcript.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>

static char tmpdir[64];

static void write_byte(void* arg) {
  if (write(*(int*)arg, "!", 1) != 1) perror("write");
}

static const char* nb(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return t_errname(errno);
  return (fl & O_NONBLOCK) ? "O_NONBLOCK" : "blocking";
}

/* read() on a fd expected to be non-blocking and empty: EAGAIN at once. */
static void read_mode(const char* label, int fd) {
  char c;
  errno = 0;
  ssize_t r = read(fd, &c, 1);
  if (r < 0) {
    t_say("%s: %s", label, t_errname(errno));
  } else {
    t_say("%s: returned %zd", label, r);
  }
}

/* read() on a blocking fd: it waits for the byte a thread writes to wfd
 * after 100 ms. */
static void read_waits(const char* label, int fd, int wfd) {
  struct t_later l;
  char c;
  t_later_start(&l, 100, write_byte, &wfd);
  long long t0 = t_now_ms();
  errno = 0;
  ssize_t r = read(fd, &c, 1);
  t_later_join(&l);
  if (r == 1) {
    t_took(label, t0, 90, 2000);
  } else {
    t_say("%s: %zd %s", label, r, t_errname(errno));
    /* The helper's byte is there now: take it. */
    if (r < 0 && errno == EAGAIN) {
      int fl = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
      if (read(fd, &c, 1) != 1) perror("read");
      fcntl(fd, F_SETFL, fl);
    }
  }
}

static void getfl(void) {
  int p[2], sv[2], fd;
  CALL("pipe", pipe(p));
  t_say("  F_GETFL: %#x %#x", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
  read_waits("read on a blocking pipe waits", p[0], p[1]);
  t_say("  F_GETFL after a blocking read: %#x", fcntl(p[0], F_GETFL));
  close(p[0]);
  close(p[1]);
  CALL("pipe2(O_NONBLOCK|O_CLOEXEC)", pipe2(p, O_NONBLOCK | O_CLOEXEC));
  t_say("  F_GETFL: %#x, F_GETFD: %d", fcntl(p[0], F_GETFL), fcntl(p[0], F_GETFD));
  read_mode("read on a pipe2(O_NONBLOCK)", p[0]);
  close(p[0]);
  close(p[1]);
  CALL("socketpair(SOCK_NONBLOCK)", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
  t_say("  F_GETFL: %s %s", nb(sv[0]), nb(sv[1]));
  read_mode("read on a SOCK_NONBLOCK socket", sv[0]);
  close(sv[0]);
  close(sv[1]);
  CALL("socket(AF_INET, SOCK_STREAM)", (fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0 ? 0 : -1);
  t_say("  F_GETFL: %#x", fcntl(fd, F_GETFL));
  close(fd);
  CALL("eventfd(0, EFD_NONBLOCK)", (fd = eventfd(0, EFD_NONBLOCK)) >= 0 ? 0 : -1);
  t_say("  F_GETFL: %s", nb(fd));
  uint64_t v;
  CALL("read it", read(fd, &v, sizeof v));
  close(fd);
}

static void setfl(void) {
  int p[2];
  if (pipe(p) != 0) exit(2);
  int fl = fcntl(p[0], F_GETFL);
  CALL("fcntl(F_SETFL, O_NONBLOCK)", fcntl(p[0], F_SETFL, fl | O_NONBLOCK));
  t_say("  F_GETFL: %#x", fcntl(p[0], F_GETFL));
  read_mode("read after F_SETFL O_NONBLOCK", p[0]);
  CALL("fcntl(F_SETFL, 0)", fcntl(p[0], F_SETFL, fl));
  read_waits("read after F_SETFL 0 waits", p[0], p[1]);
  CALL("fcntl64(F_SETFL, O_NONBLOCK)", fcntl64(p[0], F_SETFL, fl | O_NONBLOCK));
  read_mode("read after fcntl64 F_SETFL O_NONBLOCK", p[0]);
  CALL("fcntl64(F_SETFL, 0)", fcntl64(p[0], F_SETFL, fl));
  int one = 1, zero = 0;
  CALL("ioctl(FIONBIO, 1)", ioctl(p[0], FIONBIO, &one));
  t_say("  F_GETFL: %s", nb(p[0]));
  read_mode("read after FIONBIO 1", p[0]);
  CALL("ioctl(FIONBIO, 0)", ioctl(p[0], FIONBIO, &zero));
  read_waits("read after FIONBIO 0 waits", p[0], p[1]);
  CALL("ioctl(FIONBIO, NULL)", ioctl(p[0], FIONBIO, NULL));
  CALL("fcntl(F_SETFL) on fd -1", fcntl(-1, F_SETFL, O_NONBLOCK));
  CALL("fcntl(F_GETFD)", fcntl(p[0], F_GETFD));
  CALL("fcntl(F_SETFD, FD_CLOEXEC)", fcntl(p[0], F_SETFD, FD_CLOEXEC));
  CALL("fcntl(F_GETFD)", fcntl(p[0], F_GETFD));
  CALL("fcntl(F_GETPIPE_SZ)", fcntl(p[0], F_GETPIPE_SZ));
  close(p[0]);
  close(p[1]);
}

static void dups(void) {
  int p[2], d;
  if (pipe2(p, O_NONBLOCK) != 0) exit(2);
  CALL("dup of an O_NONBLOCK pipe", (d = dup(p[0])) >= 0 ? 0 : -1);
  read_mode("read on the dup", d);
  close(d);
  CALL("dup2 to fd 100", dup2(p[0], 100));
  read_mode("read on fd 100", 100);
  CALL("dup3 to fd 101, O_CLOEXEC", dup3(p[0], 101, O_CLOEXEC));
  t_say("  F_GETFD: %d", fcntl(101, F_GETFD));
  read_mode("read on fd 101", 101);
  CALL("fcntl(F_DUPFD, 110)", fcntl(p[0], F_DUPFD, 110));
  read_mode("read on fd 110", 110);
  CALL("fcntl(F_DUPFD_CLOEXEC, 120)", fcntl(p[0], F_DUPFD_CLOEXEC, 120));
  read_mode("read on fd 120", 120);
  CALL("dup2 onto itself", dup2(p[0], p[0]));
  CALL("dup3 onto itself", dup3(p[0], p[0], 0));
  CALL("dup2 from fd -1", dup2(-1, 100));
  read_mode("fd 100 still open after the failed dup2", 100);
  CALL("dup of fd 999", dup(999));
  close(100);
  close(101);
  close(110);
  close(120);
  close(p[0]);
  close(p[1]);

  /* O_NONBLOCK belongs to the open file description: a dup sees a change
   * made through the other fd. */
  if (pipe(p) != 0) exit(2);
  d = dup(p[0]);
  read_waits("read on a blocking dup waits", d, p[1]);
  CALL("fcntl(original, F_SETFL, O_NONBLOCK)", fcntl(p[0], F_SETFL, O_NONBLOCK));
  t_say("  F_GETFL of the dup: %s", nb(d));
  read_mode("read on the dup after the original went O_NONBLOCK", d);
  int zero = 0;
  CALL("ioctl(dup, FIONBIO, 0)", ioctl(d, FIONBIO, &zero));
  t_say("  F_GETFL of the original: %s", nb(p[0]));
  read_waits("read on the original after the dup went blocking", p[0], p[1]);
  close(d);

  /* dup2 over an open fd takes the source's state. */
  int q[2];
  if (pipe2(q, O_NONBLOCK) != 0) exit(2);
  CALL("dup2(O_NONBLOCK pipe, blocking pipe's fd)", dup2(q[0], p[0]));
  read_mode("read on the replaced fd", p[0]);
  close(q[0]);
  close(q[1]);
  close(p[0]);
  close(p[1]);
}

static void arm_100ms(void* arg) {
  struct itimerspec it = {{0, 0}, {0, 100000000}};
  if (timerfd_settime(*(int*)arg, 0, &it, NULL) != 0) perror("timerfd_settime");
}

/* A blocking timerfd takes the number `was` (closed by libc itself) and is
 * armed by another thread: the read waits for it. */
static void timer_reuse(const char* whose, int was) {
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  t_say("a blocking timerfd got %s number: %s", whose, t == was ? "yes" : "no");
  struct t_later l;
  t_later_start(&l, 50, arm_100ms, &t);
  uint64_t ticks = 0;
  long long t0 = t_now_ms();
  CALL("read waits for the timerfd armed by another thread", read(t, &ticks, sizeof ticks));
  t_took("read waits for the timerfd", t0, 140, 2000);
  t_say("  ticks %llu", (unsigned long long)ticks);
  t_later_join(&l);
  close(t);
}

static void reuse(void) {
  int p[2], q[2];
  if (pipe2(p, O_NONBLOCK) != 0) exit(2);
  int n0 = p[0], n1 = p[1];
  close(p[0]);
  close(p[1]);
  CALL("pipe (reusing the numbers of an O_NONBLOCK pipe)", pipe(q));
  t_say("  same numbers: %s", q[0] == n0 && q[1] == n1 ? "yes" : "no");
  read_waits("read on the new blocking pipe waits", q[0], q[1]);
  close(q[0]);
  close(q[1]);

  /* glibc's fclose closes the fd without close(): the number's next owner
   * (here an O_NONBLOCK timerfd) must not be taken for the old pipe. */
  if (pipe(p) != 0) exit(2);
  read_waits("read on a blocking pipe waits", p[0], p[1]);
  FILE* f = fdopen(p[0], "r");
  CALL("fclose(fdopen(pipe read end))", fclose(f));
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  t_say("timerfd_create(TFD_NONBLOCK) got the same number: %s", t == p[0] ? "yes" : "no");
  uint64_t ticks;
  CALL("read the unarmed non-blocking timerfd", read(t, &ticks, sizeof ticks));
  close(t);
  close(p[1]);

  /* closedir and pclose close their fd internally too. opendir's fd is
   * O_NONBLOCK and a popen'd fd made so here: the next owner of the number,
   * a blocking timerfd, must be waited for (in green mode the thread that
   * arms it runs only if the read parks). */
  DIR* dir = opendir(".");
  int dfd = dir ? dirfd(dir) : -1;
  CALL("read on a directory's fd", read(dfd, &ticks, sizeof ticks));
  CALL("closedir", closedir(dir));
  timer_reuse("a directory's", dfd);
  FILE* po = popen("exit 0", "r");
  int pfd = po ? fileno(po) : -1;
  CALL("fcntl(F_SETFL, O_NONBLOCK) on popen's pipe", fcntl(pfd, F_SETFL, O_NONBLOCK));
  CALL("pclose", pclose(po));
  timer_reuse("popen's", pfd);

  /* A socket's timeout does not outlive it. */
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct timeval tv = {0, 100000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int n = s;
  close(s);
  int sv[2];
  CALL("socketpair (reusing a timed socket's number)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  t_say("  same number: %s", sv[0] == n ? "yes" : "no");
  struct t_later l;
  t_later_start(&l, 300, write_byte, &sv[1]);
  char c;
  long long t0 = t_now_ms();
  CALL("recv waits past the old timeout", recv(sv[0], &c, 1, 0));
  t_took("recv waits past the old timeout", t0, 290, 2000);
  t_later_join(&l);

  int d;
  CALL("setsockopt(SO_RCVTIMEO 0.1 s)", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  CALL("dup2 the timed socket to fd 130", (d = dup2(sv[0], 130)));
  t0 = t_now_ms();
  CALL("recv on fd 130 times out too", recv(130, &c, 1, 0));
  t_took("recv on fd 130 times out too", t0, 95, 1000);
  close(130);
  close(sv[0]);
  close(sv[1]);

  CALL("close fd 130 again", close(130));
  char buf[4];
  CALL("read a closed fd", read(130, buf, sizeof buf));
}

static void opens(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/fifo", tmpdir);
  CALL("mkfifo", mkfifo(path, 0600));
  int r, w;
  CALL("open(fifo, O_RDONLY|O_NONBLOCK)", (r = open(path, O_RDONLY | O_NONBLOCK)) >= 0 ? 0 : -1);
  t_say("  F_GETFL: %s", nb(r));
  char buf[8];
  CALL("read with no writer", read(r, buf, sizeof buf));
  CALL("open(fifo, O_WRONLY)", (w = open(path, O_WRONLY)) >= 0 ? 0 : -1);
  CALL("read with a writer, no data", read(r, buf, sizeof buf));
  CALL("write 3", write(w, "abc", 3));
  CALL("read", read(r, buf, sizeof buf));
  CALL("fcntl(F_SETFL, 0)", fcntl(r, F_SETFL, 0));
  read_waits("read on the FIFO waits for the writer", r, w);
  close(w);
  CALL("read after the writer closed", read(r, buf, sizeof buf));
  close(r);

  CALL("openat(fifo, O_RDWR|O_NONBLOCK)", (r = openat(AT_FDCWD, path, O_RDWR | O_NONBLOCK)) >= 0 ? 0 : -1);
  read_mode("read on the openat fd", r);
  close(r);
  CALL("open64(fifo, O_RDWR|O_NONBLOCK)", (r = open64(path, O_RDWR | O_NONBLOCK)) >= 0 ? 0 : -1);
  read_mode("read on the open64 fd", r);
  close(r);
  CALL("openat64(fifo, O_RDWR)", (r = openat64(AT_FDCWD, path, O_RDWR)) >= 0 ? 0 : -1);
  read_waits("read on the openat64 fd waits", r, r);
  close(r);
  unlink(path);
  CALL("open a missing file", open(path, O_RDONLY));
  snprintf(path, sizeof path, "%s/created", tmpdir);
  CALL("open(O_CREAT|O_EXCL, 0640)", (r = open(path, O_CREAT | O_EXCL | O_WRONLY, 0640)) >= 0 ? 0 : -1);
  struct stat st;
  fstat(r, &st);
  t_say("  mode %o", (unsigned)(st.st_mode & 0777) & ~(unsigned)022);
  close(r);
  CALL("open(O_CREAT|O_EXCL) again", open(path, O_CREAT | O_EXCL | O_WRONLY, 0640));
  unlink(path);
}

int main(int argc, char** argv) {
  t_start("fd_family", 25);
  umask(022);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/greenring-fd-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  if (t_want(argc, argv, "getfl")) getfl();
  if (t_want(argc, argv, "setfl")) setfl();
  if (t_want(argc, argv, "dup")) dups();
  if (t_want(argc, argv, "reuse")) reuse();
  if (t_want(argc, argv, "open")) opens();
  rmdir(tmpdir);
  return t_end();
}
