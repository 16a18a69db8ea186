// SPDX-License-Identifier: BSD-3-Clause

package gocompare_test

// Benchmarks of go/errgroup side by side with the reference,
// golang.org/x/sync/errgroup (imported as ref): each benchmark has the
// sub-benchmarks impl=liberrgroup and impl=reference, doing the same calls.
// Run (from bench/): go test -run '^$' -bench . -benchmem ./gocompare

import (
	"context"
	"errors"
	"testing"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
	ref "golang.org/x/sync/errgroup"
)

func nothing() error { return nil }

// goThenWait: b.N empty functions with Go (after SetLimit(limit) if limit
// >= 0), then one Wait; ns/op is per function.
func benchmarkGo(b *testing.B, limit int) {
	b.Run("impl=liberrgroup", func(b *testing.B) {
		g := &errgroup.Group{}
		if limit >= 0 {
			g.SetLimit(limit)
		}
		b.ReportAllocs()
		for b.Loop() {
			g.Go(nothing)
		}
		g.Wait()
	})
	b.Run("impl=reference", func(b *testing.B) {
		g := &ref.Group{}
		if limit >= 0 {
			g.SetLimit(limit)
		}
		b.ReportAllocs()
		for b.Loop() {
			g.Go(nothing)
		}
		g.Wait()
	})
}

func BenchmarkGo(b *testing.B)       { benchmarkGo(b, -1) }
func BenchmarkGoLimit1(b *testing.B) { benchmarkGo(b, 1) }
func BenchmarkGoLimit8(b *testing.B) { benchmarkGo(b, 8) }

// TryGo that succeeds (a limit that is never reached), then one Wait.
func BenchmarkTryGo(b *testing.B) {
	const limit = 1 << 30
	b.Run("impl=liberrgroup", func(b *testing.B) {
		g := &errgroup.Group{}
		g.SetLimit(limit)
		b.ReportAllocs()
		for b.Loop() {
			if !g.TryGo(nothing) {
				b.Fatal("TryGo refused")
			}
		}
		g.Wait()
	})
	b.Run("impl=reference", func(b *testing.B) {
		g := &ref.Group{}
		g.SetLimit(limit)
		b.ReportAllocs()
		for b.Loop() {
			if !g.TryGo(nothing) {
				b.Fatal("TryGo refused")
			}
		}
		g.Wait()
	})
}

// TryGo refused: the only slot is held.
func BenchmarkTryGoAtLimit(b *testing.B) {
	b.Run("impl=liberrgroup", func(b *testing.B) {
		g := &errgroup.Group{}
		g.SetLimit(1)
		release := make(chan struct{})
		g.Go(func() error { <-release; return nil })
		b.ReportAllocs()
		for b.Loop() {
			if g.TryGo(nothing) {
				b.Fatal("TryGo started a function at the limit")
			}
		}
		close(release)
		g.Wait()
	})
	b.Run("impl=reference", func(b *testing.B) {
		g := &ref.Group{}
		g.SetLimit(1)
		release := make(chan struct{})
		g.Go(func() error { <-release; return nil })
		b.ReportAllocs()
		for b.Loop() {
			if g.TryGo(nothing) {
				b.Fatal("TryGo started a function at the limit")
			}
		}
		close(release)
		g.Wait()
	})
}

var errBenchFail = errors.New("bench: task failed")

// One op: WithContext, a function that waits for the context, a function
// that fails (canceling the context), Wait.
func BenchmarkWithContextFailing(b *testing.B) {
	b.Run("impl=liberrgroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g, ctx := errgroup.WithContext(context.Background())
			g.Go(func() error { <-ctx.Done(); return nil })
			g.Go(func() error { return errBenchFail })
			if g.Wait() != errBenchFail {
				b.Fatal("wrong error")
			}
		}
	})
	b.Run("impl=reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g, ctx := ref.WithContext(context.Background())
			g.Go(func() error { <-ctx.Done(); return nil })
			g.Go(func() error { return errBenchFail })
			if g.Wait() != errBenchFail {
				b.Fatal("wrong error")
			}
		}
	})
}

// One op: one Go and one Wait on a reused zero Group.
func BenchmarkGoWaitRoundTrip(b *testing.B) {
	b.Run("impl=liberrgroup", func(b *testing.B) {
		g := &errgroup.Group{}
		b.ReportAllocs()
		for b.Loop() {
			g.Go(nothing)
			g.Wait()
		}
	})
	b.Run("impl=reference", func(b *testing.B) {
		g := &ref.Group{}
		b.ReportAllocs()
		for b.Loop() {
			g.Go(nothing)
			g.Wait()
		}
	})
}
