// green_pthread: GreenPthread records, their lifecycle, keys and cleanup.
#include "green_pthread.hpp"

#include <dlfcn.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>

#include <atomic>
#include <vector>

#include "green_thread_state.hpp"
#include "parking_lot.hpp"
#include "scheduler.hpp"
#include "stack_pool.hpp"

namespace greenring::detail::gp {
namespace {

constexpr uint64_t kMagic = 0x6472687470677267ULL;  // "grgpthrd"
constexpr std::size_t kMinStack = 16 * 1024;
constexpr std::size_t kMaxStack = 64 * 1024 * 1024;

struct GreenExit {  // thrown by pthread_exit, caught where the green pthread started
  void* value;
};

struct GreenPthread {
  uint64_t magic = kMagic;
  green_thread_state* state = nullptr;
  void* (*fn)(void*) = nullptr;
  void* arg = nullptr;
  void* retval = nullptr;
  bool detached = false;
  bool finished = false;
  char name[16] = {};
  void* stack_lo = nullptr;
  pthread_t host = 0;
  std::size_t stack_size = 0;
  std::vector<void*> specific;
  __pthread_unwind_buf_t* cleanup = nullptr;  // C cleanup handlers, innermost first
};

std::atomic<void (*)(void*)> destructors[PTHREAD_KEYS_MAX];
std::atomic<std::size_t> live{0};

// glibc's own pthread_self (the public name is interposed in green mode).
pthread_t pthread_self_os() {
  using Fn = pthread_t (*)();
  static const auto real = reinterpret_cast<Fn>(dlsym(dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), "pthread_self"));
  return real();
}

GreenPthread* record(pthread_t t) { return reinterpret_cast<GreenPthread*>(t); }

GreenPthread* current() noexcept {
  GreenProps* p = current_props();
  return p ? static_cast<GreenPthread*>(p->pthread) : nullptr;
}

void*& prev_of(__pthread_unwind_buf_t* buf) { return buf->__pad[0]; }

void run_key_destructors(GreenPthread* r) {
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; ++round) {
    bool ran = false;
    for (std::size_t k = 0; k < r->specific.size(); ++k) {
      void* v = r->specific[k];
      auto d = destructors[k].load(std::memory_order_relaxed);
      if (!v || !d) continue;
      r->specific[k] = nullptr;
      d(v);
      ran = true;
    }
    if (!ran) return;
  }
}

void finish(GreenPthread* r) {
  bool detached = r->detached;
  r->finished = true;
  unpark_all(&r->finished);
  if (detached) delete r;
  if (live.fetch_sub(1, std::memory_order_acq_rel) == 1) unpark_all(&live);
}

// The attr's stack size, unless it is glibc's default (then ours: green
// threads are many and small), within [16 KiB, 64 MiB].
std::size_t stack_size_from(const pthread_attr_t* attr) {
  if (!attr) return 0;
  std::size_t size = 0, dflt = 0;
  pthread_attr_getstacksize(attr, &size);
  pthread_attr_t d;
  if (pthread_getattr_default_np(&d) == 0) {
    pthread_attr_getstacksize(&d, &dflt);
    pthread_attr_destroy(&d);
  }
  if (size == 0 || size == dflt) return 0;
  if (size < kMinStack) size = kMinStack;
  if (size > kMaxStack) size = kMaxStack;
  return size;
}

}  // namespace

pthread_t host_of(pthread_t t) noexcept { return record(t)->host; }

bool is_green(pthread_t t) noexcept { return t && record(t)->magic == kMagic; }

pthread_t self() noexcept { return reinterpret_cast<pthread_t>(current()); }

std::size_t live_count() noexcept { return live.load(); }

int create(pthread_t* out, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  int detach_state_attr = PTHREAD_CREATE_JOINABLE;
  if (attr) pthread_attr_getdetachstate(attr, &detach_state_attr);
  auto* r = new (std::nothrow) GreenPthread;
  if (!r) return EAGAIN;
  r->fn = fn;
  r->arg = arg;
  r->host = pthread_self_os();
  live.fetch_add(1, std::memory_order_relaxed);
  struct Start final : task {
    explicit Start(GreenPthread* rec) : r(rec) {}
    void run() override {
      GreenProps* p = current_props();
      try {
        r->retval = r->fn(r->arg);
      } catch (const GreenExit& e) {
        r->retval = e.value;
      }
      // Destructors still run as this green pthread: what they get and set
      // through their keys is its own (a set value means another round).
      run_key_destructors(r);
      p->pthread = nullptr;
      p->name = nullptr;  // the record may be freed by finish
      finish(r);
    }
    GreenPthread* r;
  };
  try {
    r->state = spawn_task(std::make_unique<Start>(r), stack_size_from(attr));
    GreenProps& props = state_props(r->state);  // known before it first runs
    props.pthread = r;
    props.name = r->name;
  } catch (...) {
    live.fetch_sub(1);
    delete r;
    return EAGAIN;
  }
  boost::context::stack_context sc = StackPool::last_allocated();
  r->stack_size = sc.size;
  r->stack_lo = static_cast<char*>(sc.sp) - sc.size;
  *out = reinterpret_cast<pthread_t>(r);
  if (detach_state_attr == PTHREAD_CREATE_DETACHED) {
    r->detached = true;
    detach_state(std::exchange(r->state, nullptr));
  }
  return 0;
}

