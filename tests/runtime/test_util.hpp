// Shared helpers for the runtime tests: owned file descriptors, real pipes,
// socketpairs, loopback TCP/UDP sockets and a scratch directory. Nothing here
// is a stand-in: every helper makes the real kernel object it names.
#pragma once

#include <greenring/greenring.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace grtest {

namespace io = greenring::io;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  operator int() const { return fd_; }  // NOLINT: lets an Fd go straight into a syscall
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd r, w;
};

inline Pipe make_pipe(int flags = O_CLOEXEC) {
  int p[2];
  if (::pipe2(p, flags) != 0) ADD_FAILURE() << "pipe2: " << strerror(errno);
  return {Fd(p[0]), Fd(p[1])};
}

struct SockPair {
  Fd a, b;
};

inline SockPair make_socketpair(int type = SOCK_STREAM) {
  int s[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, s) != 0) ADD_FAILURE() << "socketpair: " << strerror(errno);
  return {Fd(s[0]), Fd(s[1])};
}

inline sockaddr_in loopback(uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline sockaddr_in local_address(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    ADD_FAILURE() << "getsockname: " << strerror(errno);
  return a;
}

// A socket of `type` bound to 127.0.0.1 on a port the kernel picks.
inline Fd bound_socket(int type) {
  Fd s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (s < 0) {
    ADD_FAILURE() << "socket: " << strerror(errno);
    return s;
  }
  sockaddr_in a = loopback();
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ADD_FAILURE() << "bind: " << strerror(errno);
  return s;
}

// A TCP listener on 127.0.0.1:0; its address is local_address(listener).
inline Fd tcp_listener(int backlog = 128) {
  Fd s = bound_socket(SOCK_STREAM);
  if (::listen(s, backlog) != 0) ADD_FAILURE() << "listen: " << strerror(errno);
  return s;
}

inline Fd tcp_socket() {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s < 0) ADD_FAILURE() << "socket: " << strerror(errno);
  return s;
}

// A scratch directory made with mkdtemp, removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/greenring-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) ADD_FAILURE() << "mkdtemp: " << strerror(errno);
    path_ = buf.data();
  }
  ~TempDir() {
    nftw(
        path_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Deterministic, position-dependent bytes, so a byte out of place is seen.
inline std::vector<char> pattern(size_t n, uint32_t seed = 1) {
  std::vector<char> v(n);
  uint32_t x = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    v[i] = static_cast<char>((x >> 16) ^ i);
  }
  return v;
}

inline long os_tid() { return ::syscall(SYS_gettid); }

// The running kernel's release is at least major.minor.
inline bool kernel_at_least(int major, int minor) {
  struct utsname u;
  int ma = 0, mi = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

// A green thread that counts its turns, one per `period` slept, until
// stopped (or destroyed): a call that parks lets it tick, a call that blocks
// the OS thread does not.
class Ticker {
 public:
  explicit Ticker(std::chrono::milliseconds period)
      : thread_(greenring::spawn([this, period] {
          while (!stop_) {
            ++ticks_;
            greenring::sleep_for(period);
          }
        })) {}
  ~Ticker() { stop(); }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;
  // Stops it and returns how many turns it had.
  int stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return ticks_;
  }

 private:
  bool stop_ = false;
  int ticks_ = 0;
  greenring::green_thread thread_;
};

// How many fds this process has open.
inline size_t open_fd_count() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

inline std::chrono::milliseconds ms_since(steady::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
}

// Reads with io::read until `n` bytes or EOF/error; returns the bytes read.
inline std::string read_n(int fd, size_t n, io::deadline dl = {}) {
  std::string out;
  char buf[8192];
  while (out.size() < n) {
    ssize_t r = io::read(fd, buf, std::min(sizeof buf, n - out.size()), dl);
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

// Reads with io::read until EOF (or an error) and returns everything.
inline std::vector<char> read_all(int fd, io::deadline dl = {}) {
  std::vector<char> out;
  char buf[16384];
  for (;;) {
    ssize_t r = io::read(fd, buf, sizeof buf, dl);
    if (r <= 0) break;
    out.insert(out.end(), buf, buf + r);
  }
  return out;
}

// Blocks SIGPIPE's default action for the scope, so EPIPE can be observed.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

// Raises the soft RLIMIT_NOFILE to at least n if the hard limit allows.
inline bool ensure_fd_limit(rlim_t n) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  if (rl.rlim_cur >= n) return true;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n) return false;
  rl.rlim_cur = n;
  return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

// What a call returned and the errno it left, for libc-parity checks.
struct Outcome {
  long ret;
  int err;
  bool operator==(const Outcome&) const = default;
};

template <class F>
Outcome outcome(F&& f) {
  errno = 0;
  long r = static_cast<long>(f());
  return {r, r < 0 ? errno : 0};
}

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "ret=" << o.ret;
  if (o.ret < 0) os << " errno=" << o.err << " (" << strerrorname_np(o.err) << ")";
  return os;
}

}  // namespace grtest
