// main.cpp: the greenring launcher. It finds libgreenring-preload.so, turns options into
// GREENRING_* variables, and runs the target under it once (`run`) or under many seeds
// until one fails (`explore`).
#include "env_spec.hpp"
#include "options.hpp"
#include "trace.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef GREENRING_VERSION
#define GREENRING_VERSION "0.1.0"
#endif

namespace {

namespace cli = greenring::cli;
namespace envspec = greenring::envspec;

constexpr const char* preload_name = "libgreenring-preload.so";

// Exit statuses of the launcher's own failures; 125 follows env(1) and timeout(1) so it
// cannot be mistaken for the command's own status or for a usage error.
constexpr int exit_usage = 2;
constexpr int exit_internal = 125;
constexpr int exit_cannot_execute = 126;
constexpr int exit_not_found = 127;

[[gnu::format(printf, 1, 2)]] void error(const char* format, ...) {
    std::va_list args;
    va_start(args, format);
    std::fputs("greenring: ", stderr);
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
    va_end(args);
}

// ---------------------------------------------------------------------------------------
// Locating the preload library

std::string directory_of_self(const char* argv0) {
    std::string exe(PATH_MAX, '\0');
    const ssize_t n = readlink("/proc/self/exe", exe.data(), exe.size());
    if (n > 0 && static_cast<std::size_t>(n) < exe.size()) {
        exe.resize(static_cast<std::size_t>(n));
    } else if (std::strchr(argv0, '/') != nullptr) {
        // Without /proc (unusual, but seen in minimal containers) argv[0] is the best hint.
        char* real = realpath(argv0, nullptr);
        if (real == nullptr) return {};
        exe = real;
        std::free(real);
    } else {
        return {};
    }
    return exe.substr(0, exe.rfind('/'));
}

bool readable_file(const std::string& path, int& err) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        err = errno;
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return false;
    }
    if (access(path.c_str(), R_OK) != 0) {
        err = errno;
        return false;
    }
    return true;
}

// The directory is resolved but the file name is kept: the preload library may look for
// its own name in LD_PRELOAD, and resolving a symlink could turn it into a versioned one.
std::string absolute_library_path(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const std::string file = slash == std::string::npos ? path : path.substr(slash + 1);
    char* real = realpath(dir.c_str(), nullptr);
    if (real == nullptr) return path;
    std::string result = real;
    std::free(real);
    return result + (result.ends_with('/') ? "" : "/") + file;
}

