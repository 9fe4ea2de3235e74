// options.cpp: parsing and validation of the launcher's command line, and its usage text.
#include "options.hpp"

#include "env_spec.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <span>

namespace greenring::cli {

namespace {

struct option_spec {
    const char* name;
    bool takes_value;
    const char* env;       // the variable it sets (run) or whose rules it borrows
    const char* accepted;  // overrides the env table's description when set
};

constexpr option_spec run_specs[] = {
    {"--threads", true, "GREENRING_THREADS", nullptr},
    {"--sched", true, "GREENRING_SCHED", nullptr},
    {"--seed", true, "GREENRING_SEED", nullptr},
    {"--depth", true, "GREENRING_DEPTH", nullptr},
    {"--trace", true, "GREENRING_TRACE", "a file path (FILE.json)"},
    {"--stats", false, "GREENRING_STATS", nullptr},
    {"--block-ms", true, "GREENRING_BLOCK_MS", nullptr},
    {"--strict", false, "GREENRING_STRICT", nullptr},
    {"--stack-size", true, "GREENRING_STACK_SIZE", nullptr},
    {"--log", true, "GREENRING_LOG", nullptr},
    {"--no-inherit", false, "GREENRING_NO_INHERIT", nullptr},
};

constexpr std::uint64_t max_runs = 1000000000;

constexpr option_spec explore_specs[] = {
    {"--runs", true, nullptr, "integers 1..1000000000"},
    // fifo is deterministic: every seed would replay the same schedule.
    {"--sched", true, nullptr, "random, pct"},
    {"--depth", true, "GREENRING_DEPTH", nullptr},
    {"--timeout", true, nullptr, "seconds > 0 such as 30 or 0.5, or 0 for no timeout"},
};

std::string accepted_for(const option_spec& spec) {
    if (spec.accepted != nullptr) return spec.accepted;
    if (const auto* var = envspec::find(spec.env)) {
        char buf[256];
        envspec::describe_accepted(*var, buf, sizeof buf);
        return buf;
    }
    return {};
}

std::string option_list(std::span<const option_spec> specs) {
    std::string list;
    for (const auto& spec : specs) {
        list += spec.name;
        list += ", ";
    }
    return list + "--help, --";
}

std::string bad_value(const option_spec& spec, std::string_view value) {
    return "bad value '" + printable(value) + "' for " + spec.name + " (accepted: " +
           accepted_for(spec) + ")";
}

// Walks the options of one subcommand, handing each (spec, value) to `apply`, which
// returns an error message or nullopt. Stops at "--" or, leniently, at the first word
// that is not an option; the command must follow.
template <class Apply>
parse_result scan(const char* subcommand, std::span<const option_spec> specs, int argc,
                  char* const* argv, std::vector<std::string>& command, Apply&& apply) {
    auto fail = [](std::string message) {
        return parse_result{parse_status::error, std::move(message)};
    };
    int i = 0;
    while (i < argc) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "-h" || arg == "--help") return {parse_status::help, {}};
        if (arg.empty() || arg[0] != '-') break;

        const auto eq = arg.find('=');
        const std::string_view name = arg.substr(0, eq);
        const option_spec* spec = nullptr;
        for (const auto& candidate : specs)
            if (name == candidate.name) spec = &candidate;
        if (spec == nullptr)
            return fail(std::string(subcommand) + ": unknown option '" + printable(arg) +
                        "' (accepted: " + option_list(specs) + ")");

        std::string value;
        if (eq != std::string_view::npos) {
            if (!spec->takes_value)
                return fail(std::string(spec->name) + " takes no value, got '" +
                            printable(arg) + "' (accepted: " + spec->name + " alone)");
            value = arg.substr(eq + 1);
        } else if (spec->takes_value) {
            // "--trace --stats" is far more likely a forgotten value than a file name
            // starting with dashes; such a name can still be given as --trace=--stats.
            if (i + 1 >= argc || std::string_view(argv[i + 1]).starts_with("--"))
                return fail(std::string(spec->name) + " needs a value (accepted: " +
                            accepted_for(*spec) + ")");
            value = argv[++i];
        }
        if (auto error = apply(*spec, value)) return fail(std::move(*error));
        ++i;
    }
    if (i >= argc)
        return fail(std::string(subcommand) + ": missing command (accepted: greenring " +
                    subcommand + " [OPTIONS] -- CMD [ARGS...])");
    command.assign(argv + i, argv + argc);
    return {};
}

// The program may chdir before it writes its trace at exit; pinning the path now makes
// the file land where the user meant.
std::string absolute_path(const std::string& path) {
    if (path.starts_with('/')) return path;
    std::string cwd(4096, '\0');
    while (getcwd(cwd.data(), cwd.size()) == nullptr) {
        if (errno != ERANGE) return path;
        cwd.resize(cwd.size() * 2);
    }
    cwd.resize(cwd.find('\0'));
    return cwd + (cwd.ends_with('/') ? "" : "/") + path;
}

