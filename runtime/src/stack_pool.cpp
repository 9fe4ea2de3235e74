// StackPool: mapping, guard pages, canaries, the overflow report.
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
#include "sys.hpp"

namespace greenring::detail {
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kGuardBudget = 16384;  // 2 mappings each; max_map_count is 65530
constexpr std::size_t kSlab = 32;             // unguarded stacks mapped together
constexpr uint64_t kCanary = 0x6772656e72696e67ULL;  // "grenring"
constexpr std::size_t kAltStack = 64 * 1024;

struct SizeClass {
  std::size_t size;
  std::vector<void*> free;  // stack bases (lowest usable address)
};

sys::Mutex mu;
std::vector<SizeClass>* classes;  // never destroyed: stacks outlive static destructors
std::atomic<std::size_t> mapped{0};

// Guard pages, append-only, read without a lock by the SIGSEGV handler.
std::atomic<uintptr_t> guards[kGuardBudget];
std::atomic<std::size_t> guard_count{0};
std::atomic<std::size_t> guard_stack_size{0};

struct sigaction previous_segv;
std::atomic<bool> handler_installed{false};

thread_local boost::context::stack_context last_stack{};

std::size_t round_up(std::size_t n) { return (n + kPage - 1) & ~(kPage - 1); }

[[noreturn]] void overflow_report(std::size_t size, const char* how) {
  char msg[256];
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
  std::size_t n = guard_count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    uintptr_t g = guards[i].load(std::memory_order_relaxed);
    if (addr >= g && addr < g + kPage) overflow_report(guard_stack_size.load(), "guard page hit");
  }
  // Not ours: hand it to whoever had SIGSEGV before, or die the default way.
  if (previous_segv.sa_flags & SA_SIGINFO) {
    if (previous_segv.sa_sigaction) return previous_segv.sa_sigaction(sig, info, uctx);
  } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
    return previous_segv.sa_handler(sig);
  }
  signal(SIGSEGV, SIG_DFL);  // returning re-executes the fault, now fatal
}

void* map_or_die(std::size_t len) {
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                 -1, 0);
  if (p == MAP_FAILED) {
    char msg[160];
    snprintf(msg, sizeof msg, "greenring: cannot map %zu KiB for green-thread stacks: %s", len / 1024,
             strerror(errno));
    sys::die_line(msg);
  }
  // Huge pages would turn every touched stack into 2 MiB of RSS.
  madvise(p, len, MADV_NOHUGEPAGE);
  return p;
}

// Maps new stacks of `size` bytes into c.free; called with mu held.
void grow(SizeClass& c) {
  std::size_t g = guard_count.load(std::memory_order_relaxed);
  if (g < kGuardBudget && (g == 0 || guard_stack_size.load() == c.size)) {
    // One mapping per guarded stack: [guard page][stack].
    char* base = static_cast<char*>(map_or_die(c.size + kPage));
    mprotect(base, kPage, PROT_NONE);
    guard_stack_size.store(c.size);
    guards[g].store(reinterpret_cast<uintptr_t>(base), std::memory_order_relaxed);
    guard_count.store(g + 1, std::memory_order_release);
    c.free.push_back(base + kPage);
    mapped.fetch_add(1);
    return;
  }
  char* base = static_cast<char*>(map_or_die(c.size * kSlab));
  for (std::size_t i = 0; i < kSlab; ++i) c.free.push_back(base + i * c.size);
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
  // The canary sits at the lowest usable word: the last thing an overflow
  // overwrites before it leaves the stack.
  *static_cast<uint64_t*>(base) = kCanary;
  boost::context::stack_context sc;
  sc.size = size;
  sc.sp = static_cast<char*>(base) + size;
  last_stack = sc;
  return sc;
}

void StackPool::deallocate(boost::context::stack_context& sc) noexcept {
  void* base = static_cast<char*>(sc.sp) - sc.size;
  if (*static_cast<uint64_t*>(base) != kCanary)
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
    sigaction(SIGSEGV, &sa, &previous_segv);
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
