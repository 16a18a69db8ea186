module github.com/liberrgroup/liberrgroup

// The oldest Go release the packages need (per-iteration loop variables and
// range over int, Go 1.22); scripts/go_test.sh builds and tests them with
// that toolchain. No requirements: the reference golang.org/x/sync is needed
// only by the conformance runner (compat/) and the benchmarks (bench/),
// which are modules of their own.
go 1.22