// Seconds as plain decimal digits with an optional fraction: strtod alone would also
// take "inf", "nan", hex floats and leading blanks.
std::optional<double> parse_seconds(const std::string& text) {
    bool digit = false;
    bool dot = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            digit = true;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return std::nullopt;
        }
    }
    if (!digit) return std::nullopt;
    const double seconds = std::strtod(text.c_str(), nullptr);
    // A timeout beyond ~30 years is surely a typo, and it keeps deadline arithmetic finite.
    if (!std::isfinite(seconds) || seconds > 1e9) return std::nullopt;
    return seconds;
}

}  // namespace

std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    constexpr std::size_t limit = 200;
    std::string out;
    for (char ch : text.substr(0, limit)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    if (text.size() > limit) out += "...";
    return out;
}

parse_result parse_run(int argc, char* const* argv, run_options& out) {
    return scan("run", run_specs, argc, argv, out.command,
                [&](const option_spec& spec,
                    const std::string& value) -> std::optional<std::string> {
                    std::string setting = value;
                    if (!spec.takes_value) {
                        setting = "1";
                    } else if (!envspec::accepts(*envspec::find(spec.env), value.c_str())) {
                        return bad_value(spec, value);
                    } else if (std::string_view(spec.name) == "--stack-size") {
                        // Normalized so the child sees one unambiguous number of bytes.
                        setting = std::to_string(*envspec::parse_stack_size(value));
                    } else if (std::string_view(spec.name) == "--trace") {
                        setting = absolute_path(value);
                    }
                    for (auto& [name, existing] : out.env) {
                        if (name == spec.env) {
                            existing = setting;
                            return std::nullopt;
                        }
                    }
                    out.env.emplace_back(spec.env, setting);
                    return std::nullopt;
                });
}

parse_result parse_explore(int argc, char* const* argv, explore_options& out) {
    return scan("explore", explore_specs, argc, argv, out.command,
                [&](const option_spec& spec,
                    const std::string& value) -> std::optional<std::string> {
                    const std::string_view name = spec.name;
                    if (name == "--runs") {
                        std::uint64_t n = 0;
                        if (!envspec::parse_unsigned(value, n) || n == 0 || n > max_runs)
                            return bad_value(spec, value);
                        out.runs = n;
                    } else if (name == "--sched") {
                        if (value != "random" && value != "pct") return bad_value(spec, value);
                        out.sched = value;
                    } else if (name == "--depth") {
                        std::uint64_t n = 0;
                        if (!envspec::accepts(*envspec::find(spec.env), value.c_str()) ||
                            !envspec::parse_unsigned(value, n))
                            return bad_value(spec, value);
                        out.depth = n;
                    } else if (name == "--timeout") {
                        auto seconds = parse_seconds(value);
                        if (!seconds) return bad_value(spec, value);
                        out.timeout = *seconds;
                        out.timeout_text = value;
                    }
                    return std::nullopt;
                });
}

void print_usage(std::FILE* out) {
    std::fputs(
        "usage: greenring run [OPTIONS] -- CMD [ARGS...]\n"
        "       greenring explore [OPTIONS] -- CMD [ARGS...]\n"
        "       greenring trace summary|svg FILE.json\n"
        "       greenring --version | --help\n"
        "\n"
        "run: run CMD with libgreenring-preload.so, its blocking calls turned into green\n"
        "thread switches; the exit status is CMD's (128+N if signal N killed it).\n"
        "  --threads green|native  pthread_create makes green threads (default) or OS threads\n"
        "  --sched fifo|random|pct scheduling policy: fifo (default), seeded random, or PCT\n"
        "  --seed N                seed of the random and pct policies (unsigned integer)\n"
        "  --depth D               number of pct priority-change points (positive integer)\n"
        "  --trace FILE.json       write a Chrome trace-event file (Perfetto, chrome://tracing)\n"
        "  --stats                 print a table of yield sites by count at exit\n"
        "  --block-ms MS           report a green thread that runs MS ms without yielding\n"
        "  --strict                make every yield an error: abort at the first one, naming the call and its site\n"
        "  --stack-size BYTES      green thread stack size, 16k..1024M (e.g. 65536, 64k, 1M)\n"
        "  --log LEVEL             log level: error, warn, info, debug or trace\n"
        "  --no-inherit            programs that CMD executes run without greenring\n"
        "\n"
        "explore: run CMD under seeds 1..N, each in a fresh process; stop at the first\n"
        "failing run (non-zero exit, signal, timeout) and print the command that replays it.\n"
        "  --runs N                number of seeds to try (default 100)\n"
        "  --sched random|pct      policy to explore (default random)\n"
        "  --depth D               pct depth (default 3)\n"
        "  --timeout S             a run lasting over S seconds fails (default 30, 0 = none)\n"
        "\n"
        "trace: read a trace written by run --trace.\n"
        "  summary FILE.json       print per-green-thread and per-yield-site totals\n"
        "  svg FILE.json           draw the schedule as an SVG timeline\n"
        "\n"
        "Options also take the form --opt=VALUE. The GREENRING_* variables that run sets\n"
        "can be used directly with LD_PRELOAD; GREENRING_PRELOAD=/path overrides where the\n"
        "launcher looks for libgreenring-preload.so. Exit status 2 means a usage error,\n"
        "126 and 127 that CMD cannot be executed or was not found.\n",
        out);
}

}  // namespace greenring::cli
