// trace.hpp: entry point of `greenring trace`, the tools that read a trace file.
#pragma once

namespace greenring::cli {

// argv holds the words after "trace". Returns the process exit status: 0 done, 1 the
// file cannot be read, 2 usage error, 3 the tool is not built yet.
int trace_command(int argc, char* const* argv);

}  // namespace greenring::cli
