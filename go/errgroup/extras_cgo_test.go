// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package errgroup

// The extras on groups shared with C: the scenarios of extras_test.go with
// CHandle called where they call shared, and what only C tasks show.

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/liberrgroup/liberrgroup/go/errgroup/internal/ctest"
	"github.com/liberrgroup/liberrgroup/go/internal/testwait"
)

const cgoBuild = true

func init() {
	shared = func(t *testing.T, g *Group, migrate bool) {
		if migrate {
			g.CHandle()
		}
	}
}

// OnTaskDone reports C tasks too, with their arg and the Go form of their
// error, on their thread.
func TestOnTaskDoneReportsCTasks(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	results := make(chan TaskResult, 4)
	g.OnTaskDone(func(r TaskResult) { results <- r })
	g.Go(func() error { return nil })
	task := ctest.Go(g.CHandle(), ctest.Spec{FailCode: 7, FailMessage: "c failed"})
	defer task.Free()
	err := g.Wait()
	var cerr *CError
	if !errors.As(err, &cerr) || cerr.Code != 7 {
		t.Fatalf("Wait() = %v; want the C task's error", err)
	}
	var sawC, sawGo bool
	for len(results) > 0 {
		switch r := <-results; {
		case r.CTask && r.CArg == task.Arg() && r.Err == err && !r.Skipped:
			sawC = true
		case !r.CTask && r.Err == nil:
			sawGo = true
		default:
			t.Fatalf("result %+v", r)
		}
	}
	if !sawC || !sawGo {
		t.Fatalf("C task reported %v, Go function %v", sawC, sawGo)
	}
	runtime.KeepAlive(&g)
}

// A Group shared with C whose OnTaskDone callback references it is still
// collected (the C side holds the callback weakly; Go 1.24 and later).
func TestOnTaskDoneCallbackReferencingItsGroupIsCollected(t *testing.T) {
	if !weakTaskDone {
		t.Skip("no weak pointers before Go 1.24")
	}
	checkExtrasNoLeaks(t)
	g := new(Group)
	g.OnTaskDone(func(TaskResult) { _ = g.Idle() })
	task := ctest.Go(g.CHandle(), ctest.Spec{})
	defer task.Free()
	g.Wait()
}

// Skip mode on a group shared with C: the cancellation wakes the Go calls
// parked at the limit at once (one parked there, one parked in Go mode and
// moved), while the holder still runs; their C requests, granted when the
// holder ends, give the slot straight back, and Wait waits for no phantom.
func TestSkipAcrossCHandleWakesParkedAtCancel(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	g.SkipWhenCanceled()
	g.SetLimit(1)
	b := newBlocker()
	g.Go(b.fn(nil))
	<-b.started
	returned := make(chan bool, 2)
	skippedFn := func() error { t.Error("a skipped function ran"); return nil }
	go func() { returned <- g.GoOrSkip(skippedFn) }()
	testwait.Eventually(t, "a parked Go call", func() bool { return g.core.Load().ParkedGoCallers() == 1 })
	g.CHandle() // the parked call moves to the C group's queue
	go func() { returned <- g.GoOrSkip(skippedFn) }()
	testwait.Eventually(t, "two parked Go calls", func() bool { return g.core.Load().ParkedGoCallers() == 2 })
	g.Cancel(nil)
	for range 2 {
		if testwait.Receive(t, "a parked GoOrSkip, woken by Cancel", returned) {
			t.Fatal("GoOrSkip started a function after the cancellation")
		}
	}
	if g.Idle() || g.Skipped() != 2 {
		t.Fatalf("Idle %v, Skipped %d; want the holder active and 2", g.Idle(), g.Skipped())
	}
	close(b.release)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if !g.Idle() || g.Skipped() != 2 {
		t.Fatalf("after Wait: Idle %v, Skipped %d; want true and 2", g.Idle(), g.Skipped())
	}
	runtime.KeepAlive(&g)
}

// A group moved to C from inside a task-done callback: the function's
// error, recorded in Go mode and carried over by the move, is not recorded
// again by the C group when the function ends.
func TestCHandleInsideOnTaskDoneRecordsOnce(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	g.KeepErrors(4)
	g.OnTaskDone(func(r TaskResult) {
		if r.Err != nil {
			g.CHandle()
		}
	})
	boom := errors.New("boom")
	g.Go(func() error { return boom })
	if err := g.Wait(); err != boom {
		t.Fatalf("Wait() = %v; want boom", err)
	}
	if kept := g.Errors().(interface{ Unwrap() []error }).Unwrap(); len(kept) != 1 || kept[0] != boom {
		t.Fatalf("Errors() = %v; want [boom]", kept)
	}
	runtime.KeepAlive(&g)
}

