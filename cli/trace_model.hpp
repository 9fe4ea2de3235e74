// trace_model.hpp: a greenring trace file as the trace tools see it: tracks (one per green
// thread), run intervals, and the program facts the runtime recorded. Loading checks the
// file against the format the runtime writes (Chrome trace-event JSON):
//
//   {"traceEvents":[
//     {"ph":"M","pid":P,"tid":T,"name":"thread_name","args":{"name":"worker-2"}},
//     {"ph":"X","pid":P,"tid":T,"ts":12.345,"dur":4.5,"name":"run","cat":"green",
//      "args":{"yield":"write fd=3","site":"log_line+0x1c (demo)","seq":17}}, ...],
//    "displayTimeUnit":"ns",
//    "otherData":{"greenring":{"version":"0.1.0","sched":"random","seed":7,...}}}
//
// Events of other kinds (instants, counters, X events of another category) are counted and
// otherwise ignored, so the runtime can add them without breaking the tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace greenring::cli::trace {

// Valid JSON that is not a usable greenring trace. what() is one line naming the event
// (its index and byte offset) when one is at fault.
class format_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The tid the runtime gives the main context of OS thread TID (other than the first).
constexpr std::int64_t os_thread_tid_base = 100000000;

struct track {
    std::int64_t pid = 0;
    std::int64_t tid = 0;
    std::string name;  // the thread's name, or "green N" / "main" when it has none
    // The main context of an OS thread rather than a green thread of its own.
    bool main_context() const { return tid == 0 || tid >= os_thread_tid_base; }
};

// One run interval of a green thread.
struct slice {
    std::uint32_t track = 0;  // index into trace::tracks
    std::uint32_t what = 0;   // index into trace::strings: what ended it ("write fd=3")
    std::uint32_t site = 0;   // index into trace::strings: where ("f+0x1c (module)")
    double ts = 0;            // start, µs since the program started
    double dur = 0;           // µs
    std::int64_t seq = -1;    // the runtime's switch number, -1 when absent
    double end() const { return ts + dur; }
};

// otherData.greenring, each as written (a number keeps its literal); empty when absent.
struct program_facts {
    bool present = false;
    std::string version, sched, seed, depth, switches;
};

struct trace {
    std::vector<track> tracks;          // ordered by pid, then tid (main context first)
    std::vector<slice> slices;          // in file order (the runtime writes seq order)
    std::vector<std::string> strings;   // the distinct yield and site texts
    program_facts program;
    std::vector<std::int64_t> pids;     // distinct, ascending
    std::size_t other_events = 0;       // events the tools do not use
    double begin = 0, end = 0;          // earliest start, latest end (µs); 0, 0 if no slices

    std::size_t green_thread_count() const;
    std::size_t main_context_count() const;
};

// Parses and checks a whole trace file. Throws json::parse_error for malformed JSON and
// format_error for JSON that is not a greenring trace.
trace load(std::string_view text);

// Where a call site lies in its module, when the site says so: "module+0xOFF" or
// "function+0xOFF (module+0xMODOFF)". "function+0xOFF (module)" has no module offset.
struct code_location {
    std::string module;
    std::uint64_t offset = 0;
    std::string function;  // the site's own function name without "+0x..", may be empty
};
std::optional<code_location> locate_site(std::string_view site);

// "12.345 µs", "1.234 ms", "2.500 s": a duration or time in µs with a unit that suits it.
std::string format_time(double us);

// Characters (code points) in UTF-8 text: its width in a terminal or a monospace font,
// near enough.
std::size_t text_width(std::string_view text);
// text cut to at most max_width characters, ending in "…" when it was cut.
std::string truncate_text(std::string_view text, std::size_t max_width);

}  // namespace greenring::cli::trace
