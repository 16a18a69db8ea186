#!/usr/bin/env bash
# The main job: installs what is missing, builds everything (the C library,
# its tests, the example, the Go package and the conformance runners), runs
# the fan-out example, then the conformance suite, whose report ends with
#   conformance: N scenarios, M match on all sides, K differ
# and exits non-zero when K > 0. Benchmarks: bash bench/run.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

source scripts/go_path.sh

bash scripts/deps.sh
cmake --preset default
cmake --build --preset default
go build ./...

echo "==== examples/fanout ===="
build/default/examples/fanout

echo "==== conformance ===="
exec bash compat/run.sh
