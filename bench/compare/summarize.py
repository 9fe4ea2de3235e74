"""Summarises the raw outputs of scripts/bench into latest.json, latest.md and
latest.svg (a chart in plain SVG, written here).

    /usr/bin/python3 bench/compare/summarize.py OUT_DIR

OUT_DIR/raw/<workload>/<system>.r<rep>[.server|.loadgen].txt hold each run's
output; a run reports its figures as "METRIC name value unit" lines, a run the
harness did not start holds "SKIP reason". OUT_DIR/raw/machine.txt is the
machine, as key=value lines. Python standard library only.
"""
import glob
import json
import os
import re
import statistics
import sys

SYSTEMS = ["greenring-api", "greenring-shim", "pthreads", "go-1", "go-2", "eventlet", "gevent"]

# (workload, metric, unit, better, label for the table and the chart)
METRICS = [
    ("switch", "ns_per_switch", "ns", "lower", "switch: hand-off between two green threads"),
    ("spawn", "ns_per_spawn_join", "ns", "lower", "spawn: spawn+join, 100k in batches of 1000"),
    ("sleepers", "wall_s", "s", "lower", "sleepers: 100k concurrent 1 s sleeps, wall time"),
    ("sleepers", "rss_kib_per_thread", "KiB", "lower", "sleepers: RSS per sleeping green thread"),
    ("pipe_pingpong", "us_per_rtt", "µs", "lower", "pipe_pingpong: 1-byte round trip, two pipes"),
    ("echo_100", "req_per_s", "req/s", "higher", "echo, 100 connections: throughput"),
    ("echo_100", "p99_us", "µs", "lower", "echo, 100 connections: p99 latency"),
    ("echo_100", "server_peak_rss_kib", "KiB", "lower", "echo, 100 connections: server peak RSS"),
    ("echo_1000", "req_per_s", "req/s", "higher", "echo, 1,000 connections: throughput"),
    ("echo_1000", "p99_us", "µs", "lower", "echo, 1,000 connections: p99 latency"),
    ("echo_1000", "server_peak_rss_kib", "KiB", "lower", "echo, 1,000 connections: server peak RSS"),
    ("interpose_overhead", "ns_per_call", "ns", "lower", "interpose_overhead: non-blocking read → EAGAIN"),
]

# What a system cannot express: the reason goes into the cell.
NOT_APPLICABLE = {
    ("interpose_overhead", "greenring-api"): "n/a: the API program calls libc's read directly; nothing is "
                                             "interposed (that cost is the pthreads figure)",
    ("interpose_overhead", "go-1"): "n/a: Go issues its system calls itself, not through libc: there is no "
                                    "layer to interpose",
    ("interpose_overhead", "go-2"): "n/a: Go issues its system calls itself, not through libc: there is no "
                                    "layer to interpose",
    ("interpose_overhead", "eventlet"): "n/a: monkey-patching swaps Python functions, not libc calls; there is "
                                        "no pass-through libc call to time",
    ("interpose_overhead", "gevent"): "n/a: monkey-patching swaps Python functions, not libc calls; there is "
                                      "no pass-through libc call to time",
}


def reference(workload):
    """The system the ratios of a workload are taken against."""
    return "greenring-shim" if workload == "interpose_overhead" else "greenring-api"


