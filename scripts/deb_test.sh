#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian packages, end to end, on this machine's system:
#   1. builds them with CPack in build/deb (cmake/liberrgroupPackaging.cmake:
#      liberrgroup1 and liberrgroup-dev);
#   2. lintian must report no error;
#   3. dpkg -i installs both into the system;
#   4. the installed library is found by the dynamic loader, the manual
#      pages by man (scripts/check_man.sh on /usr/share/man), and
#      compat/consumer builds and runs against it through find_package (no
#      CMAKE_PREFIX_PATH) and through pkg-config (no PKG_CONFIG_PATH, no
#      rpath), shared and static;
#   5. dpkg --purge removes both again (also when a step failed), and
#      nothing of them is left.
# Needs root and dpkg (skipped with the reason otherwise); refuses to run if
# liberrgroup packages are already installed (it would remove them).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if ! command -v dpkg >/dev/null || ! command -v lintian >/dev/null; then
  echo "skipped: the .deb check needs dpkg and lintian (scripts/deps.sh)"
  exit 0
fi
if ((EUID != 0)); then
  echo "skipped: the .deb check installs into the system and needs root"
  exit 0
fi
packages=(liberrgroup-dev liberrgroup1)
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    echo "deb_test: $p is already installed; remove it first (dpkg --purge $p)" >&2
    exit 1
  fi
done

checks=0
ok() { checks=$((checks + 1)); echo "ok: $*"; }
fail() { echo "deb_test: $*" >&2; exit 1; }
has() { grep "$@" >/dev/null; } # (not grep -q: see install_test.sh)

build=build/deb
echo "-- cpack (in $build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX=/usr -DERRGROUP_DEB=ON -DERRGROUP_MAN_GZIP=ON \
  -DERRGROUP_PKGCONFIG_RELOCATABLE=OFF -DERRGROUP_BUILD_TESTS=OFF \
  -DERRGROUP_BUILD_BENCH=OFF -DERRGROUP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build"
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB)
debs=("$build"/liberrgroup1_*.deb "$build"/liberrgroup-dev_*.deb)
for d in "${debs[@]}"; do
  [[ -f $d ]] || fail "no package $d"
  echo "$d:"
  dpkg-deb -f "$d" Package Version Depends Section | sed 's/^/  /'
  dpkg-deb -c "$d" | awk '{ print "    " $6, $7, $8 }'
done
ok "built ${debs[*]##*/}"

echo "-- lintian"
# Warnings are shown; errors fail. (lintian dislikes running as root but
# works; its complaint about that is not a finding.)
rc=0
lintian --tag-display-limit 0 --fail-on error "${debs[@]}" >"$build/lintian.txt" 2>&1 || rc=$?
grep -v 'running with root privileges' "$build/lintian.txt" || true
((rc == 0)) || fail "lintian reports errors (exit $rc)"
ok "lintian: no errors"

echo "-- dpkg -i"
remove() { dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true; }
trap remove EXIT
dpkg -i "${debs[@]}"
ok "installed"

work=$(mktemp -d)
trap 'remove; rm -rf "$work"' EXIT
ldconfig -p | has 'liberrgroup\.so\.1 ' || fail "the dynamic loader does not know liberrgroup.so.1"
[[ $(man -w eg_group_go) == /usr/share/man/man3/eg_group_go.3.gz ]] || fail "man -w eg_group_go: $(man -w eg_group_go 2>&1)"
bash scripts/check_man.sh --installed /usr/share/man
ok "library in ld.so.cache; man eg_group_go and every other page"

echo "-- find_package(liberrgroup) from the system"
cmake -S compat/consumer -B "$work/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/cmake"
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"
ldd "$work/cmake/consumer_shared" | has -E '=> (/usr)?/lib/[^ ]*/liberrgroup\.so\.1 ' ||
  fail "consumer_shared does not load the system's liberrgroup.so.1"
ok "find_package: shared and static consumers"

echo "-- pkg-config from the system"
unset PKG_CONFIG_PATH
cc -std=c11 -Wall -Wextra -Werror -o "$work/pc_shared" compat/consumer/main.c \
  $(pkg-config --cflags --libs liberrgroup)
"$work/pc_shared"
cc -std=c11 -Wall -Wextra -Werror -o "$work/pc_static" compat/consumer/main.c \
  $(pkg-config --cflags --libs liberrgroup-static)
"$work/pc_static"
! ldd "$work/pc_static" | has liberrgroup || fail "pc_static depends on liberrgroup.so"
ok "pkg-config liberrgroup and liberrgroup-static"

echo "-- dpkg --purge"
trap 'rm -rf "$work"' EXIT
dpkg --purge "${packages[@]}"
for p in "${packages[@]}"; do
  ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | has 'ok installed' || fail "$p is still installed"
done
[[ ! -e /usr/include/errgroup.h ]] || fail "/usr/include/errgroup.h is left behind"
! ldconfig -p | has 'liberrgroup\.so' || fail "liberrgroup.so is still in ld.so.cache"
ok "purged, nothing left"

echo "deb: $checks passed, 0 failed"
