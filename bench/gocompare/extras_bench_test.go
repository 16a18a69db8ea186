// SPDX-License-Identifier: BSD-3-Clause

package gocompare_test

// The cost of go/errgroup's extras (liberrgroup issue 14) when used: each
// benchmark is BenchmarkGo's loop (b.N empty functions with Go, then one
// Wait; ns/op per function) on a group with one extra turned on, beside
// the same loop with none (extra=none). The reference has no counterpart.

import (
	"context"
	"testing"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

func BenchmarkExtras(b *testing.B) {
	for _, bench := range []struct {
		name  string
		setup func(g *errgroup.Group)
	}{
		{"none", func(*errgroup.Group) {}},
		{"KeepErrors", func(g *errgroup.Group) { g.KeepErrors(1 << 20) }},
		{"SkipWhenCanceled", func(g *errgroup.Group) { g.SkipWhenCanceled() }},
		{"OnTaskDone", func(g *errgroup.Group) { g.OnTaskDone(func(errgroup.TaskResult) {}) }},
	} {
		b.Run("extra="+bench.name, func(b *testing.B) {
			g := &errgroup.Group{}
			bench.setup(g)
			b.ReportAllocs()
			for b.Loop() {
				g.Go(nothing)
			}
			g.Wait()
		})
	}
}

// One op: Start of a function that is ready at once, against Go.
func BenchmarkStart(b *testing.B) {
	b.Run("call=Go", func(b *testing.B) {
		g := &errgroup.Group{}
		b.ReportAllocs()
		for b.Loop() {
			g.Go(nothing)
		}
		g.Wait()
	})
	b.Run("call=Start", func(b *testing.B) {
		g := &errgroup.Group{}
		b.ReportAllocs()
		for b.Loop() {
			g.Start(func(_ context.Context, ready func()) error { ready(); return nil })
		}
		g.Wait()
	})
}

// One op: a WaitTimeout that times out at once (d = 0) while a function
// runs; Idle.
func BenchmarkWaitTimeoutPoll(b *testing.B) {
	g := &errgroup.Group{}
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil })
	b.Run("call=WaitTimeout0", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := g.WaitTimeout(0); ok {
				b.Fatal("done")
			}
		}
	})
	b.Run("call=Idle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if g.Idle() {
				b.Fatal("idle")
			}
		}
	})
	close(release)
	g.Wait()
}

// One op: ResizeLimit between two values, with no caller parked.
func BenchmarkResizeLimit(b *testing.B) {
	g := &errgroup.Group{}
	g.SetLimit(4)
	b.ReportAllocs()
	n := 4
	for b.Loop() {
		n ^= 12 // 4, 8, 4, ...
		g.ResizeLimit(n)
	}
}
