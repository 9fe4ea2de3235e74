// trace_symbols.cpp: call sites to file:line with addr2line (see trace_symbols.hpp).
#include "trace_symbols.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

extern char** environ;

namespace greenring::cli::trace {

namespace {

// Addresses per addr2line run: far below the kernel's argument limit, and more call sites
// than one module of a real program has, so in practice each module takes one run.
constexpr std::size_t batch = 4096;

struct line_info {
    std::string function;   // empty when unknown
    std::string file_line;  // "file:line", empty when unknown
};

bool regular_file(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Runs `addr2line -f -C -e module 0x...` and returns its standard output, or nullopt when
// it cannot be run or fails.
std::optional<std::string> run_addr2line(const std::string& module,
                                         const std::vector<std::uint64_t>& offsets) {
    std::vector<std::string> args{"addr2line", "-f", "-C", "-e", module};
    for (const auto offset : offsets) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(offset));
        args.emplace_back(buf);
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int spawned = posix_spawnp(&pid, "addr2line", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (spawned != 0) {
        close(fds[0]);
        return std::nullopt;
    }

    std::string output;
    char buf[65536];
    for (;;) {
        const ssize_t n = read(fds[0], buf, sizeof buf);
        if (n > 0) {
            output.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return output;
}

// addr2line prints two lines per address: the function ("??" when unknown) and
// "file:line" ("??:0" or "??:?" when unknown, sometimes with " (discriminator N)").
std::optional<std::vector<line_info>> parse_output(std::string_view text, std::size_t count) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    if (lines.size() != 2 * count) return std::nullopt;  // not the output we know

    std::vector<line_info> infos(count);
    for (std::size_t i = 0; i < count; ++i) {
        std::string_view function = lines[2 * i];
        std::string_view location = lines[2 * i + 1];
        if (const auto d = location.find(" (discriminator "); d != std::string_view::npos)
            location = location.substr(0, d);
        const auto colon = location.rfind(':');
        const bool known = colon != std::string_view::npos && !location.starts_with("??") &&
                           location.substr(colon + 1) != "0" && location.substr(colon + 1) != "?";
        if (function != "??") infos[i].function = function;
        if (known) infos[i].file_line = location;
    }
    return infos;
}

// Source paths below the current directory are shown relative to it: shorter, and still
// what an editor opens from there.
std::string shorten(const std::string& file_line, const std::string& cwd) {
    if (!cwd.empty() && file_line.starts_with(cwd) && file_line.size() > cwd.size() &&
        file_line[cwd.size()] == '/')
        return file_line.substr(cwd.size() + 1);
    return file_line;
}

}  // namespace

std::vector<std::string> resolve_sites(const trace& t) {
    std::vector<std::string> shown = t.strings;

    std::vector<bool> is_site(t.strings.size(), false);
    for (const auto& s : t.slices) is_site[s.site] = true;

    // module -> (offset -> the sites at that offset)
    std::map<std::string, std::map<std::uint64_t, std::vector<std::size_t>>> wanted;
    std::vector<std::optional<code_location>> where(t.strings.size());
    for (std::size_t i = 0; i < t.strings.size(); ++i) {
        if (!is_site[i]) continue;
        where[i] = locate_site(t.strings[i]);
        if (where[i]) wanted[where[i]->module][where[i]->offset].push_back(i);
    }
    if (wanted.empty()) return shown;

    std::error_code ec;
    const std::string cwd = std::filesystem::current_path(ec).string();
    for (const auto& [module, by_offset] : wanted) {
        if (!regular_file(module)) continue;
        std::vector<std::uint64_t> offsets;
        for (const auto& [offset, sites] : by_offset) offsets.push_back(offset);

        for (std::size_t from = 0; from < offsets.size(); from += batch) {
            const std::vector<std::uint64_t> part(
                offsets.begin() + static_cast<std::ptrdiff_t>(from),
                offsets.begin() + static_cast<std::ptrdiff_t>(std::min(offsets.size(), from + batch)));
            const auto output = run_addr2line(module, part);
            if (!output) {
                if (from == 0) break;  // not installed, or this module is not for it
                continue;
            }
            const auto infos = parse_output(*output, part.size());
            if (!infos) continue;
            for (std::size_t k = 0; k < part.size(); ++k) {
                const line_info& info = (*infos)[k];
                for (const std::size_t i : by_offset.at(part[k])) {
                    const code_location& loc = *where[i];
                    const std::string function =
                        !info.function.empty() ? info.function : loc.function;
                    if (!info.file_line.empty()) {
                        const std::string file_line = shorten(info.file_line, cwd);
                        shown[i] = function.empty() ? file_line : function + " (" + file_line + ")";
                    } else if (loc.function.empty() && !info.function.empty()) {
                        // "module+0xOFF" with symbols but no line table: at least the name.
                        shown[i] = info.function + " (" + t.strings[i] + ")";
                    }
                }
            }
        }
    }
    return shown;
}

}  // namespace greenring::cli::trace