std::optional<std::string> locate_preload(const char* argv0) {
    if (const char* forced = std::getenv("GREENRING_PRELOAD")) {
        if (auto message = envspec::validate("GREENRING_PRELOAD", forced)) {
            error("%s", message->c_str());
            return std::nullopt;
        }
        int err = 0;
        if (!readable_file(forced, err)) {
            error("GREENRING_PRELOAD=%s: %s", cli::printable(forced).c_str(),
                  err == EINVAL ? "not a regular file" : std::strerror(err));
            return std::nullopt;
        }
        return absolute_library_path(forced);
    }

    std::vector<std::string> dirs;
    const std::string self = directory_of_self(argv0);
    if (!self.empty()) {
        // Build tree (build/bin -> build/lib) and install tree (prefix/bin -> prefix/lib).
        dirs.push_back(self + "/../lib");
#ifdef GREENRING_MULTIARCH
        dirs.push_back(self + "/../lib/" GREENRING_MULTIARCH);
#endif
        dirs.push_back(self + "/../lib64");
    }
#ifdef GREENRING_INSTALL_LIBDIR
    dirs.push_back(GREENRING_INSTALL_LIBDIR);
#endif
    std::string looked;
    for (const auto& dir : dirs) {
        const std::string candidate = dir + "/" + preload_name;
        int err = 0;
        if (readable_file(candidate, err)) return absolute_library_path(candidate);
        if (!looked.empty()) looked += ", ";
        looked += std::filesystem::path(dir).lexically_normal().string();
    }
    error("cannot find %s (looked in %s; set GREENRING_PRELOAD=/path/to/%s)", preload_name,
          looked.empty() ? "no directory: the launcher's own path is unknown" : looked.c_str(),
          preload_name);
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// The child's environment

bool prepare_environment(const std::vector<std::pair<std::string, std::string>>& settings,
                         const std::string& preload) {
    for (const auto& [name, value] : settings) setenv(name.c_str(), value.c_str(), 1);
    // A value the user exported is kept: only an option overrides it.
    setenv("GREENRING_THREADS", "green", 0);

    // ld.so splits LD_PRELOAD at both characters and has no quoting.
    if (preload.find_first_of(" :") != std::string::npos) {
        error("%s: the path of the preload library contains a space or colon, which "
              "LD_PRELOAD cannot express (point GREENRING_PRELOAD at a copy without them)",
              cli::printable(preload).c_str());
        return false;
    }
    std::string value = preload;
    if (const char* existing = std::getenv("LD_PRELOAD")) {
        std::string_view rest = existing;
        while (!rest.empty()) {
            const auto end = std::min(rest.find_first_of(" :"), rest.size());
            const std::string_view entry = rest.substr(0, end);
            rest.remove_prefix(std::min(end + 1, rest.size()));
            // Another copy of the preload library (nested launchers, or a build tree and an
            // installed one) would interpose the same symbols twice.
            const auto base = entry.substr(entry.rfind('/') + 1);
            if (entry.empty() || base == preload_name) continue;
            value += ':';
            value += entry;
        }
    }
    setenv("LD_PRELOAD", value.c_str(), 1);

    // Caught here rather than by the preload library in the child, so that a bad exported
    // variable is reported before anything starts and with the launcher's exit status.
    if (auto message = envspec::validate_environment()) {
        error("%s", message->c_str());
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------
// Finding the command, checked before fork so that its errors are clear one-liners

struct resolved_command {
    std::string path;
    int status = 0;  // 0, or the exit status to report with `message`
    std::string message;
    int error = 0;
};

resolved_command check_executable(const std::string& path, const std::string& shown) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        const int err = errno;
        return {path, err == ENOENT ? exit_not_found : exit_cannot_execute,
                shown + ": " + std::strerror(err), err};
    }
    if (S_ISDIR(st.st_mode))
        return {path, exit_cannot_execute, shown + ": " + std::strerror(EISDIR), EISDIR};
    if (faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) != 0) {
        const int err = errno;
        return {path, exit_cannot_execute, shown + ": " + std::strerror(err), err};
    }
    return {path, 0, {}, 0};
}

// execvp's search rules: a name with a slash is used as is; otherwise each PATH entry is
// tried (an empty entry is the current directory), and an entry that exists but cannot be
// executed is skipped, reported only when no later entry has the program.
resolved_command resolve_command(const std::string& name) {
    const std::string shown = cli::printable(name);
    if (name.find('/') != std::string::npos) return check_executable(name, shown);
    if (name.empty()) return {name, exit_not_found, shown + ": command not found"};

    std::string search;
    if (const char* path = std::getenv("PATH")) {
        search = path;
    } else {
        search.resize(confstr(_CS_PATH, nullptr, 0));
        confstr(_CS_PATH, search.data(), search.size());
        search.resize(search.find('\0'));
    }
    std::optional<resolved_command> denied;
    std::string_view rest = search;
    for (;;) {
        const auto end = std::min(rest.find(':'), rest.size());
        std::string dir(rest.substr(0, end));
        if (dir.empty()) dir = ".";
        auto found = check_executable(dir + "/" + name, shown);
        if (found.status == 0) return found;
        // Like execvp, only "there but not runnable" is remembered; a missing entry or a
        // PATH element that is not a directory is simply passed over.
        if ((found.error == EACCES || found.error == EISDIR) && !denied) {
            denied = found;
            denied->message = shown + ": " + std::strerror(EACCES);
        }
        if (end == rest.size()) break;
        rest.remove_prefix(end + 1);
    }
    if (denied) return *denied;
    return {name, exit_not_found, shown + ": command not found"};
}

// ---------------------------------------------------------------------------------------
// Signals: the launcher takes them synchronously with sigwaitinfo, so that it learns who
// sent each one and can wait for a child and a deadline in the same call.

struct signal_state {
    sigset_t waited{};     // what the supervising loop takes: SIGCHLD + forwarded
    sigset_t forwarded{};  // what it passes on to the child
    sigset_t original_mask{};
    struct sigaction original_chld {};
};

signal_state signals;

void take_signals() {
    sigemptyset(&signals.forwarded);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
        struct sigaction current {};
        sigaction(sig, nullptr, &current);
        // Ignored on entry (a shell's background job, nohup): the caller wants the whole
        // job deaf to it, and the child inherits the ignore anyway.
        if (current.sa_handler != SIG_IGN) sigaddset(&signals.forwarded, sig);
    }
    signals.waited = signals.forwarded;
    sigaddset(&signals.waited, SIGCHLD);
    sigprocmask(SIG_BLOCK, &signals.waited, &signals.original_mask);

    // An inherited SIG_IGN for SIGCHLD would make the kernel reap the child before we can
    // read its status.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, &signals.original_chld);
}

