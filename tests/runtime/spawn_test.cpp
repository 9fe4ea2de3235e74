// spawn_test: green threads themselves — spawn/join/detach, ids, FIFO yield,
// sleeps, 10,000 concurrent green threads, overlap of blocking calls, wake-ups
// from other OS threads, per-green-thread errno and exception state, fork.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "test_util.hpp"

namespace {

using namespace grtest;
using greenring::green_thread;
using greenring::spawn;

// ---------------------------------------------------------------- spawn, join, detach

TEST(GreenThread, SpawnRunsOnlyWhenTheCallerYields) {
  bool ran = false;
  auto t = spawn([&] { ran = true; });
  EXPECT_FALSE(ran);
  greenring::yield();
  EXPECT_TRUE(ran);
  t.join();
}

TEST(GreenThread, JoinFromMainWaitsForTheEnd) {
  bool done = false;
  auto t = spawn([&] {
    greenring::sleep_for(20ms);
    done = true;
  });
  t.join();
  EXPECT_TRUE(done);
}

TEST(GreenThread, JoinFromAnotherGreenThread) {
  bool a_done = false, b_saw_a_done = false;
  auto a = spawn([&] {
    greenring::sleep_for(20ms);
    a_done = true;
  });
  auto b = spawn([&] {
    a.join();
    b_saw_a_done = a_done;
  });
  b.join();
  EXPECT_TRUE(b_saw_a_done);
  EXPECT_FALSE(a.joinable());
}

TEST(GreenThread, JoinOfAnAlreadyFinishedGreenThreadReturns) {
  int value = 0;
  auto t = spawn([&] { value = 42; });
  greenring::sleep_for(5ms);
  EXPECT_EQ(value, 42);
  t.join();
}

TEST(GreenThread, JoinableAndIdFollowTheHandle) {
  green_thread empty;
  EXPECT_FALSE(empty.joinable());
  EXPECT_EQ(empty.get_id(), 0u);
  auto t = spawn([] {});
  EXPECT_TRUE(t.joinable());
  EXPECT_NE(t.get_id(), 0u);
  t.join();
  EXPECT_FALSE(t.joinable());
  EXPECT_EQ(t.get_id(), 0u);
}

TEST(GreenThread, JoinOrDetachOfAnEmptyHandleThrowsInvalidArgument) {
  green_thread empty;
  try {
    empty.join();
    ADD_FAILURE() << "join of an empty handle did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::invalid_argument);
  }
  try {
    empty.detach();
    ADD_FAILURE() << "detach of an empty handle did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::invalid_argument);
  }
}

TEST(GreenThread, JoiningItselfThrowsDeadlock) {
  green_thread self;
  bool threw = false;
  self = spawn([&] {
    try {
      self.join();
    } catch (const std::system_error& e) {
      threw = e.code() == std::errc::resource_deadlock_would_occur;
    }
  });
  // `self` is assigned before the green thread first runs, at the yield.
  greenring::yield();
  EXPECT_TRUE(self.joinable()) << "a failed self-join leaves the handle alone";
  self.join();
  EXPECT_TRUE(threw);
}

TEST(GreenThread, DetachedGreenThreadRunsToCompletion) {
  bool done = false;
  auto t = spawn([&] {
    greenring::sleep_for(10ms);
    done = true;
  });
  t.detach();
  EXPECT_FALSE(t.joinable());
  auto t0 = steady::now();
  while (!done && ms_since(t0) < 5s) greenring::sleep_for(1ms);
  EXPECT_TRUE(done);
}

TEST(GreenThread, DestroyingAJoinableHandleDetaches) {
  bool done = false;
  { auto t = spawn([&] { done = true; }); }  // no terminate(): detached, like eventlet's spawn_n
  auto t0 = steady::now();
  while (!done && ms_since(t0) < 5s) greenring::yield();
  EXPECT_TRUE(done);
}

TEST(GreenThread, MoveAssignmentOverAJoinableHandleDetachesTheOld) {
  bool first = false, second = false;
  auto t = spawn([&] { first = true; });
  t = spawn([&] { second = true; });
  t.join();
  auto t0 = steady::now();
  while (!first && ms_since(t0) < 5s) greenring::yield();
  EXPECT_TRUE(first);
  EXPECT_TRUE(second);
}

TEST(GreenThread, MoveConstructionTransfersOwnership) {
  auto a = spawn([] {});
  const auto id = a.get_id();
  green_thread b(std::move(a));
  EXPECT_FALSE(a.joinable());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(b.joinable());
  EXPECT_EQ(b.get_id(), id);
  b.join();
}

TEST(GreenThread, MoveOnlyCallablesAreAccepted) {
  auto p = std::make_unique<int>(7);
  int seen = 0;
  auto t = spawn([q = std::move(p), &seen] { seen = *q; });
  t.join();
  EXPECT_EQ(seen, 7);
}

TEST(GreenThread, NestedSpawnAndJoin) {
  int sum = 0;
  auto parent = spawn([&] {
    std::vector<green_thread> kids;
    for (int i = 1; i <= 10; ++i) kids.push_back(spawn([&sum, i] {
      greenring::yield();
      sum += i;
    }));
    for (auto& k : kids) k.join();
    sum *= 2;
  });
  parent.join();
  EXPECT_EQ(sum, 110);
}

// ---------------------------------------------------------------- ids

TEST(GreenThreadId, MainIsZero) {
  EXPECT_EQ(greenring::this_green_thread::get_id(), 0u);
  auto t = spawn([] {});
  t.join();
  EXPECT_EQ(greenring::this_green_thread::get_id(), 0u) << "still 0 once the scheduler exists";
  greenring::green_thread::id in_thread = 1;
  std::thread os([&] { in_thread = greenring::this_green_thread::get_id(); });
  os.join();
  EXPECT_EQ(in_thread, 0u) << "an OS thread that never used the runtime";
}

TEST(GreenThreadId, DistinctNonZeroAndSeenFromInside) {
  constexpr int kN = 50;
  std::vector<green_thread::id> inside(kN, 0);
  std::vector<green_thread> ts;
  for (int i = 0; i < kN; ++i)
    ts.push_back(spawn([&inside, i] {
      greenring::yield();
      inside[i] = greenring::this_green_thread::get_id();
    }));
  std::vector<green_thread::id> handles;
  for (auto& t : ts) handles.push_back(t.get_id());
  for (auto& t : ts) t.join();
  EXPECT_EQ(inside, handles);
  std::set<green_thread::id> unique(handles.begin(), handles.end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(kN));
  EXPECT_EQ(unique.count(0), 0u);
}

// ---------------------------------------------------------------- yield

TEST(GreenThreadYield, IsFifo) {
  std::vector<int> order;
  std::vector<green_thread> ts;
  for (int i = 1; i <= 3; ++i)
    ts.push_back(spawn([&order, i] {
      for (int round = 0; round < 2; ++round) {
        order.push_back(i);
        greenring::yield();
      }
    }));
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 1, 2, 3}));
}

