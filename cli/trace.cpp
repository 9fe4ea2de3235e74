// trace.cpp: `greenring trace summary|svg FILE.json`. The trace format is still being
// designed, so only the command line is checked for now; the readers plug in below.
#include "trace.hpp"

#include "options.hpp"

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

int not_built() {
    std::fputs("greenring: trace tools are not built yet\n", stderr);
    return 3;
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

    // The summary and SVG readers go here, one function each, once the format is fixed.
    return not_built();
}

}  // namespace greenring::cli
