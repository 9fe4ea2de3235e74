// Config: environment parsing and validation, with the launcher's table.
#include "config.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "env_spec.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {

const char* get(const char* name) {
  const char* v = getenv(name);
  if (!v || !*v) return nullptr;
  char msg[512] = "greenring: ";
  if (!envspec::check(name, v, msg + 11, sizeof msg - 11)) sys::die_line(msg);
  return v;
}

template <class E>
E pick(const char* v, std::initializer_list<const char*> names) {
  int i = 0;
  for (const char* n : names) {
    if (strcmp(v, n) == 0) return static_cast<E>(i);
    ++i;
  }
  return static_cast<E>(0);  // unreachable: get() validated v
}

Config load() {
  Config c;
  if (const char* v = get("GREENRING_STACK_SIZE")) c.stack_size = static_cast<std::size_t>(*envspec::parse_stack_size(v));
  if (const char* v = get("GREENRING_LOG")) c.log = pick<LogLevel>(v, {"error", "warn", "info", "debug", "trace"});
  if (const char* v = get("GREENRING_SCHED")) c.sched = pick<SchedKind>(v, {"fifo", "random", "pct"});
  if (const char* v = get("GREENRING_SEED")) c.seed = strtoull(v, nullptr, 10);
  if (const char* v = get("GREENRING_DEPTH")) c.depth = static_cast<unsigned>(strtoul(v, nullptr, 10));
  if (const char* v = get("GREENRING_TRACE")) c.trace = v;
  if (const char* v = get("GREENRING_STATS")) c.stats = strcmp(v, "1") == 0;
  if (const char* v = get("GREENRING_BLOCK_MS")) c.block_ms = static_cast<unsigned>(strtoul(v, nullptr, 10));
  if (const char* v = get("GREENRING_STRICT")) c.strict = strcmp(v, "1") == 0;
  return c;
}

}  // namespace

const Config& config() {
  static const Config c = load();
  return c;
}

}  // namespace greenring::detail
