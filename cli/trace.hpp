// trace.hpp: entry point of `greenring trace`, the tools that read a trace file.
#pragma once

namespace greenring::cli {

// argv holds the words after "trace". Returns the process exit status: 0 done, 1 the file
// cannot be read or is not a well-formed greenring trace, 2 usage error.
int trace_command(int argc, char* const* argv);

}  // namespace greenring::cli
