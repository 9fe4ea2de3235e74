// trace_svg.cpp: the SVG timeline of `greenring trace svg` (see trace_svg.hpp).
//
// Layout, top to bottom: a header with the program facts and how to read the picture, a
// time axis, then one lane per track (name and colour swatch at the left), then the axis
// again. Each run interval is a bar; the call that ended it is written in the gap after
// the bar (where the green thread waits) when there is room, and every bar carries a
// <title> tooltip. Past a couple of thousand intervals, runs of bars too small to tell
// apart are drawn as one bar per run, paler where the lane was less busy.
#include "trace_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <unordered_map>

namespace greenring::cli::trace {

namespace {

constexpr double width = 1200;
constexpr double plot_left = 190;    // lane names live left of this
constexpr double plot_right = 1180;
constexpr double lanes_top = 104;
constexpr double lane_height = 28;
constexpr double bar_top = 4;        // within a lane
constexpr double bar_height = 20;
constexpr double label_char_width = 6.1;  // 10 px monospace
constexpr std::size_t name_chars = 22;

// More intervals than this and tiny neighbours are merged (still drawn where they are).
constexpr std::size_t merge_above = 2000;
constexpr double tiny_px = 2.0;  // a bar narrower than this is "tiny"
constexpr double close_px = 1.0; // tiny bars closer than this are merged
constexpr double merged_max_px = 8.0;  // a merged bar ends here, so busyness shows over time

// Text for XML content and attribute values. XML 1.0 cannot carry most control characters
// even as references, so they are shown as \xNN; the rest is escaped as usual.
std::string xml(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            case '\n': out += '\n'; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\x";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else if (c == 0xEF && i + 2 < text.size() &&
                           static_cast<unsigned char>(text[i + 1]) == 0xBF &&
                           (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE) {
                    out += "\xEF\xBF\xBD";  // U+FFFE and U+FFFF are not XML characters
                    i += 2;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// Lane colours: hues spread by the golden angle, so neighbours never look alike.
std::string lane_colour(std::size_t lane, double lightness) {
    const double h = std::fmod(static_cast<double>(lane) * 137.508, 360.0) / 60.0;
    const double s = 0.6, l = lightness;
    const double c = (1 - std::fabs(2 * l - 1)) * s;
    const double x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1));
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(h)) {
        case 0: r = c, g = x; break;
        case 1: r = x, g = c; break;
        case 2: g = c, b = x; break;
        case 3: g = x, b = c; break;
        case 4: r = x, b = c; break;
        default: r = c, b = x; break;
    }
    const double m = l - c / 2;
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround((r + m) * 255)),
                  static_cast<int>(std::lround((g + m) * 255)),
                  static_cast<int>(std::lround((b + m) * 255)));
    return buf;
}

struct time_axis {
    double begin = 0, end = 1;  // µs
    double x(double t) const {
        return plot_left + (t - begin) / (end - begin) * (plot_right - plot_left);
    }
    double px(double duration) const { return duration / (end - begin) * (plot_right - plot_left); }
};

// Ticks at 1, 2 or 5 times a power of ten, labelled in the unit that suits the step.
void draw_axis(const time_axis& axis, double line_y, double label_y, double grid_bottom,
               bool grid, std::string& out) {
    const double range = axis.end - axis.begin;
    const double raw = range / 8;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * magnitude;
        if (step >= raw) break;
    }
    double unit = 1;
    const char* unit_name = "\u00b5s";
    if (step >= 1e6) {
        unit = 1e6;
        unit_name = "s";
    } else if (step >= 1e3) {
        unit = 1e3;
        unit_name = "ms";
    }
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step / unit) + 1e-9)));

    out += "<g class=\"axis\" font-size=\"11\" fill=\"#444\">\n";
    out += "<line x1=\"" + num(plot_left) + "\" y1=\"" + num(line_y) + "\" x2=\"" +
           num(plot_right) + "\" y2=\"" + num(line_y) + "\" stroke=\"#888\"/>\n";
    for (double k = std::ceil(axis.begin / step);; k += 1) {
        const double t = k * step;
        if (t > axis.end + step * 1e-9) break;
        const double x = axis.x(t);
        if (grid)
            out += "<line x1=\"" + num(x) + "\" y1=\"" + num(line_y) + "\" x2=\"" + num(x) +
                   "\" y2=\"" + num(grid_bottom) + "\" stroke=\"#e2e2e2\"/>\n";
        out += "<line x1=\"" + num(x) + "\" y1=\"" + num(line_y - 4) + "\" x2=\"" + num(x) +
               "\" y2=\"" + num(line_y + 4) + "\" stroke=\"#888\"/>\n";
        char label[64];
        std::snprintf(label, sizeof label, "%.*f %s", decimals, t / unit, unit_name);
        out += "<text x=\"" + num(x) + "\" y=\"" + num(label_y) +
               "\" text-anchor=\"middle\">" + label + "</text>\n";
    }
    out += "</g>\n";
}

