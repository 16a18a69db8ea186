#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Side-by-side tables of liberrgroup (C) and golang.org/x/sync/errgroup (Go).

Usage: compare.py [--before BEFORE_C_JSON] C_JSON GO_TXT

C_JSON is Google Benchmark's JSON output of errgroup_bench
(--benchmark_out=FILE --benchmark_out_format=json); GO_TXT is the text
output of `go test -bench ... ./bench/goref` (the empty-task run and the
real-work run may be concatenated in it). Cases are paired by name: the C
benchmark "GoLimit1" goes with Go's "BenchmarkGoLimit1". With repetitions
(C) or -count (Go) the median is shown.

Real-work cases are named "Real<Case>_<impl>" on both sides (impl: lib,
pthread in C; go, gosys in Go) and get a table of their own, with the
targets of issue 10 and a pass/miss column.

BEFORE_C_JSON, if given, is the same C benchmarks run in the same sitting
by another build (the code before a change): both tables then show it next
to the C figure, and the empty-task table checks "no case more than 10%
worse than before".

Prints Markdown on stdout.
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

# Real-work cases (bench/real_work.cc, bench/goref/real_work_test.go).
REAL_PREFIX = "Real"

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
        if name.startswith(REAL_PREFIX):
            # Real-work cases: one run each, its counters are the figures.
            entry = {k: v for k, v in b.items() if isinstance(v, (int, float))}
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
            if m.group(1).startswith(REAL_PREFIX):
                e = metrics
            runs.setdefault(m.group(1), []).append(e)
    out = {}
    for name, entries in runs.items():
        out[name] = {
            k: statistics.median(e[k] for e in entries if k in e) for k in entries[0]
        }
    return header, out


def fmt(ns):
    if ns is None:
        return "—"
    if ns >= 100:
        return f"{ns:,.0f}"
    return f"{ns:.1f}"