TEST(GreenThreadYield, FromMainLetsEveryReadyGreenThreadRunOnce) {
  std::vector<int> order;
  std::vector<green_thread> ts;
  for (int i = 1; i <= 3; ++i)
    ts.push_back(spawn([&order, i] {
      for (int round = 0; round < 3; ++round) {
        order.push_back(i);
        greenring::yield();
      }
    }));
  greenring::yield();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  greenring::yield();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 1, 2, 3}));
  for (auto& t : ts) t.join();
  EXPECT_EQ(order.size(), 9u);
}

TEST(GreenThreadYield, DoesNotWaitForParkedGreenThreads) {
  bool woke = false;
  auto sleeper = spawn([&] {
    greenring::sleep_for(200ms);
    woke = true;
  });
  greenring::yield();  // the sleeper runs and parks in its sleep
  for (int i = 0; i < 100; ++i) greenring::yield();
  EXPECT_FALSE(woke) << "yield runs ready green threads only; it must not wait for a sleeping one";
  sleeper.join();
  EXPECT_TRUE(woke);
}

// ---------------------------------------------------------------- sleep

TEST(GreenThreadSleep, SleepForWakesNoEarlier) {
  for (auto d : {1ms, 10ms, 30ms}) {
    auto t0 = steady::now();
    greenring::sleep_for(d);
    EXPECT_GE(steady::now() - t0, d) << "main, " << d.count() << " ms";
  }
  auto t = spawn([] {
    for (auto d : {1ms, 10ms, 30ms}) {
      auto t0 = steady::now();
      greenring::sleep_for(d);
      EXPECT_GE(steady::now() - t0, d) << "green thread, " << d.count() << " ms";
    }
  });
  t.join();
  auto t0 = steady::now();
  greenring::sleep_for(std::chrono::microseconds(2500));
  EXPECT_GE(steady::now() - t0, std::chrono::microseconds(2500)) << "other duration types";
}

TEST(GreenThreadSleep, SleepUntilWakesNoEarlier) {
  auto tp = greenring::clock::now() + 25ms;
  greenring::sleep_until(tp);
  EXPECT_GE(greenring::clock::now(), tp);
  auto t = spawn([] {
    auto tp2 = greenring::clock::now() + 15ms;
    greenring::sleep_until(tp2);
    EXPECT_GE(greenring::clock::now(), tp2);
  });
  t.join();
}

TEST(GreenThreadSleep, ZeroNegativeAndPastSleepsReturn) {
  auto t0 = steady::now();
  greenring::sleep_for(0ms);
  greenring::sleep_for(-5ms);
  greenring::sleep_until(greenring::clock::now() - 1s);
  EXPECT_LT(ms_since(t0), 5s);
}