// What one bar shows: a single run interval, or a run of tiny ones merged.
struct mark {
    std::size_t first = 0;  // index into the lane's slices
    std::size_t count = 0;
    double begin = 0, end = 0, running = 0;
};

std::string single_tooltip(const trace& t, const std::vector<std::string>& sites,
                           const slice& s) {
    const auto& tr = t.tracks[s.track];
    std::string text = tr.name + " (tid " + std::to_string(tr.tid) + ")\n";
    text += "ran " + format_time(s.ts) + " \u2192 " + format_time(s.end()) + " (" +
            format_time(s.dur) + ")\n";
    text += "ended by: " + t.strings[s.what] + "\n";
    text += "site: " + t.strings[s.site];
    if (sites[s.site] != t.strings[s.site]) text += "\nsource: " + sites[s.site];
    if (s.seq >= 0) text += "\nswitch #" + std::to_string(s.seq);
    return text;
}

std::string merged_tooltip(const trace& t, const std::vector<std::string>& sites,
                           const std::vector<const slice*>& lane, const mark& m) {
    const auto& tr = t.tracks[lane[m.first]->track];
    std::unordered_map<std::uint64_t, std::size_t> counts;
    std::uint64_t top = 0;
    std::size_t top_count = 0;
    for (std::size_t i = m.first; i < m.first + m.count; ++i) {
        const std::uint64_t key = (std::uint64_t{lane[i]->what} << 32) | lane[i]->site;
        const std::size_t n = ++counts[key];
        if (n > top_count) {
            top = key;
            top_count = n;
        }
    }
    const double span = m.end - m.begin;
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", span > 0 ? 100 * m.running / span : 100.0);
    std::string text = tr.name + " (tid " + std::to_string(tr.tid) + "): " +
                       std::to_string(m.count) + " run intervals, merged (too small to draw apart)\n";
    text += "from " + format_time(m.begin) + " to " + format_time(m.end) + ": running " +
            format_time(m.running) + " of " + format_time(span) + " (" + share + ")\n";
    text += "most frequent yield (" + std::to_string(top_count) + "\u00d7): " +
            t.strings[static_cast<std::uint32_t>(top >> 32)] + " at " +
            sites[static_cast<std::uint32_t>(top & 0xffffffffu)];
    return text;
}

}  // namespace