def fmt_ms(v):
    return "—" if v is None else (f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms")


# What a real-work row shows: name -> (format of one side's metrics, the
# metric the lib÷pthread ratio is taken of).
REAL_KINDS = {
    "wall": (lambda m: fmt_ms(m.get("wall_ms")), "wall_ms"),
    "lat": (lambda m: f"{m['p50_us']:,.0f} / {m['p99_us']:,.0f} µs", "p50_us"),
    "cpu": (
        lambda m: f"{fmt_ms(m.get('wall_ms'))}, {m['peak_threads']:.0f} threads"
        + (f", CPU {m['cpu_ms']:,.0f} ms" if "cpu_ms" in m else ""),
        "wall_ms",
    ),
    "burst": (
        lambda m: f"{fmt_ms(m.get('wall_ms'))}, peak {m['peak_conc']:.0f}",
        "wall_ms",
    ),
    "csw": (lambda m: f"{m['csw_per_sub']:,.1f}", "csw_per_sub"),
}


def t_io_warm100(lib, pth):
    w = lib["wall_ms"]
    return "≤ 2 ms or ≤ 0.5× pthread", w <= 2 or (pth is not None and w <= 0.5 * pth["wall_ms"])


def t_ratio(limit):
    def check(lib, pth):
        ok = None if pth is None else lib["wall_ms"] <= limit * pth["wall_ms"]
        return f"≤ {limit:g}× pthread", ok

    return check


def t_limit4(lib, pth):
    return "≤ 25 ms (1.25 × ideal 20)", lib["wall_ms"] <= 25


def t_latency(lib, pth):
    return "median ≤ 100 µs", lib["p50_us"] <= 100


def t_cpu(lib, pth):
    ideal, cpus = lib["ideal_ms"], lib["cpus"]
    cap = 4 * cpus + 4
    ok = lib["wall_ms"] <= 1.2 * ideal and lib["peak_threads"] <= cap
    return f"wall ≤ {1.2 * ideal:,.0f} ms (1.2 × CPU/CPUs), threads ≤ {cap:.0f}", ok


def t_burst(lib, pth):
    return "peak ≥ 120, wall ≤ 5 ms", lib["peak_conc"] >= 120 and lib["wall_ms"] <= 5


# (what, C lib case, C pthread case, Go case for "go", for "gosys", kind,
# target). Case names without "Real" and without the _impl suffix.
REAL_ROWS = [
    ("I/O fan-out 100 × 1 ms, warm pool", "Io100Warm", "Io100", "Io100", "Io100", "wall", t_io_warm100),
    ("I/O fan-out 100 × 1 ms, cold pool", "Io100Cold", "Io100", None, None, "wall", t_ratio(1)),
    ("I/O fan-out 1,000 × 1 ms, warm pool", "Io1000Warm", "Io1000", "Io1000", "Io1000", "wall", t_ratio(0.5)),
    ("I/O fan-out 1,000 × 1 ms, cold pool", "Io1000Cold", "Io1000", None, None, "wall", t_ratio(1)),
    ("limit 4, 40 × 2 ms (ideal 20 ms)", "Limit4", "Limit4", "Limit4", "Limit4", "wall", t_limit4),
    ("go → start, idle (p50 / p99)", "Latency0", "Latency0", "Latency0", None, "lat", None),
    ("go → start, 1 blocked in eg_context_wait / chan", "Latency1Ctx", "Latency1Sys", "Latency1Ctx", None, "lat", None),
    ("go → start, 1 blocked in read()", "Latency1Sys", "Latency1Sys", None, "Latency1Sys", "lat", None),
    ("go → start, CPUs blocked in eg_context_wait / chan", "LatencyCpusCtx", "LatencyCpusSys", "LatencyCpusCtx", None, "lat", t_latency),
    ("go → start, CPUs blocked in read()", "LatencyCpusSys", "LatencyCpusSys", None, "LatencyCpusSys", "lat", t_latency),
    ("go → start, 100 blocked in eg_context_wait / chan", "Latency100Ctx", "Latency100Sys", "Latency100Ctx", None, "lat", None),
    ("go → start, 100 blocked in read()", "Latency100Sys", "Latency100Sys", None, "Latency100Sys", "lat", None),
    ("CPU-bound 200 × 10 ms (wall, peak threads)", "Cpu", "Cpu", "Cpu", None, "cpu", t_cpu),
    ("burst 160 × 1 ms, 160 parked threads (wall, peak concurrency)", "Burst160", "Burst160", "Burst160", "Burst160", "burst", t_burst),
    ("context switches per submission, pool grown to 2,000 threads", "Csw2000", "Csw2000", "Csw2000", "Csw2000", "csw", None),
]


def real_get(side, case, impl):
    if case is None:
        return None
    e = side.get(f"{REAL_PREFIX}{case}_{impl}")
    return None if e is None or "error" in e else e


def real_cell(e, kind):
    if e is None:
        return "—"
    try:
        return REAL_KINDS[kind][0](e)
    except KeyError:
        return "?"


def print_real(c, go, before):
    if not any(n.startswith(REAL_PREFIX) for n in c):
        return
    cols = ["case", "liberrgroup"]
    if before is not None:
        cols.append("before")
    cols += [
        "one pthread per task",
        "Go, time.Sleep / chan",
        "Go, blocking syscall",
        "lib ÷ pthread",
        "target (issue 10)",
        "pass/miss",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * (len(cols) - 3) + "---|---|")
    for what, lib_c, pth_c, go_c, gosys_c, kind, target in REAL_ROWS:
        lib = real_get(c, lib_c, "lib")
        pth = real_get(c, pth_c, "pthread")
        failed = c.get(f"{REAL_PREFIX}{lib_c}_lib")
        row = [what, real_cell(lib, kind)]
        if failed is not None and "error" in failed:
            row[1] = f"failed: {failed['error']}"
        if before is not None:
            row.append(real_cell(real_get(before, lib_c, "lib"), kind))
        row += [
            real_cell(pth, kind),
            real_cell(real_get(go, go_c, "go"), kind),
            real_cell(real_get(go, gosys_c, "gosys"), kind),
        ]
        metric = REAL_KINDS[kind][1]
        if lib and pth and pth.get(metric):
            row.append(f"{lib[metric] / pth[metric]:.2f}")
        else:
            row.append("—")
        if target is None or lib is None:
            row += ["—", ""]
        else:
            text, ok = target(lib, pth)
            row += [text, "—" if ok is None else ("pass" if ok else "**miss**")]
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "Wall times are medians of rounds; latencies are the median and 99th "
        "percentile of 200 samples 1 ms apart. lib ÷ pthread < 1 means the "
        "pool beats one pthread_create per task. The pthread column of a "
        "latency row with blocked tasks has that many other threads blocked "
        "in read() (an OS thread blocks the same way in any call). Go has no "
        "cold-pool rows (its runtime keeps its threads)."
    )