TEST(GreenThreadSleep, SleepersWakeInDeadlineOrder) {
  std::vector<int> order;
  std::vector<green_thread> ts;
  for (int ms : {30, 10, 20})
    ts.push_back(spawn([&order, ms] {
      greenring::sleep_for(std::chrono::milliseconds(ms));
      order.push_back(ms);
    }));
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST(GreenThreadSleep, ASleeperDoesNotBlockTheOthers) {
  bool sleeper_done = false;
  int ticks_while_asleep = 0;
  auto sleeper = spawn([&] {
    greenring::sleep_for(100ms);
    sleeper_done = true;
  });
  auto ticker = spawn([&] {
    while (!sleeper_done) {
      ++ticks_while_asleep;
      greenring::sleep_for(2ms);
    }
  });
  sleeper.join();
  ticker.join();
  EXPECT_GT(ticks_while_asleep, 1);
}

// ---------------------------------------------------------------- many at once

TEST(GreenThreadScale, TenThousandConcurrentSleepers) {
  constexpr int kN = 10000;
  int finished = 0, asleep = 0, max_asleep = 0;
  std::vector<green_thread> ts;
  ts.reserve(kN);
  auto t0 = steady::now();
  for (int i = 0; i < kN; ++i)
    ts.push_back(spawn([&] {
      ++asleep;
      max_asleep = std::max(max_asleep, asleep);
      greenring::sleep_for(10ms);
      --asleep;
      ++finished;
    }));
  for (auto& t : ts) t.join();
  EXPECT_EQ(finished, kN);
  EXPECT_EQ(asleep, 0);
  // One at a time would take 100 s; they sleep together.
  EXPECT_GT(max_asleep, 100);
  EXPECT_LT(ms_since(t0), 30s);
}

TEST(GreenThreadScale, AllGreenThreadsShareTheCallersOsThread) {
  const long tid = os_tid();
  int foreign = 0;
  std::vector<green_thread> ts;
  for (int i = 0; i < 20; ++i)
    ts.push_back(spawn([&] {
      greenring::sleep_for(1ms);
      if (os_tid() != tid) ++foreign;
    }));
  for (auto& t : ts) t.join();
  EXPECT_EQ(foreign, 0);
}

// ---------------------------------------------------------------- blocking calls overlap

TEST(GreenThreadOverlap, TwoReadersParkedAtOnceAndAThirdWritesToBoth) {
  Pipe p1 = make_pipe(), p2 = make_pipe();
  int in_read = 0, seen_by_writer = -1;
  std::string got1, got2;
  auto reader = [&](int fd, std::string& out) {
    return [&, fd] {
      char buf[16];
      ++in_read;
      ssize_t n = io::read(fd, buf, sizeof buf, 5s);
      --in_read;
      if (n > 0) out.assign(buf, static_cast<size_t>(n));
    };
  };
  auto r1 = spawn(reader(p1.r, got1));
  auto r2 = spawn(reader(p2.r, got2));
  auto w = spawn([&] {
    seen_by_writer = in_read;  // both readers are parked in read by now
    EXPECT_EQ(io::write(p2.w, "two", 3), 3);
    EXPECT_EQ(io::write(p1.w, "one", 3), 3);
  });
  r1.join();
  r2.join();
  w.join();
  EXPECT_EQ(seen_by_writer, 2);
  EXPECT_EQ(got1, "one");
  EXPECT_EQ(got2, "two");
}

TEST(GreenThreadOverlap, WakeFromAnotherOsThreadWhileMainIsParkedInRead) {
  Pipe p = make_pipe();
  std::atomic<bool> written{false};
  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    written = true;
    EXPECT_EQ(::write(p.w, "!", 1), 1);
  });
  Ticker ticker(5ms);
  char c = 0;
  ssize_t n = io::read(p.r, &c, 1, 10s);
  const bool was_written = written.load();
  int ticks = ticker.stop();
  writer.join();
  ASSERT_EQ(n, 1) << strerror(errno);
  EXPECT_EQ(c, '!');
  EXPECT_TRUE(was_written);
  EXPECT_GT(ticks, 1) << "the OS thread must keep running green threads while main is parked";
}

TEST(GreenThreadOverlap, WakeFromAnotherOsThreadWhileIdleInPoll) {
  Fd e(eventfd(0, EFD_CLOEXEC));
  ASSERT_GE(e, 0);
  std::thread signaller([&] {
    std::this_thread::sleep_for(50ms);
    uint64_t one = 1;
    EXPECT_EQ(::write(e, &one, sizeof one), 8);
  });
  pollfd f{e, POLLIN, 0};
  EXPECT_EQ(io::poll(&f, 1, 10000), 1);
  EXPECT_EQ(f.revents, POLLIN);
  signaller.join();
}

