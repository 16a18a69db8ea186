// SPDX-License-Identifier: BSD-3-Clause

// Package goref benchmarks the reference implementation,
// golang.org/x/sync/errgroup, on this machine, so that liberrgroup's C
// benchmarks (bench/bench.cc) can be read against it. Every benchmark here
// has a C counterpart of the same name (without the "Benchmark" prefix);
// bench/compare.py pairs them by that name.
//
//	go test -run xxx -bench . -benchmem -count 3 ./bench/goref
package goref

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

var errBoom = errors.New("boom")

// runN is the shape of the reference's own BenchmarkGo: b.N empty functions
// in one group, then Wait, all timed. ns/op is therefore ns per task.
func runN(b *testing.B, limit int) {
	fn := func() {}
	g := &errgroup.Group{}
	if limit >= 0 {
		g.SetLimit(limit)
	}
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g.Go(func() error { fn(); return nil })
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGo: b.N empty tasks in an unlimited group, then Wait.
func BenchmarkGo(b *testing.B) { runN(b, -1) }

// BenchmarkGoLimit1/2/8: the same with SetLimit(n) first, so Go blocks for
// a slot and every task start waits for an earlier task to finish.
func BenchmarkGoLimit1(b *testing.B) { runN(b, 1) }
func BenchmarkGoLimit2(b *testing.B) { runN(b, 2) }
func BenchmarkGoLimit8(b *testing.B) { runN(b, 8) }

// BenchmarkGoBatch1M: one op is a whole batch of 1,000,000 empty tasks and
// the Wait; compare.py divides by the batch to report ns per task.
func BenchmarkGoBatch1M(b *testing.B) {
	const batch = 1000000
	fn := func() {}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g := &errgroup.Group{}
		for j := 0; j < batch; j++ {
			g.Go(func() error { fn(); return nil })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batch, "ns/task")
}

// BenchmarkTryGoBelowLimit: the limit (b.N) is never reached, so every
// TryGo starts its task. Wait is timed, as in BenchmarkGo.
func BenchmarkTryGoBelowLimit(b *testing.B) {
	g := &errgroup.Group{}
	g.SetLimit(b.N)
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !g.TryGo(func() error { return nil }) {
			b.Fatal("TryGo refused below the limit")
		}
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTryGoAtLimit: limit 1, held by a task blocked until the end, so
// every TryGo fails (the cost of a refusal).
func BenchmarkTryGoAtLimit(b *testing.B) {
	g := &errgroup.Group{}
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil })
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if g.TryGo(func() error { return nil }) {
			b.Fatal("TryGo succeeded at the limit")
		}
	}
	b.StopTimer()
	close(release)
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGoWaitRoundTrip: one Go and one Wait per op on a reused group:
// the latency of handing one task to another thread and hearing back.
func BenchmarkGoWaitRoundTrip(b *testing.B) {
	g := &errgroup.Group{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g.Go(func() error { return nil })
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCancelFanout1000: one op is a whole round: WithContext, 1000
// tasks blocked on <-ctx.Done() (all of them started before going on), then
// one task that returns an error, then Wait. The reported ns/op is the time
// from the failing task's return to Wait returning (cancel the context, wake
// the 1000, let them return, wake the waiter); round-ns/op is the whole
// round including setup.
func BenchmarkCancelFanout1000(b *testing.B) {
	const blocked = 1000
	var cancelNs int64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g, ctx := errgroup.WithContext(context.Background())
		var started atomic.Int32
		for j := 0; j < blocked; j++ {
			g.Go(func() error {
				started.Add(1)
				<-ctx.Done()
				return nil
			})
		}
		for started.Load() != blocked {
			time.Sleep(10 * time.Microsecond)
		}
		var failedAt time.Time
		g.Go(func() error {
			failedAt = time.Now()
			return errBoom
		})
		err := g.Wait()
		cancelNs += time.Since(failedAt).Nanoseconds()
		if err != errBoom {
			b.Fatalf("Wait returned %v, want errBoom", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "round-ns/op")
	b.ReportMetric(float64(cancelNs)/float64(b.N), "ns/op")
}