def read_machine(raw):
    machine = {}
    path = os.path.join(raw, "machine.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    machine[k] = v
    return machine


def run_files(raw, workload, system):
    """{rep: [files]} of one (workload, system)."""
    runs = {}
    for path in glob.glob(os.path.join(raw, workload, system + ".r*.txt")):
        m = re.match(re.escape(system) + r"\.r(\d+)(\.\w+)?\.txt$", os.path.basename(path))
        if m:
            runs.setdefault(int(m.group(1)), []).append(path)
    return runs


def parse_run(files):
    """Metrics, INFO fields, skip reason and first error line of one run."""
    metrics, info, skip, error = {}, {}, None, None
    for path in sorted(files):
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                parts = line.split()
                if line.startswith("METRIC ") and len(parts) >= 4:
                    try:
                        metrics[parts[1]] = (float(parts[2]), parts[3])
                    except ValueError:
                        pass
                elif line.startswith("INFO "):
                    for k, v in zip(parts[1::2], parts[2::2]):
                        info[k] = v.rstrip("%")
                elif line.startswith("SKIP "):
                    skip = line[5:]
                elif line.startswith("#") or not line.strip():
                    continue
                elif error is None and not line.startswith("LISTENING"):
                    error = line.strip()
    return metrics, info, skip, error


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 100000:
        return "{:,.0f}".format(v)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "{:.0f}".format(v)
    if a >= 10:
        return "{:.1f}".format(v)
    if a >= 1:
        return "{:.2f}".format(v)
    return "{:.3f}".format(v)


def collect(out):
    raw = os.path.join(out, "raw")
    machine = read_machine(raw)
    records, loadgen_cpu = [], []
    for workload, metric, unit, better, label in METRICS:
        for system in SYSTEMS:
            rec = {"workload": workload, "system": system, "metric": metric, "unit": unit, "better": better,
                   "value": None, "min": None, "max": None, "runs": [], "reason": None}
            if (workload, system) in NOT_APPLICABLE:
                rec["reason"] = NOT_APPLICABLE[(workload, system)]
                records.append(rec)
                continue
            runs = run_files(raw, workload, system)
            if not runs:
                rec["reason"] = "not run"
                records.append(rec)
                continue
            values, errors, skips = [], [], []
            for rep in sorted(runs):
                metrics, info, skip, error = parse_run(runs[rep])
                if skip:
                    skips.append(skip)
                elif metric in metrics:
                    values.append(metrics[metric][0])
                    if metric == "req_per_s" and "loadgen_cpu_in_window" in info:
                        loadgen_cpu.append((workload, system, float(info["loadgen_cpu_in_window"])))
                else:
                    errors.append((rep, error or "no result"))
            if skips:
                rec["reason"] = skips[0]
            elif values:
                rec.update(value=statistics.median(values), min=min(values), max=max(values), runs=values)
                if errors:
                    rec["note"] = "{} of {} runs failed: {}".format(len(errors), len(runs), errors[0][1])
            else:
                rec["reason"] = "failed in every run: {} (raw/{}/{}.r{}*)".format(
                    errors[0][1], workload, system, errors[0][0])
            records.append(rec)
    return machine, records, loadgen_cpu


def lookup(records, workload, metric, system):
    for r in records:
        if r["workload"] == workload and r["metric"] == metric and r["system"] == system:
            return r
    return None


def targets(records):
    """The issue's targets: (statement, figures, verdict)."""
    def val(w, m, s):
        r = lookup(records, w, m, s)
        return r if r and r["value"] is not None else None

    def rng(r):
        return "{} ({}–{})".format(fmt(r["value"]), fmt(r["min"]), fmt(r["max"]))

    out = []

    def compare(statement, a, b, unit, factor=1.0, higher=False, a_name="", b_name=""):
        if a is None or b is None:
            out.append((statement, "missing figures", "not measured"))
            return
        if higher:
            met = a["value"] >= factor * b["value"]
            overlap = a["min"] < factor * b["max"] and factor * b["min"] < a["max"]
            ratio = a["value"] / b["value"]
        else:
            met = a["value"] <= factor * b["value"]
            overlap = a["min"] < factor * b["max"] and factor * b["min"] < a["max"]
            ratio = a["value"] / b["value"]
        figures = "{} {} {} vs {} {} {} (×{:.2f})".format(a_name, rng(a), unit, b_name, rng(b), unit, ratio)
        verdict = "**met**" if met else "**not met**"
        if overlap:
            verdict += " (the ranges overlap)"
        out.append((statement, figures, verdict))

    api = "greenring-api"
    compare("switch ≤ Go (GOMAXPROCS=1)", val("switch", "ns_per_switch", api),
            val("switch", "ns_per_switch", "go-1"), "ns", a_name=api, b_name="go-1")
    compare("spawn ≤ Go (GOMAXPROCS=1)", val("spawn", "ns_per_spawn_join", api),
            val("spawn", "ns_per_spawn_join", "go-1"), "ns", a_name=api, b_name="go-1")
    compare("100k sleepers: wall time ≤ Go (GOMAXPROCS=1)", val("sleepers", "wall_s", api),
            val("sleepers", "wall_s", "go-1"), "s", a_name=api, b_name="go-1")
    r = val("sleepers", "rss_kib_per_thread", api)
    if r is None:
        out.append(("100k sleepers: < 6 KiB per green thread", "missing figures", "not measured"))
    else:
        out.append(("100k sleepers: < 6 KiB per green thread", "{} {} KiB".format(api, rng(r)),
                    "**met**" if r["value"] < 6 else "**not met**"))
    compare("echo, 1,000 connections: req/s ≥ Go (GOMAXPROCS=1)", val("echo_1000", "req_per_s", api),
            val("echo_1000", "req_per_s", "go-1"), "req/s", higher=True, a_name=api, b_name="go-1")
    for peer in ("eventlet", "gevent"):
        compare("echo, 1,000 connections: req/s ≥ 10× {}".format(peer), val("echo_1000", "req_per_s", api),
                val("echo_1000", "req_per_s", peer), "req/s", factor=10.0, higher=True, a_name=api, b_name=peer)
    compare("echo, 1,000 connections: the thread-per-connection server ≥ 3× faster under the shim than natively",
            val("echo_1000", "req_per_s", "greenring-shim"), val("echo_1000", "req_per_s", "pthreads"), "req/s",
            factor=3.0, higher=True, a_name="greenring-shim", b_name="pthreads")
    return out


def cell(rec, ref):
    if rec["value"] is None:
        return rec["reason"] or "—"
    s = "{} [{}–{}]".format(fmt(rec["value"]), fmt(rec["min"]), fmt(rec["max"]))
    if ref is not None and ref["value"]:
        s += " ×{:.2f}".format(rec["value"] / ref["value"])
    if rec.get("note"):
        s += " ({})".format(rec["note"])
    return s


def write_md(out, machine, records, loadgen_cpu):
    lines = ["# Comparative benchmarks: latest run", ""]
    lines.append("Machine: {} cores ({}), {} GiB, kernel {}, {}. {} (build {}, commit {}).".format(
        machine.get("cores", "?"), machine.get("cpu", "?"),
        round(int(machine.get("memory_kib", "0") or 0) / 1048576), machine.get("kernel", "?"),
        machine.get("os", "?"), machine.get("date", "?"), machine.get("build_type", "?"), machine.get("commit", "?")))
    lines.append("Peers: Go {}, Python {} with eventlet {} and gevent {}; Boost {}, liburing {}.".format(
        machine.get("go", "?"), machine.get("python", "?"), machine.get("eventlet", "?"), machine.get("gevent", "?"),
        machine.get("boost", "?"), machine.get("liburing", "?")))
    lines.append("Load average {} at the start, {} at the end; the whole run took {} s.".format(
        machine.get("loadavg_start", "?"), machine.get("loadavg_end", "?"), machine.get("duration_s", "?")))
    lines.append("")
    lines.append("Each cell: the median of {} runs [min–max], then ×r = the median ÷ greenring-api's "
                 "(÷ greenring-shim's for interpose_overhead). ↓ lower is better, ↑ higher is better. "
                 "Counts: {}; echo: {}.".format(machine.get("reps", "?"), machine.get("counts", "?"),
                                                machine.get("echo", "?")))
    lines.append("Pinning: {}.".format(machine.get("pinning", "?")))
    lines.append("")
    lines.append("| workload | metric | " + " | ".join(SYSTEMS) + " |")
    lines.append("|---|---|" + "---|" * len(SYSTEMS))
    for workload, metric, unit, better, _label in METRICS:
        ref = lookup(records, workload, metric, reference(workload))
        row = [workload, "{} ({}) {}".format(metric, unit, "↓" if better == "lower" else "↑")]
        for system in SYSTEMS:
            row.append(cell(lookup(records, workload, metric, system), ref))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("## Targets")
    lines.append("")
    lines.append("Medians [min–max]; ×r = greenring's median ÷ the other's.")
    lines.append("")
    lines.append("| target | figures | verdict |")
    lines.append("|---|---|---|")
    for statement, figures, verdict in targets(records):
        lines.append("| {} | {} | {} |".format(statement, figures, verdict))
    lines.append("")
    if loadgen_cpu:
        w, s, top = max(loadgen_cpu, key=lambda t: t[2])
        lines.append("The load generator's own CPU use during the measured window was at most {:.0f}% of its "
                     "core ({} on {}), so it was not the bottleneck.".format(top, s, w) if top < 90 else
                     "Warning: the load generator used {:.0f}% of its core ({} on {}): it may have been the "
                     "bottleneck there.".format(top, s, w))
        lines.append("")
    busy = busy_before_runs(os.path.join(out, "raw"))
    if busy:
        noisy = [b for b in busy if b >= 15]
        lines.append("Other work on the machine: before each run the harness waits (at most 20 s) until both cores "
                     "are less than 15% busy. The busy share seen just before the runs: median {}%, max {}%; {} of "
                     "{} runs started on a busier machine (each raw file records its own).".format(
                         sorted(busy)[len(busy) // 2], max(busy), len(noisy), len(busy)))
        lines.append("")
    lines.append("Raw outputs: `raw/` (one file per run; `raw/machine.txt` is the machine).")
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def busy_before_runs(raw):
    """The 'machine busy before the run' percentages the harness recorded."""
    busy = []
    for path in glob.glob(os.path.join(raw, "*", "*.txt")):
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"# machine busy before the run: (\d+)%", line)
                if m:
                    busy.append(int(m.group(1)))
    return busy


def write_json(out, machine, records, loadgen_cpu):
    doc = {
        "machine": machine,
        "systems": SYSTEMS,
        "records": records,
        "targets": [{"target": t, "figures": f, "verdict": v.replace("*", "")} for t, f, v in targets(records)],
        "loadgen_cpu_percent": [{"workload": w, "system": s, "value": c} for w, s, c in loadgen_cpu],
        "machine_busy_before_runs_percent": busy_before_runs(os.path.join(out, "raw")),
    }
    with open(os.path.join(out, "latest.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


# One colour per system, the same in every panel.
COLOURS = ["#1b7837", "#7fbf7b", "#9970ab", "#2166ac", "#92c5de", "#d6604d", "#f4a582"]


def esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_ticks(hi):
    """Linear ticks 0..hi at a 1/2/5 step."""
    raw = hi / 5.0
    mag = 10 ** int(("%e" % raw).split("e")[1])
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    ticks, t = [], 0.0
    while t <= hi * 1.0001:
        ticks.append(t)
        t += step
    return ticks


def tick_label(v):
    if v >= 1e6:
        return "{:g}M".format(v / 1e6)
    if v >= 1e3:
        return "{:g}k".format(v / 1e3)
    return "{:g}".format(v)


def write_svg(out, records):
    """The chart, as plain SVG written here: one panel per (workload, metric),
    one bar per system (median; whisker min–max), log scale where the values
    span more than 20×. gnuplot's SVG of the same chart was ~200 KB."""
    import math
    cols, pw, ph = 3, 340, 250
    rows = (len(METRICS) + cols - 1) // cols
    top = 58
    width, height = cols * pw, top + rows * ph + 16
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
           'font-family="DejaVu Sans,Verdana,sans-serif" font-size="10">'.format(width, height, width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="{}" y="18" text-anchor="middle" font-size="14" font-weight="bold">greenring comparative '
           'benchmarks</text>'.format(width / 2),
           '<text x="{}" y="34" text-anchor="middle" fill="#444">bar = median of the runs, whisker = min–max; '
           'log scale (marked) where values span over 20×; n/a = not run, see latest.md</text>'.format(width / 2)]
    # The legend, one swatch per system.
    x = (width - 7 * 120) / 2
    for i, system in enumerate(SYSTEMS):
        svg.append('<rect x="{:.0f}" y="42" width="10" height="10" fill="{}"/><text x="{:.0f}" y="51">{}</text>'
                   .format(x + i * 120, COLOURS[i], x + i * 120 + 14, system))
    for n, (workload, metric, unit, better, label) in enumerate(METRICS):
        ox, oy = (n % cols) * pw, top + (n // cols) * ph
        left, right, ptop, pbottom = ox + 52, ox + pw - 12, oy + 40, oy + ph - 48
        recs = [lookup(records, workload, metric, s) for s in SYSTEMS]
        vals = [r["max"] for r in recs if r and r["value"] is not None and r["max"] > 0]
        lows = [r["min"] for r in recs if r and r["value"] is not None and r["min"] > 0]
        title, sub = label.split(": ", 1) if ": " in label else (label, "")
        svg.append('<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>'
                   .format(ox + pw / 2, oy + 14, esc(title)))
        svg.append('<text x="{}" y="{}" text-anchor="middle" fill="#333">{} ({}, {} is better)</text>'
                   .format(ox + pw / 2, oy + 28, esc(sub), esc(unit), better))
        log = bool(vals) and max(vals) / min(lows) > 20
        if log:
            lo_e = math.floor(math.log10(min(lows)))
            hi_e = math.ceil(math.log10(max(vals) * 1.5))
            ticks = [10 ** e for e in range(lo_e, hi_e + 1)]

            def ypos(v, lo_e=lo_e, hi_e=hi_e):
                v = max(v, 10 ** lo_e)
                return pbottom - (math.log10(v) - lo_e) / (hi_e - lo_e) * (pbottom - ptop)
        else:
            hi = max(vals) * 1.15 if vals else 1.0
            ticks = nice_ticks(hi)
            hi = max(hi, ticks[-1])

            def ypos(v, hi=hi):
                return pbottom - v / hi * (pbottom - ptop)
        for t in ticks:
            y = ypos(t)
            svg.append('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#e3e3e3"/>'
                       '<text x="{}" y="{:.1f}" text-anchor="end" font-size="9">{}</text>'
                       .format(left, right, y, y, left - 4, y + 3, tick_label(t)))
        if log:
            svg.append('<text x="{}" y="{}" font-size="8" fill="#888">log</text>'.format(left + 2, ptop - 3))
        svg.append('<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#555"/>'
                   '<line x1="{0}" x2="{3}" y1="{2}" y2="{2}" stroke="#555"/>'.format(left, ptop, pbottom, right))
        slot = (right - left) / len(SYSTEMS)
        for i, r in enumerate(recs):
            cx = left + slot * (i + 0.5)
            svg.append('<text transform="translate({:.1f},{}) rotate(-35)" text-anchor="end" font-size="9">{}'
                       '</text>'.format(cx + 3, pbottom + 12, SYSTEMS[i]))
            if not r or r["value"] is None:
                svg.append('<text x="{:.1f}" y="{}" text-anchor="middle" font-size="9" fill="#999">n/a</text>'
                           .format(cx, pbottom - 4))
                continue
            y = ypos(r["value"])
            bw = slot * 0.72
            svg.append('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>'
                       .format(cx - bw / 2, y, bw, pbottom - y, COLOURS[i]))
            y1, y2 = ypos(r["min"]), ypos(r["max"])
            if abs(y1 - y2) > 1:
                svg.append('<path d="M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}h6M{3:.1f} {2:.1f}h6" stroke="#222"/>'
                           .format(cx, y1, y2, cx - 3))
            svg.append('<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="8.5">{}</text>'
                       .format(cx, min(y, y2) - 3, fmt(r["value"])))
    svg.append("</svg>")
    with open(os.path.join(out, "latest.svg"), "w") as f:
        f.write("\n".join(svg) + "\n")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: summarize.py OUT_DIR\n")
        return 2
    out = argv[1]
    machine, records, loadgen_cpu = collect(out)
    write_json(out, machine, records, loadgen_cpu)
    write_md(out, machine, records, loadgen_cpu)
    write_svg(out, records)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
