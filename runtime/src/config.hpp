// Config: the runtime's settings, read once from the GREENRING_* environment.
// A bad value stops the program with one line naming the variable and the
// accepted values (DESIGN §3), before any green thread runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace greenring::detail {

enum class LogLevel { error, warn, info, debug, trace };

struct Config {
  std::size_t stack_size = 256 * 1024;
  LogLevel log = LogLevel::warn;
  unsigned offload_threads = 4;
};

const Config& config();

}  // namespace greenring::detail
