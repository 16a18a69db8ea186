// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestNoCallReachesAHalfFilledCGroup: a call that comes while CHandle fills
// the C group (here a Wait made from the context's cancel, which migrate
// calls when it carries the first error over) must not see the C group
// before it has the active functions and the limit. It used to: stateC was
// set first, so that Wait found an empty C group and returned while a
// function was still active (and a Go, TryGo or a function's end could
// likewise reach C before the limit, or before its slot, was there).
func TestNoCallReachesAHalfFilledCGroup(t *testing.T) {
	want := errors.New("first")
	var g *Group
	var inHook atomic.Bool
	var early error
	ended := make(chan struct{})
	cancel := func(cause error) {
		// Only while migrate runs: the group already says C, yet B is active.
		if g.state.Load()&stateC == 0 || !inHook.CompareAndSwap(false, true) {
			return
		}
		select {
		case <-ended:
		default:
			early = g.Wait() // must not return while B is active
			select {
			case <-ended:
			default:
				t.Errorf("Wait returned %v during CHandle while a function was active", early)
			}
		}
	}
	g = NewWithContext(context.Background(), nil, cancel)
	g.SetLimit(2)
	release, failed := make(chan struct{}), make(chan struct{})
	g.Admit()
	go g.Run(func() error { <-release; close(ended); return nil }) // B
	g.Admit()
	go func() { g.Run(func() error { return want }); close(failed) }() // A
	<-failed
	g.CHandle(nil)
	close(release)
	if err := g.Wait(); err != want {
		t.Fatalf("Wait: %v, want %v", err, want)
	}
	if !g.TryAdmit() || !g.TryAdmit() || g.TryAdmit() {
		t.Fatal("the limit of 2 did not move to C")
	}
	g.Done(nil)
	g.Done(nil)
}

// TestCHandleRacingWithGoAndEnds moves limited groups onto C while Go calls
// park, functions end and fail: every function runs once, never more than
// the limit at once, and Wait returns a function's error. Before the fix a
// Go call could reach the C group before its limit was set, and migrate
// then panicked in SetLimit.
func TestCHandleRacingWithGoAndEnds(t *testing.T) {
	for iter := 0; iter < 200; iter++ {
		g := New()
		limit := int64(iter%4 + 1)
		g.SetLimit(int(limit))
		var running, most, ran atomic.Int64
		failure := errors.New("failure")
		var wg sync.WaitGroup
		start := make(chan struct{})
		const n = 30
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				g.Admit()
				go g.Run(func() error {
					now := running.Add(1)
					for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
					}
					ran.Add(1)
					running.Add(-1)
					if i%7 == 3 {
						return failure
					}
					return nil
				})
			}()
		}
		wg.Add(1)
		go func() { defer wg.Done(); <-start; g.CHandle(nil) }()
		close(start)
		wg.Wait()
		if err := g.Wait(); err != failure {
			t.Fatalf("iteration %d: Wait: %v", iter, err)
		}
		if ran.Load() != n || most.Load() > limit {
			t.Fatalf("iteration %d: %d of %d ran, %d at once (limit %d)", iter, ran.Load(), n, most.Load(), limit)
		}
	}
}
