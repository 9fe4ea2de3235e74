// trace_model.cpp: reading a greenring trace file (see trace_model.hpp).
#include "trace_model.hpp"

#include "trace_json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <utility>

namespace greenring::cli::trace {

namespace {

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "+0x1c" at the end of text: the offset, and text without it.
std::optional<std::pair<std::string_view, std::uint64_t>> split_offset(std::string_view text) {
    const auto plus = text.rfind("+0x");
    if (plus == std::string_view::npos) return std::nullopt;
    const std::string_view hex = text.substr(plus + 3);
    if (hex.empty() || hex.size() > 16 || !std::all_of(hex.begin(), hex.end(), is_hex))
        return std::nullopt;
    std::uint64_t offset = 0;
    std::from_chars(hex.data(), hex.data() + hex.size(), offset, 16);
    return std::pair{text.substr(0, plus), offset};
}

class builder {
public:
    void event(const json::value& ev, std::size_t index, std::size_t offset);
    void other_data(const json::value& v);
    trace finish();

private:
    [[noreturn]] void fail(const std::string& message) const {
        throw format_error("event " + std::to_string(index_) + " (byte " +
                           std::to_string(offset_) + "): " + message);
    }
    std::int64_t integer(const json::value& ev, std::string_view key, bool required,
                         std::int64_t fallback) const;
    double number(const json::value& ev, std::string_view key) const;
    std::uint32_t track_of(std::int64_t pid, std::int64_t tid);
    std::uint32_t intern(const std::string& text);

