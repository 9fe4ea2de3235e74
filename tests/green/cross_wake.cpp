// cross_wake: a green thread parked in a sync call under the shim is woken
// by another OS thread. The waker is a runtime-internal OS thread: the
// program links libgreenring and runs the waking call inside
// greenring::offload, which runs it on an offload worker (a genuine other
// OS thread, created with the real pthread_create) while the calling green
// thread is parked.
//
// Every wait has a deadline far beyond what the wake-up needs, so a lost
// wake-up shows as ETIMEDOUT (a failed check), never as a hang.
#include <greenring/greenring.hpp>

#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>

#include <atomic>
#include <climits>
#include <cstdint>

#include "green_test.h"

namespace {

constexpr long kDeadlineMs = 3000;  // the wake-up itself takes about a millisecond

pid_t os_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Runs fn on an offload worker after `delay_ms`, from a green thread of its
// own (so the waiter below is already parked), and checks that it did run
// on another OS thread.
template <class F>
pthread_t wake_from_other_os_thread(long delay_ms, F fn) {
  struct Ctx {
    long delay_ms;
    F fn;
  };
  auto* ctx = new Ctx{delay_ms, fn};
  pthread_t t;
  REQUIRE(pthread_create(
              &t, nullptr,
              [](void* p) -> void* {
                auto* c = static_cast<Ctx*>(p);
                usleep(static_cast<useconds_t>(c->delay_ms * 1000));
                pid_t mine = os_tid();
                pid_t theirs = greenring::offload([&] {
                  c->fn();
                  return os_tid();
                });
                CHECK(theirs != mine);
                delete c;
                return nullptr;
              },
              ctx) == 0);
  return t;
}

void sem_post_from_offload() {
  static sem_t s;
  REQUIRE(sem_init(&s, 0, 0) == 0);
  pthread_t w = wake_from_other_os_thread(50, [] { CHECK_EQ(sem_post(&s), 0); });
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, kDeadlineMs);
  uint64_t t0 = gt_now_ns();
  int r = sem_timedwait(&s, &dl);
  int e = errno;
  uint64_t waited_ms = (gt_now_ns() - t0) / 1000000;
  CHECK_EQ(r, 0);
  // Woken by the post, not rescued by the deadline.
  CHECK(waited_ms < 2000);
  if (r != 0 || waited_ms >= 2000) fprintf(stderr, "sem_timedwait: %d (errno %d) after %llu ms\n", r, e, (unsigned long long)waited_ms);
  pthread_join(w, nullptr);
  gt_sample_os_threads();
  sem_destroy(&s);
}

void futex_wake_from_offload() {
  static uint32_t word = 0;
  pthread_t w = wake_from_other_os_thread(50, [] {
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    long n = syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
    CHECK_EQ(n, 1);
  });
  struct timespec rel = {kDeadlineMs / 1000, 0};
  uint64_t t0 = gt_now_ns();
  while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0) {
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &rel, nullptr, 0);
    if (r != 0 && errno == ETIMEDOUT) break;
  }
  CHECK_EQ(__atomic_load_n(&word, __ATOMIC_SEQ_CST), 1);
  CHECK(gt_now_ns() - t0 < 2000000000ull);
  pthread_join(w, nullptr);
}

void cond_signal_from_offload() {
  static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  static bool flag = false;
  pthread_t w = wake_from_other_os_thread(50, [] {
    pthread_mutex_lock(&m);
    flag = true;
    CHECK_EQ(pthread_cond_signal(&c), 0);
    pthread_mutex_unlock(&m);
  });
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, kDeadlineMs);
  pthread_mutex_lock(&m);
  int r = 0;
  while (!flag && r == 0) r = pthread_cond_timedwait(&c, &m, &dl);
  CHECK_EQ(r, 0);
  CHECK(flag);
  pthread_mutex_unlock(&m);
  pthread_join(w, nullptr);
}

