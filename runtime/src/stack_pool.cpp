// StackPool: stacks are carved from slabs, [guard page][stack] each, and
// kept on per-size free lists. On kernels with MADV_GUARD_INSTALL (6.13+)
// every stack gets a guard page at no mapping cost; elsewhere guard pages
// come from mprotect, which splits the mapping, so only the first
// kGuardBudget stacks get one and the rest carry a canary word instead.
#include "stack_pool.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "config.hpp"
#include "libc.hpp"
#include "sys.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define GREENRING_LSAN 1
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace greenring::detail {
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kGuardBudget = 16384;  // mprotect guards: 2 mappings each; max_map_count is 65530
constexpr std::size_t kSlab = 32;             // stacks mapped together
constexpr std::size_t kMaxSlabs = 1 << 16;
constexpr uint64_t kCanary = 0x6772656e72696e67ULL;  // "grenring"
constexpr std::size_t kAltStack = 64 * 1024;

struct SizeClass {
  std::size_t size;
  std::vector<void*> free;  // stack bases (lowest usable address)
};

// Read without a lock by the SIGSEGV handler: append-only.
struct Slab {
  std::atomic<uintptr_t> base{0};
  std::atomic<std::size_t> stride{0};
};

sys::Mutex mu;
std::vector<SizeClass>* classes;  // never destroyed: stacks outlive static destructors
std::atomic<std::size_t> mapped{0};
Slab slabs[kMaxSlabs];
std::atomic<std::size_t> slab_count{0};
std::size_t mprotect_guards = 0;
// 1: MADV_GUARD_INSTALL works; 0: it does not; -1: not tried yet.
int madvise_guards = -1;
// Every stack handed out so far is guarded: no canaries needed.
std::atomic<bool> all_guarded{true};

GREENRING_TLS boost::context::stack_context last_stack{};

struct sigaction previous_segv;
std::atomic<bool> handler_installed{false};

std::size_t round_up(std::size_t n) { return (n + kPage - 1) & ~(kPage - 1); }

[[noreturn]] void overflow_report(std::size_t size, const char* how) {
  char msg[320];
  snprintf(msg, sizeof msg,
           "greenring: stack overflow in a green thread (%zu KiB stack, %s); raise "
           "GREENRING_STACK_SIZE (now %zu), e.g. GREENRING_STACK_SIZE=%zu",
           size / 1024, how, StackPool::default_size(), StackPool::default_size() * 4);
  sys::say_line(msg);
  signal(SIGSEGV, SIG_DFL);
  raise(SIGSEGV);
  _exit(139);
}

void on_segv(int sig, siginfo_t* info, void* uctx) {
  auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  std::size_t n = slab_count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    uintptr_t base = slabs[i].base.load(std::memory_order_relaxed);
    std::size_t stride = slabs[i].stride.load(std::memory_order_relaxed);
    if (addr >= base && addr < base + stride * kSlab && (addr - base) % stride < kPage)
      overflow_report(stride - kPage, "guard page hit");
  }
  // Not ours: hand it to whoever had SIGSEGV before, or die the default way.
  if (previous_segv.sa_flags & SA_SIGINFO) {
    if (previous_segv.sa_sigaction) return previous_segv.sa_sigaction(sig, info, uctx);
  } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
    return previous_segv.sa_handler(sig);
  }
  signal(SIGSEGV, SIG_DFL);  // returning re-executes the fault, now fatal
}

bool guard(char* page) {
  if (madvise_guards != 0) {
    if (madvise(page, kPage, MADV_GUARD_INSTALL) == 0) {
      madvise_guards = 1;
      return true;
    }
    madvise_guards = 0;
  }
  if (mprotect_guards < kGuardBudget && mprotect(page, kPage, PROT_NONE) == 0) {
    ++mprotect_guards;
    return true;
  }
  return false;
}

