// Config: environment parsing and validation.
#include "config.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "env_spec.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {


[[noreturn]] void bad(const char* name, const char* value) {
  char msg[512] = "greenring: ";
  envspec::check(name, value, msg + 11, sizeof msg - 11);
  sys::die_line(msg);
}

Config load() {
  Config c;
  if (const char* v = getenv("GREENRING_STACK_SIZE"); v && *v) {
    auto n = envspec::parse_stack_size(v);
    if (!n) bad("GREENRING_STACK_SIZE", v);
    c.stack_size = static_cast<std::size_t>(*n);
  }
  if (const char* v = getenv("GREENRING_LOG"); v && *v) {
    static const char* names[] = {"error", "warn", "info", "debug", "trace"};
    bool ok = false;
    for (int i = 0; i < 5; ++i)
      if (strcmp(v, names[i]) == 0) {
        c.log = static_cast<LogLevel>(i);
        ok = true;
      }
    if (!ok) bad("GREENRING_LOG", v);
  }
  return c;
}

}  // namespace

const Config& config() {
  static const Config c = load();
  return c;
}

}  // namespace greenring::detail
