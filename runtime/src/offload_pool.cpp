// OffloadPool: a lazily grown set of worker threads fed from one queue.
#include "offload_pool.hpp"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "config.hpp"
#include "libc.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {

GREENRING_TLS bool internal_thread = false;

void pool_lock();
void pool_unlock();
void pool_reset_in_child();

struct Job {
  task* work;
  boost::fibers::context* waiter;
  std::atomic<bool> done{false};
  Job* next = nullptr;
};

class OffloadPool {
 public:
  OffloadPool() {
    // The queue's lock must not be held by a thread that the child of a
    // fork will not have; the child starts with no workers and no jobs
    // (the parked green threads that queued them belong to the parent).
    pthread_atfork([] { pool_lock(); }, [] { pool_unlock(); }, [] { pool_reset_in_child(); });
  }
  void lock_for_fork() { mu_.lock(); }
  void unlock_after_fork() { mu_.unlock(); }
  void reset_in_child() {
    head_ = tail_ = nullptr;
    threads_ = idle_ = 0;
    mu_.unlock();
  }

  void submit(Job* j) {
    bool grow;
    {
      sys::LockGuard lock(mu_);
      if (tail_) {
        tail_->next = j;
      } else {
        head_ = j;
      }
      tail_ = j;
      grow = idle_ == 0 && threads_ < config().offload_threads;
      if (grow) ++threads_;
      seq_.fetch_add(1, std::memory_order_release);
    }
    sys::futex_wake(&seq_, 1);
    if (grow) start_worker();
  }

 private:
  void start_worker() {
    // Workers take no signals: handlers belong on the application's threads,
    // where a parked green thread can be told about them.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int r = libc::pthread_create(&t, &attr, &OffloadPool::worker, this);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (r != 0) {
      char msg[128];
      snprintf(msg, sizeof msg, "greenring: cannot start an offload thread: %s", strerror(r));
      sys::say_line(msg);
      sys::LockGuard lock(mu_);
      --threads_;
    }
  }

  static void* worker(void* self) {
    internal_thread = true;
    static_cast<OffloadPool*>(self)->loop();
    return nullptr;
  }

  void loop() {
    for (;;) {
      Job* j;
      mu_.lock();
      while (!head_) {
        uint32_t seen = seq_.load(std::memory_order_acquire);
        ++idle_;
        mu_.unlock();
        sys::futex_wait(&seq_, seen);
        mu_.lock();
        --idle_;
      }
      j = head_;
      head_ = j->next;
      if (!head_) tail_ = nullptr;
      mu_.unlock();

      j->work->run();
      // After `done` the job's frame may be gone: read the waiter first.
      boost::fibers::context* w = j->waiter;
      j->done.store(true, std::memory_order_release);
      w->get_scheduler()->schedule_from_remote(w);
    }
  }

  sys::Mutex mu_;
  Job* head_ = nullptr;
  Job* tail_ = nullptr;
  unsigned threads_ = 0;
  unsigned idle_ = 0;
  std::atomic<uint32_t> seq_{0};
};

OffloadPool& pool() {
  static OffloadPool* p = new OffloadPool();  // workers outlive static destructors
  return *p;
}

void pool_lock() { pool().lock_for_fork(); }
void pool_unlock() { pool().unlock_after_fork(); }
void pool_reset_in_child() { pool().reset_in_child(); }

}  // namespace

bool on_internal_thread() noexcept { return internal_thread; }

void offload_task(task& t) {
  if (internal_thread) {  // nested offload: already on a worker
    t.run();
    return;
  }
  Scheduler& sched = Scheduler::current();
  Job j{&t, running_context()};
  sched.offload_started();
  pool().submit(&j);
  do park({"offload", YieldInfo::none, 0, nullptr});
  while (!j.done.load(std::memory_order_acquire));
  sched.offload_ended();
}

}  // namespace greenring::detail
