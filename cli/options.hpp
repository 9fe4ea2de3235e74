// options.hpp: command-line parsing for the greenring launcher: what `run` and `explore`
// accept, how a bad argument is reported, and the usage text.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace greenring::cli {

struct run_options {
    // GREENRING_* variables to set, in command-line order (a repeated option: last wins).
    std::vector<std::pair<std::string, std::string>> env;
    std::vector<std::string> command;
};

struct explore_options {
    std::uint64_t runs = 100;
    std::string sched = "random";
    std::uint64_t depth = 3;
    double timeout = 30;              // seconds; 0 means no timeout
    std::string timeout_text = "30";  // as typed, so messages echo what the user wrote
    std::vector<std::string> command;
};

enum class parse_status { ok, help, error };

struct parse_result {
    parse_status status = parse_status::ok;
    std::string error;  // one line, without the "greenring: " prefix
};

// argv holds the words after the subcommand name.
parse_result parse_run(int argc, char* const* argv, run_options& out);
parse_result parse_explore(int argc, char* const* argv, explore_options& out);

void print_usage(std::FILE* out);

// A user-supplied word made safe for a one-line message (control characters escaped,
// very long words shortened).
std::string printable(std::string_view text);

}  // namespace greenring::cli
