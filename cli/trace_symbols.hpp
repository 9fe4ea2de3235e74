// trace_symbols.hpp: turning the call sites of a trace into source locations with
// addr2line (binutils), one run per module with all of its offsets at once.
#pragma once

#include "trace_model.hpp"

#include <string>
#include <vector>

namespace greenring::cli::trace {

// One text per entry of t.strings: for a call site that addr2line can place,
// "function (file:line)" (the file relative to the current directory when it lies below
// it); for anything else, the text as written. Sites whose module is not a readable file
// here, and every site when addr2line is not installed, stay as written.
std::vector<std::string> resolve_sites(const trace& t);

}  // namespace greenring::cli::trace
