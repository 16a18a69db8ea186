#!/usr/bin/env bash
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
#   4. without cgo (CGO_ENABLED=0) and when cross-compiling without a C
#      cross-compiler, build and vet fail with exactly one error, the one
#      that names the cause (go/internal/core/nocgo.go).
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
# expect_one_cgo_error CMD...: CMD fails, and its only error is nocgo.go's.
expect_one_cgo_error() {
  local out
  if out=$("$@" 2>&1); then echo "$* succeeded; want the cgo error"; return 1; fi
  local errors
  errors=$(grep -v '^#' <<<"$out")
  if [[ $(wc -l <<<"$errors") != 1 ]] ||
     ! grep -q 'nocgo.go:.*undefined: liberrgroup_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler_for_the_target$' <<<"$errors"; then
    echo "$*: want exactly the nocgo.go error, got:"; echo "$out"; return 1
  fi
  echo "$*: $errors"
}
without_cgo() {
  expect_one_cgo_error env CGO_ENABLED=0 go build -o /dev/null . &&
    expect_one_cgo_error env CGO_ENABLED=0 go vet ./... &&
    expect_one_cgo_error env CGO_ENABLED=0 GOTOOLCHAIN=$oldest go build -o /dev/null . &&
    expect_one_cgo_error env GOOS=linux GOARCH=arm64 go build -o /dev/null . &&
    expect_one_cgo_error env GOOS=darwin GOARCH=arm64 go build -o /dev/null .
}

check "go mod tidy keeps 'go $min'" tidy_keeps_go_line
check "toolchain $oldest" oldest_toolchain
check "local toolchain ($(go env GOVERSION))" local_toolchain
check "go mod vendor" vendored
check "CGO_ENABLED=0 and cross-compiling" without_cgo
exit "$failed"
