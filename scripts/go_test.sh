#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Everything Go-related, in order:
#   0. scripts/go_bundle_sources.sh --check: the copies of c/ and include/
#      in go/internal/core (the one package that compiles the C library in,
#      for go/errgroup and go/kratos/errgroup alike) are current; if not,
#      run scripts/go_bundle_sources.sh and commit the result;
#   1. gofmt, and go vet of the three modules: the root module (go/,
#      examples/gobridge), compat/ (the conformance runner and the
#      race-detector comparison) and bench/ (benchmarks against the
#      reference);
#   2. go test -race of go/... and examples/gobridge, default build (the C
#      sources compiled into go/internal/core);
#   3. the same with GOEXPERIMENT=cgocheck2 (full cgo pointer checks), and
#      with the oldest toolchain go.mod allows (fetched through the module
#      proxy as golang.org/toolchain);
#   4. the reference's own tests (scripts/go_reference_tests.sh), -race;
#   5. go-kratos v1's own errgroup tests against go/kratos/errgroup
#      (scripts/go_kratos_tests.sh), -race;
#   6. what the race detector reports under the reference and under this
#      package, case by case (compat/racecheck);
#   7. the pure-Go build (CGO_ENABLED=0): vet, go/kratos/errgroup's tests,
#      the reference's and go-kratos's tests and the conformance suite;
#      then a client module (scripts/go_client_tests.sh): the oldest
#      supported toolchain, go mod vendor, CGO_ENABLED=0, cross-compiling;
#   8. the example program (go run);
#   9. build mode liberrgroup_system: the C library is configured, built and
#      installed into a temporary prefix, then vet, tests with -race, the
#      reference tests, go-kratos's tests and the example run against the
#      installed shared library through pkg-config.
# Keeps going after a failure and exits non-zero if anything failed.
#
# Step 9 builds in build/go-system/ (gitignored) and installs into
# build/go-system/prefix: a fixed prefix, because the go command caches the
# package with pkg-config's -L path baked in and does not notice when that
# path changes. GO_BENCH=1 also runs the benchmarks once.
set -uo pipefail # no errexit: every step is checked and the run goes on

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

source scripts/go_path.sh

pkgs=(./go/... ./examples/gobridge)
failed=()
banner() { printf '\n==== go: %s ====\n' "$*"; }
step() { # step NAME COMMAND...: runs it, records a failure
  local name=$1
  shift
  banner "$name"
  if "$@"; then
    echo "$name: OK"
  else
    echo "$name: FAILED"
    failed+=("$name")
  fi
}

gofmt_clean() {
  local unformatted
  unformatted=$(gofmt -l go examples/gobridge compat bench)
  [[ -z $unformatted ]] || { echo "gofmt needed: $unformatted"; return 1; }
}

step "bundled C sources current" bash scripts/go_bundle_sources.sh --check
step "gofmt" gofmt_clean
step "vet" go vet "${pkgs[@]}"
step "vet compat/" bash -c 'cd compat && go vet ./...'
step "vet bench/" bash -c 'cd bench && go vet ./...'
step "test -race" go test -race -count=1 "${pkgs[@]}"
step "test cgocheck2" env GOEXPERIMENT=cgocheck2 go test -count=1 "${pkgs[@]}"
oldest=go$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod).0
step "test with $oldest (go.mod's go line)" env GOWORK=off GOTOOLCHAIN="$oldest" go test -count=1 "${pkgs[@]}"
step "reference tests" bash scripts/go_reference_tests.sh
step "go-kratos tests" bash scripts/go_kratos_tests.sh
step "race-detector visibility" bash -c 'cd compat && go test -count=1 ./racecheck'
# The pure-Go build (no cgo, no CHandle): what builds without cgo is
# tested without it (go/errgroup's own tests start C tasks: cgo only).
step "pure Go: vet and tests" env CGO_ENABLED=0 bash -c \
  'go vet ./go/... && go test -count=1 ./go/...'
step "pure Go: reference tests" env CGO_ENABLED=0 bash scripts/go_reference_tests.sh
step "pure Go: go-kratos tests" env CGO_ENABLED=0 bash scripts/go_kratos_tests.sh
step "pure Go: conformance" env CGO_ENABLED=0 bash compat/run.sh
step "client module" bash scripts/go_client_tests.sh
step "example" go run ./examples/gobridge
if [[ ${GO_BENCH:-0} == 1 ]]; then
  step "benchmarks" go test -run '^$' -bench . -benchmem -count=1 ./go/kratos/errgroup
  step "benchmarks vs reference" bash -c "cd bench && go test -run '^\$' -bench . -benchmem -count=1 ./gocompare"
fi

# --- build mode liberrgroup_system, against an installed library ----------
# (Runs inside `if`, where errexit is off: every command is checked.)
system_mode() (
  build=$root/build/go-system/build
  prefix=$root/build/go-system/prefix
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DERRGROUP_BUILD_TESTS=OFF -DERRGROUP_BUILD_BENCH=OFF \
    -DERRGROUP_BUILD_EXAMPLES=OFF >/dev/null || exit 1
  log=$build/go_test_build.log
  cmake --build "$build" >"$log" 2>&1 || { cat "$log"; exit 1; }
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null || exit 1
  pc=$(find "$prefix" -name liberrgroup.pc | head -n1)
  [[ -n $pc ]] || { echo "no liberrgroup.pc installed"; exit 1; }
  export PKG_CONFIG_PATH=${pc%/*}
  libdir=$(pkg-config --variable=libdir liberrgroup) || exit 1
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "installed liberrgroup $(pkg-config --modversion liberrgroup) in $prefix"
  local_failed=0
  go vet -tags liberrgroup_system "${pkgs[@]}" || local_failed=1
  # -count=1: the installed library is outside Go's cache keys.
  go test -race -count=1 -tags liberrgroup_system "${pkgs[@]}" || local_failed=1
  bash scripts/go_reference_tests.sh -tags liberrgroup_system || local_failed=1
  bash scripts/go_kratos_tests.sh -tags liberrgroup_system || local_failed=1
  go run -tags liberrgroup_system ./examples/gobridge || local_failed=1
  exit "$local_failed"
)
step "liberrgroup_system mode" system_mode

banner "summary"
if ((${#failed[@]})); then
  echo "go: FAILED: ${failed[*]}"
  exit 1
fi
echo "go: ALL OK"
