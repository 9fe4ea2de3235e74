// fd tracking: the calls that create, change and close file descriptors.
// They run as libc would; afterwards the FdTable notes what the application
// asked for. close() first cancels operations other green threads of this
// OS thread still have pending on the fd (they fail with EBADF), so the
// number cannot be reused under them. fclose, pclose, closedir and freopen
// are here for the same reason: glibc closes their fd without going through
// close(). close_range and closefrom do the same for a whole range of numbers.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <dirent.h>

#include <cstdarg>
#include <cstdio>

#include "hook.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace gi = greenring::interpose;
using greenring::detail::Scheduler;
using Kind = greenring::interpose::FdTable::Kind;

namespace {

void cancel_pending(int fd) {
  if (Scheduler* s = Scheduler::current_if_any(); s && greenring::detail::can_park()) s->reactor().cancel_fd(fd);
}

// What close() does before closing, for a fd that libc closes itself.
void closing_internally(int fd) {
  if (fd < 0) return;
  cancel_pending(fd);
  gi::fds().forget(fd);
}

// glibc's closedir takes a null DIR (EINVAL) though declared nonnull.
int dir_fd(const void* d) { return d ? dirfd(static_cast<DIR*>(const_cast<void*>(d))) : -1; }

// close_range and closefrom: what close() does, for every fd of the range.
void closing_range(unsigned first, unsigned last) {
  if (Scheduler* s = Scheduler::current_if_any(); s && greenring::detail::can_park())
    s->reactor().cancel_fds(first, last);
  gi::fds().forget_range(first, last);
}

int64_t timeval_ns(const void* val, socklen_t len) {
  if (!val || len < static_cast<socklen_t>(sizeof(struct timeval))) return 0;
  auto* tv = static_cast<const struct timeval*>(val);
  return static_cast<int64_t>(tv->tv_sec) * 1'000'000'000 + static_cast<int64_t>(tv->tv_usec) * 1'000;
}

// dup2/dup3 close `to` only when they succeed: a call that will fail (from
// is not open, bad flags) must not cancel what other green threads wait for
// on `to`.
bool will_replace(int from, int to, int flags = 0) {
  return from != to && (flags & ~O_CLOEXEC) == 0 && greenring::sys::raw(SYS_fcntl, from, F_GETFD) >= 0;
}

bool wants_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

int opened(int fd, int flags) {
  if (fd >= 0) gi::fds().created(fd, flags & O_NONBLOCK);
  return fd;
}

}  // namespace

