#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Uses the Go packages as a user's module does: a throwaway client module
# (in a temporary directory) that requires github.com/liberrgroup/liberrgroup
# through a replace directive pointing at this checkout, as the README says,
# and declares the root module's own `go` line, the oldest it supports.
#   1. `go mod tidy` leaves the client's go line alone (the module requires
#      nothing, in particular not golang.org/x/sync);
#   2. the client builds, vets and tests with the oldest supported toolchain
#      (GOTOOLCHAIN=go$min.0, fetched through the module proxy as
#      golang.org/toolchain) and with the local one;
#   3. `go mod vendor`, then build and test with -mod=vendor: the C sources
#      are inside the vendored package (scripts/go_bundle_sources.sh);
#   4. without cgo (CGO_ENABLED=0): the pure-Go build vets, tests and runs,
#      also with the oldest toolchain, and the binary is built without cgo;
#      cross-compiling (no C cross-compiler: cgo off) builds for other
#      systems and architectures.
# GOWORK=off throughout: the repository's go.work must not leak in.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/go_path.sh
export GOWORK=off

min=$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod)
[[ -n $min ]] || { echo "no go line in go.mod" >&2; exit 1; }
oldest=go$min.0
[[ $min == *.*.* ]] && oldest=go$min

client=$(mktemp -d)
trap 'rm -rf "$client"' EXIT
cat >"$client/go.mod" <<MOD
module example.com/client

go $min

require github.com/liberrgroup/liberrgroup v0.0.0

replace github.com/liberrgroup/liberrgroup => $root
MOD
cat >"$client/main.go" <<'GO'
// Command client fans out with both Go packages of liberrgroup.
package main

import (
	"context"
	"errors"
	"fmt"

	kratos "github.com/liberrgroup/liberrgroup/go/kratos/errgroup"
	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

var errFirst = errors.New("first")

func run() error {
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(2)
	for i := 0; i < 4; i++ {
		g.Go(func() error {
			if i == 3 {
				return errFirst
			}
			return nil
		})
	}
	err := g.Wait()
	if ctx.Err() == nil || !errors.Is(err, errFirst) {
		return fmt.Errorf("errgroup: Wait() = %v, ctx.Err() = %v", err, ctx.Err())
	}
	k := kratos.WithCancel(context.Background())
	k.GOMAXPROCS(1)
	for range 3 {
		k.Go(func(context.Context) error { return nil })
	}
	return k.Wait()
}

func main() {
	if err := run(); err != nil {
		panic(err)
	}
	fmt.Println("client: ok")
}
GO
cat >"$client/main_test.go" <<'GO'
package main

import "testing"

func TestRun(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
GO
cd "$client"

failed=0
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then echo "client: $name: OK"; else echo "client: $name: FAILED"; failed=1; fi
}

tidy_keeps_go_line() {
  go mod tidy && grep -qx "go $min" go.mod && ! grep -q 'golang.org/x/sync' go.mod go.sum 2>/dev/null
}
oldest_toolchain() {
  GOTOOLCHAIN=$oldest go version &&
    GOTOOLCHAIN=$oldest go vet ./... &&
    GOTOOLCHAIN=$oldest go test -count=1 ./... &&
    GOTOOLCHAIN=$oldest go run .
}
local_toolchain() { go vet ./... && go test -race -count=1 ./... && go run .; }
vendored() {
  go mod vendor &&
    [[ -f vendor/github.com/liberrgroup/liberrgroup/go/internal/core/group.c ]] &&
    [[ -f vendor/github.com/liberrgroup/liberrgroup/go/internal/core/errgroup.h ]] &&
    go build -mod=vendor -o /dev/null . &&
    go test -mod=vendor -count=1 ./... &&
    rm -rf vendor
}
without_cgo() {
  CGO_ENABLED=0 go vet ./... &&
    CGO_ENABLED=0 go test -count=1 ./... &&
    CGO_ENABLED=0 GOTOOLCHAIN=$oldest go test -count=1 ./... &&
    CGO_ENABLED=0 go build -o client . &&
    go version -m client | grep -q 'CGO_ENABLED=0' &&
    ./client && rm -f client
}
cross_compile() {
  local target
  for target in linux/arm64 linux/riscv64 darwin/arm64 windows/amd64 freebsd/amd64; do
    GOOS=${target%/*} GOARCH=${target#*/} go build -o /dev/null . || { echo "cross-compiling for $target failed"; return 1; }
    GOOS=${target%/*} GOARCH=${target#*/} go vet ./... || return 1
    echo "built for $target"
  done
}

check "go mod tidy keeps 'go $min'" tidy_keeps_go_line
check "toolchain $oldest" oldest_toolchain
check "local toolchain ($(go env GOVERSION))" local_toolchain
check "go mod vendor" vendored
check "CGO_ENABLED=0 (pure Go)" without_cgo
check "cross-compiling" cross_compile
exit "$failed"
