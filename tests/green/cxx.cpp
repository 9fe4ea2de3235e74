// cxx: the C++ standard library's threads under the shim. Cases (argv[1]):
// std_thread_cv (std::thread + std::mutex + std::condition_variable with
// timed waits), async (std::async/std::future), exceptions (the caught
// exception survives a yield inside a catch block), primitives (C++20
// counting_semaphore, latch, barrier, shared_mutex, recursive/timed mutexes:
// atomic waits go through syscall(SYS_futex)), tcp_server (a
// thread-per-connection echo server with std::thread on 127.0.0.1).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <barrier>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <latch>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "green_test.h"

using namespace std::chrono_literals;

namespace {

// ---- std_thread_cv: 100 producers and 100 consumers over a bounded queue;
// consumers use wait_for (pthread_cond_clockwait, CLOCK_MONOTONIC).
void std_thread_cv() {
  std::mutex mu;
  std::condition_variable not_empty, not_full;
  std::deque<int> q;
  constexpr int kPairs = 100, kEach = 50;
  long long sum = 0;
  int timeouts = 0;
  std::vector<std::thread> threads;
  for (int p = 0; p < kPairs; ++p) {
    threads.emplace_back([&, p] {
      for (int k = 0; k < kEach; ++k) {
        std::unique_lock lk(mu);
        not_full.wait(lk, [&] { return q.size() < 8; });
        q.push_back(p * kEach + k);
        not_empty.notify_one();
      }
    });
    threads.emplace_back([&, p] {
      for (int k = 0; k < kEach; ++k) {
        std::unique_lock lk(mu);
        while (q.empty()) {
          if (not_empty.wait_for(lk, 2ms) == std::cv_status::timeout) ++timeouts;
        }
        sum += q.front();
        q.pop_front();
        not_full.notify_one();
        if (p % 25 == 0 && k == 0) {
          lk.unlock();
          gt_sample_os_threads();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  long long n = kPairs * kEach;
  CHECK_EQ(sum, n * (n - 1) / 2);
  CHECK(q.empty());
  // A timed wait with nothing coming times out after its duration.
  std::unique_lock lk(mu);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(not_empty.wait_for(lk, 80ms) == std::cv_status::timeout);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 75ms && waited < 2s);
}

// ---- async: std::async(launch::async) runs each task on a new thread.
void async_case() {
  std::vector<std::future<int>> fs;
  for (int i = 0; i < 150; ++i)
    fs.push_back(std::async(std::launch::async, [i] {
      std::this_thread::sleep_for(1ms);
      if (i % 50 == 0) gt_sample_os_threads();
      if (i == 77) throw std::runtime_error("seventy-seven");
      return i * i;
    }));
  for (int i = 0; i < 150; ++i) {
    if (i == 77) {
      try {
        fs[i].get();
        CHECK(!"no exception from the future");
      } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "seventy-seven");
      }
      continue;
    }
    CHECK_EQ(fs[i].get(), i * i);
  }
  std::promise<int> never;
  auto f = never.get_future();
  auto t0 = std::chrono::steady_clock::now();
  CHECK(f.wait_for(50ms) == std::future_status::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 >= 45ms);
}

// ---- exceptions: each thread yields (sleep) inside a catch block while
// the others throw and catch their own; `throw;` and current_exception still
// see this thread's exception; uncaught_exceptions is per thread too.
struct Tagged {
  int tag;
};

struct YieldsInDestructor {
  int* seen;
  ~YieldsInDestructor() {
    std::this_thread::sleep_for(2ms);  // yields while an exception is in flight
    *seen = std::uncaught_exceptions();
  }
};

void exceptions() {
  constexpr int kThreads = 50;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([i, &ok] {
      try {
        try {
          throw Tagged{i};
        } catch (const Tagged& t) {
          CHECK_EQ(t.tag, i);
          std::this_thread::sleep_for(std::chrono::milliseconds(1 + i % 3));
          std::exception_ptr p = std::current_exception();
          try {
            std::rethrow_exception(p);
          } catch (const Tagged& again) {
            CHECK_EQ(again.tag, i);
          }
          std::this_thread::sleep_for(1ms);
          throw;  // rethrows this thread's own exception
        }
      } catch (const Tagged& outer) {
        CHECK_EQ(outer.tag, i);
        if (outer.tag == i) ok++;
      } catch (...) {
        CHECK(!"wrong exception rethrown");
      }
      CHECK(std::current_exception() == nullptr);
      int during = -1;
      try {
        YieldsInDestructor y{&during};
        throw std::runtime_error("unwinding");
      } catch (const std::runtime_error&) {
      }
      CHECK_EQ(during, 1);
      CHECK_EQ(std::uncaught_exceptions(), 0);
    });
  }
  for (auto& t : ts) t.join();
  CHECK_EQ(ok.load(), kThreads);
}

// ---- primitives: the C++20 waiting types and the mutex family.
void primitives() {
  constexpr int kThreads = 100;
  std::counting_semaphore<8> slots(8);
  std::atomic<int> in{0}, max_in{0};
  std::latch started(kThreads);
  std::barrier sync_point(kThreads);
  std::shared_mutex sm;
  long shared_value = 0;
  std::recursive_mutex rm;
  std::timed_mutex tm;
  long rec_value = 0;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      started.count_down();
      started.wait();
      for (int k = 0; k < 5; ++k) {
        slots.acquire();
        int n = ++in;
        GT_MAX_STORE(max_in, n);
        std::this_thread::sleep_for(100us);
        --in;
        slots.release();
      }
      sync_point.arrive_and_wait();
      if (i % 10 == 0) {
        std::unique_lock w(sm);
        long v = shared_value;
        std::this_thread::sleep_for(100us);
        shared_value = v + 1;
      } else {
        std::shared_lock r(sm);
        long v = shared_value;
        std::this_thread::sleep_for(100us);
        CHECK_EQ(shared_value, v);
      }
      sync_point.arrive_and_wait();
      {
        std::lock_guard a(rm);
        std::lock_guard b(rm);
        long v = rec_value;
        std::this_thread::yield();
        rec_value = v + 1;
      }
      if (i % 25 == 0) gt_sample_os_threads();
    });
  }
  for (auto& t : ts) t.join();
  CHECK(max_in.load() <= 8);
  CHECK(max_in.load() >= 2);
  CHECK_EQ(shared_value, kThreads / 10);
  CHECK_EQ(rec_value, kThreads);
  // try_lock_for times out against a holder.
  std::thread holder([&] {
    std::lock_guard g(tm);
    std::this_thread::sleep_for(200ms);
  });
  std::this_thread::sleep_for(20ms);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(!tm.try_lock_for(50ms));
  CHECK(std::chrono::steady_clock::now() - t0 >= 45ms);
  CHECK(tm.try_lock_for(5s));
  tm.unlock();
  holder.join();
}

