// trace_summary.hpp: `greenring trace summary`: the program facts, a table of yields by
// call site, and a table of green threads, as plain text for a terminal.
#pragma once

#include "trace_model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace greenring::cli::trace {

// sites: the text to show for each entry of t.strings (see resolve_sites).
std::string summary(const trace& t, const std::vector<std::string>& sites,
                    std::string_view file_name);

}  // namespace greenring::cli::trace
