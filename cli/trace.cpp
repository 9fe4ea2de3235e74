// trace.cpp: `greenring trace summary|svg FILE.json`: the command line, reading the file
// and reporting its errors; the tools themselves are trace_summary.cpp and trace_svg.cpp.
#include "trace.hpp"

#include "options.hpp"
#include "trace_json.hpp"
#include "trace_model.hpp"
#include "trace_summary.hpp"
#include "trace_svg.hpp"
#include "trace_symbols.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace greenring::cli {

namespace {

int usage_error(const std::string& message) {
    std::fprintf(stderr, "greenring: %s\n", message.c_str());
    return 2;
}

// Returns 0 when path is a readable file, else the errno that explains why not.
int unreadable(const char* path) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    struct stat st {};
    int error = 0;
    if (fstat(fd, &st) != 0)
        error = errno;
    else if (S_ISDIR(st.st_mode))
        error = EISDIR;
    close(fd);
    return error;
}

int file_error(const char* path, const std::string& message) {
    std::fprintf(stderr, "greenring: %s: %s\n", printable(path).c_str(), message.c_str());
    return 1;
}

// The whole file, or the errno that stopped the reading.
int read_file(const char* path, std::string& text) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            text.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            const int error = errno;
            close(fd);
            return error;
        }
    }
    close(fd);
    return 0;
}

}  // namespace

int trace_command(int argc, char* const* argv) {
    constexpr const char* synopsis = "greenring trace summary|svg FILE.json";
    if (argc == 0) return usage_error("trace: missing tool (accepted: summary, svg)");

    const std::string_view tool = argv[0];
    if (tool == "-h" || tool == "--help") {
        print_usage(stdout);
        return 0;
    }
    if (tool != "summary" && tool != "svg")
        return usage_error("trace: unknown tool '" + printable(tool) +
                           "' (accepted: summary, svg)");
    if (argc < 2)
        return usage_error("trace " + std::string(tool) + ": missing trace file (accepted: " +
                           synopsis + ")");
    if (argc > 2)
        return usage_error("trace " + std::string(tool) + ": unexpected argument '" +
                           printable(argv[2]) + "' (accepted: " + synopsis + ")");

    const char* path = argv[1];
    // Checked up front so a typo gets a plain message rather than a parser's complaint.
    if (const int error = unreadable(path); error != 0) {
        std::fprintf(stderr, "greenring: %s: %s\n", printable(path).c_str(),
                     std::strerror(error));
        return 1;
    }

    std::string text;
    if (const int error = read_file(path, text); error != 0)
        return file_error(path, std::strerror(error));
    trace::trace model;
    try {
        model = trace::load(text);
    } catch (const json::parse_error& e) {
        return file_error(path, std::string("malformed JSON at ") + e.what());
    } catch (const trace::format_error& e) {
        return file_error(path, e.what());
    }
    text = std::string();  // the model holds what is needed

    const auto sites = trace::resolve_sites(model);
    const std::string output = tool == "summary" ? trace::summary(model, sites, path)
                                                 : trace::svg(model, sites, path);
    if (std::fwrite(output.data(), 1, output.size(), stdout) != output.size() ||
        std::fflush(stdout) != 0) {
        std::fprintf(stderr, "greenring: trace %s: writing the output: %s\n",
                     std::string(tool).c_str(), std::strerror(errno));
        return 1;
    }
    return 0;
}

}  // namespace greenring::cli
