#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: installs what is missing, builds everything (the C library,
# its tests, the example, the Go package and the conformance runners), runs
# the fan-out example, then the conformance suite, whose report ends with
#   conformance: N scenarios, M match on all sides, K differ
# and exits non-zero when K > 0. Benchmarks: bash bench/run.sh.
#
# The preparation prints one line per step (scripts/stages.sh), with each
# step's output in build/main-logs/ (printed when it fails; VERBOSE=1 shows
# it all); the example and the report are printed in full.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

source scripts/go_path.sh
source scripts/stages.sh
stages_init "$root/build/main-logs"

stage deps bash scripts/deps.sh
stage --needs deps configure cmake --preset default
stage --needs configure build cmake --build --preset default
stage --needs deps go-build go build ./...
if ((${#failed[@]} || ${#skipped_stages[@]})); then
  stages_summary || true
  echo "main: the build failed; see the logs above" >&2
  exit 1
fi

echo "==== examples/fanout ===="
build/default/examples/fanout

echo "==== conformance ===="
exec bash compat/run.sh
