// known_limits: checks that what docs/interposition.md lists as beyond the
// shim's reach really is, so the document cannot drift from the code. Each
// case runs a call in green thread A that waits ~0.4 s while green thread B
// only notes the time. A call the shim routes through the runtime parks A and
// lets B run at once; a call glibc makes internally (not through the PLT)
// blocks the whole OS thread and B runs only afterwards. The wait is ended
// by a child process, so a blocked OS thread cannot deadlock the test.
// Each line says whether B ran during A's call, next to what the document
// says; a mismatch fails. Runs only under the shim.
#include <greenring/greenring.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <functional>

#include "transcript.h"

namespace {

// Runs a in one green thread and notes when b, spawned second, first ran.
bool b_ran_during(const std::function<void()>& a) {
  long long a_end = 0, b_at = 0;
  auto ta = greenring::spawn([&] {
    a();
    a_end = t_now_ms();
  });
  auto tb = greenring::spawn([&] { b_at = t_now_ms(); });
  ta.join();
  tb.join();
  return b_at < a_end;
}

// A child process that, after `ms`, drains the pipe p (reads it to EOF) or
// writes `n` bytes into it.
pid_t helper(long ms, const int p[2], bool drain, size_t n) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = drain ? p[0] : p[1];
    close(drain ? p[1] : p[0]);
    t_msleep(ms);
    static char buf[65536];
    if (drain) {
      while (read(fd, buf, sizeof buf) > 0) {
      }
    } else {
      memset(buf, 'z', sizeof buf);
      while (n > 0) {
        ssize_t w = write(fd, buf, n < sizeof buf ? n : sizeof buf);
        if (w <= 0) break;
        n -= static_cast<size_t>(w);
      }
    }
    _exit(0);
  }
  return pid;
}

void expect(const char* what, bool parked, bool documented) {
  char label[256];
  snprintf(label, sizeof label, "%s: the other green thread ran during the call: %s (documented: %s)", what,
           parked ? "yes" : "no", documented ? "yes" : "no");
  t_check(label, parked == documented);
}

void stdio_write() {
  int p[2];
  if (pipe(p) != 0) exit(2);
  static char big[1 << 20];
  pid_t h = helper(400, p, true, 0);
  FILE* f = fdopen(p[1], "w");
  bool parked = b_ran_during([&] {
    fwrite(big, 1, sizeof big, f);
    fflush(f);
  });
  expect("fwrite+fflush of 1 MiB to a pipe (stdio's internal write)", parked, false);
  fclose(f);
  close(p[0]);
  waitpid(h, nullptr, 0);

  if (pipe(p) != 0) exit(2);
  h = helper(400, p, true, 0);
  parked = b_ran_during([&] {
    if (write(p[1], big, sizeof big) != (ssize_t)sizeof big) perror("write");
  });
  expect("write() of 1 MiB to the same kind of pipe (the hook)", parked, true);
  close(p[1]);
  close(p[0]);
  waitpid(h, nullptr, 0);
}

void stdio_read() {
  int p[2];
  if (pipe(p) != 0) exit(2);
  pid_t h = helper(400, p, false, 10);
  FILE* f = fdopen(p[0], "r");
  char buf[16];
  bool parked = b_ran_during([&] {
    if (fread(buf, 1, 10, f) != 10) perror("fread");
  });
  expect("fread of 10 bytes from an empty pipe (stdio's internal read)", parked, false);
  fclose(f);
  close(p[1]);
  waitpid(h, nullptr, 0);
}

void process_internals() {
  bool parked = b_ran_during([] {
    FILE* f = popen("sleep 0.4", "r");
    if (f) pclose(f);
  });
  expect("pclose of a command running 0.4 s (its internal waitpid)", parked, false);
  parked = b_ran_during([] { (void)system("sleep 0.4"); });
  expect("system(\"sleep 0.4\") (offloaded)", parked, true);
}

}  // namespace

int main(int argc, char** argv) {
  if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "libgreenring-preload")) {
    printf("known_limits runs under LD_PRELOAD=libgreenring-preload.so only\n");
    return T_SKIP;
  }
  t_start("known_limits", 25);
  if (t_want(argc, argv, "stdio_write")) stdio_write();
  if (t_want(argc, argv, "stdio_read")) stdio_read();
  if (t_want(argc, argv, "process")) process_internals();
  return t_end();
}
