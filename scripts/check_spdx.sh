#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks that every source file of ours carries the licence's SPDX line
# (`SPDX-License-Identifier: BSD-3-Clause`, LICENSE) near its top: C, C++,
# Go, Python, shell, CMake, TOML and pkg-config files that git tracks, apart from data
# (scenarios, golden transcripts, the ABI baseline). Generated copies in
# go/internal/core carry the line of the file they copy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tag='SPDX-License-Identifier: BSD-3-Clause'
missing=()
checked=0
while IFS= read -r file; do
  case $file in
  compat/golden/* | compat/scenarios/* | compat/abi/*) continue ;;
  esac
  [[ -f $file ]] || continue
  checked=$((checked + 1))
  head -n 6 "$file" | grep -q "$tag" || missing+=("$file")
done < <(git ls-files '*.c' '*.h' '*.cc' '*.go' '*.py' '*.sh' '*.cmake' \
  '*.toml' '*.map' '*.pc.in' '*.cmake.in' 'CMakeLists.txt' '*/CMakeLists.txt' '.ci/run')

for file in "${missing[@]}"; do
  echo "spdx: $file has no '$tag' line in its first lines"
done
echo "spdx: $((checked - ${#missing[@]})) passed, ${#missing[@]} failed"
((${#missing[@]} == 0))
