#!/usr/bin/env bash
# Runs liberrgroup's C benchmarks and the Go reference benchmarks in one
# sitting and prints a side-by-side table (Markdown, for docs/PERFORMANCE.md).
#
#   bench/run.sh                  # from anywhere inside the repository
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
#
# The whole run takes about 2-3 minutes on a 2-core machine.
set -euo pipefail

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

mkdir -p "$out_dir"
c_json=$out_dir/c.json
go_txt=$out_dir/go.txt

echo "== C: $bin (min_time ${c_min_time}s, ${c_reps} repetitions)" >&2
"$bin" \
  --benchmark_min_time="$c_min_time" \
  --benchmark_repetitions="$c_reps" \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="$c_json" \
  --benchmark_out_format=json >&2

echo "== Go: golang.org/x/sync/errgroup (-count $go_count)" >&2
go_args=(-run xxx -bench . -benchmem -count "$go_count")
if [ -n "${GO_BENCHTIME:-}" ]; then go_args+=(-benchtime "$GO_BENCHTIME"); fi
go test "${go_args[@]}" ./bench/goref | tee "$go_txt" >&2

echo >&2
python3 bench/compare.py "$c_json" "$go_txt"
