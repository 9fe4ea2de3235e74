// Config: the runtime's settings, read once from the GREENRING_* environment.
// A bad value stops the program with one line naming the variable and the
// accepted values (DESIGN §3), before any green thread runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace greenring::detail {

enum class LogLevel { error, warn, info, debug, trace };
enum class SchedKind { fifo, random, pct };

struct Config {
  std::size_t stack_size = 256 * 1024;
  LogLevel log = LogLevel::warn;
  unsigned offload_threads = 4;
  SchedKind sched = SchedKind::fifo;
  uint64_t seed = 0;
  unsigned depth = 3;
  std::string trace;       // GREENRING_TRACE: where this process writes its trace
  bool stats = false;      // GREENRING_STATS=1
  unsigned block_ms = 0;   // GREENRING_BLOCK_MS: watchdog threshold, 0 = off
  bool strict = false;     // GREENRING_STRICT=1: every yield is an error
};

const Config& config();

}  // namespace greenring::detail
