// SPDX-License-Identifier: BSD-3-Clause

package errgroup

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Cancel: the WithCancel context is canceled with the cause, no error is
// recorded; queued GOMAXPROCS functions still run and see it.
func TestCancel(t *testing.T) {
	stop := errors.New("stop")
	g := WithCancel(context.Background())
	g.GOMAXPROCS(1)
	release := make(chan struct{})
	g.Go(func(ctx context.Context) error { <-release; return nil })
	saw := make(chan error, 1)
	g.Go(func(ctx context.Context) error { saw <- context.Cause(ctx); return nil }) // queued
	g.Cancel(stop)
	g.Cancel(nil) // the first cancellation wins
	close(release)
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v; want nil", err)
	}
	if cause := <-saw; cause != stop {
		t.Fatalf("the queued function saw cause %v; want %v", cause, stop)
	}
	var zero Group
	zero.Cancel(nil)
	if err := zero.Wait(); err != nil {
		t.Fatal(err)
	}
}

// KeepErrors keeps recovered panics too, in record order (one worker: the
// order of Go), up to max.
func TestKeepErrors(t *testing.T) {
	var g Group
	g.GOMAXPROCS(1)
	g.KeepErrors(2)
	e0 := errors.New("e0")
	g.Go(func(context.Context) error { return e0 })
	g.Go(func(context.Context) error { panic("p1") })
	g.Go(func(context.Context) error { return errors.New("e2") })
	if err := g.Wait(); err != e0 {
		t.Fatalf("Wait() = %v; want %v", err, e0)
	}
	kept := g.Errors().(interface{ Unwrap() []error }).Unwrap()
	if len(kept) != 2 || kept[0] != e0 || !strings.Contains(kept[1].Error(), "panic recovered: p1") || g.DroppedErrors() != 1 {
		t.Fatalf("Errors() = %v, dropped %d", kept, g.DroppedErrors())
	}
	if !slices.Contains(kept, e0) || !errors.Is(g.Errors(), e0) {
		t.Fatal("errors.Is does not see the first error")
	}
	var none Group
	if none.Errors() != nil || none.DroppedErrors() != 0 {
		t.Fatal("a zero Group has errors")
	}
}

// WaitTimeout times out while a queued function waits, canceling nothing.
func TestWaitTimeout(t *testing.T) {
	g := WithCancel(context.Background())
	g.GOMAXPROCS(1)
	release := make(chan struct{})
	var groupCtx context.Context
	g.Go(func(ctx context.Context) error { groupCtx = ctx; <-release; return nil })
	g.Go(func(context.Context) error { return nil }) // queued
	if !(&Group{}).Idle() || g.Idle() {
		t.Fatal("Idle wrong")
	}
	// The time is the feature: 10 ms pass with a function blocked.
	if err, ok := g.WaitTimeout(10 * time.Millisecond); ok || err != nil {
		t.Fatalf("WaitTimeout = %v, %v; want nil, false", err, ok)
	}
	close(release)
	if err, ok := g.WaitTimeout(-1); !ok || err != nil || groupCtx.Err() == nil || !g.Idle() {
		t.Fatalf("WaitTimeout(-1) = %v, %v", err, ok)
	}
	if err, ok := (&Group{}).WaitTimeout(0); !ok || err != nil {
		t.Fatal("WaitTimeout on a zero Group")
	}
}