int join(pthread_t t, void** retval, std::chrono::steady_clock::time_point deadline, bool try_only) {
  GreenPthread* r = record(t);
  if (r->detached) return EINVAL;
  if (r == current()) return EDEADLK;
  while (!r->finished) {
    if (try_only) return EBUSY;
    Parked p = park_on(&r->finished, [&] { return !r->finished; }, deadline, {"join", r});
    if (p == Parked::timed_out && !r->finished) return ETIMEDOUT;
  }
  join_state(std::exchange(r->state, nullptr));  // the fiber itself has ended too
  if (retval) *retval = r->retval;
  delete r;
  return 0;
}

int detach(pthread_t t) {
  GreenPthread* r = record(t);
  if (r->detached) return EINVAL;
  if (r->finished) {
    join_state(std::exchange(r->state, nullptr));
    delete r;
    return 0;
  }
  r->detached = true;
  detach_state(std::exchange(r->state, nullptr));
  return 0;
}

void exit(void* retval) {
  GreenPthread* r = current();
  r->retval = retval;
  // C cleanup handlers first: glibc's macros run the handler when their
  // setjmp returns again, then call __pthread_unwind_next (unwind_next).
  if (__pthread_unwind_buf_t* buf = r->cleanup)
    longjmp(reinterpret_cast<struct __jmp_buf_tag*>(buf->__cancel_jmp_buf), 1);
  throw GreenExit{retval};
}

bool unwind_next(void* b) {
  GreenPthread* r = current();
  if (!r) return false;
  auto* buf = static_cast<__pthread_unwind_buf_t*>(b);
  r->cleanup = static_cast<__pthread_unwind_buf_t*>(prev_of(buf));
  exit(r->retval);
}

void exit_main() {
  while (live.load() != 0) park_on(&live, [] { return live.load() != 0; }, std::chrono::steady_clock::time_point::max(), {"exit", &live});
  std::exit(0);
}

bool register_cleanup(void* b) {
  GreenPthread* r = current();
  if (!r) return false;
  auto* buf = static_cast<__pthread_unwind_buf_t*>(b);
  prev_of(buf) = r->cleanup;
  r->cleanup = buf;
  return true;
}

bool unregister_cleanup(void* b) {
  GreenPthread* r = current();
  if (!r) return false;
  r->cleanup = static_cast<__pthread_unwind_buf_t*>(prev_of(static_cast<__pthread_unwind_buf_t*>(b)));
  return true;
}

int setname(pthread_t t, const char* name) {
  if (strlen(name) >= sizeof GreenPthread::name) return ERANGE;
  strcpy(record(t)->name, name);
  return 0;
}

int getname(pthread_t t, char* buf, std::size_t len) {
  const char* n = record(t)->name;
  if (len < strlen(n) + 1) return ERANGE;
  strcpy(buf, n);
  return 0;
}

int getattr(pthread_t t, pthread_attr_t* attr) {
  GreenPthread* r = record(t);
  if (int e = pthread_attr_init(attr)) return e;
  pthread_attr_setdetachstate(attr, r->detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  pthread_attr_setstack(attr, r->stack_lo, r->stack_size);
  return 0;
}

void key_created(pthread_key_t key, void (*destructor)(void*)) {
  if (key < PTHREAD_KEYS_MAX) destructors[key].store(destructor);
}

void key_deleted(pthread_key_t key) {
  if (key < PTHREAD_KEYS_MAX) destructors[key].store(nullptr);
}

bool getspecific(pthread_key_t key, void** value) {
  GreenPthread* r = current();
  if (!r) return false;
  *value = key < r->specific.size() ? r->specific[key] : nullptr;
  return true;
}

bool setspecific(pthread_key_t key, const void* value, int* err) {
  GreenPthread* r = current();
  if (!r) return false;
  *err = 0;
  if (key >= PTHREAD_KEYS_MAX) {
    *err = EINVAL;
    return true;
  }
  if (key >= r->specific.size()) r->specific.resize(key + 1);
  r->specific[key] = const_cast<void*>(value);
  return true;
}

}  // namespace greenring::detail::gp
