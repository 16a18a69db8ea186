#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The errgroup conformance suite (compat/README.md).

Builds three runners, runs every scenario on each and compares transcripts:

  reference    Go, golang.org/x/sync/errgroup         (compat/runner)
  go-package   Go, github.com/liberrgroup/liberrgroup/go/errgroup
               (compat/runner built with -tags liberrgroup)
  c            C, liberrgroup linked directly          (compat/c_runner)

Hand-written scenarios (compat/scenarios/*.scn) must match their golden
transcript (compat/golden/*.txt, the reference's) on every side; generated
scenarios (compat/generate.py, from a seed) must match across sides.

The extras (compat/scenarios-extras/*.scn, with a line "sides c go-package")
use what liberrgroup adds beyond the reference: they run on the C library and
the Go package only, against hand-written golden transcripts
(compat/golden-extras/*.txt); the reference runner refuses them. The
reference set (compat/scenarios, compat/golden, compat/generate.py) must stay
as compat/reference-set.sha256 records it.

  python3 compat/conformance.py                 # the suite
  python3 compat/conformance.py --regen-golden  # rewrite the golden files
  python3 compat/conformance.py --mutations     # the mutation check
  python3 compat/conformance.py FILE.scn...     # only these scenarios
  python3 compat/conformance.py --check-reference-set   # only the manifest
  python3 compat/conformance.py --bless-reference-set   # rewrite the manifest
"""

import hashlib

import argparse
import concurrent.futures
import difflib
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPAT = os.path.join(ROOT, "compat")
SCENARIOS = os.path.join(COMPAT, "scenarios")
GOLDEN = os.path.join(COMPAT, "golden")
EXTRAS = os.path.join(COMPAT, "scenarios-extras")
EXTRAS_GOLDEN = os.path.join(COMPAT, "golden-extras")
# The reference set's files and their SHA-256 (sha256sum's format, paths
# from the repository's root: `sha256sum -c compat/reference-set.sha256`).
MANIFEST = os.path.join(COMPAT, "reference-set.sha256")
BUILD = os.path.join(ROOT, "build", "compat")
GO_PACKAGE_DIR = os.path.join(ROOT, "go", "errgroup")
# The C library's sources and header (override to test another tree).
C_DIR = os.environ.get("EG_COMPAT_C_DIR", os.path.join(ROOT, "c"))
INCLUDE_DIR = os.environ.get("EG_COMPAT_INCLUDE_DIR", os.path.join(ROOT, "include"))
SIDES = ["reference", "go-package", "c"]
# The sides an extras scenario may name: go-on-c is the go-package runner
# with every group moved onto its C group first (CHandle;
# EG_COMPAT_C_GROUP=1): the Go package's extras on the C library.
EXTRAS_SIDES = ["c", "go-package", "go-on-c"]
EXTRAS_COLUMNS = EXTRAS_SIDES
COLUMN_SIDE = {"c": "c", "go-package": "go-package", "go-on-c": "go-package"}
NOT_BUILT = "not built"
BUILD_FAILURES = []
TIMED_OUT = re.compile(r"TIMEOUT|: unfinished$|INCOMPLETE", re.M)

sys.dont_write_bytecode = True  # keep compat/ free of __pycache__
sys.path.insert(0, COMPAT)
import generate  # noqa: E402
import mutations  # noqa: E402


def log(*args):
    print(*args, flush=True)


def find_go():
    go = shutil.which("go")
    if go is None and os.access("/usr/local/go/bin/go", os.X_OK):
        go = "/usr/local/go/bin/go"
    return go


def run_cmd(cmd, cwd=ROOT, **kw):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kw)


def build_go_runner(go, tags, out, fatal=True):
    # compat/ is a Go module of its own (it requires the reference,
    # golang.org/x/sync; the repository's module comes from ../ by replace).
    cmd = [go, "build", "-o", out]
    if tags:
        cmd += ["-tags", tags]
    cmd.append("./runner")
    res = run_cmd(cmd, cwd=COMPAT)
    if res.returncode != 0:
        msg = "building %s failed:\n%s%s" % (rel(out), res.stdout, res.stderr)
        if fatal:
            raise SystemExit(msg)
        log(msg[-3000:])
        return False
    return True


def c_sources(c_dir=C_DIR):
    return sorted(os.path.join(c_dir, f) for f in os.listdir(c_dir) if f.endswith(".c"))


def build_c_runner(out, mutation=None):
    """Builds the C runner; with `mutation`, from a copy of c/ that has the
    mutant of compat/mutations.py applied."""
    c_dir = C_DIR
    if mutation:
        c_dir = os.path.join(BUILD, "mutant-" + mutation)
        try:
            mutations.apply(mutation, C_DIR, c_dir)
        except ValueError as e:
            raise SystemExit(str(e))
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-std=c11", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pthread",
           "-DEG_TESTING", "-DEG_STATIC_DEFINE",
           "-I" + INCLUDE_DIR, "-I" + c_dir]
    cmd += c_sources(c_dir) + [os.path.join(COMPAT, "c_runner", "runner.c"), "-o", out]
    res = run_cmd(cmd)
    if res.returncode != 0:
        raise SystemExit("building %s failed:\n%s%s" % (out, res.stdout, res.stderr))


def go_package_present():
    return os.path.isdir(GO_PACKAGE_DIR) and any(
        f.endswith(".go") and not f.endswith("_test.go") for f in os.listdir(GO_PACKAGE_DIR))


def build_runners(want_go_package=True):
    """Returns {side: executable or None (not built)}."""
    os.makedirs(BUILD, exist_ok=True)
    go = find_go()
    if go is None:
        raise SystemExit("go is not installed: the reference runner needs it")
    runners = {}
    runners["reference"] = os.path.join(BUILD, "runner-reference")
    build_go_runner(go, None, runners["reference"])
    runners["go-package"] = None
    if want_go_package and go_package_present():
        exe = os.path.join(BUILD, "runner-go-package")
        if build_go_runner(go, "liberrgroup", exe, fatal=False):
            runners["go-package"] = exe
        else:
            BUILD_FAILURES.append("go-package")
    runners["c"] = os.path.join(BUILD, "runner-c")
    build_c_runner(runners["c"])
    return runners


def start_runner(exe, files, timeout_ms, extra_env=None):
    env = dict(os.environ, EG_COMPAT_TIMEOUT_MS=str(timeout_ms), **(extra_env or {}))
    # Long lists go through a response-free chunking: one process per chunk.
    return subprocess.Popen([exe] + files, cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def parse_output(out):
    """Splits "### FILE ... ### end" blocks into {file: transcript text}."""
    result, current, lines = {}, None, []
    for line in out.splitlines():
        if current is None:
            if line.startswith("### "):
                current, lines = line[4:], []
        elif line == "### end":
            result[current] = "\n".join(lines) + "\n"
            current = None
        else:
            lines.append(line)
    if current is not None:
        result[current] = "\n".join(lines) + "\nINCOMPLETE (the runner died)\n"
    return result


def run_sides(runners, files, timeout_ms=5000, wall_limit=180):
    """Runs every built runner on files concurrently: {side: {file: text}}."""
    procs = {}
    for side, exe in runners.items():
        if exe is not None:
            procs[side] = start_runner(exe, files, timeout_ms)
    results = {}
    for side, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=wall_limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += "\n(killed after %d s)" % wall_limit
        results[side] = parse_output(out)
        if proc.returncode not in (0, 1):
            log("runner %s exited with %s; stderr:\n%s" % (side, proc.returncode, err[-4000:]))
    return results


def rel(path):
    return os.path.relpath(path, ROOT)


def scenario_sides(path):
    """The sides a scenario file's "sides" line names, or None (every side).
    Only the header (the lines before the first block) is read."""
    with open(path) as fh:
        for line in fh:
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] in ("main", "task", "caller"):
                break
            if words[0] == "sides":
                return words[1:]
    return None


def is_extras(path):
    sides = scenario_sides(path)
    return sides is not None and "reference" not in sides


def golden_path(scn):
    base = os.path.splitext(os.path.basename(scn))[0] + ".txt"
    return os.path.join(EXTRAS_GOLDEN if is_extras(scn) else GOLDEN, base)


def unified(a, b, name_a, name_b):
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), name_a, name_b))


def compare(files, results, golden, quiet=False, label=None, sides=SIDES):
    """Compares sides (and golden where given). Returns (rows, differing)."""
    rows, differing = [], []
    for f in files:
        key = rel(f) if not os.path.isabs(f) or f.startswith(ROOT) else f
        want_name, want = None, None
        if golden is not None and f in golden:
            want_name, want = "golden", golden[f]
        elif "reference" in results:
            want_name, want = "reference", results["reference"].get(f)
        cells, bad = {}, []
        for side in sides:
            if side not in results:
                cells[side] = NOT_BUILT
                continue
            got = results[side].get(f)
            if got is None:
                cells[side] = "missing"
                bad.append((side, ""))
            elif "parse error:" in got or want is None:
                cells[side] = "error"
                bad.append((side, got))
            elif TIMED_OUT.search(got):
                # a scenario has one correct transcript and never times out
                cells[side] = "TIMEOUT"
                bad.append((side, got))
            elif got == want:
                cells[side] = "ok"
            else:
                cells[side] = "DIFFERS"
                bad.append((side, got))
        if golden is not None:
            cells["golden"] = "ok" if f in golden else "missing"
            if f not in golden:
                bad.append(("golden", ""))
        rows.append((key, cells))
        if bad:
            differing.append(key)
            if not quiet:
                log("---- %s: %s differs from %s" % (label or key, ", ".join(s for s, _ in bad), want_name))
                for side, got in bad:
                    if want is not None and got:
                        sys.stdout.write(unified(want, got, "%s (%s)" % (key, want_name),
                                                 "%s (%s)" % (key, side)))
                    elif side == "golden":
                        log("  no golden transcript %s (run with --regen-golden)" % rel(golden_path(f)))
                sys.stdout.flush()
    return rows, differing


def print_table(rows, with_golden, sides=SIDES):
    cols = sides + (["golden"] if with_golden else [])
    width = max([len("scenario")] + [len(k) for k, _ in rows])
    log("%-*s  %s" % (width, "scenario", "  ".join("%-10s" % c for c in cols)))
    for key, cells in rows:
        log("%-*s  %s" % (width, key, "  ".join("%-10s" % cells.get(c, "") for c in cols)))


def load_golden(files):
    golden = {}
    for f in files:
        p = golden_path(f)
        if os.path.exists(p):
            with open(p) as fh:
                golden[f] = fh.read()
    return golden


def scn_files(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".scn"))


def hand_written(args_files):
    """(reference-set files, extras files): the arguments, split by their
    sides line, or every file of compat/scenarios and compat/scenarios-extras."""
    if args_files:
        files = [os.path.abspath(f) for f in args_files]
        return [f for f in files if not is_extras(f)], [f for f in files if is_extras(f)]
    return scn_files(SCENARIOS), scn_files(EXTRAS)


def reference_set_files():
    """The files the manifest covers, relative to the root, sorted."""
    names = [rel(f) for f in scn_files(SCENARIOS)]
    if os.path.isdir(GOLDEN):
        names += [rel(os.path.join(GOLDEN, f)) for f in os.listdir(GOLDEN) if f.endswith(".txt")]
    names.append(rel(os.path.join(COMPAT, "generate.py")))
    return sorted(names)


def sha256_of(path):
    with open(os.path.join(ROOT, path), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def check_reference_set():
    """Compares the reference set with the manifest; returns the problems."""
    if not os.path.exists(MANIFEST):
        return ["%s is missing" % rel(MANIFEST)]
    want = {}
    with open(MANIFEST) as fh:
        for line in fh:
            if line.strip():
                digest, name = line.rstrip("\n").split("  ", 1)
                want[name] = digest
    have = reference_set_files()
    problems = []
    for name in have:
        if name not in want:
            problems.append("%s: not in the manifest (a new file in the reference set)" % name)
        elif sha256_of(name) != want[name]:
            problems.append("%s: changed (its SHA-256 differs from the manifest's)" % name)
    for name in sorted(set(want) - set(have)):
        problems.append("%s: in the manifest but missing" % name)
    return problems


def bless_reference_set():
    with open(MANIFEST, "w") as fh:
        for name in reference_set_files():
            fh.write("%s  %s\n" % (sha256_of(name), name))
    log("wrote %s (%d files)" % (rel(MANIFEST), len(reference_set_files())))


def check_extras_files(files):
    """An extras scenario names only sides of EXTRAS_SIDES; returns problems."""
    problems = []
    for f in files:
        sides = scenario_sides(f) or []
        if not sides or any(s not in EXTRAS_SIDES for s in sides):
            problems.append("%s: an extras scenario needs a line \"sides c go-package "
                            "go-on-c\" (or some of them)" % rel(f))
    return problems


def generated(seed, count):
    out_dir = os.path.join(BUILD, "generated")
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    return generate.write_scenarios(out_dir, seed, count)


def cmd_regen(runners, files, extras):
    if extras:
        log("not regenerated: %d extras scenario(s) (their golden transcripts in %s are "
            "written by hand: the reference cannot run them)" % (len(extras), rel(EXTRAS_GOLDEN)))
    if not files:
        return
    results = run_sides({"reference": runners["reference"]}, files)
    os.makedirs(GOLDEN, exist_ok=True)
    for f in files:
        text = results["reference"].get(f)
        if text is None or "parse error:" in text:
            raise SystemExit("reference failed on %s:\n%s" % (rel(f), text))
        if "TIMEOUT" in text or ": unfinished" in text:
            log("warning: %s: the reference transcript has a timeout:\n%s" % (rel(f), text))
        with open(golden_path(f), "w") as fh:
            fh.write(text)
    log("wrote %d golden transcripts into %s" % (len(files), rel(GOLDEN)))
    log("(the reference set's manifest: compat/run.sh --bless-reference-set if this was meant)")


REFUSED = re.compile(r"^parse error: .*not run on the reference side", re.M)


def run_extras(runners, extras, timeout_ms=5000):
    """Runs each extras scenario on the built sides it names, compares with
    its hand-written golden transcript, and checks that the reference runner
    refuses it. Returns (rows, differing, refusal problems)."""
    sides_of = {f: scenario_sides(f) or [] for f in extras}
    results = {"reference": {}}
    built = {}
    jobs = []  # (column, exe, files, env): one process per scenario
    for col in EXTRAS_COLUMNS:
        side = COLUMN_SIDE[col]
        built[col] = runners.get(side)
        results[col] = {}
        env = {"EG_COMPAT_C_GROUP": "1"} if col == "go-on-c" else None
        if built[col]:
            jobs += [(col, runners[side], [f], env) for f in extras if col in sides_of[f]]
    if runners.get("reference"):
        jobs.append(("reference", runners["reference"], extras, None))

    def run_job(job):
        # One scenario per process: a crash (a panic in the Go package, a
        # fault in C) spoils only its own transcript.
        col, exe, files, env = job
        proc = start_runner(exe, files, timeout_ms, env)
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return col, proc.returncode, parse_output(out), err

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for col, rc, res, err in pool.map(run_job, jobs):
            results[col].update(res)
            if col == "go-on-c" and rc == 2 and "has no C group" in err:
                built[col] = None  # built without cgo: no C group to move onto
            elif rc not in (0, 1):
                log("runner %s exited with %s on %s; stderr:\n%s"
                    % (col, rc, " ".join(rel(f) for f in res), err[-3000:]))
    if runners.get("go-package") and not built["go-on-c"]:
        log("go-on-c: %s (the go-package runner has no C group: built without cgo)" % NOT_BUILT)
    golden = load_golden(extras)
    rows, differing = [], []
    for f in extras:
        key = rel(f)
        want = golden.get(f)
        cells, bad = {}, []
        for side in EXTRAS_COLUMNS:
            if side not in sides_of[f]:
                cells[side] = "-"
                continue
            if not built[side]:
                cells[side] = NOT_BUILT
                continue
            got = results.get(side, {}).get(f)
            if got is None:
                cells[side] = "missing"
                bad.append((side, ""))
            elif "parse error:" in got or want is None:
                cells[side] = "error"
                bad.append((side, got))
            elif TIMED_OUT.search(got):
                cells[side] = "CRASHED" if "INCOMPLETE" in got else "TIMEOUT"
                bad.append((side, got))
            elif got == want:
                cells[side] = "ok"
            else:
                cells[side] = "DIFFERS"
                bad.append((side, got))
        cells["golden"] = "ok" if want is not None else "missing"
        if want is None:
            bad.append(("golden", ""))
        rows.append((key, cells))
        if bad:
            differing.append(key)
            log("---- %s: %s differs from golden" % (key, ", ".join(s for s, _ in bad)))
            for side, got in bad:
                if side == "golden":
                    log("  no golden transcript %s (extras goldens are written by hand)"
                        % rel(golden_path(f)))
                elif want is not None and got:
                    sys.stdout.write(unified(want, got, "%s (golden)" % key, "%s (%s)" % (key, side)))
                elif got:
                    sys.stdout.write(got)
            sys.stdout.flush()
    refusals = []
    for f in extras:
        got = results.get("reference", {}).get(f, "")
        if not REFUSED.search(got) or got.count("\n") != 1:
            refusals.append("%s: the reference runner did not refuse it:\n%s" % (rel(f), got))
    return rows, differing, refusals


def cmd_suite(runners, files, extras, seed, count, check_manifest):
    t0 = time.time()
    sides = [s for s in SIDES if runners.get(s)]
    log("sides: %s" % ", ".join("%s (%s)" % (s, "built" if runners.get(s) else
                                             "BUILD FAILED" if s in BUILD_FAILURES else NOT_BUILT)
                                for s in SIDES))
    if runners.get("go-package") is None and "go-package" not in BUILD_FAILURES:
        log("go-package: %s (no Go package in %s, or --no-go-package): skipped"
            % (NOT_BUILT, rel(GO_PACKAGE_DIR)))
    failed = []
    if check_manifest:
        problems = check_reference_set()
        for p in problems:
            log("reference set: %s" % p)
        if problems:
            failed.append("reference set changed (%d file(s); see above)" % len(problems))
        else:
            log("reference set: unchanged (%d files as %s records)"
                % (len(reference_set_files()), rel(MANIFEST)))
    n = k = 0
    if files:
        results = run_sides(runners, files)
        rows, differing = compare(files, results, load_golden(files))
        log("")
        log("== hand-written scenarios (sides vs golden)")
        print_table(rows, True)
        n, k = len(rows), len(differing)

    gen_k = 0
    if count > 0:
        log("")
        log("== %d generated scenarios, seed %d (reproduce: compat/run.sh --seed %d --count %d)"
            % (count, seed, seed, count))
        gfiles = generated(seed, count)
        gresults = run_sides(runners, gfiles)
        grows, gdiff = compare(gfiles, gresults, None)
        for key in gdiff:
            log("generated scenario differs: %s (seed %d)" % (key, seed))
        gen_k = len(gdiff)
        log("generated: %d scenarios, %d match on all sides, %d differ (seed %d)"
            % (len(grows), len(grows) - gen_k, gen_k, seed))
        n += len(grows)
        k += gen_k

    if extras:
        log("")
        log("== extras: %d scenarios on %s only (sides vs hand-written golden)"
            % (len(extras), " and ".join(EXTRAS_SIDES)))
        problems = check_extras_files(extras)
        for p in problems:
            log("extras: %s" % p)
        erows, ediff, refusals = run_extras(runners, extras)
        print_table(erows, True, EXTRAS_COLUMNS)
        for p in refusals:
            log("extras: %s" % p)
        if refusals:
            failed.append("the reference runner ran %d extras scenario(s)" % len(refusals))
        else:
            log("reference: refuses all %d extras scenarios (never runs them)" % len(extras))
        if problems:
            failed.append("%d extras scenario(s) without a valid sides line" % len(problems))
        ran = ", ".join("%s ran %d" % (side, sum(1 for _, c in erows if c.get(side) not in ("-", NOT_BUILT)))
                        for side in EXTRAS_COLUMNS)
        log("extras: %d scenarios, %d match on the sides they name, %d differ (%s)"
            % (len(erows), len(erows) - len(ediff), len(ediff), ran))
        if ediff:
            failed.append("%d extras scenario(s) differ" % len(ediff))
    log("(%.1f s; sides compared: %s)" % (time.time() - t0, ", ".join(sides)))
    for side in BUILD_FAILURES:
        log("%s: BUILD FAILED (see above): the suite fails" % side)
    for what in failed:
        log("FAILED: %s" % what)
    log("conformance: %d scenarios, %d match on all sides, %d differ" % (n, n - k, k))
    return 1 if k or BUILD_FAILURES or failed else 0


def cmd_mutations(files, seed, count, extras=()):
    """Each mutation must make at least one scenario differ (the extras
    scenarios that run on c count too: compat/mutations.py has mutants of
    the extras)."""
    files = list(files) + [f for f in extras if "c" in (scenario_sides(f) or [])]
    golden = load_golden(files)
    gfiles = generated(seed, count) if count else []
    log("mutation check: hand-written scenarios vs golden, %d generated (seed %d) vs reference"
        % (count, seed))
    failures = []
    for name in mutations.MUTANTS:
        exe = os.path.join(BUILD, "runner-c-" + name)
        build_c_runner(exe, name)
        res = run_sides({"c": exe}, files, timeout_ms=1500)
        _, diff = compare(files, res, golden, quiet=True)
        gdiff = []
        if gfiles:
            ref = run_sides({"reference": os.path.join(BUILD, "runner-reference"), "c": exe}, gfiles,
                            timeout_ms=1500)
            _, gdiff = compare(gfiles, ref, None, quiet=True)
        if diff or gdiff:
            log("mutation %-16s killed by %d scenario(s): %s" % (
                name, len(diff) + len(gdiff), " ".join(os.path.basename(d) for d in (diff + gdiff)[:6])))
        else:
            log("mutation %-16s SURVIVED: no scenario noticed it" % name)
            failures.append(name)
    log("mutations: %d checked, %d killed, %d survived" % (
        len(mutations.MUTANTS), len(mutations.MUTANTS) - len(failures), len(failures)))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="scenario files (default: compat/scenarios/*.scn)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the generated scenarios")
    ap.add_argument("--count", type=int, default=500, help="generated scenarios (default 500)")
    ap.add_argument("--regen-golden", action="store_true", help="rewrite compat/golden from the reference")
    ap.add_argument("--mutations", action="store_true", help="run the mutation check")
    ap.add_argument("--no-go-package", action="store_true", help="skip the Go package side")
    ap.add_argument("--check-reference-set", action="store_true",
                    help="only check the reference set against %s" % rel(MANIFEST))
    ap.add_argument("--bless-reference-set", action="store_true",
                    help="rewrite %s (a deliberate change of the reference set)" % rel(MANIFEST))
    args = ap.parse_args()
    if args.check_reference_set:
        problems = check_reference_set()
        for p in problems:
            log("reference set: %s" % p)
        log("reference set: %s" % ("%d problem(s)" % len(problems) if problems else
                                  "unchanged (%d files)" % len(reference_set_files())))
        return 1 if problems else 0
    if args.bless_reference_set:
        bless_reference_set()
        return 0
    seed = args.seed
    if seed is None:
        seed = int(os.environ.get("EG_COMPAT_SEED", random.SystemRandom().randrange(1, 2**31)))
    files, extras = hand_written(args.files)
    runners = build_runners(not args.no_go_package)
    if args.regen_golden:
        cmd_regen(runners, files, extras)
        return 0
    if args.mutations:
        if not args.files:
            files, extras = hand_written([])
        return cmd_mutations(files, seed, min(args.count, 200), extras)
    count = 0 if args.files else args.count
    return cmd_suite(runners, files, extras, seed, count, check_manifest=not args.files)


if __name__ == "__main__":
    sys.exit(main())
