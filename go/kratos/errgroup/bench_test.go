// SPDX-License-Identifier: BSD-3-Clause

package errgroup_test

// Run: go test -run '^$' -bench . -benchmem ./go/kratos/errgroup

import (
	"context"
	"testing"

	"github.com/liberrgroup/liberrgroup/go/kratos/errgroup"
)

func nothing(context.Context) error { return nil }

// b.N empty functions with Go (after GOMAXPROCS(n) if n > 0), then one
// Wait; ns/op is per function. Under GOMAXPROCS most of them are queued.
func benchmarkGo(b *testing.B, n int) {
	g := errgroup.WithCancel(context.Background())
	if n > 0 {
		g.GOMAXPROCS(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		g.Go(nothing)
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGo(b *testing.B)            { benchmarkGo(b, 0) }
func BenchmarkGoGOMAXPROCS1(b *testing.B) { benchmarkGo(b, 1) }
func BenchmarkGoGOMAXPROCS8(b *testing.B) { benchmarkGo(b, 8) }

// One op: one Go and one Wait on a reused Group.
func BenchmarkGoWaitRoundTrip(b *testing.B) {
	var g errgroup.Group
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		g.Go(nothing)
		g.Wait()
	}
}
