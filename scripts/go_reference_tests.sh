#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the reference's own tests (golang.org/x/sync errgroup_test.go, the
# version pinned in compat/go.mod: the repository's own module does not
# require golang.org/x/sync) against github.com/.../go/errgroup under -race.
# The test files are taken from the module cache at run time, never
# committed: they are copied into go/refcheck_generated/ (created and deleted
# here), with only their import line rewritten.
#
# Environment: GOFLAGS / GOEXPERIMENT / GODEBUG pass through; extra arguments
# go to `go test` (e.g. -tags liberrgroup_system).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

version=$(cd compat && go list -m -f '{{.Version}}' golang.org/x/sync)
(cd compat && go mod download golang.org/x/sync)
refdir=$(cd compat && go list -m -f '{{.Dir}}' golang.org/x/sync)/errgroup
[[ -f $refdir/errgroup_test.go ]] || { echo "missing $refdir/errgroup_test.go" >&2; exit 1; }

dir=go/refcheck_generated
rm -rf "$dir"
mkdir -p "$dir"
trap 'rm -rf "$root/$dir"' EXIT

# Every test file of the reference's errgroup directory (errgroup_test.go
# and the md5all example), unchanged except for the import line. They are an
# external test package (errgroup_test), so the directory holds a package
# named errgroup for them to sit beside. The check fails if the line to
# rewrite is missing.
for src in "$refdir"/*_test.go; do
  dst=$dir/$(basename "$src")
  grep -q '^	"golang.org/x/sync/errgroup"$' "$src"
  sed 's#^	"golang.org/x/sync/errgroup"$#	"github.com/liberrgroup/liberrgroup/go/errgroup"#' \
    "$src" >"$dst"
  if grep -q 'golang.org/x/sync' "$dst"; then
    echo "$dst still imports golang.org/x/sync" >&2
    exit 1
  fi
done
printf '// Package errgroup is a placeholder beside the reference tests (generated).\npackage errgroup\n' \
  >"$dir/doc.go"

echo "reference tests: golang.org/x/sync@$version errgroup/*_test.go"
# -race needs cgo: a CGO_ENABLED=0 run (the pure-Go build) goes without.
race=-race
[[ $(go env CGO_ENABLED) == 1 ]] || race=
go test $race -count=1 "$@" "./$dir"
