#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the Python binding's tests (python/tests, pytest) against a built
# liberrgroup.so.1.
#
# Usage: scripts/python_test.sh [BUILD_DIR] [pytest args...]
#   BUILD_DIR defaults to build/default; it is configured and built (the
#   library target only) when it has no library yet. LIBERRGROUP_PATH, if
#   set, names the library to test instead and nothing is built.
# Exits non-zero when a test fails (or pytest is missing).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build_dir=build/default
if [[ $# -gt 0 && $1 != -* ]]; then
  build_dir=$1
  shift
fi

if ! python3 -m pytest --version >/dev/null 2>&1; then
  echo "python_test: pytest is missing (apt-get install python3-pytest," \
    "or python3 -m pip install pytest)" >&2
  exit 1
fi

if [[ -z ${LIBERRGROUP_PATH:-} ]]; then
  if [[ ! -e $build_dir/liberrgroup.so.1 ]]; then
    if [[ $build_dir == build/default ]]; then
      cmake --preset default >/dev/null
    else
      cmake -S "$root" -B "$build_dir" -G Ninja >/dev/null
    fi
  fi
  # Always bring the library up to date (a no-op when it is).
  cmake --build "$build_dir" --target errgroup >/dev/null
  LIBERRGROUP_PATH=$(cd "$build_dir" && pwd)/liberrgroup.so.1
fi
export LIBERRGROUP_PATH
echo "python_test: $(python3 --version), library $LIBERRGROUP_PATH"

# No bytecode or cache files in the source tree; a hung test fails the run
# (timeout) instead of blocking CI.
export PYTHONDONTWRITEBYTECODE=1
exec timeout 600 python3 -m pytest -p no:cacheprovider -q python/tests "$@"
