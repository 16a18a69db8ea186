#!/usr/bin/env python3
"""Side-by-side table of liberrgroup (C) and golang.org/x/sync/errgroup (Go).

Usage: compare.py C_JSON GO_TXT

C_JSON is Google Benchmark's JSON output of errgroup_bench
(--benchmark_out=FILE --benchmark_out_format=json); GO_TXT is the text
output of `go test -bench . -benchmem ./bench/goref`. Cases are paired by
name: the C benchmark "GoLimit1" goes with Go's "BenchmarkGoLimit1".
With repetitions (C) or -count (Go) the median is shown.
Prints a Markdown table on stdout.
"""

import json
import re
import statistics
import sys

# Case order and what the number means. Per-task cases: wall time per
# started (or refused) task, Wait included. CancelFanout1000: time from the
# failing task's return to Wait returning, 1000 tasks blocked on the context.
CASES = [
    ("Go", "ns/task", "empty tasks, no limit, then wait"),
    ("GoBatch1M", "ns/task", "1,000,000 empty tasks per round, then wait"),
    ("GoLimit1", "ns/task", "limit 1"),
    ("GoLimit2", "ns/task", "limit 2"),
    ("GoLimit8", "ns/task", "limit 8"),
    ("TryGoBelowLimit", "ns/task", "try_go that succeeds, then wait"),
    ("TryGoAtLimit", "ns/call", "try_go refused (limit 1 held)"),
    ("GoWaitRoundTrip", "ns/op", "one go + one wait per op"),
    ("CancelFanout1000", "ns/op", "failing task returns -> wait returns; 1000 tasks blocked on ctx"),
]

# Not a library case: the host's one-way cross-CPU latency in this sitting.
HOST_CASE = "CrossCpuOneWay"

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_c(path):
    """name -> {"ns": per-item ns, "extra": {...}} from Google Benchmark JSON."""
    with open(path) as f:
        data = json.load(f)
    runs = {}  # name -> list of per-run values (iteration runs)
    medians = {}  # name -> value from the "median" aggregate
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"]).split("/")[0]
        if b.get("error_occurred"):
            runs.setdefault(name, [])
            medians[name] = {"error": b.get("error_message", "error")}
            continue
        if "items_per_second" in b and b["items_per_second"] > 0:
            ns = 1e9 / b["items_per_second"]
        else:
            ns = b["real_time"] * UNIT_NS[b.get("time_unit", "ns")]
        entry = {"ns": ns}
        if "round_ns" in b:
            entry["round_ns"] = b["round_ns"]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = entry
        else:
            runs.setdefault(name, []).append(entry)
    out = {}
    for name, entries in runs.items():
        if name in medians:
            out[name] = medians[name]
        elif entries:
            out[name] = {
                k: statistics.median(e[k] for e in entries) for k in entries[0]
            }
    for name, m in medians.items():
        out.setdefault(name, m)
    return data.get("context", {}), out


GO_LINE = re.compile(r"^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$")
GO_METRIC = re.compile(r"([-+0-9.eE]+)\s+(\S+)")


def load_go(path):
    """name -> {"ns": ..., "bytes": ..., "allocs": ...} (medians)."""
    runs = {}
    header = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            for key in ("goos", "goarch", "cpu"):
                if line.startswith(key + ": "):
                    header[key] = line.split(": ", 1)[1]
            m = GO_LINE.match(line)
            if not m:
                continue
            metrics = {unit: float(v) for v, unit in GO_METRIC.findall(m.group(3))}
            # A batch benchmark reports ns per task as its own metric.
            ns = metrics.get("ns/task", metrics.get("ns/op"))
            if ns is None:
                continue
            e = {"ns": ns}
            if "round-ns/op" in metrics:
                e["round_ns"] = metrics["round-ns/op"]
            if "allocs/op" in metrics:
                e["allocs"] = metrics["allocs/op"]
            runs.setdefault(m.group(1), []).append(e)
    out = {}
    for name, entries in runs.items():
        out[name] = {k: statistics.median(e[k] for e in entries) for k in entries[0]}
    return header, out


def fmt(ns):
    if ns is None:
        return "—"
    if ns >= 100:
        return f"{ns:,.0f}"
    return f"{ns:.1f}"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    c_ctx, c = load_c(argv[1])
    go_hdr, go = load_go(argv[2])

    print(
        f"Machine: {go_hdr.get('cpu', '?')}, {c_ctx.get('num_cpus', '?')} CPUs; "
        f"liberrgroup {c_ctx.get('liberrgroup', '?')}; medians of repeated runs."
    )
    print()
    print("| case | unit | C (liberrgroup) | Go (x/sync/errgroup) | Go/C | what |")
    print("|---|---|---:|---:|---:|---|")
    names = [n for n, _, _ in CASES] + [HOST_CASE]
    extra = sorted((set(c) | set(go)) - set(names))
    for name, unit, what in CASES + [(n, "ns/op", "") for n in extra]:
        ce, ge = c.get(name), go.get(name)
        if ce is None and ge is None:
            continue
        c_ns = None if ce is None or "error" in ce else ce["ns"]
        g_ns = None if ge is None else ge["ns"]
        if ce is not None and "error" in ce:
            what = f"C run failed: {ce['error']}"
        ratio = f"{g_ns / c_ns:.2f}" if c_ns and g_ns else "—"
        print(f"| {name} | {unit} | {fmt(c_ns)} | {fmt(g_ns)} | {ratio} | {what} |")
    c_round = (c.get("CancelFanout1000") or {}).get("round_ns")
    g_round = (go.get("CancelFanout1000") or {}).get("round_ns")
    if c_round or g_round:
        print()
        print(
            f"CancelFanout1000 whole round (start 1000 tasks, fail, wait, free): "
            f"C {fmt(c_round)} ns, Go {fmt(g_round)} ns."
        )
    host = c.get(HOST_CASE)
    if host and "error" not in host:
        print()
        print(
            f"Host: one-way cross-CPU hand-off {fmt(host['ns'])} ns in this "
            f"sitting (two threads bouncing one atomic word)."
        )
    print()
    print("Go/C > 1 means the C library is faster.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
