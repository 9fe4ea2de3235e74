// io family: read, write, readv, writev, pread, pwrite, preadv, pwritev,
// fsync, fdatasync, with their 64, __ and fortified variants. On a fd the
// application left blocking, each goes through the ring and parks the green
// thread; regular files too, so a slow disk does not stall the OS thread.
#include <sys/uio.h>
#include <unistd.h>

#include "hook.hpp"
#include "scheduler.hpp"

namespace gi = greenring::interpose;
namespace io = greenring::io;

namespace {

// Tells the runtime whether fd is a regular file or directory (its own
// path: the position lock) or anything else (a stream to it: tried directly
// first, then the ring), so that it need not ask the kernel on every call.
void vouch_kind(int fd) { greenring::detail::vouch_stream(fd, !gi::fds().regular(fd)); }

// The positioned calls on a fd without a file position (pipe, socket, FIFO,
// tty, eventfd) fail with ESPIPE, after the kernel's check of the offset;
// io_uring would ignore the offset and transfer data instead.
bool no_position(int fd, off_t off) {
  if (off < 0) return false;
  if (!gi::fds().stream(fd)) {
    greenring::detail::vouch_seekable(fd);  // the runtime need not ask again
    vouch_kind(fd);
    return false;
  }
  errno = ESPIPE;
  return true;
}

}  // namespace

extern "C" {

ssize_t read(int fd, void* buf, size_t n) {
  if (!gi::green(fd)) return REAL(read)(fd, buf, n);
  GREEN_CALL(gi::recv_restart(fd));
  vouch_kind(fd);
  return io::read(fd, buf, n, gi::recv_deadline(fd));
}
ssize_t __read(int fd, void* buf, size_t n) { return read(fd, buf, n); }
ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) gi::chk_fail();
  return read(fd, buf, n);
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (!gi::green(fd)) return REAL(write)(fd, buf, n);
  GREEN_CALL(gi::send_restart(fd));
  vouch_kind(fd);
  return io::write(fd, buf, n, gi::send_deadline(fd));
}
ssize_t __write(int fd, const void* buf, size_t n) { return write(fd, buf, n); }

ssize_t readv(int fd, const struct iovec* iov, int n) {
  if (!gi::green(fd)) return REAL(readv)(fd, iov, n);
  GREEN_CALL(gi::recv_restart(fd));
  vouch_kind(fd);
  return io::readv(fd, iov, n, gi::recv_deadline(fd));
}

ssize_t writev(int fd, const struct iovec* iov, int n) {
  if (!gi::green(fd)) return REAL(writev)(fd, iov, n);
  GREEN_CALL(gi::send_restart(fd));
  vouch_kind(fd);
  return io::writev(fd, iov, n, gi::send_deadline(fd));
}

ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  if (!gi::green(fd)) return REAL(pread)(fd, buf, n, off);
  if (no_position(fd, off)) return -1;
  GREEN_CALL(greenring::detail::Restart::unless_sa_restart);
  return io::pread(fd, buf, n, off);
}
ssize_t pread64(int fd, void* buf, size_t n, off_t off) { return pread(fd, buf, n, off); }
ssize_t __pread64(int fd, void* buf, size_t n, off_t off) { return pread(fd, buf, n, off); }
ssize_t __pread_chk(int fd, void* buf, size_t n, off_t off, size_t buflen) {
  if (n > buflen) gi::chk_fail();
  return pread(fd, buf, n, off);
}
ssize_t __pread64_chk(int fd, void* buf, size_t n, off_t off, size_t buflen) {
  return __pread_chk(fd, buf, n, off, buflen);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (!gi::green(fd)) return REAL(pwrite)(fd, buf, n, off);
  if (no_position(fd, off)) return -1;
  GREEN_CALL(greenring::detail::Restart::unless_sa_restart);
  return io::pwrite(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }
ssize_t __pwrite64(int fd, const void* buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

ssize_t preadv(int fd, const struct iovec* iov, int n, off_t off) {
  if (!gi::green(fd)) return REAL(preadv)(fd, iov, n, off);
  if (no_position(fd, off)) return -1;
  GREEN_CALL(greenring::detail::Restart::unless_sa_restart);
  return io::preadv(fd, iov, n, off);
}
ssize_t preadv64(int fd, const struct iovec* iov, int n, off_t off) { return preadv(fd, iov, n, off); }

ssize_t pwritev(int fd, const struct iovec* iov, int n, off_t off) {
  if (!gi::green(fd)) return REAL(pwritev)(fd, iov, n, off);
  if (no_position(fd, off)) return -1;
  GREEN_CALL(greenring::detail::Restart::unless_sa_restart);
  return io::pwritev(fd, iov, n, off);
}
ssize_t pwritev64(int fd, const struct iovec* iov, int n, off_t off) { return pwritev(fd, iov, n, off); }

int fsync(int fd) {
  if (!gi::can_park()) return REAL(fsync)(fd);
  return io::fsync(fd);
}

int fdatasync(int fd) {
  if (!gi::can_park()) return REAL(fdatasync)(fd);
  return io::fdatasync(fd);
}

}  // extern "C"
