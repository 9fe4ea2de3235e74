// greenring_bench: the comparative workloads written against greenring's C++
// API (greenring::spawn, yield, sleep_for, io::). This is the "greenring-api"
// system; bench/compare/pthreads_bench.c is the same work as a plain pthreads
// program, and bench/peers/ has Go, eventlet and gevent.
//
//   greenring_bench switch N      two green threads hand a turn back and forth
//                                 N times each way, waiting with yield()
//   greenring_bench spawn N       spawn+join N green threads, in batches of 1000
//   greenring_bench sleepers N    N green threads sleep 1 s concurrently
//   greenring_bench pipe N        N round trips of one byte through two pipes
//   greenring_bench echo PORT C   TCP echo server, a green thread per
//                                 connection with io::read/io::write; exits
//                                 after C connections have come and gone
//
// Results are printed as "METRIC name value unit" lines.
#include <greenring/greenring.hpp>
#include <greenring/io.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

namespace io = greenring::io;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr long kBatch = 1000;
constexpr long kMaxCount = 100000000;

double ns_since(Clock::time_point t0) { return std::chrono::duration<double, std::nano>(Clock::now() - t0).count(); }

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "greenring_bench: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

long status_kib(const char* field) {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (!f) return -1;
  long kib = -1;
  const std::size_t len = std::strlen(field);
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') {
      kib = std::strtol(line + len + 1, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kib;
}

void raise_nofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void run_switch(long n) {
  int turn = 0;  // one OS thread: no atomics needed
  auto side = [&turn, n](int me) {
    for (long i = 0; i < n; ++i) {
      long spins = 0;
      while (turn != me) {
        greenring::yield();
        if (++spins > 100000000L) {
          std::fprintf(stderr, "greenring_bench: switch: the other side never handed the turn back\n");
          std::exit(1);
        }
      }
      turn = 1 - me;
    }
  };
  const auto t0 = Clock::now();
  auto a = greenring::spawn([&] { side(0); });
  auto b = greenring::spawn([&] { side(1); });
  a.join();
  b.join();
  std::printf("METRIC ns_per_switch %.2f ns\n", ns_since(t0) / (2.0 * static_cast<double>(n)));
}

void run_spawn(long n) {
  long ran = 0;
  std::vector<greenring::green_thread> batch;
  batch.reserve(kBatch);
  const auto t0 = Clock::now();
  for (long done = 0; done < n; done += kBatch) {
    const long k = std::min(kBatch, n - done);
    for (long i = 0; i < k; ++i) batch.push_back(greenring::spawn([&ran] { ++ran; }));
    for (auto& g : batch) g.join();
    batch.clear();
  }
  const double ns = ns_since(t0);
  if (ran != n) {
    std::fprintf(stderr, "greenring_bench: spawn: %ld of %ld green threads ran\n", ran, n);
    std::exit(1);
  }
  std::printf("METRIC ns_per_spawn_join %.2f ns\n", ns / static_cast<double>(n));
}

void run_sleepers(long n) {
  long started = 0;
  std::vector<greenring::green_thread> sleepers(static_cast<std::size_t>(n));  // touched before the baseline
  const long rss0 = status_kib("VmRSS");
  const auto t0 = Clock::now();
  for (auto& g : sleepers)
    g = greenring::spawn([&started] {
      ++started;
      greenring::sleep_for(1s);
    });
  const double spawn_ns = ns_since(t0);
  // Wait (at most 30 s) until every sleeper has started its sleep.
  for (int i = 0; i < 30000 && started < n; ++i) greenring::sleep_for(1ms);
  const long rss_asleep = status_kib("VmRSS");
  for (auto& g : sleepers) g.join();
  const double wall_ns = ns_since(t0);
  std::printf("METRIC wall_s %.4f s\n", wall_ns / 1e9);
  std::printf("METRIC rss_kib_per_thread %.3f KiB\n", static_cast<double>(rss_asleep - rss0) / static_cast<double>(n));
  std::printf("INFO spawn_ns_per_thread %.1f started_before_rss %ld\n", spawn_ns / static_cast<double>(n), started);
}

void run_pipe(long n) {
  int there[2], back[2];
  if (pipe2(there, O_CLOEXEC) != 0 || pipe2(back, O_CLOEXEC) != 0) die("pipe2");
  auto echo = greenring::spawn([&] {
    char c;
    while (io::read(there[0], &c, 1) == 1 && c != 'q')
      if (io::write(back[1], &c, 1) != 1) break;
  });
  double ns = 0;
  auto driver = greenring::spawn([&] {
    char c = 'x';
    const auto t0 = Clock::now();
    for (long i = 0; i < n; ++i)
      if (io::write(there[1], &c, 1) != 1 || io::read(back[0], &c, 1) != 1) die("pipe round trip");
    ns = ns_since(t0);
    c = 'q';
    if (io::write(there[1], &c, 1) != 1) die("write");
  });
  driver.join();
  echo.join();
  std::printf("METRIC us_per_rtt %.3f us\n", ns / 1e3 / static_cast<double>(n));
}

void serve(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t r = io::read(fd, buf, sizeof buf);
    if (r <= 0) break;
    if (io::write(fd, buf, static_cast<std::size_t>(r)) != r) break;  // io::write writes it all or fails
  }
  ::close(fd);
}

void run_echo(int port, long conns) {
  raise_nofile();
  const int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<unsigned short>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  if (::listen(ls, 4096) != 0) die("listen");
  std::printf("LISTENING %d\n", port);
  std::fflush(stdout);

  std::vector<greenring::green_thread> handlers;
  handlers.reserve(static_cast<std::size_t>(conns));
  for (long i = 0; i < conns; ++i) {
    const int fd = io::accept(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) die("accept");
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    handlers.push_back(greenring::spawn([fd] { serve(fd); }));
  }
  ::close(ls);
  for (auto& h : handlers) h.join();
  std::printf("METRIC server_peak_rss_kib %ld KiB\n", status_kib("VmHWM"));
}

long count_arg(const char* s) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (*end || v <= 0 || v > kMaxCount) {
    std::fprintf(stderr, "greenring_bench: bad count '%s'\n", s);
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string_view cmd = argc > 1 ? argv[1] : "";
  if (argc == 3 && cmd == "switch") {
    run_switch(count_arg(argv[2]));
  } else if (argc == 3 && cmd == "spawn") {
    run_spawn(count_arg(argv[2]));
  } else if (argc == 3 && cmd == "sleepers") {
    run_sleepers(count_arg(argv[2]));
  } else if (argc == 3 && cmd == "pipe") {
    run_pipe(count_arg(argv[2]));
  } else if (argc == 4 && cmd == "echo") {
    run_echo(static_cast<int>(count_arg(argv[2])), count_arg(argv[3]));
  } else {
    std::fprintf(stderr, "usage: greenring_bench switch|spawn|sleepers|pipe N | echo PORT CONNS\n");
    return 2;
  }
  return 0;
}