// Kept errors move to C in order, with the drop count, and go on there:
// Go errors, C task errors.
func TestKeepErrorsAcrossCHandle(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	g.KeepErrors(3)
	e0, e1 := errors.New("e0"), errors.New("e1")
	g.Go(func() error { return e0 })
	g.Wait()
	g.Go(func() error { return e1 })
	g.Wait()
	task := ctest.Go(g.CHandle(), ctest.Spec{FailCode: 9, FailMessage: "c"})
	defer task.Free()
	g.Wait()
	for range 2 {
		g.Go(func() error { return errors.New("dropped") })
	}
	if err := g.Wait(); err != e0 {
		t.Fatalf("Wait() = %v; want %v", err, e0)
	}
	kept := g.Errors().(interface{ Unwrap() []error }).Unwrap()
	var cerr *CError
	if len(kept) != 3 || kept[0] != e0 || kept[1] != e1 || !errors.As(kept[2], &cerr) || cerr.Code != 9 || g.DroppedErrors() != 2 {
		t.Fatalf("Errors() = %v, dropped %d; want [e0 e1 c], 2", kept, g.DroppedErrors())
	}
	runtime.KeepAlive(&g)
}

// A Go-mode drop count is carried over.
func TestDroppedErrorsBeforeCHandle(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	g.KeepErrors(1)
	for range 3 {
		g.Go(func() error { return errors.New("e") })
		g.Wait()
	}
	g.CHandle()
	if g.DroppedErrors() != 2 || len(g.Errors().(interface{ Unwrap() []error }).Unwrap()) != 1 {
		t.Fatalf("dropped %d after CHandle; want 2", g.DroppedErrors())
	}
}

// Cancel on a group shared with C: C tasks see the cause.
func TestCancelReachesCTasks(t *testing.T) {
	checkExtrasNoLeaks(t)
	g, ctx := WithContext(context.Background())
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	stop := errors.New("stop")
	g.Cancel(stop)
	if err := g.Wait(); err != nil || context.Cause(ctx) != stop {
		t.Fatalf("Wait() = %v, cause %v", err, context.Cause(ctx))
	}
	if seen := watcher.Observed(); seen.TimedOut || seen.CtxErr != ctest.ECanceled || seen.CauseCode != GoErrorCode || seen.CauseMessage != "stop" {
		t.Fatalf("the C task saw %+v; want canceled with cause %q", seen, stop)
	}
}

// A cancellation and skip mode from before CHandle hold on the C group:
// a canceled group starts nothing more, Go or C.
func TestSkipAcrossCHandle(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	g.SkipWhenCanceled()
	g.Cancel(nil)
	if g.GoOrSkip(func() error { return nil }) {
		t.Fatal("started before CHandle")
	}
	handle := g.CHandle()
	if !g.Canceled() || g.GoOrSkip(func() error { return nil }) || g.TryGo(func() error { return nil }) {
		t.Fatal("not canceled, or started, after CHandle")
	}
	if n := g.Skipped(); n != 3 {
		t.Fatalf("Skipped() = %d; want 3", n)
	}
	if g.Wait() != nil {
		t.Fatal("an error was recorded")
	}
	runtime.KeepAlive(handle)
}

// A limit lowered below the running count, with a parked call, moves to C
// as it is: the parked call waits until fewer than the limit run.
func TestLoweredLimitAcrossCHandle(t *testing.T) {
	checkExtrasNoLeaks(t)
	var g Group
	g.SetLimit(2)
	b1, b2 := newBlocker(), newBlocker()
	g.Go(b1.fn(nil))
	g.Go(b2.fn(nil))
	<-b1.started
	<-b2.started
	ran := make(chan struct{}, 1)
	go g.Go(func() error { ran <- struct{}{}; return nil })
	testwait.Eventually(t, "a parked Go call", func() bool { return g.core.Load().ParkedGoCallers() == 1 })
	g.ResizeLimit(1)
	handle := g.CHandle()
	if task := ctest.TryGo(handle, ctest.Spec{}); task != nil {
		task.Free()
		t.Fatal("eg_group_try_go started a C task above the lowered limit")
	}
	close(b1.release)
	testwait.Eventually(t, "the first function to end", func() bool { return g.core.Load().ParkedGoCallers() == 1 && !g.Idle() })
	select {
	case <-ran:
		t.Fatal("the parked call ran with the count at the lowered limit")
	default:
	}
	close(b2.release)
	testwait.Receive(t, "the parked call's function", ran)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(&g)
}
