#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks that an installed liberrgroup reports one version everywhere:
#   - the header:      EG_VERSION_STRING (and EG_VERSION_NUMBER)
#   - the library:     eg_version_string() (and eg_version()), from a
#                      program built against the installed header and
#                      library and run against that library
#   - pkg-config:      pkg-config --modversion liberrgroup
#   - the CMake package: PACKAGE_VERSION of liberrgroupConfigVersion.cmake
#   - the file names:  SONAME liberrgroup.so.<major>, real file
#                      liberrgroup.so.<version>
#
# Usage: scripts/check_versions.sh PREFIX   (as given to cmake --install)
set -euo pipefail

prefix=${1:?usage: check_versions.sh PREFIX}
prefix=$(cd "$prefix" && pwd)
fail=0
err() { echo "check_versions: $*" >&2; fail=1; }

header=$prefix/include/errgroup.h
pc=$(find "$prefix" -name liberrgroup.pc -print -quit)
cmake_version=$(find "$prefix" -name liberrgroupConfigVersion.cmake -print -quit)
[[ -f $header ]] || { echo "check_versions: no $header" >&2; exit 1; }
[[ -n $pc ]] || { echo "check_versions: no liberrgroup.pc under $prefix" >&2; exit 1; }
libdir=$(PKG_CONFIG_PATH=${pc%/*} pkg-config --variable=libdir liberrgroup)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "header <string> <number>" and "library <string> <number>".
cat >"$work/versions.c" <<'C'
#include <errgroup.h>
#include <stdio.h>

int main(void) {
  printf("header %s %d\n", EG_VERSION_STRING, EG_VERSION_NUMBER);
  printf("library %s %d\n", eg_version_string(), eg_version());
  return 0;
}
C
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$work/versions" "$work/versions.c" \
  $(PKG_CONFIG_PATH=${pc%/*} pkg-config --cflags --libs liberrgroup) \
  -Wl,-rpath,"$libdir"
LD_LIBRARY_PATH= "$work/versions" >"$work/out"
if ! ldd "$work/versions" | grep "$libdir/liberrgroup\.so\." >/dev/null; then  # (not -q: ldd would get SIGPIPE under pipefail)
  err "the version program did not load the library from $libdir"
fi

read -r _ header_version header_number < <(grep '^header ' "$work/out")
read -r _ library_version library_number < <(grep '^library ' "$work/out")
pc_version=$(PKG_CONFIG_PATH=${pc%/*} pkg-config --modversion liberrgroup)
package_version=
if [[ -n $cmake_version ]]; then
  package_version=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' "$cmake_version")
fi

echo "header EG_VERSION_STRING:   $header_version ($header_number)"
echo "library eg_version_string(): $library_version ($library_number)"
echo "pkg-config --modversion:    $pc_version"
echo "CMake package version:      ${package_version:-missing}"

[[ $library_version == "$header_version" ]] ||
  err "library $library_version != header $header_version"
[[ $library_number == "$header_number" ]] ||
  err "eg_version() $library_number != EG_VERSION_NUMBER $header_number"
[[ $pc_version == "$header_version" ]] ||
  err "pkg-config $pc_version != header $header_version"
[[ $package_version == "$header_version" ]] ||
  err "CMake package ${package_version:-missing} != header $header_version"
IFS=. read -r major minor patch <<<"$header_version"
[[ $header_number == $((major * 10000 + minor * 100 + patch)) ]] ||
  err "EG_VERSION_NUMBER $header_number does not encode $header_version"

soname=$(readelf -d "$libdir/liberrgroup.so.$major" 2>/dev/null |
  sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[[ $soname == "liberrgroup.so.$major" ]] ||
  err "SONAME '${soname:-none}' is not liberrgroup.so.$major"
[[ -f $libdir/liberrgroup.so.$header_version ]] ||
  err "no $libdir/liberrgroup.so.$header_version"

if ((fail)); then
  exit 1
fi
echo "check_versions: OK: $header_version everywhere (SONAME $soname)"
