// runtime_bench: what the runtime's basic operations cost, each next to the
// reference it has to beat (bench/README.md lists the targets and results).
//
//   1. yield between two green threads        vs a raw Boost.Fiber round_robin pair
//   2. spawn+join, one at a time and 1000 at once
//   3. 100k concurrent 1 s sleepers: wall time and RSS per green thread
//   4. pipe ping-pong through io::read/write  vs two OS threads blocking in read/write,
//                                               free to use both CPUs or pinned to one
//   5. offload of an empty call (a cross-thread wake-up each way)
//
// Every figure is reported as a counter (ns_per_yield, us_per_rtt, ...) so one
// run prints them side by side. The "Time" column is per benchmark iteration,
// which is not always the unit the counter uses (a yield-pair iteration is two
// yields); read the counters.
#include <greenring/greenring.hpp>
#include <greenring/io.hpp>

#include <benchmark/benchmark.h>

#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ns_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// A field of /proc/self/status in KiB (VmRSS, VmPTE, ...), or -1.
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

long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// Two pipes: `there` carries the ping, `back` the pong.
struct PipePair {
  int there[2] = {-1, -1};
  int back[2] = {-1, -1};
  PipePair() {
    if (pipe2(there, O_CLOEXEC) != 0 || pipe2(back, O_CLOEXEC) != 0) {
      std::perror("runtime_bench: pipe2");
      std::exit(1);
    }
  }
  ~PipePair() {
    for (int fd : {there[0], there[1], back[0], back[1]}) close(fd);
  }
  PipePair(const PipePair&) = delete;
  PipePair& operator=(const PipePair&) = delete;
};

constexpr char kQuit = 'q';

// ---------------------------------------------------------------------------
// 3. 100k concurrent 1 s sleepers. Registered first: stacks are pooled and
// never given back, so the RSS delta is only meaningful while the pool is
// still empty (a second run in the same process reuses the touched stacks and
// shows almost nothing).

void BM_GreenSleepers(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto per_thread = [n](double total) { return total / static_cast<double>(n); };
  // Set up the scheduler (ring, signal stack) outside the measured window.
  greenring::spawn([] {}).join();
  for (auto _ : state) {
    std::vector<greenring::green_thread> sleepers(n);  // touched before the baseline
    const long rss0 = status_kib("VmRSS");
    const long faults0 = minor_faults();
    const auto t0 = Clock::now();
    for (auto& g : sleepers) g = greenring::spawn([] { greenring::sleep_for(1s); });
    const double spawn_ns = ns_since(t0);
    // The main context goes to the back of the ready queue: when it runs
    // again, every sleeper has started and is parked in its sleep.
    greenring::yield();
    const long rss_asleep = status_kib("VmRSS");
    for (auto& g : sleepers) g.join();
    const double wall_ns = ns_since(t0);
    const long faults1 = minor_faults();
    const long hwm = status_kib("VmHWM");

    state.counters["wall_s"] = wall_ns / 1e9;
    state.counters["spawn_ns_per_thread"] = per_thread(spawn_ns);
    // RSS while all n sleep, and the peak (the exit path touches more stack;
    // VmHWM is the process's peak, which is rss0 or less when this runs first).
    state.counters["KiB_per_thread"] = per_thread(static_cast<double>(rss_asleep - rss0));
    state.counters["peak_KiB_per_thread"] = per_thread(static_cast<double>(hwm - rss0));
    state.counters["faults_per_thread"] = per_thread(static_cast<double>(faults1 - faults0));
  }
}
BENCHMARK(BM_GreenSleepers)
    ->Arg(100000)
    ->Iterations(1)
    ->Repetitions(1)  // even under --benchmark_repetitions: see above
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// 1. Yield between two green threads. The loop runs in a green thread `driver`
// while `partner` yields back; the main context is parked in join, so each
// iteration is exactly two yields (driver -> partner -> driver). Boost.Fiber's
// dispatcher context takes its turn in the ready queue too, so two yields are
// three context switches, in this pair and in the reference alike.

void BM_GreenYieldPair(benchmark::State& state) {
  bool stop = false;
  double ns = 0;
  auto partner = greenring::spawn([&] {
    while (!stop) greenring::yield();
  });
  auto driver = greenring::spawn([&] {
    const auto t0 = Clock::now();
    for (auto _ : state) greenring::yield();
    ns = ns_since(t0);
    stop = true;
  });
  driver.join();
  partner.join();
  state.counters["ns_per_yield"] = ns / (2.0 * static_cast<double>(state.iterations()));
}
BENCHMARK(BM_GreenYieldPair);

// The reference: the same pair as plain Boost.Fiber fibers with the default
// round_robin algorithm, on an OS thread of its own (the main thread already
// runs greenring's algorithm, and an OS thread's algorithm is set once).

