#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks the ABI of the built shared library:
#   - SONAME is liberrgroup.so.1 and the NODELETE flag is set;
#   - the defined dynamic symbols are exactly the EG_API functions of the
#     public headers, each with its header's version node (nothing leaks):
#       include/errgroup.h        LIBERRGROUP_1.0
#       include/errgroup_async.h  LIBERRGROUP_EXPERIMENTAL
#   - c/errgroup.map lists exactly those functions in those nodes.
# Usage: scripts/check_abi.sh path/to/liberrgroup.so[.1]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=${1:?usage: check_abi.sh LIB}
map=$root/c/errgroup.map
fail=0
err() { echo "check_abi: $*" >&2; fail=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "version name" for every EG_API function declared in a header: the
# header's node, or LIBERRGROUP_X.Y for one whose comment says "Since X.Y".
declared() { # header version
  grep -v '^[[:space:]]*#' "$1" | awk -v node="$2" '
    match($0, /Since [0-9]+\.[0-9]+/) { since = substr($0, RSTART + 6, RLENGTH - 6) }
    /EG_API[^(;]*\(/ {
      line = $0; sub(/\(.*/, "", line); n = split(line, words, /[ *]+/)
      print (since != "" ? "LIBERRGROUP_" since : node), words[n]; since = ""
    }'
}
{
  declared "$root/include/errgroup.h" LIBERRGROUP_1.0
  declared "$root/include/errgroup_async.h" LIBERRGROUP_EXPERIMENTAL
} | sort -u >"$tmp/header"

# "version name" for every global of the version script.
sed -e 's:/\*.*\*/::' "$map" | awk '
  /^[A-Z_0-9.]+[[:space:]]*\{/ { node = $1; sub(/\{.*/, "", node) }
  /global:/ { global = 1; next }
  /local:/ || /^\}/ { global = 0 }
  global && /^[[:space:]]*[A-Za-z_0-9]+;/ { gsub(/[ \t;]/, ""); print node, $0 }
' | sort -u >"$tmp/map"

# "version name" for every defined dynamic symbol of the library.
objdump -T "$lib" | awk '$0 ~ /^[0-9a-f]+ / && $0 !~ /\*UND\*/ { print $(NF-1), $NF }' |
  awk '$1 != $2' | sort -u >"$tmp/dyn" || true

[[ -s $tmp/header ]] || err "no EG_API functions found in the headers"
diff -u "$tmp/header" "$tmp/map" >"$tmp/d1" ||
  err "c/errgroup.map and the headers disagree (- headers, + map):$(echo; cat "$tmp/d1")"
diff -u "$tmp/header" "$tmp/dyn" >"$tmp/d2" ||
  err "exported symbols differ from the headers (- headers, + library):$(echo; cat "$tmp/d2")"

dyn=$(readelf -d "$lib")
grep -q 'Library soname: \[liberrgroup\.so\.1\]' <<<"$dyn" ||
  err "SONAME is not liberrgroup.so.1: $(grep SONAME <<<"$dyn" || echo none)"
grep -E 'FLAGS_1' <<<"$dyn" | grep -q 'NODELETE' ||
  err "NODELETE flag missing (link with -z nodelete)"

if ((fail)); then
  exit 1
fi
echo "check_abi: OK: $(wc -l <"$tmp/header") functions in their version nodes; SONAME liberrgroup.so.1; NODELETE"