extern "C" {

int socket(int domain, int type, int protocol) {
  int fd = REAL(socket)(domain, type, protocol);
  if (fd >= 0) gi::fds().created(fd, type & SOCK_NONBLOCK, Kind::socket);
  return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
  int r = REAL(socketpair)(domain, type, protocol, sv);
  if (r == 0) {
    gi::fds().created(sv[0], type & SOCK_NONBLOCK, Kind::socket);
    gi::fds().created(sv[1], type & SOCK_NONBLOCK, Kind::socket);
  }
  return r;
}

int pipe2(int fds[2], int flags) {
  int r = REAL(pipe2)(fds, flags);
  if (r == 0) {
    gi::fds().created(fds[0], flags & O_NONBLOCK, Kind::stream);
    gi::fds().created(fds[1], flags & O_NONBLOCK, Kind::stream);
  }
  return r;
}

int pipe(int fds[2]) { return pipe2(fds, 0); }

int eventfd(unsigned int initval, int flags) {
  int fd = REAL(eventfd)(initval, flags);
  if (fd >= 0) gi::fds().created(fd, flags & EFD_NONBLOCK, Kind::stream);
  return fd;
}

// The mode argument exists only with O_CREAT or O_TMPFILE.
#define MODE_ARG(flags, mode)      \
  mode_t mode = 0;                 \
  if (wants_mode(flags)) {         \
    va_list ap;                    \
    va_start(ap, flags);           \
    mode = va_arg(ap, mode_t);     \
    va_end(ap);                    \
  }

int open(const char* path, int flags, ...) {
  MODE_ARG(flags, mode);
  return opened(REAL(open)(path, flags, mode), flags);
}

int open64(const char* path, int flags, ...) {
  MODE_ARG(flags, mode);
  return opened(REAL(open64)(path, flags, mode), flags);
}

int openat(int dirfd, const char* path, int flags, ...) {
  MODE_ARG(flags, mode);
  return opened(REAL(openat)(dirfd, path, flags, mode), flags);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  MODE_ARG(flags, mode);
  return opened(REAL(openat64)(dirfd, path, flags, mode), flags);
}

int dup(int fd) {
  int r = REAL(dup)(fd);
  if (r >= 0) gi::fds().duplicated(fd, r);
  return r;
}

int dup3(int from, int to, int flags) {
  if (will_replace(from, to, flags)) {
    cancel_pending(to);  // dup3 closes `to` first
    gi::fds().forget(to);
  }
  int r = REAL(dup3)(from, to, flags);
  if (r >= 0) gi::fds().duplicated(from, r);
  return r;
}

int dup2(int from, int to) {
  if (will_replace(from, to)) {
    cancel_pending(to);
    gi::fds().forget(to);
  }
  int r = REAL(dup2)(from, to);
  if (r >= 0 && from != to) gi::fds().duplicated(from, r);
  return r;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  int r = REAL(fcntl)(fd, cmd, arg);
  if (r < 0) return r;
  long v = reinterpret_cast<long>(arg);
  if (cmd == F_SETFL) gi::fds().set_nonblocking(fd, v & O_NONBLOCK);
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) gi::fds().duplicated(fd, r);
  return r;
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  int r = REAL(ioctl)(fd, request, arg);
  if (r == 0 && request == FIONBIO && arg) gi::fds().set_nonblocking(fd, *static_cast<int*>(arg) != 0);
  return r;
}

int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  int r = REAL(setsockopt)(fd, level, name, val, len);
  if (r == 0 && level == SOL_SOCKET) {
    // Linux's _OLD and _NEW spellings take the same 64-bit layout on LP64.
    if (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW) gi::fds().set_recv_timeout(fd, timeval_ns(val, len));
    if (name == SO_SNDTIMEO || name == SO_SNDTIMEO_NEW) gi::fds().set_send_timeout(fd, timeval_ns(val, len));
  }
  return r;
}

int close(int fd) {
  cancel_pending(fd);
  gi::fds().forget(fd);
  return REAL(close)(fd);
}
int __close(int fd) { return close(fd); }

// A daemon's "close everything but stdio". With CLOSE_RANGE_CLOEXEC nothing
// closes now; a call the kernel will refuse closes nothing either.
int close_range(unsigned first, unsigned last, int flags) {
  bool valid = first <= last && (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) == 0;
  if (valid && !(flags & CLOSE_RANGE_CLOEXEC)) closing_range(first, last);
  return REAL(close_range)(first, last, flags);
}
void closefrom(int lowfd) {
  closing_range(static_cast<unsigned>(lowfd < 0 ? 0 : lowfd), ~0u);  // glibc takes a negative as 0
  REAL(closefrom)(lowfd);
}

// glibc closes a FILE's (a DIR's) fd internally, out of reach of the close
// hook: forget it here, or the number's next owner would inherit this one's
// flags, timeouts and kind (an O_NONBLOCK timerfd taken for blocking parks
// forever; a pipe taken for a regular file is written with the plain call).
int fclose(FILE* f) {
  closing_internally(f ? fileno(f) : -1);
  return REAL(fclose)(f);
}
int pclose(FILE* f) {
  closing_internally(f ? fileno(f) : -1);
  return REAL(pclose)(f);
}
int closedir(DIR* d) {
  closing_internally(dir_fd(d));
  return REAL(closedir)(d);
}
// freopen closes the stream's fd, then opens the file, often on the same
// number: the shim learns the new file on its first use.
FILE* freopen(const char* path, const char* mode, FILE* f) {
  closing_internally(f ? fileno(f) : -1);
  return REAL(freopen)(path, mode, f);
}
FILE* freopen64(const char* path, const char* mode, FILE* f) {
  closing_internally(f ? fileno(f) : -1);
  return REAL(freopen64)(path, mode, f);
}

}  // extern "C"
