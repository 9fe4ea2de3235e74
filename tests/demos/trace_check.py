#!/usr/bin/env python3
"""Checks on greenring's schedules, through the traces it writes.

determinism: the same program with the same --sched and --seed switches at the
  same places in the same order: the sequence of (track, what yielded, site)
  of two runs is identical, for random and for pct. Addresses inside the
  "what" (mutex 0x55..., join 0x55...) move with ASLR from run to run, so each
  distinct address is renamed by order of first appearance before comparing.
  So that the comparison cannot pass vacuously, different seeds must give at
  least two different sequences.
format: a trace is Chrome trace-event JSON with the fields the tools and the
  docs rely on: traceEvents holding M (thread_name) and X (run) events,
  args.yield/site/seq on each X, otherData.greenring; every run interval of one
  OS thread's green threads is disjoint from the others.

Usage: trace_check.py GREENRING BIN_DIR WORK_DIR determinism|format
"""
import json
import os
import re
import subprocess
import sys

GREENRING, BIN, WORK, WHAT = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)
failures = []


def check(cond, message):
    print(("ok: " if cond else "FAIL: ") + message)
    if not cond:
        failures.append(message)
    return cond


def traced_run(name, options, command):
    path = os.path.join(WORK, name + ".json")
    if os.path.exists(path):
        os.unlink(path)
    proc = subprocess.run([GREENRING, "run", "--trace", path] + options + ["--"] + command,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    with open(path) as f:
        return json.load(f), proc


def switch_sequence(trace):
    names = {}

    def rename(match):
        return "@%d" % names.setdefault(match.group(0), len(names))

    return [(e["tid"], re.sub(r"0x[0-9a-f]{6,}", rename, e["args"]["yield"]), e["args"]["site"])
            for e in trace["traceEvents"] if e.get("ph") == "X"]


def determinism():
    programs = [("planted_race", [os.path.join(BIN, "planted_race")]),
                ("lazy_init", [os.path.join(BIN, "demo-lazy-init")])]
    for sched in ("random", "pct"):
        for label, command in programs:
            seen = {}
            for seed in (1, 2, 3, 4, 5, 6):
                first, _ = traced_run("%s-%s-%d-a" % (label, sched, seed), ["--sched", sched, "--seed", str(seed)], command)
                second, _ = traced_run("%s-%s-%d-b" % (label, sched, seed), ["--sched", sched, "--seed", str(seed)], command)
                a, b = switch_sequence(first), switch_sequence(second)
                where = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                check(a == b, "%s --sched %s --seed %d: two runs switch identically (%d switches%s)"
                      % (label, sched, seed, len(a),
                         "" if a == b else "; first difference at switch %d: %s vs %s"
                         % (where, a[where] if where < len(a) else "end", b[where] if where < len(b) else "end")))
                check(len(a) >= 4, "%s --sched %s --seed %d: the run switched (%d switches)" % (label, sched, seed, len(a)))
                seen.setdefault(repr(a), []).append(seed)
            check(len(seen) >= 2, "%s --sched %s: seeds 1..6 give %d different schedules (at least 2)"
                  % (label, sched, len(seen)))


def validate(trace, sched, seed, label):
    check(isinstance(trace, dict) and isinstance(trace.get("traceEvents"), list), label + ": traceEvents is a list")
    events = trace.get("traceEvents", [])
    meta = [e for e in events if e.get("ph") == "M"]
    runs = [e for e in events if e.get("ph") == "X"]
    check(len(meta) >= 2 and len(runs) >= 4, label + ": has M and X events (%d M, %d X)" % (len(meta), len(runs)))
    check(all(e.get("name") == "thread_name" and isinstance(e.get("args", {}).get("name"), str) and e["args"]["name"]
              for e in meta), label + ": every M event is a thread_name with a name")
    named = {e.get("tid") for e in meta}
    check(all(isinstance(e.get("tid"), int) and e["tid"] in named for e in runs),
          label + ": every X event's track has a thread_name")
    check(len({e.get("pid") for e in events}) == 1 and isinstance(events[0].get("pid"), int), label + ": one pid")
    good = all(e.get("name") == "run" and isinstance(e.get("ts"), (int, float)) and isinstance(e.get("dur"), (int, float))
               and e["ts"] >= 0 and e["dur"] >= 0 and isinstance(e.get("args"), dict)
               and isinstance(e["args"].get("yield"), str) and e["args"]["yield"]
               and isinstance(e["args"].get("site"), str) and e["args"]["site"]
               and isinstance(e["args"].get("seq"), int) for e in runs)
    check(good, label + ": every X event has ts, dur and args.yield/site/seq")
    if not good:
        return
    seqs = [e["args"]["seq"] for e in runs]
    check(seqs == list(range(len(runs))), label + ": args.seq counts 0, 1, 2, ... in file order")
    ordered = sorted(runs, key=lambda e: e["ts"])
    overlaps = [(a, b) for a, b in zip(ordered, ordered[1:]) if a["ts"] + a["dur"] > b["ts"] + 0.01]
    check(not overlaps, label + ": no two run intervals overlap (one OS thread runs one green thread at a time)"
          + ("" if not overlaps else "; first: %r and %r" % overlaps[0]))
    other = trace.get("otherData", {}).get("greenring")
    check(isinstance(other, dict), label + ": otherData.greenring is present")
    if isinstance(other, dict):
        check(isinstance(other.get("version"), str) and other["version"], label + ": otherData.greenring.version")
        check(other.get("sched") == sched, label + ": otherData.greenring.sched is %s (%r)" % (sched, other.get("sched")))
        check(other.get("seed") == seed, label + ": otherData.greenring.seed is %d (%r)" % (seed, other.get("seed")))
        check(isinstance(other.get("depth"), int), label + ": otherData.greenring.depth")
        check(other.get("switches") == len(runs),
              label + ": otherData.greenring.switches (%r) counts the X events (%d)" % (other.get("switches"), len(runs)))


def format_():
    trace, proc = traced_run("lost-update", [], [os.path.join(BIN, "demo-lost-update"), "-n", "3"])
    check(proc.returncode == 1, "the traced lost-update run still loses updates (exit %d)" % proc.returncode)
    validate(trace, "fifo", 0, "fifo trace of demo-lost-update")
    writes = [e for e in trace["traceEvents"] if e.get("ph") == "X" and e["args"]["yield"].startswith("write fd=")]
    # 12 audit writes to a regular file: each is the plain write, then a
    # switch, every time (no longer up to how fast io-wq was).
    check(len(writes) == 12, "the trace shows the audit writes as yields (%d of 12)" % len(writes))
    trace, _ = traced_run("planted-race", ["--sched", "random", "--seed", "5"], [os.path.join(BIN, "planted_race")])
    validate(trace, "random", 5, "random trace of planted_race")
    # The tour draws its timeline with `greenring trace svg`.
    path = os.path.join(WORK, "lost-update.json")
    svg = subprocess.run([GREENRING, "trace", "svg", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(svg.returncode == 0 and "<svg" in svg.stdout and svg.stdout.rstrip().endswith("</svg>"),
          "greenring trace svg draws the trace (exit %d, %s)" % (svg.returncode, svg.stderr.strip()[:200] or "no error"))


if WHAT == "determinism":
    determinism()
elif WHAT == "format":
    format_()
else:
    sys.exit("trace_check.py: unknown check " + WHAT)
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
