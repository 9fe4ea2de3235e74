/* tty_family: read and write on a terminal. A pseudo-terminal pair stands in
 * for a real tty (none is needed); the test is skipped when the machine
 * cannot make one. Canonical mode (a read waits for a whole line), raw mode,
 * the application's own O_NONBLOCK, ESPIPE and the ioctls that pass through. */
#include "transcript.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>

static int master = -1, slave = -1;

static void type_line(void* arg) {
  const char* s = (const char*)arg;
  if (write(master, s, strlen(s)) < 0) perror("write master");
}

static int open_pty(void) {
  master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0) {
    printf("no pseudo-terminal: posix_openpt: %s\n", strerror(errno));
    return -1;
  }
  if (grantpt(master) != 0 || unlockpt(master) != 0) {
    printf("no pseudo-terminal: grantpt/unlockpt: %s\n", strerror(errno));
    return -1;
  }
  const char* name = ptsname(master);
  slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
  if (slave < 0) {
    printf("no pseudo-terminal: open(%s): %s\n", name ? name : "ptsname", strerror(errno));
    return -1;
  }
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (open_pty() != 0) return T_SKIP;
  t_start("tty_family", 20);
  char buf[64];
  struct termios tio;
  CALL("isatty(slave)", isatty(slave));
  CALL("tcgetattr(slave)", tcgetattr(slave, &tio));
  t_say("  canonical mode: %s", (tio.c_lflag & ICANON) ? "yes" : "no");
  tio.c_lflag &= ~(tcflag_t)ECHO; /* keep the master's side free of echoes */
  CALL("tcsetattr(slave, no echo)", tcsetattr(slave, TCSANOW, &tio));

  /* Canonical mode: the read waits for the end of the line. */
  struct t_later l;
  t_later_start(&l, 150, type_line, "hello\n");
  long long t0 = t_now_ms();
  CALL("read a line from the tty (typed later)", read(slave, buf, sizeof buf));
  t_took("read a line from the tty", t0, 140, 2000);
  t_later_join(&l);
  CALL("write 2 lines to master", write(master, "ab\ncd\n", 6));
  CALL("read one line (not both)", read(slave, buf, sizeof buf));
  struct iovec v = {buf, sizeof buf};
  CALL("readv the next line", readv(slave, &v, 1));
  CALL("pread on a tty", pread(slave, buf, 4, 0));
  CALL("pwrite on a tty", pwrite(slave, "x", 1, 0));

  /* The tty's output reaches the master. */
  CALL("write to the tty", write(slave, "out", 3));
  CALL("read it on the master", read(master, buf, sizeof buf));

  /* Raw mode: bytes, not lines. */
  cfmakeraw(&tio);
  CALL("tcsetattr(slave, raw)", tcsetattr(slave, TCSANOW, &tio));
  t_later_start(&l, 100, type_line, "xy");
  CALL("raw read waits for bytes", read(slave, buf, sizeof buf));
  t_later_join(&l);

  /* The application's own O_NONBLOCK. */
  int fl = fcntl(slave, F_GETFL);
  CALL("fcntl(F_SETFL, O_NONBLOCK)", fcntl(slave, F_SETFL, fl | O_NONBLOCK));
  t_say("  F_GETFL has O_NONBLOCK: %s", (fcntl(slave, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
  CALL("read an empty non-blocking tty", read(slave, buf, sizeof buf));
  CALL("fcntl(F_SETFL, blocking)", fcntl(slave, F_SETFL, fl));
  int one = 1;
  CALL("ioctl(FIONBIO, 1)", ioctl(slave, FIONBIO, &one));
  CALL("read an empty FIONBIO tty", read(slave, buf, sizeof buf));
  int zero = 0;
  CALL("ioctl(FIONBIO, 0)", ioctl(slave, FIONBIO, &zero));
  t_later_start(&l, 100, type_line, "z");
  CALL("blocking read again", read(slave, buf, sizeof buf));
  t_later_join(&l);
  int avail = -1;
  CALL("write 3 to master", write(master, "123", 3));
  struct pollfd pf = {slave, POLLIN, 0};
  CALL("poll the tty until the bytes are there", poll(&pf, 1, 2000));
  CALL("ioctl(FIONREAD)", ioctl(slave, FIONREAD, &avail));
  t_say("  FIONREAD: %d", avail);

  /* The master hangs up: the tty's reader sees EIO. */
  CALL("read the 3 bytes", read(slave, buf, sizeof buf));
  close(master);
  CALL("read after the master closed", read(slave, buf, sizeof buf));
  close(slave);
  return t_end();
}
