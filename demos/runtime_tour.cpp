// A short tour of the runtime: many green threads doing blocking-shaped I/O
// on one OS thread. A TCP echo server spawns one green thread per connection
// (the thread-per-connection style), 1,000 client green threads each do a
// few round trips, and everything runs on the OS thread that called main().
#include <greenring/greenring.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace io = greenring::io;
using namespace std::chrono_literals;

namespace {

int os_threads() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

void serve(int conn) {
  char buf[64];
  for (;;) {
    ssize_t n = io::read(conn, buf, sizeof buf);
    if (n <= 0) break;
    if (io::write(conn, buf, static_cast<size_t>(n)) != n) break;
  }
  close(conn);
}

}  // namespace

int main() {
  constexpr int kClients = 1000;
  constexpr int kRounds = 20;

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(lfd, 1024) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    perror("greenring-demo: listen");
    return 1;
  }
  std::printf("greenring runtime tour: %d client green threads, %d round trips each, echo server on 127.0.0.1:%d\n",
              kClients, kRounds, ntohs(addr.sin_port));

  auto t0 = std::chrono::steady_clock::now();
  auto server = greenring::spawn([&] {
    for (int i = 0; i < kClients; ++i) {
      int c = io::accept(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) break;
      greenring::spawn([c] { serve(c); });  // detached: one green thread per connection
    }
  });

  int ok = 0, peak_threads = 0;
  std::vector<greenring::green_thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(greenring::spawn([&, i] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (io::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
      char out[32], in[32];
      int good = 0;
      for (int r = 0; r < kRounds; ++r) {
        int n = std::snprintf(out, sizeof out, "client %d round %d", i, r);
        if (io::write(fd, out, static_cast<size_t>(n)) != n) break;
        ssize_t got = 0;
        while (got < n) {
          ssize_t m = io::read(fd, in + got, static_cast<size_t>(n - got));
          if (m <= 0) break;
          got += m;
        }
        if (got == n && std::memcmp(in, out, static_cast<size_t>(n)) == 0) ++good;
        if (r == kRounds / 2 && i == kClients - 1) peak_threads = os_threads();
        greenring::sleep_for(1ms);  // a pause, as a real client would make
      }
      close(fd);
      if (good == kRounds) ++ok;  // one OS thread: no data race on ok
    }));
  }
  for (auto& c : clients) c.join();
  server.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("  clients that got every echo back: %d of %d\n", ok, kClients);
  std::printf("  round trips: %d in %.2f s (%.0f per second)\n", kClients * kRounds, secs, kClients * kRounds / secs);
  std::printf("  OS threads in this process while 2,000 green threads were live: %d\n", peak_threads);
  int off = greenring::offload([] { return static_cast<int>(gettid()); });
  std::printf("  offload: a call ran on OS thread %d while the caller (OS thread %d) stayed parked\n", off,
              static_cast<int>(gettid()));
  close(lfd);
  return ok == kClients ? 0 : 1;
}