std::string svg(const trace& t, const std::vector<std::string>& sites, std::string_view file_name) {
    const bool merge = t.slices.size() > merge_above;
    time_axis axis;
    if (!t.slices.empty()) {
        axis.begin = t.begin;
        axis.end = t.end > t.begin ? t.end : t.begin + 1;
    }

    // The slices of each lane, in time order.
    std::vector<std::vector<const slice*>> lanes(t.tracks.size());
    for (const auto& s : t.slices) lanes[s.track].push_back(&s);
    for (auto& lane : lanes)
        std::stable_sort(lane.begin(), lane.end(),
                         [](const slice* a, const slice* b) { return a->ts < b->ts; });

    // Bars per lane: one per interval, or per run of tiny intervals when merging.
    std::vector<std::vector<mark>> marks(lanes.size());
    std::size_t merged_bars = 0, merged_intervals = 0, bars = 0;
    for (std::size_t l = 0; l < lanes.size(); ++l) {
        const auto& lane = lanes[l];
        for (std::size_t i = 0; i < lane.size();) {
            mark m{i, 1, lane[i]->ts, lane[i]->end(), lane[i]->dur};
            if (merge && axis.px(lane[i]->dur) < tiny_px) {
                while (m.first + m.count < lane.size()) {
                    const slice* next = lane[m.first + m.count];
                    if (axis.px(next->dur) >= tiny_px || axis.px(next->ts - m.end) >= close_px ||
                        axis.px(next->end() - m.begin) > merged_max_px)
                        break;
                    m.end = std::max(m.end, next->end());
                    m.running += next->dur;
                    ++m.count;
                }
            }
            if (m.count > 1) {
                ++merged_bars;
                merged_intervals += m.count;
            }
            ++bars;
            i += m.count;
            marks[l].push_back(m);
        }
    }

    const double lanes_bottom = lanes_top + lane_height * static_cast<double>(t.tracks.size());
    const double height = lanes_bottom + 34;
    std::string out;
    out.reserve(4096 + t.slices.size() * 300);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" +
           num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
           "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
    out += "<title>greenring trace: " + xml(file_name) + "</title>\n";
    out += "<rect x=\"0\" y=\"0\" width=\"" + num(width) + "\" height=\"" + num(height) +
           "\" fill=\"#ffffff\"/>\n";

    // Header: what this is, the program facts, how to read it.
    const auto& p = t.program;
    std::string facts;
    auto fact = [&](const std::string& text) { facts += (facts.empty() ? "" : "  \u00b7  ") + text; };
    if (!p.sched.empty()) fact("sched " + p.sched);
    if (!p.seed.empty()) fact("seed " + p.seed);
    if (!p.depth.empty()) fact("depth " + p.depth);
    if (!p.switches.empty()) fact(p.switches + " switches");
    fact(std::to_string(t.green_thread_count()) + " green thread" +
         (t.green_thread_count() == 1 ? "" : "s") +
         (t.main_context_count() > 0 ? " + " + std::to_string(t.main_context_count()) + " main"
                                     : ""));
    fact(std::to_string(t.slices.size()) + " run interval" + (t.slices.size() == 1 ? "" : "s"));
    if (!t.slices.empty()) fact(format_time(t.end - t.begin) + " traced");
    if (!p.version.empty()) fact("greenring " + p.version);
    out += "<g class=\"header\">\n";
    out += "<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">greenring trace \u2014 " +
           xml(file_name) + "</text>\n";
    out += "<text x=\"12\" y=\"44\" fill=\"#333\">" + xml(facts) + "</text>\n";
    out += "<text x=\"12\" y=\"62\" font-size=\"11\" fill=\"#555\">Each bar is one run interval of "
           "a green thread; the text after a bar is the call that ended it. Hover a bar for "
           "what, site and times.</text>\n";
    if (merged_bars > 0) {
        out += "<text x=\"12\" y=\"78\" font-size=\"11\" fill=\"#a04000\">" +
               std::to_string(t.slices.size()) + " run intervals: " +
               std::to_string(merged_intervals) + " tiny adjacent ones are drawn merged into " +
               std::to_string(merged_bars) + " bars (" + std::to_string(bars) +
               " bars in all; paler = less busy).</text>\n";
    }
    out += "</g>\n";

    // Lane backgrounds and names (the legend: swatch colour = bar colour).
    out += "<g class=\"lanes\">\n";
    for (std::size_t l = 0; l < t.tracks.size(); ++l) {
        const double top = lanes_top + lane_height * static_cast<double>(l);
        if (l % 2 == 0)
            out += "<rect x=\"0\" y=\"" + num(top) + "\" width=\"" + num(width) + "\" height=\"" +
                   num(lane_height) + "\" fill=\"#f4f4f4\"/>\n";
    }
    out += "</g>\n";
    draw_axis(axis, lanes_top - 8, lanes_top - 14, lanes_bottom, true, out);
    draw_axis(axis, lanes_bottom + 6, lanes_bottom + 22, 0, false, out);

    out += "<g class=\"names\">\n";
    for (std::size_t l = 0; l < t.tracks.size(); ++l) {
        const auto& tr = t.tracks[l];
        const double top = lanes_top + lane_height * static_cast<double>(l);
        out += "<g class=\"lane-name\"><title>" + xml(tr.name) + " (tid " + std::to_string(tr.tid) +
               ", " + std::to_string(lanes[l].size()) + " run interval" +
               (lanes[l].size() == 1 ? "" : "s") + ")</title>";
        out += "<rect x=\"8\" y=\"" + num(top + 8) + "\" width=\"12\" height=\"12\" fill=\"" +
               lane_colour(l, 0.55) + "\"/>";
        out += "<text x=\"26\" y=\"" + num(top + 18) + "\">" + xml(truncate_text(tr.name, name_chars)) +
               "</text></g>\n";
    }
    out += "</g>\n";

    if (t.slices.empty())
        out += "<text x=\"" + num((plot_left + plot_right) / 2) + "\" y=\"" + num(lanes_top + 18) +
               "\" text-anchor=\"middle\" fill=\"#888\">no run intervals in this trace</text>\n";

    // Bars and labels, one group per lane.
    for (std::size_t l = 0; l < t.tracks.size(); ++l) {
        const auto& lane = lanes[l];
        const auto& lane_marks = marks[l];
        const double top = lanes_top + lane_height * static_cast<double>(l);
        out += "<g class=\"lane\" data-tid=\"" + std::to_string(t.tracks[l].tid) + "\" fill=\"" +
               lane_colour(l, 0.55) + "\">\n";
        std::string labels;
        for (std::size_t k = 0; k < lane_marks.size(); ++k) {
            const mark& m = lane_marks[k];
            const double x0 = axis.x(m.begin);
            double w = std::max(axis.px(m.end - m.begin), 0.8);
            // Merged bars that nearly touch are drawn touching: no hairline seams.
            if (m.count > 1 && k + 1 < lane_marks.size() && lane_marks[k + 1].count > 1 &&
                axis.px(lane_marks[k + 1].begin - m.end) < close_px)
                w = std::max(w, axis.x(lane_marks[k + 1].begin) - x0);
            out += "<rect x=\"" + num(x0) + "\" y=\"" + num(top + bar_top) + "\" width=\"" +
                   num(w) + "\" height=\"" + num(bar_height) + "\"";
            if (m.count > 1) {
                const double busy = m.end > m.begin ? m.running / (m.end - m.begin) : 1.0;
                out += " fill-opacity=\"" + num(0.3 + 0.7 * std::clamp(busy, 0.0, 1.0)) + "\">";
                out += "<title>" + xml(merged_tooltip(t, sites, lane, m)) + "</title></rect>\n";
                continue;
            }
            const slice& s = *lane[m.first];
            out += "><title>" + xml(single_tooltip(t, sites, s)) + "</title></rect>\n";

            // The label goes in the gap after the bar, where the thread waits for it;
            // failing that, inside a bar wide enough to hold it.
            const std::string& what = t.strings[s.what];
            const double gap_end =
                k + 1 < lane_marks.size() ? axis.x(lane_marks[k + 1].begin) : plot_right + 18;
            const double after = x0 + w + 2;
            const auto fits = [&](double room) {
                return room <= 0 ? std::size_t{0}
                                 : static_cast<std::size_t>(room / label_char_width);
            };
            std::size_t chars = fits(gap_end - after - 2);
            double label_x = after;
            if (chars < std::min<std::size_t>(text_width(what), 6) && fits(w - 4) >= text_width(what)) {
                chars = text_width(what);
                label_x = x0 + 2;
            }
            if (chars >= std::min<std::size_t>(text_width(what), 6))
                labels += "<text x=\"" + num(label_x) + "\" y=\"" + num(top + 18) + "\">" +
                          xml(truncate_text(what, chars)) + "</text>\n";
        }
        out += "</g>\n";
        if (!labels.empty())
            out += "<g class=\"labels\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, "
                   "monospace\" font-size=\"10\" fill=\"#222\">\n" +
                   labels + "</g>\n";
    }
    out += "</svg>\n";
    return out;
}

}  // namespace greenring::cli::trace
