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

int not_built(const char* /*path*/) {
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
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st {};
    const int error = fd < 0 ? errno : fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (fd >= 0) close(fd);
    if (error != 0) {
        std::fprintf(stderr, "greenring: %s: %s\n", printable(path).c_str(),
                     std::strerror(error));
        return 1;
    }

    if (tool == "summary") return not_built(path);
    return not_built(path);
}

}  // namespace greenring::cli
