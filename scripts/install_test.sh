#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs a build of liberrgroup into a temporary prefix (cmake --install)
# and uses it as another project would (README.md, "Use it in your
# project"):
#   - scripts/check_versions.sh: header, library, pkg-config and CMake
#     package agree on the version;
#   - the licence, both .pc files and a manual page for every exported
#     function are installed;
#   - compat/consumer through find_package (liberrgroup::errgroup and
#     liberrgroup::errgroup_static), then through pkg-config: liberrgroup
#     (shared, with -Wl,-rpath), liberrgroup-static (static liberrgroup in a
#     dynamic program) and `pkg-config --static liberrgroup` with -static.
#
# Usage: scripts/install_test.sh [BUILD_DIR]   (default build/default; the
# default preset is configured and built first when that is the one)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build=${1:-build/default}
if [[ $build == build/default ]]; then
  cmake --preset default >/dev/null
  cmake --build --preset default >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
checks=0
fail() { echo "install_test: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }
# grep -q would stop reading early, and the writer of the pipe would die of
# SIGPIPE, failing the pipeline under pipefail.
has() { grep "$@" >/dev/null; }

cmake --install "$build" --prefix "$prefix" >/dev/null
echo "installed into $prefix:"
(cd "$prefix" && find . -type f -o -type l | sort | sed 's/^/  /')

echo "-- versions (header, library, pkg-config, CMake package)"
bash scripts/check_versions.sh "$prefix"
ok "versions agree"

[[ -f $prefix/share/doc/liberrgroup/LICENSE ]] || fail "no share/doc/liberrgroup/LICENSE"
ok "licence installed"
if [[ -f scripts/check_man.sh ]]; then
  bash scripts/check_man.sh --installed "$prefix/share/man" || fail "manual pages"
  ok "manual pages installed"
fi

echo "-- find_package(liberrgroup)"
# The include directory must be listed once per target.
targets=$(find "$prefix" -name liberrgroupTargets.cmake)
if grep 'INTERFACE_INCLUDE_DIRECTORIES' "$targets" | has ';'; then
  fail "a target lists more than one include directory: $(grep INTERFACE_INCLUDE "$targets")"
fi
cmake -S compat/consumer -B "$work/cmake" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/cmake"
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"
# The shared consumer must load the installed liberrgroup.so.1 (CMake sets
# the build tree's rpath), the static one must not need it at all.
ldd "$work/cmake/consumer_shared" | has "$prefix/.*liberrgroup\.so\.1" ||
  fail "consumer_shared does not load liberrgroup.so.1 from $prefix"
! ldd "$work/cmake/consumer_static" | has liberrgroup ||
  fail "consumer_static depends on liberrgroup.so"
ok "find_package: liberrgroup::errgroup and liberrgroup::errgroup_static"

echo "-- pkg-config"
pcdir=$(dirname "$(find "$prefix" -name liberrgroup.pc | head -n1)")
export PKG_CONFIG_PATH=$pcdir
for m in liberrgroup liberrgroup-static; do
  echo "$m: version $(pkg-config --modversion $m)," \
    "cflags '$(pkg-config --cflags $m)', libs '$(pkg-config --libs $m)'," \
    "--static libs '$(pkg-config --static --libs $m)'"
done
libdir=$(pkg-config --variable=libdir liberrgroup)
cflags=(-std=c11 -Wall -Wextra -Werror)

# shellcheck disable=SC2046
cc "${cflags[@]}" -o "$work/pc_shared" compat/consumer/main.c \
  $(pkg-config --cflags --libs liberrgroup) -Wl,-rpath,"$libdir"
LD_LIBRARY_PATH= "$work/pc_shared"
ldd "$work/pc_shared" | has "$libdir/liberrgroup\.so\.1" ||
  fail "pc_shared does not load liberrgroup.so.1 from $libdir"
ok "pkg-config liberrgroup (shared, -Wl,-rpath)"

# Without the rpath, a non-system prefix is not found at run time (the
# README says so): check that this is still the failure users will see.
if ldconfig -p | has 'liberrgroup\.so\.1'; then
  echo "skipped: the no-rpath check: a liberrgroup.so.1 is installed in the system"
else
  # shellcheck disable=SC2046
  cc "${cflags[@]}" -o "$work/pc_norpath" compat/consumer/main.c \
    $(pkg-config --cflags --libs liberrgroup)
  if LD_LIBRARY_PATH= "$work/pc_norpath" 2>"$work/norpath.err"; then
    fail "pc_norpath ran without an rpath"
  fi
  has "liberrgroup.so.1" "$work/norpath.err" || fail "unexpected error: $(cat "$work/norpath.err")"
  ok "without -Wl,-rpath: '$(head -c 100 "$work/norpath.err")' (as documented)"
fi

# shellcheck disable=SC2046
cc "${cflags[@]}" -o "$work/pc_static" compat/consumer/main.c \
  $(pkg-config --cflags --libs liberrgroup-static)
"$work/pc_static"
! ldd "$work/pc_static" | has liberrgroup || fail "pc_static depends on liberrgroup.so"
! nm -D "$work/pc_static" | has ' eg_' || fail "pc_static exports eg_* symbols"
ok "pkg-config liberrgroup-static (static liberrgroup, dynamic program)"

# shellcheck disable=SC2046
cc "${cflags[@]}" -static -o "$work/pc_fully_static" compat/consumer/main.c \
  $(pkg-config --static --cflags --libs liberrgroup)
"$work/pc_fully_static"
file "$work/pc_fully_static" | has 'statically linked' || fail "pc_fully_static is not static"
ok "pkg-config --static liberrgroup with -static (fully static program)"

echo "install: $checks passed, 0 failed"
