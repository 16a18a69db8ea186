#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Python package as a user gets it: `pip install ./python` into a fresh
# virtual environment (python3 -m venv), which builds liberrgroup.so.1 into
# the package (scikit-build-core, CMake), then, from outside the source tree
# and without LIBERRGROUP_PATH:
#   - every python/examples/*.py runs and ends with "OK";
#   - python/tests run against the installed package (conftest.py leaves
#     sys.path alone under LIBERRGROUP_TEST_INSTALLED=1).
# Needs python3-venv and the network to PyPI (pip fetches scikit-build-core
# for the isolated build, as on a user's machine).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The base interpreter's packages (pytest) stay visible; the venv's own
# site-packages, where liberrgroup goes, comes first.
python3 -m venv --system-site-packages "$work/venv"
py=$work/venv/bin/python
echo "python_pip_test: $("$py" --version) in $work/venv"
"$py" -m pip install --disable-pip-version-check --no-input "$root/python"
"$py" -m pytest --version >/dev/null 2>&1 ||
  "$py" -m pip install --disable-pip-version-check --no-input pytest

unset LIBERRGROUP_PATH
cd "$work" # not the source tree: `import liberrgroup` must find the installed one
location=$("$py" -c 'import liberrgroup; print(liberrgroup.__file__)')
echo "installed: $location, library $("$py" -c 'import liberrgroup; print(liberrgroup.library_version())')"
[[ $location == "$work/venv/"* ]] || { echo "python_pip_test: imported $location, not the installed package" >&2; exit 1; }

passed=0
failed=0
for example in "$root"/python/examples/*.py; do
  echo "-- ${example#"$root"/}"
  if out=$(timeout 300 "$py" "$example" 2>&1) && [[ $(tail -n1 <<<"$out") == *OK ]]; then
    echo "$out"
    passed=$((passed + 1))
  else
    echo "$out"
    echo "python_pip_test: ${example#"$root"/} failed"
    failed=$((failed + 1))
  fi
done
echo "examples: $passed passed, $failed failed"

echo "-- python/tests against the installed package"
export LIBERRGROUP_TEST_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1
timeout 600 "$py" -m pytest -p no:cacheprovider -q -rs "$root/python/tests"
((failed == 0))
