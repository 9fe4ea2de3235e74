// trace_summary.cpp: the text report of `greenring trace summary` (see trace_summary.hpp).
#include "trace_summary.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <unordered_map>

namespace greenring::cli::trace {

namespace {

// Rows beyond these are summed up in one line: the report stays a report.
constexpr std::size_t max_yield_rows = 50;
constexpr std::size_t max_thread_rows = 100;

// Text from the trace made safe for a terminal: control characters (an escape sequence
// in a thread name) are shown as \xNN instead of being obeyed.
std::string safe(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    return out;
}

std::string percent(double part, double whole) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", whole > 0 ? 100.0 * part / whole : 0.0);
    return buf;
}

std::string micros(double us) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3f", us);
    return buf;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// A table with aligned columns; the last column is never padded.
class table {
public:
    explicit table(std::vector<std::pair<std::string, bool>> columns)  // (title, right-aligned)
        : columns_(std::move(columns)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

    void render(std::string& out) const {
        std::vector<std::size_t> width(columns_.size(), 0);
        for (std::size_t c = 0; c < columns_.size(); ++c) {
            width[c] = text_width(columns_[c].first);
            for (const auto& row : rows_) width[c] = std::max(width[c], text_width(row[c]));
        }
        auto line = [&](const std::vector<std::string>& cells) {
            std::string text = "  ";
            for (std::size_t c = 0; c < cells.size(); ++c) {
                const bool last = c + 1 == cells.size();
                const std::string pad(width[c] - text_width(cells[c]), ' ');
                if (columns_[c].second)
                    text += pad + cells[c];
                else
                    text += cells[c] + (last ? "" : pad);
                if (!last) text += "  ";
            }
            out += text + "\n";
        };
        std::vector<std::string> titles;
        for (const auto& column : columns_) titles.push_back(column.first);
        line(titles);
        for (const auto& row : rows_) line(row);
    }

private:
    std::vector<std::pair<std::string, bool>> columns_;
    std::vector<std::vector<std::string>> rows_;
};

void header(const trace& t, std::string_view file_name, std::string& out) {
    const auto& p = t.program;
    auto field = [&](std::string_view label, const std::string& text) {
        std::string padded(label);
        padded.resize(12, ' ');
        out += "  " + padded + text + "\n";
    };
    out += "greenring trace: " + safe(file_name) + "\n";

    std::string pids;
    for (const auto pid : t.pids) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
    if (t.pids.size() == 1 && t.pids[0] == 0) pids.clear();  // events without a pid
    if (!pids.empty()) pids = (t.pids.size() == 1 ? " (pid " : " (pids ") + pids + ")";
    field("program", p.present ? "greenring " + (p.version.empty() ? "?" : safe(p.version)) + pids
                               : "not recorded (no otherData.greenring)" + pids);

    std::string schedule;
    for (const auto& [name, value] : {std::pair{"sched", &p.sched}, std::pair{"seed", &p.seed},
                                      std::pair{"depth", &p.depth}}) {
        if (value->empty()) continue;
        schedule += (schedule.empty() ? "" : ", ") + std::string(name) + " " + safe(*value);
    }
    field("schedule", schedule.empty() ? "not recorded" : schedule);

    field("switches", (p.switches.empty() ? std::string("not recorded") : safe(p.switches)) +
                          "; " + plural(t.slices.size(), "run interval", "run intervals") +
                          " in the trace");
    const std::size_t mains = t.main_context_count();
    field("threads", plural(t.green_thread_count(), "green thread", "green threads") +
                         (mains > 0 ? " + " + plural(mains, "main context", "main contexts")
                                    : std::string()));

    double running = 0;
    for (const auto& s : t.slices) running += s.dur;
    if (t.slices.empty()) {
        field("time", "nothing traced");
    } else {
        const double span = t.end - t.begin;
        field("time", format_time(span) + " traced (" + format_time(t.begin) + " to " +
                          format_time(t.end) + " since start), " + format_time(running) +
                          " running (" + percent(running, span) + ")");
    }
    if (t.other_events > 0)
        field("other", plural(t.other_events, "event", "events") +
                           " of other kinds, not used here");
}

void yields_by_site(const trace& t, const std::vector<std::string>& sites, std::string& out) {
    struct group {
        std::uint32_t what, site;
        std::size_t count;
    };
    // Two spellings of one place ("f+0x1c (m+0x9c)" and "m+0x9c") are one site once
    // resolved: rows are by the site as shown.
    std::unordered_map<std::string_view, std::uint32_t> first_shown;
    std::vector<std::uint32_t> same_site(sites.size());
    for (std::uint32_t i = 0; i < sites.size(); ++i)
        same_site[i] = first_shown.try_emplace(sites[i], i).first->second;

    std::unordered_map<std::uint64_t, std::size_t> index;
    std::vector<group> groups;
    for (const auto& s : t.slices) {
        const std::uint32_t site = same_site[s.site];
        const std::uint64_t key = (std::uint64_t{s.what} << 32) | site;
        const auto [it, inserted] = index.try_emplace(key, groups.size());
        if (inserted) groups.push_back({s.what, site, 0});
        ++groups[it->second].count;
    }
    std::stable_sort(groups.begin(), groups.end(), [&](const group& a, const group& b) {
        if (a.count != b.count) return a.count > b.count;
        if (a.what != b.what) return t.strings[a.what] < t.strings[b.what];
        return sites[a.site] < sites[b.site];
    });

    out += "\nyields by site (" + plural(t.slices.size(), "yield", "yields") + ", " +
           std::to_string(groups.size()) + " distinct):\n";
    if (groups.empty()) {
        out += "  (none)\n";
        return;
    }
    table rows({{"count", true}, {"share", true}, {"what", false}, {"site", false}});
    const double total = static_cast<double>(t.slices.size());
    std::size_t shown = 0, rest_rows = 0, rest_count = 0;
    for (const auto& g : groups) {
        if (shown == max_yield_rows) {
            ++rest_rows;
            rest_count += g.count;
            continue;
        }
        ++shown;
        rows.add({std::to_string(g.count), percent(static_cast<double>(g.count), total),
                  safe(t.strings[g.what]), safe(sites[g.site])});
    }
    rows.render(out);
    if (rest_rows > 0)
        out += "  ... " + plural(rest_rows, "more row", "more rows") + " (" +
               plural(rest_count, "yield", "yields") + ")\n";
}

void green_threads(const trace& t, const std::vector<std::string>& sites, std::string& out) {
    struct stats {
        std::size_t intervals = 0;
        double running = 0;
        const slice* longest = nullptr;
    };
    std::vector<stats> per(t.tracks.size());
    for (const auto& s : t.slices) {
        auto& st = per[s.track];
        ++st.intervals;
        st.running += s.dur;
        if (st.longest == nullptr || s.dur > st.longest->dur) st.longest = &s;
    }

    out += "\ngreen threads (" + plural(t.tracks.size(), "track", "tracks") + "):\n";
    if (t.tracks.empty()) {
        out += "  (none)\n";
        return;
    }
    table rows({{"tid", true},
                {"name", false},
                {"intervals", true},
                {"run time", true},
                {"longest (\u00b5s)", true},
                {"longest ended by", false}});
    for (std::size_t i = 0; i < t.tracks.size() && i < max_thread_rows; ++i) {
        const auto& st = per[i];
        std::string ended = "-";
        if (st.longest != nullptr)
            ended = safe(t.strings[st.longest->what]) + " at " + safe(sites[st.longest->site]);
        rows.add({std::to_string(t.tracks[i].tid), safe(t.tracks[i].name),
                  std::to_string(st.intervals), format_time(st.running),
                  st.longest != nullptr ? micros(st.longest->dur) : "-", ended});
    }
    rows.render(out);
    if (t.tracks.size() > max_thread_rows) {
        std::size_t intervals = 0;
        for (std::size_t i = max_thread_rows; i < t.tracks.size(); ++i)
            intervals += per[i].intervals;
        out += "  ... " + plural(t.tracks.size() - max_thread_rows, "more track", "more tracks") +
               " (" + plural(intervals, "run interval", "run intervals") + ")\n";
    }
}

}  // namespace

std::string summary(const trace& t, const std::vector<std::string>& sites,
                    std::string_view file_name) {
    std::string out;
    header(t, file_name, out);
    yields_by_site(t, sites, out);
    green_threads(t, sites, out);
    return out;
}

}  // namespace greenring::cli::trace
