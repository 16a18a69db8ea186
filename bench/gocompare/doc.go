// SPDX-License-Identifier: BSD-3-Clause

// Package gocompare holds benchmarks only: github.com/liberrgroup/liberrgroup/go/errgroup
// side by side with the reference, golang.org/x/sync/errgroup, in one
// `go test -bench` run, so that their ratio is measured under the same load
// (docs/PERFORMANCE.md, the Go section).
package gocompare