def print_empty(c, go, before):
    names = [n for n, _, _ in CASES] + [HOST_CASE]
    extra = sorted(
        n for n in (set(c) | set(go)) - set(names) if not n.startswith(REAL_PREFIX)
    )
    rows = [(n, u, w) for n, u, w in CASES if n in c or n in go]
    rows += [(n, "ns/op", "") for n in extra]
    if not rows:
        return False
    head = "| case | unit | C (liberrgroup) |"
    if before is not None:
        head += " C before | C/before | ≤ 1.10 |"
    print(head + " Go (x/sync/errgroup) | Go/C | what |")
    print("|---|---|---:|" + ("---:|---:|---|" if before is not None else "") + "---:|---:|---|")
    for name, unit, what in rows:
        ce, ge = c.get(name), go.get(name)
        c_ns = None if ce is None or "error" in ce else ce["ns"]
        g_ns = None if ge is None else ge["ns"]
        if ce is not None and "error" in ce:
            what = f"C run failed: {ce['error']}"
        ratio = f"{g_ns / c_ns:.2f}" if c_ns and g_ns else "—"
        cells = f"| {name} | {unit} | {fmt(c_ns)} |"
        if before is not None:
            be = before.get(name)
            b_ns = None if be is None or "error" in be else be["ns"]
            rel = c_ns / b_ns if c_ns and b_ns else None
            cells += f" {fmt(b_ns)} | {'—' if rel is None else f'{rel:.2f}'} |"
            cells += " — |" if rel is None else (" pass |" if rel <= 1.10 else " **miss** |")
        print(f"{cells} {fmt(g_ns)} | {ratio} | {what} |")
    return True


def main(argv):
    args = argv[1:]
    before = None
    if len(args) >= 2 and args[0] == "--before":
        before = load_c(args[1])[1]
        args = args[2:]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    c_ctx, c = load_c(args[0])
    go_hdr, go = load_go(args[1])

    load = c_ctx.get("load_avg")
    load_txt = f"; load average {load[0]:.1f} at the C run's start" if load else ""
    print(
        f"Machine: {go_hdr.get('cpu', '?')}, {c_ctx.get('num_cpus', '?')} CPUs; "
        f"liberrgroup {c_ctx.get('liberrgroup', '?')}; medians of repeated runs"
        f"{load_txt}."
    )
    print()
    if print_empty(c, go, before):
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
        checks = []
        for name in ("Go", "GoBatch1M"):
            ce, ge = c.get(name), go.get(name)
            if ce and ge and "error" not in ce and ce["ns"]:
                r = ge["ns"] / ce["ns"]
                checks.append(f"{name} {r:.2f}× ({'pass' if r >= 2 else 'miss'})")
        if checks:
            print(
                "Unlimited fan-out at least 2× faster than x/sync: "
                + ", ".join(checks)
                + "."
            )
        print()
    print_real(c, go, before)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