    trace out_;
    std::map<std::pair<std::int64_t, std::int64_t>, std::uint32_t> track_index_;
    std::vector<bool> named_;
    std::unordered_map<std::string, std::uint32_t> string_index_;
    std::size_t index_ = 0, offset_ = 0;  // the event being read, for messages
};

std::int64_t builder::integer(const json::value& ev, std::string_view key, bool required,
                              std::int64_t fallback) const {
    const json::value* v = ev.get(key);
    if (v == nullptr) {
        if (required) fail("\"" + std::string(key) + "\" is missing");
        return fallback;
    }
    if (v->is_number()) {
        std::int64_t n = 0;
        const auto& t = v->text;
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
        if (ec == std::errc() && end == t.data() + t.size()) return n;
        // 3.0 or 1e3 are integers too.
        if (std::trunc(v->number) == v->number && std::fabs(v->number) < 9.0e15)
            return static_cast<std::int64_t>(v->number);
    }
    fail("\"" + std::string(key) + "\" is not an integer");
}

double builder::number(const json::value& ev, std::string_view key) const {
    const json::value* v = ev.get(key);
    if (v == nullptr) fail("\"" + std::string(key) + "\" is missing");
    if (!v->is_number()) fail("\"" + std::string(key) + "\" is not a number");
    return v->number;
}

std::uint32_t builder::track_of(std::int64_t pid, std::int64_t tid) {
    const auto [it, inserted] =
        track_index_.try_emplace({pid, tid}, static_cast<std::uint32_t>(out_.tracks.size()));
    if (inserted) {
        track t;
        t.pid = pid;
        t.tid = tid;
        out_.tracks.push_back(std::move(t));
        named_.push_back(false);
    }
    return it->second;
}

std::uint32_t builder::intern(const std::string& text) {
    const auto [it, inserted] =
        string_index_.try_emplace(text, static_cast<std::uint32_t>(out_.strings.size()));
    if (inserted) out_.strings.push_back(text);
    return it->second;
}

void builder::event(const json::value& ev, std::size_t index, std::size_t offset) {
    index_ = index;
    offset_ = offset;
    if (!ev.is_object()) fail("not an object");
    const std::string* ph = ev.get_string("ph");
    if (ph == nullptr) fail("no \"ph\" string (the event's kind)");

    if (*ph == "M") {
        const std::string* name = ev.get_string("name");
        if (name == nullptr || *name != "thread_name") {
            ++out_.other_events;  // process_name, thread_sort_index, ...
            return;
        }
        const json::value* args = ev.get("args");
        const std::string* thread_name = args != nullptr ? args->get_string("name") : nullptr;
        if (thread_name == nullptr) fail("thread_name event without a string \"args.name\"");
        const auto t = track_of(integer(ev, "pid", false, 0), integer(ev, "tid", true, 0));
        out_.tracks[t].name = *thread_name;
        named_[t] = true;
        return;
    }
    if (*ph != "X") {
        ++out_.other_events;
        return;
    }
    // Complete events of another category are not run intervals.
    if (const std::string* cat = ev.get_string("cat"); cat != nullptr && *cat != "green") {
        ++out_.other_events;
        return;
    }

    slice s;
    s.track = track_of(integer(ev, "pid", false, 0), integer(ev, "tid", true, 0));
    s.ts = number(ev, "ts");
    s.dur = number(ev, "dur");
    if (s.dur < 0) fail("negative \"dur\"");
    std::string what = "?", site = "?";
    if (const json::value* args = ev.get("args")) {
        if (!args->is_object()) fail("\"args\" is not an object");
        for (auto [key, text] : {std::pair{"yield", &what}, std::pair{"site", &site}}) {
            if (const json::value* v = args->get(key)) {
                if (!v->is_string()) fail("\"args." + std::string(key) + "\" is not a string");
                *text = v->text;
            }
        }
        s.seq = integer(*args, "seq", false, -1);
    }
    s.what = intern(what);
    s.site = intern(site);
    out_.slices.push_back(s);
}

void builder::other_data(const json::value& v) {
    const json::value* g = v.get("greenring");
    if (g == nullptr || !g->is_object()) return;
    auto& facts = out_.program;
    facts.present = true;
    const std::pair<const char*, std::string*> fields[] = {
        {"version", &facts.version}, {"sched", &facts.sched},   {"seed", &facts.seed},
        {"depth", &facts.depth},     {"switches", &facts.switches},
    };
    for (const auto& [key, text] : fields) {
        const json::value* f = g->get(key);
        if (f == nullptr) continue;
        if (f->is_string() || f->is_number())
            *text = f->text;
        else if (f->type == json::kind::boolean)
            *text = f->boolean ? "true" : "false";
    }
}

trace builder::finish() {
    // Default names for tracks the runtime did not name.
    for (std::size_t i = 0; i < out_.tracks.size(); ++i) {
        auto& t = out_.tracks[i];
        if (named_[i]) continue;
        if (t.tid == 0)
            t.name = "main";
        else if (t.tid >= os_thread_tid_base)
            t.name = "main (OS thread " + std::to_string(t.tid - os_thread_tid_base) + ")";
        else
            t.name = "green " + std::to_string(t.tid);
    }
    for (const auto& t : out_.tracks) out_.pids.push_back(t.pid);
    std::sort(out_.pids.begin(), out_.pids.end());
    out_.pids.erase(std::unique(out_.pids.begin(), out_.pids.end()), out_.pids.end());
    if (out_.pids.size() > 1)
        for (auto& t : out_.tracks) t.name = "pid " + std::to_string(t.pid) + ": " + t.name;

    // Tracks in (pid, tid) order; the map already holds that order.
    std::vector<std::uint32_t> renumber(out_.tracks.size());
    std::vector<track> sorted;
    sorted.reserve(out_.tracks.size());
    for (const auto& [key, old] : track_index_) {
        renumber[old] = static_cast<std::uint32_t>(sorted.size());
        sorted.push_back(std::move(out_.tracks[old]));
    }
    out_.tracks = std::move(sorted);
    for (auto& s : out_.slices) s.track = renumber[s.track];

    if (!out_.slices.empty()) {
        out_.begin = out_.slices.front().ts;
        out_.end = out_.slices.front().end();
        for (const auto& s : out_.slices) {
            out_.begin = std::min(out_.begin, s.ts);
            out_.end = std::max(out_.end, s.end());
        }
    }
    return std::move(out_);
}

}  // namespace

std::size_t trace::green_thread_count() const {
    return static_cast<std::size_t>(
        std::count_if(tracks.begin(), tracks.end(), [](const track& t) { return !t.main_context(); }));
}

std::size_t trace::main_context_count() const { return tracks.size() - green_thread_count(); }

trace load(std::string_view text) {
    json::reader r(text);
    builder b;
    if (r.peek() != '{') {
        // Valid JSON of another shape is "not a trace"; invalid JSON is reported as such.
        r.skip();
        r.finish();
        throw format_error("not a greenring trace (the top-level value is not an object "
                           "with a \"traceEvents\" array)");
    }
    bool has_events = false;
    std::size_t index = 0;
    // The first event at fault, reported only once the whole document is known to be
    // JSON: a file cut short is "malformed", whatever its events looked like before.
    std::optional<format_error> bad_event;
    std::string key;
    r.begin_object();
    while (r.next_member(key)) {
        if (key == "traceEvents" && r.peek() == '[') {
            has_events = true;
            r.begin_array();
            while (r.next_element()) {
                r.peek();  // past the whitespace, so the offset is the event's own
                const std::size_t offset = r.offset();
                if (bad_event) {
                    r.skip();
                    continue;
                }
                try {
                    b.event(r.read(), index++, offset);
                } catch (const format_error& e) {
                    bad_event = e;
                }
            }
        } else if (key == "otherData") {
            b.other_data(r.read());
        } else {
            r.skip();
        }
    }
    r.finish();
    if (bad_event) throw *bad_event;
    if (!has_events) throw format_error("not a greenring trace (no \"traceEvents\" array)");
    return b.finish();
}

std::optional<code_location> locate_site(std::string_view site) {
    code_location where;
    const auto paren = site.rfind(" (");
    if (paren != std::string_view::npos && site.ends_with(')')) {
        // "function+0xOFF (module)" or "function+0xOFF (module+0xMODOFF)"
        const std::string_view head = site.substr(0, paren);
        const std::string_view inside = site.substr(paren + 2, site.size() - paren - 3);
        const auto in_function = split_offset(head);
        where.function = in_function ? in_function->first : head;
        const auto in_module = split_offset(inside);
        if (!in_module || in_module->first.empty()) return std::nullopt;
        where.module = in_module->first;
        where.offset = in_module->second;
        return where;
    }
    // "module+0xOFF"
    const auto in_module = split_offset(site);
    if (!in_module || in_module->first.empty()) return std::nullopt;
    where.module = in_module->first;
    where.offset = in_module->second;
    return where;
}

std::string format_time(double us) {
    char buf[64];
    const double magnitude = std::fabs(us);
    if (magnitude >= 1e6)
        std::snprintf(buf, sizeof buf, "%.3f s", us / 1e6);
    else if (magnitude >= 1e3)
        std::snprintf(buf, sizeof buf, "%.3f ms", us / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.3f \u00b5s", us);
    return buf;
}

namespace {

// The code point starting at text[i] and its length; text is valid UTF-8 (the JSON reader
// checked it), but a stray byte is taken as one character of its own.
std::pair<std::uint32_t, std::size_t> decode(std::string_view text, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = b(i);
    std::size_t n = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (i + n > text.size()) n = 1;
    if (n == 1) return {lead, 1};
    std::uint32_t cp = lead & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
    return {cp, n};
}

// Columns a character takes in a terminal: 0 for combining marks, 2 for East Asian wide
// characters and emoji, else 1 (a short form of wcwidth, without depending on the locale).
std::size_t columns(std::uint32_t cp) {
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0xFE00 && cp <= 0xFE0F))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

}  // namespace

std::size_t text_width(std::string_view text) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto [cp, n] = decode(text, i);
        width += columns(cp);
        i += n;
    }
    return width;
}

std::string truncate_text(std::string_view text, std::size_t max_width) {
    if (text_width(text) <= max_width) return std::string(text);
    if (max_width == 0) return {};
    // Keep what fits in max_width - 1 columns, then the ellipsis.
    std::size_t width = 0, i = 0;
    while (i < text.size()) {
        const auto [cp, n] = decode(text, i);
        if (width + columns(cp) > max_width - 1) break;
        width += columns(cp);
        i += n;
    }
    return std::string(text.substr(0, i)) + "\u2026";
}

}  // namespace greenring::cli::trace
