#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs go-kratos v1's own errgroup tests (github.com/go-kratos/kratos, the
# version pinned below, pkg/sync/errgroup/*_test.go) against
# github.com/.../go/kratos/errgroup under -race.
#
# The test files are downloaded from the Go module proxy at run time (into
# the module cache, checked against the pinned go.sum hash; go.mod and go.sum
# of this repository are not touched) and never committed: they are copied
# into go/kratoscheck_generated/ (created and deleted here, gitignored)
# unchanged: our package has go-kratos's package name, errgroup. They are
# internal tests of go-kratos's package (they use Group, WithContext and
# WithCancel unqualified), so they are compiled into package
# go/kratos/errgroup itself, at its real import path, through
# `go test -overlay`: the overlay adds them to that directory for the build
# without writing there. Only go-kratos's tests and examples run (-run), not
# our package's own.
#
# Environment: GOFLAGS / GOEXPERIMENT / GODEBUG pass through; extra arguments
# go to `go test` (e.g. -tags liberrgroup_system).
set -euo pipefail

module=github.com/go-kratos/kratos
version=v1.0.1 # the last v1 release; pkg/sync/errgroup is as in v1.0.0
sum=h1:57K5f4LQRWT6MVUX0FvjeTkXRW9YK/Mor9wxlQmQZpI=

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

dir=go/kratoscheck_generated
scratch=$(mktemp -d)
rm -rf "$dir"
trap 'rm -rf "$root/$dir" "$scratch"' EXIT

# Downloaded from a throwaway module, so that this repository's go.mod and
# go.sum stay as they are.
printf 'module kratoscheck\n\ngo 1.21\n' >"$scratch/go.mod"
info=$(cd "$scratch" && GOFLAGS=-mod=mod go mod download -json "$module@$version")
moddir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")
got=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")
[[ $got == "$sum" ]] || { echo "$module@$version: hash $got, want $sum" >&2; exit 1; }
refdir=$moddir/pkg/sync/errgroup
[[ -f $refdir/errgroup_test.go ]] || { echo "missing $refdir/errgroup_test.go" >&2; exit 1; }

mkdir -p "$dir"
overlay=$dir/overlay.json
names=()
entries=()
for src in "$refdir"/*_test.go; do
  base=$(basename "$src")
  dst=$dir/kratosv1_$base
  # Copied unchanged; the check fails if the package name is not ours.
  grep -q '^package errgroup$' "$src"
  cp "$src" "$dst"
  entries+=("\"$root/go/kratos/errgroup/kratosv1_$base\": \"$root/$dst\"")
  while read -r name; do names+=("$name"); done \
    < <(sed -n 's/^func \(\(Test\|Example\)[A-Za-z0-9_]*\)(.*/\1/p' "$src")
done
{
  printf '{"Replace": {'
  (IFS=,; printf '%s' "${entries[*]}")
  printf '}}\n'
} >"$overlay"

run=$(IFS='|'; printf '^(%s)$' "${names[*]}")
echo "go-kratos tests: $module@$version pkg/sync/errgroup/*_test.go: ${names[*]}"
# -race needs cgo: a CGO_ENABLED=0 run (the pure-Go build) goes without.
race=-race
[[ $(go env CGO_ENABLED) == 1 ]] || race=
go test $race -count=1 -v -overlay "$overlay" -run "$run" "$@" ./go/kratos/errgroup
