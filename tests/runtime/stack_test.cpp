// stack_test: white-box checks of the stack pool — stacks are reused rather
// than mapped afresh, and a green thread really gets the configured stack size.
// (GREENRING_STACK_SIZE itself is checked in fresh processes by death_test.)
#include <cstdlib>
#include <cstring>

#include "stack_pool.hpp"  // white-box: StackPool counters
#include "test_util.hpp"

namespace {

using namespace grtest;
using greenring::detail::StackPool;
using greenring::spawn;

TEST(StackPool, SequentialSpawnAndJoinReusesStacks) {
  {  // warm up: the scheduler and the first stacks exist
    auto t = spawn([] {});
    t.join();
  }
  const size_t before = StackPool::mapped_count();
  int ran = 0;
  for (int i = 0; i < 1000; ++i) {
    auto t = spawn([&] { ++ran; });
    t.join();
  }
  const size_t after = StackPool::mapped_count();
  EXPECT_EQ(ran, 1000);
  EXPECT_LE(after - before, 4u) << "1000 sequential green threads mapped " << after - before << " new stacks";
  EXPECT_LE(after, 64u);
  EXPECT_GE(StackPool::free_count(), 1u) << "finished green threads return their stacks";
}

TEST(StackPool, ConcurrentBatchesReuseTheFirstBatchsStacks) {
  constexpr int kBatch = 64;
  auto batch = [] {
    std::vector<greenring::green_thread> ts;
    for (int i = 0; i < kBatch; ++i) ts.push_back(spawn([] { greenring::sleep_for(1ms); }));
    for (auto& t : ts) t.join();
    greenring::yield();  // let the scheduler release the finished contexts
  };
  batch();
  const size_t after_first = StackPool::mapped_count();
  EXPECT_GE(after_first, static_cast<size_t>(kBatch)) << "64 live green threads need 64 stacks";
  for (int round = 0; round < 5; ++round) batch();
  EXPECT_LE(StackPool::mapped_count(), after_first + 2) << "later batches must reuse the stacks";
  EXPECT_GE(StackPool::free_count(), static_cast<size_t>(kBatch) - 2);
}

TEST(StackPool, DefaultSizeIsTheConfiguredOne) {
  const char* env = getenv("GREENRING_STACK_SIZE");
  if (env && *env) GTEST_SKIP() << "GREENRING_STACK_SIZE is set in the environment";
  EXPECT_EQ(StackPool::default_size(), 256u * 1024);
}

__attribute__((noinline)) size_t use_stack(size_t bytes) {
  volatile char frame[4096];
  for (size_t i = 0; i < sizeof frame; i += 512) frame[i] = static_cast<char>(i);
  if (bytes <= sizeof frame) return frame[0] + frame[512];
  return use_stack(bytes - sizeof frame) + frame[1024];
}

TEST(StackPool, AGreenThreadCanUseMostOfItsStack) {
  const size_t usable = StackPool::default_size() / 2;  // leave room for the runtime's frames (and ASan's)
  bool done = false;  // the failure mode is a crash in the guard page
  auto t = spawn([&] {
    use_stack(usable);
    done = true;
  });
  t.join();
  EXPECT_TRUE(done);
}

}  // namespace
