#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Compares the ABI of liberrgroup.so.1 with the committed baseline
# compat/abi/liberrgroup.abi (libabigail XML), restricted to the types and
# functions reachable from the public headers (include/).
#
# Usage:
#   scripts/check_abi_baseline.sh            build a debug (-g) library in
#                                            $EG_ABI_BUILD_DIR (default
#                                            build/abi) and check it
#   scripts/check_abi_baseline.sh LIB.so     check an already built library
#                                            (it must carry DWARF: -g)
#   scripts/check_abi_baseline.sh --update   rebuild and rewrite the baseline
#                                            (the one documented command;
#                                            see docs/ABI.md for when)
#
# The check fails on ANY nonzero abidiff exit bit. abidiff's status is a
# bitmask: 1 tool error, 2 usage error, 4 ABI change (this is also the bit of
# a struct layout change, an added or removed function, a changed symbol
# version), 8 incompatible change (removed symbol, ...). Bits 4 and 8 both
# fail, so every change to the public ABI needs a deliberate --update.
#
# Needs abidw/abidiff (Debian package abigail-tools).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
baseline=$root/compat/abi/liberrgroup.abi
headers=$root/include
build_dir=${EG_ABI_BUILD_DIR:-$root/build/abi}

for tool in abidw abidiff; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "check_abi_baseline: $tool not found (apt-get install abigail-tools)" >&2
    exit 2
  fi
done

# A Debug build (-g -O0) of the shared library only; no tests, no sanitizer.
build_library() {
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DERRGROUP_SANITIZE= -DERRGROUP_BUILD_TESTS=OFF \
    -DERRGROUP_BUILD_BENCH=OFF -DERRGROUP_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$build_dir" --target errgroup >/dev/null
  echo "$build_dir/liberrgroup.so.1"
}

# The baseline must not depend on where the tree or the build lives, nor on
# header line numbers (a comment edit would churn it): no corpus or
# compilation paths, no locations, type ids derived from the types
# themselves, and the translation units' source paths made relative to the
# tree (abidw has no option for those).
dump_abi() { # library output
  abidw --headers-dir "$headers" --drop-private-types --drop-undefined-syms \
    --no-corpus-path --no-comp-dir-path --no-show-locs \
    --type-id-style hash --out-file "$2.raw" "$1"
  sed "s|path='$root/|path='|" "$2.raw" >"$2"
  rm -f "$2.raw"
  if grep -q "$root" "$2"; then
    echo "check_abi_baseline: $2 still names $root" >&2
    exit 1
  fi
}

mode=check
lib=
case ${1:-} in
--update) mode=update ;;
-h | --help)
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
  ;;
'') ;;
*) lib=$1 ;;
esac

if [[ $mode == update ]]; then
  lib=$(build_library)
  mkdir -p "${baseline%/*}"
  dump_abi "$lib" "$baseline.tmp"
  mv "$baseline.tmp" "$baseline"
  echo "check_abi_baseline: wrote ${baseline#"$root"/} from $lib"
  exit 0
fi

[[ -f $baseline ]] || {
  echo "check_abi_baseline: no baseline at $baseline (make one with --update)" >&2
  exit 2
}
[[ -n $lib ]] || lib=$(build_library)
[[ -f $lib ]] || {
  echo "check_abi_baseline: no such library: $lib" >&2
  exit 2
}

rc=0
abidiff --headers-dir2 "$headers" --drop-private-types \
  "$baseline" "$lib" || rc=$?

if ((rc != 0)); then
  what=()
  ((rc & 1)) && what+=("tool error")
  ((rc & 2)) && what+=("usage error")
  ((rc & 4)) && what+=("ABI change")
  ((rc & 8)) && what+=("incompatible ABI change")
  summary=$(IFS=,; echo "${what[*]:-unknown}")
  echo "check_abi_baseline: FAILED: abidiff exit $rc (${summary//,/, })" >&2
  echo "check_abi_baseline: if the change is intended and follows docs/ABI.md," \
    "run: scripts/check_abi_baseline.sh --update" >&2
  exit 1
fi
echo "check_abi_baseline: OK: $lib matches ${baseline#"$root"/}"
