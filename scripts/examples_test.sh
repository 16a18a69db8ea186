#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of the example programs (examples/README.md): the
# lifecycle and the scatter-gather in C and Go, the scatter-gather in
# Python, each against real servers on 127.0.0.1 that the tests start and
# stop (examples/tests, pytest).
#
# Usage: scripts/examples_test.sh [BUILD_DIR] [pytest args...]
#   BUILD_DIR (default build/default) is configured when it does not exist;
#   the library and the C examples are built in it (a C example whose
#   library pkg-config does not find is not a target: its tests are
#   skipped, and CMake said why). The Go examples are checked (gofmt, vet)
#   and built with -race into BUILD_DIR/examples-go. Ends with
#   "examples: N passed, M failed".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/go_path.sh

build_dir=build/default
if [[ $# -gt 0 && $1 != -* ]]; then
  build_dir=$1
  shift
fi

if ! python3 -m pytest --version >/dev/null 2>&1; then
  echo "examples_test: pytest is missing (apt-get install python3-pytest)" >&2
  exit 1
fi

if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  if [[ $build_dir == build/default ]]; then
    cmake --preset default >/dev/null
  else
    cmake -S "$root" -B "$build_dir" -G Ninja >/dev/null
  fi
fi
targets=(errgroup)
known=$(cmake --build "$build_dir" --target help)
for t in lifecycle scatter_gather; do
  if grep -q "^$t:" <<<"$known"; then
    targets+=("$t")
  else
    echo "examples_test: $t is not built (its library is missing; see CMake's message)"
  fi
done
cmake --build "$build_dir" --target "${targets[@]}" >/dev/null
build_dir=$(cd "$build_dir" && pwd)

go_bin=$build_dir/examples-go
if command -v go >/dev/null 2>&1; then
  mkdir -p "$go_bin"
  unformatted=$(gofmt -l examples/golifecycle examples/goscatter)
  [[ -z $unformatted ]] || { echo "examples_test: gofmt needed: $unformatted" >&2; exit 1; }
  go vet ./examples/golifecycle ./examples/goscatter
  # -race: the tests fail on any report of the race detector.
  go build -race -o "$go_bin/golifecycle" ./examples/golifecycle
  go build -race -o "$go_bin/goscatter" ./examples/goscatter
else
  echo "examples_test: no Go toolchain: the Go examples' tests are skipped"
fi

export EXAMPLES_BIN=$build_dir/examples:$go_bin
export LIBERRGROUP_PATH=${LIBERRGROUP_PATH:-$build_dir/liberrgroup.so.1}
export PYTHONDONTWRITEBYTECODE=1
echo "examples_test: $(python3 --version), programs in $EXAMPLES_BIN"
# Each wait inside the tests is bounded; this bounds the whole run.
exec timeout 600 python3 -m pytest -p no:cacheprovider -q -rs examples/tests "$@"
