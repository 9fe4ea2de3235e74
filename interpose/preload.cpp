// preload: the library's start-up. Validates the GREENRING_* environment
// (one line and no start on a bad value, as the launcher does), applies
// --no-inherit, then turns the hooks on.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "env_spec.hpp"
#include "hook.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

extern char** environ;

namespace greenring::interpose {
namespace {

std::atomic<bool> on{false};
bool threads_green = true;

void validate_environment() {
  for (char** e = environ; e && *e; ++e) {
    if (strncmp(*e, "GREENRING_", 10) != 0) continue;
    const char* eq = strchr(*e, '=');
    if (!eq) continue;
    char name[64];
    size_t n = static_cast<size_t>(eq - *e);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, *e, n);
    name[n] = '\0';
    if (!envspec::find(name)) continue;  // other tools' variables are not ours to judge
    char msg[512] = "greenring: ";
    if (!envspec::check(name, eq + 1, msg + 11, sizeof msg - 11)) sys::die_line(msg);
  }
}

// --no-inherit: this program runs under the shim, the programs it starts do
// not. Remove our entry from LD_PRELOAD before anything can exec.
void drop_from_ld_preload() {
  const char* v = getenv("LD_PRELOAD");
  if (!v) return;
  char out[4096];
  size_t len = 0;
  const char* p = v;
  while (*p) {
    while (*p == ':' || *p == ' ') ++p;
    const char* start = p;
    while (*p && *p != ':' && *p != ' ') ++p;
    size_t n = static_cast<size_t>(p - start);
    if (n == 0) continue;
    bool ours = n >= 24 && memcmp(p - 24, "libgreenring-preload.so", 23) == 0;
    ours = ours || (n >= 23 && memcmp(p - 23, "libgreenring-preload.so", 23) == 0);
    if (ours || len + n + 2 >= sizeof out) continue;
    if (len) out[len++] = ':';
    memcpy(out + len, start, n);
    len += n;
  }
  out[len] = '\0';
  if (len) {
    setenv("LD_PRELOAD", out, 1);
  } else {
    unsetenv("LD_PRELOAD");
  }
}

__attribute__((constructor(101))) void start() {
  validate_environment();
  const char* no_inherit = getenv("GREENRING_NO_INHERIT");
  if (no_inherit && strcmp(no_inherit, "1") == 0) drop_from_ld_preload();
  const char* mode = getenv("GREENRING_THREADS");
  threads_green = !mode || strcmp(mode, "native") != 0;
  if (threads_green) greenring::detail::Scheduler::enable_deadlock_report();
  on.store(true, std::memory_order_release);
}

}  // namespace

bool enabled() noexcept { return on.load(std::memory_order_relaxed); }
bool green_mode() noexcept { return threads_green && enabled(); }

void missing_original(const char* name) {
  char msg[160];
  snprintf(msg, sizeof msg, "greenring: the C library has no %s; cannot interpose it", name);
  sys::die_line(msg);
}

void chk_fail() {
  sys::say_line("*** buffer overflow detected ***: terminated");
  abort();
}

}  // namespace greenring::interpose