void cond_broadcast_from_offload() {
  static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  static bool flag = false;
  static std::atomic<int> woken{0};
  constexpr int kWaiters = 20;
  pthread_t waiters[kWaiters];
  for (auto& t : waiters) {
    REQUIRE(pthread_create(
                &t, nullptr,
                [](void*) -> void* {
                  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, kDeadlineMs);
                  pthread_mutex_lock(&m);
                  int r = 0;
                  while (!flag && r == 0) r = pthread_cond_timedwait(&c, &m, &dl);
                  CHECK_EQ(r, 0);
                  if (flag) woken++;
                  pthread_mutex_unlock(&m);
                  return nullptr;
                },
                nullptr) == 0);
  }
  pthread_t w = wake_from_other_os_thread(50, [] {
    pthread_mutex_lock(&m);
    flag = true;
    CHECK_EQ(pthread_cond_broadcast(&c), 0);
    pthread_mutex_unlock(&m);
  });
  for (auto& t : waiters) pthread_join(t, nullptr);
  pthread_join(w, nullptr);
  CHECK_EQ(woken.load(), kWaiters);
}

// The offload worker holds an application mutex while a green thread blocks
// on it; the worker's unlock must wake the parked green thread.
void mutex_unlock_from_offload() {
  static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  static std::atomic<bool> held{false};
  pthread_t holder;
  REQUIRE(pthread_create(
              &holder, nullptr,
              [](void*) -> void* {
                greenring::offload([] {
                  CHECK_EQ(pthread_mutex_lock(&m), 0);
                  held = true;
                  usleep(200 * 1000);  // a plain sleep: this is an OS thread
                  CHECK_EQ(pthread_mutex_unlock(&m), 0);
                });
                return nullptr;
              },
              nullptr) == 0);
  while (!held) usleep(1000);
  struct timespec dl = gt_abs_ms(CLOCK_REALTIME, kDeadlineMs);
  uint64_t t0 = gt_now_ns();
  int r = pthread_mutex_timedlock(&m, &dl);
  CHECK_EQ(r, 0);
  uint64_t waited_ms = (gt_now_ns() - t0) / 1000000;
  CHECK(waited_ms < 2000);
  if (r == 0) pthread_mutex_unlock(&m);
  pthread_join(holder, nullptr);
}

// A green thread and an offload worker increment one counter under one
// mutex many times: exclusion holds across the two kinds of thread.
void mutex_shared_with_offload() {
  static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  static long counter = 0;
  constexpr int kIters = 20000;
  pthread_t other;
  REQUIRE(pthread_create(
              &other, nullptr,
              [](void*) -> void* {
                greenring::offload([] {
                  for (int i = 0; i < kIters; ++i) {
                    pthread_mutex_lock(&m);
                    long v = counter;
                    if ((i & 1023) == 0) sched_yield();
                    counter = v + 1;
                    pthread_mutex_unlock(&m);
                  }
                });
                return nullptr;
              },
              nullptr) == 0);
  for (int i = 0; i < kIters; ++i) {
    struct timespec dl = gt_abs_ms(CLOCK_REALTIME, kDeadlineMs);
    if (pthread_mutex_timedlock(&m, &dl) != 0) {
      CHECK(!"timedlock timed out: a wake-up from the offload worker was lost");
      break;
    }
    long v = counter;
    if ((i & 1023) == 0) sched_yield();
    counter = v + 1;
    pthread_mutex_unlock(&m);
  }
  pthread_join(other, nullptr);
  CHECK_EQ(counter, 2 * kIters);
}

const gt_case cases[] = {
    {"sem_post", sem_post_from_offload},
    {"futex_wake", futex_wake_from_offload},
    {"cond_signal", cond_signal_from_offload},
    {"cond_broadcast", cond_broadcast_from_offload},
    {"mutex_unlock", mutex_unlock_from_offload},
    {"mutex_shared", mutex_shared_with_offload},
    {nullptr, nullptr},
};

}  // namespace

int main(int argc, char** argv) { return gt_main(cases, argc, argv); }