void BM_BoostYieldPair(benchmark::State& state) {
  double ns = 0;
  std::thread os_thread([&] {
    bool stop = false;
    boost::fibers::fiber partner([&] {
      while (!stop) boost::this_fiber::yield();
    });
    boost::fibers::fiber driver([&] {
      const auto t0 = Clock::now();
      for (auto _ : state) boost::this_fiber::yield();
      ns = ns_since(t0);
      stop = true;
    });
    driver.join();
    partner.join();
  });
  os_thread.join();
  state.counters["ns_per_yield"] = ns / (2.0 * static_cast<double>(state.iterations()));
}
BENCHMARK(BM_BoostYieldPair);

// ---------------------------------------------------------------------------
// 2. spawn+join of an empty green thread: one at a time (the stack comes
// straight back from the pool), and 1000 spawned before any is joined.

void BM_GreenSpawnJoin(benchmark::State& state) {
  const auto t0 = Clock::now();
  for (auto _ : state) greenring::spawn([] {}).join();
  state.counters["ns_per_thread"] = ns_since(t0) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_GreenSpawnJoin);

void BM_GreenSpawnJoinBatch(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<greenring::green_thread> batch;
  batch.reserve(n);
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) batch.push_back(greenring::spawn([] {}));
    for (auto& g : batch) g.join();
    batch.clear();
  }
  state.counters["ns_per_thread"] = ns_since(t0) / static_cast<double>(state.iterations() * n);
}
BENCHMARK(BM_GreenSpawnJoinBatch)->Arg(1000);

// ---------------------------------------------------------------------------
// 4. Pipe ping-pong, one byte each way over two pipes. Wall time: half the
// work is done by the partner (and by the kernel on its behalf).

void BM_GreenPipePingPong(benchmark::State& state) {
  PipePair p;
  double ns = 0;
  auto echo = greenring::spawn([&] {
    char c;
    while (greenring::io::read(p.there[0], &c, 1) == 1 && c != kQuit) greenring::io::write(p.back[1], &c, 1);
  });
  auto driver = greenring::spawn([&] {
    char c = 'x';
    const auto t0 = Clock::now();
    for (auto _ : state) {
      if (greenring::io::write(p.there[1], &c, 1) != 1 || greenring::io::read(p.back[0], &c, 1) != 1) {
        state.SkipWithError("io::write/io::read on the pipe failed");
        break;
      }
    }
    ns = ns_since(t0);
    c = kQuit;
    greenring::io::write(p.there[1], &c, 1);
  });
  driver.join();
  echo.join();
  state.counters["us_per_rtt"] = ns / 1e3 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_GreenPipePingPong)->UseRealTime();

// The reference: the same exchange between two OS threads in blocking
// read/write (each round trip is two sleeps and two wake-ups in the kernel).
// Unpinned, the scheduler may put the threads on different CPUs, and every
// wake-up then crosses CPUs (an IPI and a vCPU wake-up on a VM). Pinned to the
// CPU the benchmark runs on, it is the like-for-like comparison: green threads
// share one OS thread, so one CPU, too.

void thread_ping_pong(benchmark::State& state) {
  PipePair p;
  std::thread echo([&] {  // inherits the creating thread's CPU affinity
    char c;
    while (read(p.there[0], &c, 1) == 1 && c != kQuit)
      if (write(p.back[1], &c, 1) != 1) break;
  });
  char c = 'x';
  const auto t0 = Clock::now();
  for (auto _ : state) {
    if (write(p.there[1], &c, 1) != 1 || read(p.back[0], &c, 1) != 1) {
      state.SkipWithError("write/read on the pipe failed");
      break;
    }
  }
  const double ns = ns_since(t0);
  c = kQuit;
  if (write(p.there[1], &c, 1) != 1) std::perror("runtime_bench: write");
  echo.join();
  state.counters["us_per_rtt"] = ns / 1e3 / static_cast<double>(state.iterations());
}

void BM_ThreadPipePingPong(benchmark::State& state) { thread_ping_pong(state); }
BENCHMARK(BM_ThreadPipePingPong)->UseRealTime();

void BM_ThreadPipePingPongOneCpu(benchmark::State& state) {
  cpu_set_t before;
  CPU_ZERO(&before);
  if (pthread_getaffinity_np(pthread_self(), sizeof before, &before) != 0) {
    state.SkipWithError("pthread_getaffinity_np failed");
    return;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0) {
    state.SkipWithError("pthread_setaffinity_np failed");
    return;
  }
  thread_ping_pong(state);
  pthread_setaffinity_np(pthread_self(), sizeof before, &before);
}
BENCHMARK(BM_ThreadPipePingPongOneCpu)->UseRealTime();

// ---------------------------------------------------------------------------
// 5. offload of an empty call: the caller parks, a pool worker runs it and
// rings the scheduler's doorbell, which wakes the sleeping OS thread — the
// cross-thread wake-up eventlet's tpool.execute pays.

void BM_OffloadRoundTrip(benchmark::State& state) {
  const auto t0 = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(greenring::offload([] { return 1; }));
  state.counters["us_per_call"] = ns_since(t0) / 1e3 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_OffloadRoundTrip)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
