// death_test: ways the runtime ends a program, each checked in a fresh process.
// The runtime reads its configuration once per process, so every test here
// uses the "threadsafe" death-test style: the child re-executes this binary
// and runs only that test, and sets its environment before the runtime first
// reads it. Nothing outside the death statements touches the runtime.
#include <greenring/greenring.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "stack_pool.hpp"  // white-box: StackPool::default_size

namespace {

using namespace std::chrono_literals;

struct DeathTest : ::testing::Test {
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// Exited normally with a status other than 0.
bool exited_non_zero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) != 0; }

// Killed by SIGSEGV (or the handler's _exit(139) fallback).
bool died_of_segv(int status) {
  return (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) || (WIFEXITED(status) && WEXITSTATUS(status) == 139);
}

// Exactly one line on stderr that starts with "greenring: " followed by `rest`.
// (POSIX extended regex; ^ and $ anchor the whole captured stderr.)
std::string one_line(const std::string& rest) { return "^greenring: " + rest + "[^\n]*\n$"; }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"  // on purpose: it ends in the guard page
__attribute__((noinline)) int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  asm volatile("" : : "r"(frame) : "memory");
  return recurse(depth + 1) + frame[0];  // not a tail call
}
#pragma GCC diagnostic pop

TEST_F(DeathTest, StackOverflowIsReportedByNameWithTheVariableToRaise) {
  EXPECT_EXIT(
      {
        setenv("GREENRING_STACK_SIZE", "64k", 1);
        if (greenring::detail::StackPool::default_size() != 64 * 1024) {
          fprintf(stderr, "the runtime read its configuration before the test set it\n");
          _exit(0);
        }
        auto t = greenring::spawn([] { recurse(0); });
        t.join();
        _exit(0);
      },
      died_of_segv, "greenring: stack overflow in a green thread \\(64 KiB stack.*GREENRING_STACK_SIZE");
}

TEST_F(DeathTest, UncaughtExceptionNamesTheGreenThreadAndTheMessage) {
  EXPECT_EXIT(
      {
        auto t = greenring::spawn([] { throw std::runtime_error("kaboom 42"); });
        t.join();
        _exit(0);
      },
      ::testing::KilledBySignal(SIGABRT), "green thread [0-9]+ ended by an uncaught [^ ]*runtime_error[^ ]*: kaboom 42");
}

__attribute__((noinline)) size_t use_stack(size_t bytes) {
  volatile char frame[4096];
  for (size_t i = 0; i < sizeof frame; i += 512) frame[i] = static_cast<char>(i);
  if (bytes <= sizeof frame) return frame[0] + frame[512];
  return use_stack(bytes - sizeof frame) + frame[1024];
}

TEST_F(DeathTest, StackSizeFromTheEnvironmentIsUsed) {
  EXPECT_EXIT(
      {
        setenv("GREENRING_STACK_SIZE", "1M", 1);
        if (greenring::detail::StackPool::default_size() != 1024 * 1024) {
          fprintf(stderr, "default_size() is %zu\n", greenring::detail::StackPool::default_size());
          _exit(1);
        }
        bool done = false;
        // Well past the 256 KiB default: only fits if the setting took effect
        // (otherwise the guard page ends the child with the overflow report).
        auto t = greenring::spawn([&] {
          use_stack(700 * 1024);
          done = true;
        });
        t.join();
        _exit(done ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(DeathTest, BadStackSizeIsOneClearLine) {
  EXPECT_EXIT(
      {
        setenv("GREENRING_STACK_SIZE", "lots", 1);
        auto t = greenring::spawn([] {});
        t.join();
        _exit(0);
      },
      exited_non_zero, one_line("GREENRING_STACK_SIZE=lots: accepted values are "));
}

TEST_F(DeathTest, StackSizeBelowTheMinimumIsOneClearLine) {
  EXPECT_EXIT(
      {
        setenv("GREENRING_STACK_SIZE", "4k", 1);
        auto t = greenring::spawn([] {});
        t.join();
        _exit(0);
      },
      exited_non_zero, one_line("GREENRING_STACK_SIZE=4k: accepted values are "));
}

TEST_F(DeathTest, BadLogLevelIsOneClearLine) {
  EXPECT_EXIT(
      {
        setenv("GREENRING_LOG", "loud", 1);
        auto t = greenring::spawn([] {});
        t.join();
        _exit(0);
      },
      exited_non_zero, one_line("GREENRING_LOG=loud: accepted values are error, warn, info, debug, trace"));
}

// Makes io_uring_setup fail with `err` for this thread (and its children).
void forbid_io_uring(int err) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
#if defined(__x86_64__)
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
#elif defined(__aarch64__)
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 1, 0),
#endif
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    fprintf(stderr, "cannot install the seccomp filter: %s\n", strerror(errno));
    _exit(0);
  }
}

TEST_F(DeathTest, RingSetUpForbiddenIsOneClearLine) {
  EXPECT_EXIT(
      {
        forbid_io_uring(EPERM);
        greenring::sleep_for(1ms);  // first use: the scheduler builds its ring
        _exit(0);
      },
      exited_non_zero, one_line("cannot set up io_uring: io_uring is forbidden here \\(EPERM"));
}

TEST_F(DeathTest, RingSetUpWithoutKernelSupportIsOneClearLine) {
  EXPECT_EXIT(
      {
        forbid_io_uring(ENOSYS);
        auto t = greenring::spawn([] {});
        t.join();
        _exit(0);
      },
      exited_non_zero, one_line("cannot set up io_uring: the kernel has no io_uring \\(ENOSYS\\)"));
}

TEST_F(DeathTest, ExitWhileADetachedGreenThreadIsParkedDoesNotHang) {
  // A detached green thread parked forever must not keep the process from
  // exiting (Go's and eventlet's semantics; the header promises spawn_n).
  EXPECT_EXIT(
      {
        alarm(3);  // a hang becomes "killed by signal 14"
        static int p[2];
        if (pipe(p) != 0) _exit(3);
        greenring::spawn([] {
          char c;
          greenring::io::read(p[0], &c, 1);
        }).detach();
        greenring::yield();  // the green thread is parked in read
        exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