void restore_signals_in_child() {
    sigaction(SIGCHLD, &signals.original_chld, nullptr);
    sigprocmask(SIG_SETMASK, &signals.original_mask, nullptr);
}

std::string signal_name(int sig) {
    static constexpr std::pair<int, const char*> names[] = {
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
        {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
        {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},       {SIGKILL, "SIGKILL"},
        {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},
        {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"},
        {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},     {SIGTTOU, "SIGTTOU"},
        {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},     {SIGXFSZ, "SIGXFSZ"},
        {SIGPROF, "SIGPROF"}, {SIGVTALRM, "SIGVTALRM"}, {SIGSYS, "SIGSYS"},
#ifdef SIGWINCH
        {SIGWINCH, "SIGWINCH"},
#endif
#ifdef SIGIO
        {SIGIO, "SIGIO"},
#endif
#ifdef SIGPWR
        {SIGPWR, "SIGPWR"},
#endif
#ifdef SIGSTKFLT
        {SIGSTKFLT, "SIGSTKFLT"},
#endif
    };
    for (const auto& [number, name] : names)
        if (number == sig) return name;
#ifdef SIGRTMIN
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
#endif
    return "signal " + std::to_string(sig);
}

// ---------------------------------------------------------------------------------------
// Starting and supervising the child

struct child_setup {
    bool own_group = false;  // explore: so a timeout can kill everything the run started
    int output_fd = -1;      // explore: stdout and stderr go there, stdin is /dev/null
};

pid_t spawn(const resolved_command& command, const std::vector<std::string>& args,
            const child_setup& setup) {
    // Built before fork: the child only execs.
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // execvp's fallback for an executable text file without "#!": hand it to the shell.
    std::vector<char*> sh_argv{const_cast<char*>("/bin/sh"),
                               const_cast<char*>(command.path.c_str())};
    sh_argv.insert(sh_argv.end(), argv.begin() + 1, argv.end());

    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        error("fork: %s", std::strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (setup.own_group) setpgid(0, 0);
        if (setup.output_fd >= 0) {
            // A run in a background process group that read the terminal would be stopped
            // by SIGTTIN and then time out for no visible reason.
            const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (null >= 0) dup2(null, 0);
            dup2(setup.output_fd, 1);
            dup2(setup.output_fd, 2);
        }
        restore_signals_in_child();
        execv(command.path.c_str(), argv.data());
        if (errno == ENOEXEC) execv("/bin/sh", sh_argv.data());
        const int err = errno;
        error("%s: %s", cli::printable(args[0]).c_str(), std::strerror(err));
        _exit(err == ENOENT ? exit_not_found : exit_cannot_execute);
    }
    // Set from both sides so that the group exists whichever process runs first.
    if (setup.own_group) setpgid(pid, pid);
    return pid;
}

struct outcome {
    int code = 0;    // CLD_EXITED, CLD_KILLED or CLD_DUMPED
    int status = 0;  // exit status or signal number
    bool timed_out = false;
    int interrupted_by = 0;  // explore: the signal that asked the launcher to stop

    int exit_status() const { return code == CLD_EXITED ? status : 128 + status; }
    bool failed() const { return timed_out || code != CLD_EXITED || status != 0; }
};

double now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

outcome supervise(pid_t pid, bool own_group, double timeout) {
    outcome result;
    const double deadline = now() + timeout;
    int forwarded = 0;
    for (;;) {
        // WNOWAIT leaves the zombie in place: while it exists its pid cannot be reused,
        // so killing the group afterwards cannot hit an unrelated process.
        siginfo_t child{};
        const int waited =
            waitid(P_PID, static_cast<id_t>(pid), &child, WEXITED | WNOHANG | WNOWAIT);
        if (waited == 0 && child.si_pid == pid) {
            result.code = child.si_code;
            result.status = child.si_status;
            break;
        }
        if (waited != 0 && errno == ECHILD) {
            // Cannot happen unless something else reaped it; report it as lost, not hang.
            result.code = CLD_KILLED;
            result.status = SIGKILL;
            break;
        }

        siginfo_t info{};
        int sig;
        if (timeout > 0 && !result.timed_out) {
            const double left = deadline - now();
            if (left <= 0) {
                result.timed_out = true;
                kill(-pid, SIGKILL);
                continue;
            }
            timespec wait{};
            wait.tv_sec = static_cast<time_t>(left);
            wait.tv_nsec = static_cast<long>((left - static_cast<double>(wait.tv_sec)) * 1e9);
            sig = sigtimedwait(&signals.waited, &info, &wait);
        } else {
            sig = sigwaitinfo(&signals.waited, &info);
        }
        if (sig <= 0 || sig == SIGCHLD) continue;

        if (own_group) {
            // The terminal's signals reach the foreground group, not the run's own group:
            // passing them on is the only way Ctrl-C reaches it. A second one means the
            // run ignores the first.
            if (result.interrupted_by == 0) result.interrupted_by = sig;
            kill(-pid, ++forwarded > 1 ? SIGKILL : sig);
        } else if (info.si_code <= 0 && info.si_pid != pid) {
            // Sent with kill()/sigqueue() to the launcher alone: pass it on like a shell's
            // exec would have. Signals from the terminal (SI_KERNEL) already reached the
            // child, which shares our process group, so they are only absorbed here.
            kill(pid, sig);
        }
    }
    // Leftovers of the run (daemons, stuck grandchildren) must not outlive it: the next
    // run would share their files and ports.
    if (own_group) kill(-pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return result;
}

// ---------------------------------------------------------------------------------------
// run

int command_run(int argc, char* const* argv, const char* argv0) {
    cli::run_options options;
    const auto parsed = cli::parse_run(argc, argv, options);
    if (parsed.status == cli::parse_status::help) {
        cli::print_usage(stdout);
        return 0;
    }
    if (parsed.status == cli::parse_status::error) {
        error("%s", parsed.error.c_str());
        return exit_usage;
    }
    const auto preload = locate_preload(argv0);
    if (!preload || !prepare_environment(options.env, *preload)) return exit_usage;
    const auto command = resolve_command(options.command[0]);
    if (command.status != 0) {
        error("%s", command.message.c_str());
        return command.status;
    }

    take_signals();
    const pid_t pid = spawn(command, options.command, {});
    if (pid < 0) return exit_internal;
    const outcome result = supervise(pid, false, 0);
    // The shell that started us only sees our exit status, so say what it would have
    // said about the signal; it stays silent for SIGINT and SIGPIPE, and so do we.
    if (result.code != CLD_EXITED && result.status != SIGINT && result.status != SIGPIPE)
        error("%s: killed by %s%s", cli::printable(options.command[0]).c_str(),
              signal_name(result.status).c_str(),
              result.code == CLD_DUMPED ? " (core dumped)" : "");
    return result.exit_status();
}

// ---------------------------------------------------------------------------------------
// explore

// Quotes a word for a POSIX shell so that the replay line can be pasted as it is.
std::string shell_quote(std::string_view word) {
    const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::strchr("_@%+=:,./-", c) != nullptr;
    });
    if (plain) return std::string(word);
    std::string out = "'";
    for (char c : word) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// Prints the last lines of the failing run's output: usually the assertion or crash
// message that explains the failure. Returns false when there was no output at all.
bool print_tail(int fd, const std::string& path, std::uint64_t run) {
    constexpr int max_lines = 20;
    constexpr off_t max_bytes = 64 * 1024;
    const off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0) {
        error("run %llu printed nothing", static_cast<unsigned long long>(run));
        return false;
    }
    const off_t start = std::max<off_t>(0, size - max_bytes);
    std::string text(static_cast<std::size_t>(size - start), '\0');
    const ssize_t got = pread(fd, text.data(), text.size(), start);
    text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);

    std::size_t from = 0;
    int newlines = 0;
    // A final newline ends the last line rather than starting an empty one.
    for (std::size_t i = text.ends_with('\n') ? text.size() - 1 : text.size(); i-- > 0;) {
        if (text[i] == '\n' && ++newlines == max_lines) {
            from = i + 1;
            break;
        }
    }
    const bool whole = from == 0 && start == 0;
    error("%s output of run %llu (all of it in %s):", whole ? "the" : "the end of the",
          static_cast<unsigned long long>(run), path.c_str());
    std::fwrite(text.data() + from, 1, text.size() - from, stderr);
    if (!text.ends_with('\n')) std::fputc('\n', stderr);
    return true;
}

