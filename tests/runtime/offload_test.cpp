// offload_test: greenring::offload (eventlet's tpool.execute) — results,
// void calls, exceptions rethrown in the caller, and the other green threads
// of the caller's OS thread running while an offloaded call blocks.
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_util.hpp"

namespace {

using namespace grtest;
using greenring::offload;
using greenring::spawn;

struct custom_error : std::runtime_error {
  explicit custom_error(int c) : std::runtime_error("custom " + std::to_string(c)), code(c) {}
  int code;
};

TEST(Offload, ReturnsTheValue) {
  EXPECT_EQ(offload([] { return 42; }), 42);
  EXPECT_EQ(offload([] { return std::string(1000, 'x'); }), std::string(1000, 'x'));
}

TEST(Offload, ReturnsAMoveOnlyValue) {
  std::unique_ptr<int> p = offload([] { return std::make_unique<int>(9); });
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 9);
}

TEST(Offload, RunsAVoidFunctionOnAnotherOsThread) {
  long worker_tid = 0;
  offload([&] { worker_tid = os_tid(); });
  EXPECT_NE(worker_tid, 0);
  EXPECT_NE(worker_tid, os_tid());
}

TEST(Offload, TakesAnLvalueCallable) {
  int calls = 0;
  auto f = [&calls] { return ++calls; };
  EXPECT_EQ(offload(f), 1);
  EXPECT_EQ(offload(f), 2);
  EXPECT_EQ(calls, 2);
}

TEST(Offload, RethrowsTheExceptionWithTypeAndMessage) {
  try {
    offload([]() -> int { throw std::invalid_argument("bad input 17"); });
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad input 17");
  } catch (...) {
    ADD_FAILURE() << "wrong exception type";
  }
  try {
    offload([] { throw custom_error(5); });
    ADD_FAILURE() << "no exception";
  } catch (const custom_error& e) {
    EXPECT_EQ(e.code, 5);
    EXPECT_STREQ(e.what(), "custom 5");
  }
  try {
    offload([] { throw 3.5; });
    ADD_FAILURE() << "no exception";
  } catch (double d) {
    EXPECT_EQ(d, 3.5);
  }
}

TEST(Offload, RethrowsInsideAGreenThread) {
  std::string what;
  auto t = spawn([&] {
    try {
      offload([] { throw std::runtime_error("worker failed"); });
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
  });
  t.join();
  EXPECT_EQ(what, "worker failed");
}

TEST(Offload, OtherGreenThreadsRunWhileAnOffloadedCallSleeps) {
  bool offloading = false;
  int ticks_during = 0;
  bool stop = false;
  auto ticker = spawn([&] {
    while (!stop) {
      if (offloading) ++ticks_during;
      greenring::sleep_for(5ms);
    }
  });
  greenring::yield();  // the ticker is running
  offloading = true;
  offload([] { std::this_thread::sleep_for(200ms); });
  offloading = false;
  stop = true;
  ticker.join();
  EXPECT_GT(ticks_during, 2) << "the OS thread must not block while the call is offloaded";
}

TEST(Offload, AnOffloadedCallCanWaitForAGreenThread) {
  // The offloaded call needs a green thread of the caller's OS thread to act:
  // it can only succeed if the caller's OS thread keeps scheduling.
  std::promise<void> go;
  std::future<void> went = go.get_future();
  bool green_acted = false;
  auto helper = spawn([&] {
    greenring::sleep_for(10ms);
    green_acted = true;
    go.set_value();
  });
  bool ok = offload([&] { return went.wait_for(10s) == std::future_status::ready; });
  EXPECT_TRUE(ok);
  EXPECT_TRUE(green_acted);
  helper.join();
}

TEST(Offload, ManyGreenThreadsOffloadAtOnce) {
  constexpr int kN = 40;  // more than the pool's threads: calls queue up
  std::vector<long> results(kN, -1);
  std::vector<greenring::green_thread> ts;
  for (int i = 0; i < kN; ++i)
    ts.push_back(spawn([&results, i] {
      results[i] = offload([i] {
        std::this_thread::sleep_for(2ms);
        return static_cast<long>(i) * i;
      });
    }));
  for (auto& t : ts) t.join();
  for (int i = 0; i < kN; ++i) EXPECT_EQ(results[i], static_cast<long>(i) * i) << "call " << i;
}

// The worker's wake-up reaches the dispatcher through its remote queue and
// an eventfd. If the eventfd's completion is taken in after the dispatcher
// last drained that queue, it must not then sleep: the woken green thread
// would sleep with it (a hang seen once in ~500 `bash -c` runs under the
// shim). Many quick calls in a row give that window many chances; with
// another green thread yielding, the dispatcher also takes its turns with
// green threads ready (where it polls the ring).
TEST(Offload, ManyQuickCallsInARowNeverLoseTheWakeUp) {
  bool stop = false;
  auto yielder = spawn([&] {
    while (!stop) {
      for (int i = 0; i < 3; ++i) greenring::yield();
      greenring::sleep_for(std::chrono::microseconds(20));
    }
  });
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(offload([i] { return i; }), i);
  stop = true;
  yielder.join();
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(offload([i] { return i; }), i);  // alone
}

TEST(Offload, NestedOffloadRunsInline) {
  long outer = 0, inner = -1;
  offload([&] {
    outer = os_tid();
    offload([&] { inner = os_tid(); });
  });
  EXPECT_EQ(inner, outer);
  EXPECT_NE(outer, os_tid());
}

TEST(Offload, FromAnotherOsThread) {
  int result = 0;
  std::thread os([&] { result = offload([] { return 7; }) + offload([] { return 8; }); });
  os.join();
  EXPECT_EQ(result, 15);
}

// The doorbell another OS thread rings to wake a sleeping scheduler is a
// futex word the ring waits on (Linux 6.7+): it takes no fd number from the
// application, so a daemon's close_range cannot take it away and select()
// sees the fd table the program would have without greenring.
TEST(Offload, TheWakeUpTakesNoFileDescriptor) {
  if (!kernel_at_least(6, 7)) GTEST_SKIP() << "IORING_OP_FUTEX_WAIT needs Linux 6.7; older kernels use an eventfd";
  size_t before = 0, after = 0;
  int got = 0;
  std::thread os([&] {
    before = open_fd_count();
    got = offload([] { return 5; });  // starts this thread's scheduler and wakes it from a worker
    after = open_fd_count();
  });
  os.join();
  EXPECT_EQ(got, 5);
  EXPECT_EQ(after, before) << "the scheduler of the new OS thread holds a file descriptor";
}

TEST(Offload, ErrnoOfTheCallerIsKept) {
  errno = EEXIST;
  offload([] { errno = ENOENT; });
  EXPECT_EQ(errno, EEXIST) << "errno set on the worker must not leak to the caller";
}

}  // namespace