// Maps kSlab new stacks of c.size bytes into c.free; called with mu held.
void grow(SizeClass& c) {
  std::size_t stride = c.size + kPage;
  std::size_t len = stride * kSlab;
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) {
    char msg[160];
    snprintf(msg, sizeof msg, "greenring: cannot map %zu KiB for green-thread stacks: %s", len / 1024,
             strerror(errno));
    sys::die_line(msg);
  }
  // Huge pages would turn every touched stack into 2 MiB of RSS.
  madvise(p, len, MADV_NOHUGEPAGE);
  auto* base = static_cast<char*>(p);
#ifdef GREENRING_LSAN
  // Green threads still parked at exit hold their objects on these stacks:
  // LeakSanitizer must scan them, as it scans OS thread stacks.
  for (std::size_t i = 0; i < kSlab; ++i) __lsan_register_root_region(base + i * stride + kPage, c.size);
#endif
  for (std::size_t i = kSlab; i-- > 0;) {
    char* g = base + i * stride;
    if (!guard(g)) all_guarded.store(false, std::memory_order_relaxed);
    c.free.push_back(g + kPage);
  }
  std::size_t n = slab_count.load(std::memory_order_relaxed);
  if (n < kMaxSlabs) {
    slabs[n].base.store(reinterpret_cast<uintptr_t>(base), std::memory_order_relaxed);
    slabs[n].stride.store(stride, std::memory_order_relaxed);
    slab_count.store(n + 1, std::memory_order_release);
  }
  mapped.fetch_add(kSlab);
}

}  // namespace

std::size_t StackPool::default_size() {
  static const std::size_t size = round_up(config().stack_size);
  return size;
}

boost::context::stack_context StackPool::allocate(std::size_t size) {
  size = round_up(size < 4 * kPage ? 4 * kPage : size);
  void* base;
  {
    sys::LockGuard lock(mu);
    if (!classes) classes = new std::vector<SizeClass>();
    SizeClass* c = nullptr;
    for (auto& k : *classes)
      if (k.size == size) c = &k;
    if (!c) c = &classes->emplace_back(SizeClass{size, {}});
    if (c->free.empty()) grow(*c);
    base = c->free.back();
    c->free.pop_back();
  }
  // Without guard pages a canary at the lowest word is the last thing an
  // overflow overwrites. With them, no write: touching the bottom page
  // would cost a page of RSS per green thread.
  if (!all_guarded.load(std::memory_order_relaxed)) *static_cast<uint64_t*>(base) = kCanary;
  boost::context::stack_context sc;
  sc.size = size;
  sc.sp = static_cast<char*>(base) + size;
  last_stack = sc;
  return sc;
}

void StackPool::deallocate(boost::context::stack_context& sc) noexcept {
  void* base = static_cast<char*>(sc.sp) - sc.size;
  if (!all_guarded.load(std::memory_order_relaxed) && *static_cast<uint64_t*>(base) != kCanary)
    overflow_report(sc.size, "canary overwritten, found when the green thread ended");
  sys::LockGuard lock(mu);
  for (auto& k : *classes)
    if (k.size == sc.size) {
      k.free.push_back(base);
      return;
    }
}

void StackPool::prepare_thread() {
  // Per OS thread: the handler needs a stack of its own, the faulting one is full.
  stack_t ss{};
  if (sigaltstack(nullptr, &ss) == 0 && (ss.ss_flags & SS_DISABLE)) {
    ss.ss_sp = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss.ss_sp != MAP_FAILED) {
      ss.ss_size = kAltStack;
      ss.ss_flags = 0;
      sigaltstack(&ss, nullptr);
    }
  }
  bool expected = false;
  if (handler_installed.compare_exchange_strong(expected, true)) {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    libc::sigaction(SIGSEGV, &sa, &previous_segv);
  }
}

boost::context::stack_context StackPool::last_allocated() { return last_stack; }

std::size_t StackPool::mapped_count() { return mapped.load(); }

std::size_t StackPool::free_count() {
  sys::LockGuard lock(mu);
  std::size_t n = 0;
  if (classes)
    for (auto& k : *classes) n += k.free.size();
  return n;
}

}  // namespace greenring::detail
