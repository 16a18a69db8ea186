#!/usr/bin/env bash
# Quick start: installs dependencies, builds the default preset, runs the
# fan-out example and the benchmarks (when they exist).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Go, when installed by hand under /usr/local/go, may be missing from PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH=$PATH:/usr/local/go/bin
fi

bash scripts/deps.sh
cmake --preset default
cmake --build --preset default

if [[ -x build/default/examples/fanout ]]; then
  echo "==== examples/fanout ===="
  build/default/examples/fanout
else
  echo "(no build/default/examples/fanout yet; skipping the example)"
fi

if [[ -f bench/run.sh ]]; then
  echo "==== bench/run.sh ===="
  bash bench/run.sh
else
  echo "(no bench/run.sh yet; skipping the benchmarks)"
fi
