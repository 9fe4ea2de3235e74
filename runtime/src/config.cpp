// Config: environment parsing and validation.
#include "config.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sys.hpp"

namespace greenring::detail {
namespace {

constexpr std::size_t kMinStack = 16 * 1024;
constexpr std::size_t kMaxStack = std::size_t{1} << 30;

[[noreturn]] void bad(const char* name, const char* value, const char* accepted) {
  char msg[512];
  snprintf(msg, sizeof msg, "greenring: %s=%s: accepted values are %s", name, value, accepted);
  sys::die_line(msg);
}

Config load() {
  Config c;
  if (const char* v = getenv("GREENRING_STACK_SIZE"); v && *v) {
    auto n = parse_size(v);
    if (!n || *n < kMinStack || *n > kMaxStack)
      bad("GREENRING_STACK_SIZE", v, "a size in bytes from 16k to 1G (e.g. 65536, 256k, 1M)");
    c.stack_size = *n;
  }
  if (const char* v = getenv("GREENRING_LOG"); v && *v) {
    static const char* names[] = {"error", "warn", "info", "debug", "trace"};
    bool ok = false;
    for (int i = 0; i < 5; ++i)
      if (strcmp(v, names[i]) == 0) {
        c.log = static_cast<LogLevel>(i);
        ok = true;
      }
    if (!ok) bad("GREENRING_LOG", v, "error, warn, info, debug, trace");
  }
  return c;
}

}  // namespace

std::optional<std::size_t> parse_size(const char* text) {
  if (!text || !isdigit(static_cast<unsigned char>(*text))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = strtoull(text, &end, 10);
  if (errno) return std::nullopt;
  std::size_t mult = 1;
  if (*end == 'k' || *end == 'K') {
    mult = 1024;
    ++end;
  } else if (*end == 'm' || *end == 'M') {
    mult = 1024 * 1024;
    ++end;
  } else if (*end == 'g' || *end == 'G') {
    mult = 1024 * 1024 * 1024;
    ++end;
  }
  if (mult > 1 && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)) end += strlen(end);
  if (*end) return std::nullopt;
  if (n > (~std::size_t{0}) / mult) return std::nullopt;
  return static_cast<std::size_t>(n) * mult;
}

const Config& config() {
  static const Config c = load();
  return c;
}

}  // namespace greenring::detail
