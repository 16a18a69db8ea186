#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs liberrgroup's C benchmarks and the Go reference benchmarks in one
# sitting and prints a side-by-side table (Markdown, for docs/PERFORMANCE.md).
#
#   bench/run.sh                  # from anywhere inside the repository
#   bench/run.sh --real           # only the real-work cases (about a minute)
#   bench/run.sh --empty          # only the empty-task cases
#
# The real-work cases (bench/real_work.cc, bench/goref/real_work_test.go:
# tasks that sleep, block in read() or compute, against one pthread_create
# per task and Go's errgroup) do their own rounds and report medians; they
# get a table of their own with issue 10's targets and a pass/miss column.
#
# Environment:
#   BUILD_DIR       build tree holding bench/errgroup_bench
#                   (default: build/default; built with the "default" preset
#                   when the binary is missing)
#   C_MIN_TIME      --benchmark_min_time in seconds per C run (default 0.3)
#   C_REPETITIONS   repetitions of each C benchmark (default 3)
#   GO_COUNT        go test -count (default 3)
#   GO_BENCHTIME    go test -benchtime (default: go's own, 1s)
#   OUT_DIR         where the raw outputs go (default: $BUILD_DIR/bench-results)
#   REAL_ROUNDS     rounds of each real-work case, C and Go (default 5)
#   BEFORE_BIN      another build's errgroup_bench (the code before a change):
#                   run in the same sitting, right after this one, and shown
#                   next to it ("C before", C/before, the 10% check)
#
# The whole run takes about 3-4 minutes on a 2-core machine.
set -euo pipefail

what=all
case "${1:-}" in
  "") ;;
  --real) what=real ;;
  --empty) what=empty ;;
  *) echo "usage: $0 [--real | --empty]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/go_path.sh

build_dir=${BUILD_DIR:-build/default}
bin=$build_dir/bench/errgroup_bench
c_min_time=${C_MIN_TIME:-0.3}
c_reps=${C_REPETITIONS:-3}
go_count=${GO_COUNT:-3}
out_dir=${OUT_DIR:-$build_dir/bench-results}

if [ ! -x "$bin" ]; then
  echo "== building $bin" >&2
  if [ "$build_dir" = build/default ] && [ -f CMakePresets.json ] &&
     cmake --list-presets 2>/dev/null | grep -q '"default"'; then
    cmake --preset default >&2
  else
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  fi
  cmake --build "$build_dir" --target errgroup_bench >&2
fi
if [ ! -x "$bin" ]; then
  echo "error: $bin was not built (is libbenchmark-dev installed?)" >&2
  exit 1
fi

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
case "$build_type" in
  Release | RelWithDebInfo | MinSizeRel) ;;
  *) echo "warning: $build_dir is a '${build_type:-no build type}' build;" \
          "numbers from an unoptimized library are not representative" >&2 ;;
esac

if [ -n "${BEFORE_BIN:-}" ] && [ ! -x "$BEFORE_BIN" ]; then
  echo "error: BEFORE_BIN=$BEFORE_BIN is not an executable" >&2
  exit 1
fi

mkdir -p "$out_dir"
c_json=$out_dir/c.json
go_txt=$out_dir/go.txt
export REAL_ROUNDS=${REAL_ROUNDS:-5}

# Real-work cases are named Real*, on both sides; the C ones fix their own
# iterations and repetitions (one run that does REAL_ROUNDS rounds).
case "$what" in
  all) c_filter=. ;;
  real) c_filter='^Real' ;;
  empty) c_filter='^[^R]' ;; # every case but Real* (no other name starts with R)
esac

run_c() { # binary, JSON output
  "$1" \
    --benchmark_filter="$c_filter" \
    --benchmark_min_time="$c_min_time" \
    --benchmark_repetitions="$c_reps" \
    --benchmark_display_aggregates_only=true \
    --benchmark_out="$2" \
    --benchmark_out_format=json >&2
}

echo "== C: $bin (min_time ${c_min_time}s, ${c_reps} repetitions," \
     "real work: $REAL_ROUNDS rounds)" >&2
run_c "$bin" "$c_json"
compare_args=()
if [ -n "${BEFORE_BIN:-}" ]; then
  echo "== C before: $BEFORE_BIN" >&2
  run_c "$BEFORE_BIN" "$out_dir/c-before.json"
  compare_args=(--before "$out_dir/c-before.json")
fi

: >"$go_txt"
if [ "$what" != real ]; then
  echo "== Go: golang.org/x/sync/errgroup (-count $go_count)" >&2
  # ^Benchmark[^R]: every benchmark but the BenchmarkReal* ones.
  go_args=(-run xxx -bench '^Benchmark[^R]' -benchmem -count "$go_count")
  if [ -n "${GO_BENCHTIME:-}" ]; then go_args+=(-benchtime "$GO_BENCHTIME"); fi
  go test "${go_args[@]}" ./bench/goref | tee -a "$go_txt" >&2
fi
if [ "$what" != empty ]; then
  # A process of its own: Go never gives threads back, so the thread counts
  # of the real-work cases must not see the other benchmarks' threads.
  echo "== Go: real work ($REAL_ROUNDS rounds)" >&2
  go test -run xxx -bench '^BenchmarkReal' -benchtime 1x -count 1 ./bench/goref |
    tee -a "$go_txt" >&2
fi

echo >&2
python3 bench/compare.py "${compare_args[@]}" "$c_json" "$go_txt"
