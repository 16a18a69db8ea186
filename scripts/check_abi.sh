#!/usr/bin/env bash
# Checks the ABI of the built shared library:
#   - SONAME is liberrgroup.so.1 and the NODELETE flag is set;
#   - the defined dynamic symbols are exactly the EG_API functions of the
#     public header, each with version LIBERRGROUP_1.0 (nothing else leaks);
#   - c/errgroup.map lists exactly those functions.
# Usage: scripts/check_abi.sh path/to/liberrgroup.so[.1] [include/errgroup.h]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=${1:?usage: check_abi.sh LIB [HEADER]}
header=${2:-$root/include/errgroup.h}
map=$root/c/errgroup.map
version=LIBERRGROUP_1.0
fail=0
err() { echo "check_abi: $*" >&2; fail=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Functions declared EG_API in the header.
grep -v '^[[:space:]]*#' "$header" | grep -o 'EG_API[^(;]*(' | sed -E 's/.*[ *]([A-Za-z_0-9]+)[[:space:]]*\($/\1/' |
  sort -u >"$tmp/header"
# Functions in the version script's global list.
sed -e 's:/\*.*\*/::' "$map" | tr -d ' \t' |
  sed -n '/^global:/,/^local:/p' | grep -E '^[A-Za-z_0-9]+;$' | tr -d ';' |
  sort -u >"$tmp/map"
# Defined dynamic symbols of the library: "version name".
objdump -T "$lib" | awk '$0 ~ /^[0-9a-f]+ / && $0 !~ /\*UND\*/ { print $(NF-1), $NF }' |
  grep -v "^$version $version\$" | sort -u >"$tmp/dyn" || true

[[ -s $tmp/header ]] || err "no EG_API functions found in $header"
diff -u "$tmp/header" "$tmp/map" >"$tmp/d1" ||
  err "c/errgroup.map and the header disagree (- header, + map):$(echo; cat "$tmp/d1")"
awk '{ print $2 }' "$tmp/dyn" | sort -u >"$tmp/dynnames"
diff -u "$tmp/header" "$tmp/dynnames" >"$tmp/d2" ||
  err "exported symbols differ from the header (- header, + library):$(echo; cat "$tmp/d2")"
if awk -v v="$version" '$1 != v' "$tmp/dyn" | grep -q .; then
  err "symbols without version $version:$(echo; awk -v v="$version" '$1 != v' "$tmp/dyn")"
fi

dyn=$(readelf -d "$lib")
grep -q 'Library soname: \[liberrgroup\.so\.1\]' <<<"$dyn" ||
  err "SONAME is not liberrgroup.so.1: $(grep SONAME <<<"$dyn" || echo none)"
grep -E 'FLAGS_1' <<<"$dyn" | grep -q 'NODELETE' ||
  err "NODELETE flag missing (link with -z nodelete)"

if ((fail)); then
  exit 1
fi
echo "check_abi: OK: $(wc -l <"$tmp/header") functions, all $version; SONAME liberrgroup.so.1; NODELETE"