// ---- tcp_server: thread per connection, 200 clients, 20 round trips each.
void tcp_server() {
  constexpr int kClients = 200, kRounds = 20;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(lfd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(lfd, 1024) == 0);
  socklen_t len = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);

  std::atomic<long> served{0};
  std::thread acceptor([&] {
    std::vector<std::thread> handlers;
    for (int i = 0; i < kClients; ++i) {
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) {
        CHECK(!"accept failed");
        break;
      }
      handlers.emplace_back([c, &served] {
        char buf[64];
        for (;;) {
          ssize_t n = recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          CHECK(send(c, buf, static_cast<size_t>(n), 0) == n);
          served += n;
        }
        close(c);
      });
    }
    for (auto& h : handlers) h.join();
  });
  std::vector<std::thread> clients;
  std::atomic<int> good{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        CHECK(!"connect failed");
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      bool all = true;
      for (int r = 0; r < kRounds; ++r) {
        char msg[32], back[32];
        int n = snprintf(msg, sizeof msg, "client %d round %d", i, r);
        if (send(fd, msg, static_cast<size_t>(n), 0) != n) all = false;
        int got = 0;
        while (got < n) {
          ssize_t k = recv(fd, back + got, static_cast<size_t>(n - got), 0);
          if (k <= 0) break;
          got += static_cast<int>(k);
        }
        if (got != n || memcmp(msg, back, static_cast<size_t>(n)) != 0) all = false;
        if (r == kRounds / 2 && i % 50 == 0) gt_sample_os_threads();
      }
      close(fd);
      if (all) good++;
    });
  }
  for (auto& c : clients) c.join();
  acceptor.join();
  close(lfd);
  CHECK_EQ(good.load(), kClients);
  CHECK(served.load() > 0);
}

const gt_case cases[] = {
    {"std_thread_cv", std_thread_cv},
    {"async", async_case},
    {"exceptions", exceptions},
    {"primitives", primitives},
    {"tcp_server", tcp_server},
    {nullptr, nullptr},
};

}  // namespace

int main(int argc, char** argv) { return gt_main(cases, argc, argv); }