// ---------------------------------------------------------------- per-green-thread state

TEST(GreenThreadState, ErrnoIsKeptPerGreenThread) {
  int a_after = 0, b_after = 0, main_after = 0;
  errno = EINTR;
  auto a = spawn([&] {
    EXPECT_EQ(errno, 0) << "a new green thread starts with errno 0";
    errno = EBADF;
    greenring::yield();
    greenring::sleep_for(1ms);
    a_after = errno;
  });
  auto b = spawn([&] {
    errno = ENOENT;
    greenring::yield();
    b_after = errno;
  });
  a.join();
  b.join();
  main_after = errno;
  EXPECT_EQ(a_after, EBADF);
  EXPECT_EQ(b_after, ENOENT);
  EXPECT_EQ(main_after, EINTR);
}

TEST(GreenThreadState, CaughtExceptionsArePerGreenThread) {
  std::string a_rethrown, b_rethrown;
  auto a = spawn([&] {
    try {
      throw std::runtime_error("from A");
    } catch (...) {
      greenring::yield();  // B throws and catches its own meanwhile
      try {
        throw;
      } catch (const std::runtime_error& e) {
        a_rethrown = e.what();
      } catch (...) {
        a_rethrown = "wrong type";
      }
    }
  });
  auto b = spawn([&] {
    try {
      throw std::logic_error("from B");
    } catch (...) {
      greenring::yield();
      try {
        throw;
      } catch (const std::logic_error& e) {
        b_rethrown = e.what();
      } catch (...) {
        b_rethrown = "wrong type";
      }
    }
  });
  a.join();
  b.join();
  EXPECT_EQ(a_rethrown, "from A");
  EXPECT_EQ(b_rethrown, "from B");
}

TEST(GreenThreadState, UncaughtExceptionCountIsPerGreenThread) {
  int during_unwind = -1, other = -1;
  struct YieldsInDestructor {
    int* out;
    ~YieldsInDestructor() {
      greenring::yield();
      *out = std::uncaught_exceptions();
    }
  };
  auto a = spawn([&] {
    try {
      YieldsInDestructor d{&during_unwind};
      throw 1;
    } catch (int) {
    }
  });
  auto b = spawn([&] { other = std::uncaught_exceptions(); });
  a.join();
  b.join();
  EXPECT_EQ(during_unwind, 1);
  EXPECT_EQ(other, 0);
}

TEST(GreenThreadState, ExceptionsCaughtInsideAGreenThreadStayThere) {
  bool caught = false;
  auto t = spawn([&] {
    try {
      greenring::sleep_for(1ms);
      throw std::out_of_range("inside");
    } catch (const std::out_of_range&) {
      caught = true;
    }
  });
  t.join();
  EXPECT_TRUE(caught);
}

// ---------------------------------------------------------------- several OS threads

TEST(GreenThreadOsThreads, EachOsThreadRunsItsOwnGreenThreads) {
  constexpr int kThreads = 3, kPer = 100;
  std::mutex mu;
  std::set<green_thread::id> ids;
  std::atomic<int> total{0}, foreign{0};
  std::vector<std::thread> os;
  for (int t = 0; t < kThreads; ++t)
    os.emplace_back([&] {
      const long tid = os_tid();
      std::vector<green_thread> ts;
      std::vector<green_thread::id> mine;
      for (int i = 0; i < kPer; ++i)
        ts.push_back(spawn([&] {
          greenring::sleep_for(1ms);
          greenring::yield();
          if (os_tid() != tid) ++foreign;
          ++total;
        }));
      for (auto& g : ts) mine.push_back(g.get_id());
      for (auto& g : ts) g.join();
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(mine.begin(), mine.end());
    });
  for (auto& t : os) t.join();
  EXPECT_EQ(total.load(), kThreads * kPer);
  EXPECT_EQ(foreign.load(), 0);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPer)) << "ids are unique across OS threads";
}

// ---------------------------------------------------------------- fork

TEST(GreenThreadFork, AForkedChildCanUseTheRuntime) {
  // DESIGN §6: the child must not share the parent's ring; it gets a fresh runtime.
  greenring::sleep_for(1ms);  // the parent's scheduler and ring exist
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);
    int p[2];
    if (pipe(p) != 0) _exit(3);
    auto t = greenring::spawn([&] { greenring::io::write(p[1], "c", 1); });
    char c = 0;
    ssize_t n = greenring::io::read(p[0], &c, 1);
    t.join();
    greenring::sleep_for(std::chrono::milliseconds(2));
    _exit(n == 1 && c == 'c' ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << (WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                              : "child exit status " + std::to_string(WEXITSTATUS(status)));
}

}  // namespace