std::string describe_failure(const outcome& result, const std::string& timeout_text) {
    if (result.timed_out) return "timeout after " + timeout_text + " s";
    if (result.code == CLD_EXITED) return "exit status " + std::to_string(result.status);
    return "signal " + signal_name(result.status) +
           (result.code == CLD_DUMPED ? ", core dumped" : "");
}

int open_output_file(std::string& path) {
    const char* tmp = std::getenv("TMPDIR");
    path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
           "/greenring-explore-XXXXXX.log";
    const int fd = mkstemps(path.data(), 4);
    if (fd < 0) {
        error("cannot create the output file %s: %s", path.c_str(), std::strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

int command_explore(int argc, char* const* argv, const char* argv0) {
    cli::explore_options options;
    const auto parsed = cli::parse_explore(argc, argv, options);
    if (parsed.status == cli::parse_status::help) {
        cli::print_usage(stdout);
        return 0;
    }
    if (parsed.status == cli::parse_status::error) {
        error("%s", parsed.error.c_str());
        return exit_usage;
    }
    const auto preload = locate_preload(argv0);
    if (!preload) return exit_usage;
    const std::vector<std::pair<std::string, std::string>> settings{
        {"GREENRING_SCHED", options.sched},
        {"GREENRING_DEPTH", std::to_string(options.depth)},
        {"GREENRING_SEED", "1"},
    };
    if (!prepare_environment(settings, *preload)) return exit_usage;
    const auto command = resolve_command(options.command[0]);
    if (command.status != 0) {
        error("%s", command.message.c_str());
        return command.status;
    }

    std::string output_path;
    const int output = open_output_file(output_path);
    if (output < 0) return exit_internal;
    take_signals();

    const bool tty = isatty(2) == 1;
    const auto runs = static_cast<unsigned long long>(options.runs);
    auto clear_progress = [&] {
        if (tty) std::fputs("\r\033[K", stderr);
    };
    for (std::uint64_t seed = 1; seed <= options.runs; ++seed) {
        const auto n = static_cast<unsigned long long>(seed);
        if (tty) std::fprintf(stderr, "\rgreenring: explore: run %llu/%llu", n, runs);
        if (ftruncate(output, 0) != 0 || lseek(output, 0, SEEK_SET) != 0) {
            clear_progress();
            error("%s: %s", output_path.c_str(), std::strerror(errno));
            unlink(output_path.c_str());
            return exit_internal;
        }
        setenv("GREENRING_SEED", std::to_string(seed).c_str(), 1);

        const pid_t pid = spawn(command, options.command, {true, output});
        if (pid < 0) {
            unlink(output_path.c_str());
            return exit_internal;
        }
        const outcome result = supervise(pid, true, options.timeout);

        if (result.interrupted_by != 0) {
            clear_progress();
            error("interrupted by %s during run %llu", signal_name(result.interrupted_by).c_str(),
                  n);
            unlink(output_path.c_str());
            return 128 + result.interrupted_by;
        }
        if (result.failed()) {
            clear_progress();
            if (!print_tail(output, output_path, seed)) unlink(output_path.c_str());
            error("run %llu failed (%s)", n,
                  describe_failure(result, options.timeout_text).c_str());
            std::string replay = std::strchr(argv0, '/') != nullptr ? shell_quote(argv0)
                                                                   : "greenring";
            replay += " run --sched " + options.sched + " --seed " + std::to_string(seed) +
                      " --depth " + std::to_string(options.depth) + " --";
            for (const auto& arg : options.command) replay += " " + shell_quote(arg);
            std::fprintf(stderr, "replay: %s\n", replay.c_str());
            return 1;
        }
        if (!tty && (seed % 10 == 0) && seed != options.runs)
            std::fprintf(stderr, "greenring: explore: %llu/%llu runs passed\n", n, runs);
    }
    clear_progress();
    unlink(output_path.c_str());
    std::fprintf(stderr, "greenring: %llu runs, no failure\n", runs);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const char* argv0 = argc > 0 ? argv[0] : "greenring";
    if (argc < 2) {
        cli::print_usage(stderr);
        return exit_usage;
    }
    const std::string_view command = argv[1];
    if (command == "--version" || command == "-V") {
        std::printf("greenring %s\n", GREENRING_VERSION);
        return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        cli::print_usage(stdout);
        return 0;
    }
    if (command == "run") return command_run(argc - 2, argv + 2, argv0);
    if (command == "explore") return command_explore(argc - 2, argv + 2, argv0);
    if (command == "trace") return cli::trace_command(argc - 2, argv + 2);
    error("unknown command '%s' (accepted: run, explore, trace, --version, --help)",
          cli::printable(command).c_str());
    return exit_usage;
}
