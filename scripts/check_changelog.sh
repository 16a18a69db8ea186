#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks CHANGELOG.md's form (Keep a Changelog): an "## [Unreleased]"
# section first, then releases "## [X.Y.Z] - YYYY-MM-DD", newest first, one
# of them the version of include/errgroup.h (the one place the version is
# written), and a link for every section.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail=0
err() { echo "check_changelog: $*" >&2; fail=1; }
version=$(sed -nE 's/^#define EG_VERSION_(MAJOR|MINOR|PATCH) ([0-9]+)$/\2/p' include/errgroup.h | paste -sd.)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "check_changelog: no version in include/errgroup.h" >&2; exit 1; }

mapfile -t sections < <(grep -E '^## ' CHANGELOG.md)
((${#sections[@]} > 0)) || { echo "check_changelog: no sections" >&2; exit 1; }
[[ ${sections[0]} == "## [Unreleased]" ]] || err "the first section must be '## [Unreleased]', not '${sections[0]}'"
previous=
for s in "${sections[@]:1}"; do
  if [[ ! $s =~ ^##\ \[([0-9]+\.[0-9]+\.[0-9]+)\]\ -\ [0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
    err "not a release heading ('## [X.Y.Z] - YYYY-MM-DD'): $s"
    continue
  fi
  v=${BASH_REMATCH[1]}
  if [[ -n $previous ]] && [[ $(printf '%s\n%s\n' "$v" "$previous" | sort -V | tail -n1) != "$previous" || $v == "$previous" ]]; then
    err "releases are not newest first: $v after $previous"
  fi
  previous=$v
done
grep -qE "^## \[$version\] - " CHANGELOG.md ||
  err "include/errgroup.h says $version, which has no '## [$version] - DATE' section (cut the release: docs/ABI.md)"
for s in "${sections[@]}"; do
  name=$(sed -E 's/^## \[([^]]*)\].*/\1/' <<<"$s")
  grep -qE "^\[$name\]: " CHANGELOG.md || err "no link '[$name]: URL' for section $name"
done
((fail == 0)) || exit 1
echo "changelog: 1 passed, 0 failed (Unreleased, then $((${#sections[@]} - 1)) releases; header version $version released)"
