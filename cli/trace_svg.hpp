// trace_svg.hpp: `greenring trace svg`: a self-contained SVG timeline of a trace, one lane
// per green thread, one bar per run interval, labelled with what ended it.
#pragma once

#include "trace_model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace greenring::cli::trace {

// sites: the text to show for each entry of t.strings (see resolve_sites).
std::string svg(const trace& t, const std::vector<std::string>& sites, std::string_view file_name);

}  // namespace greenring::cli::trace
