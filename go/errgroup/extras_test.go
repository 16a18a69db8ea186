// SPDX-License-Identifier: BSD-3-Clause

package errgroup

// The extras beyond the reference, on groups in Go mode (no CHandle): these
// tests build and run without cgo too. extras_cgo_test.go runs the same
// scenarios on groups shared with C (migrate: true).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liberrgroup/liberrgroup/go/internal/testwait"
)

// mustPanic fails the test unless f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), want) {
			t.Fatalf("panic %v; want one containing %q", r, want)
		}
	}()
	f()
}

// shared makes g share its books with C when migrate is true (CHandle, in a
// cgo build; extras_cgo_test.go), at the point of the scenario it is called.
var shared = func(t *testing.T, g *Group, migrate bool) {
	if migrate {
		t.Fatal("no CHandle in this build")
	}
}

// modes runs a scenario in Go mode and, in a cgo build, on a group shared
// with C at the point where the scenario calls shared.
func modes(t *testing.T, scenario func(t *testing.T, migrate bool)) {
	t.Run("go", func(t *testing.T) { scenario(t, false) })
	if cgoBuild {
		t.Run("c", func(t *testing.T) {
			checkExtrasNoLeaks(t)
			scenario(t, true)
		})
	}
}

// waitResult runs g.Wait in a goroutine and delivers its result.
func waitResult(g *Group) <-chan error {
	result := make(chan error, 1)
	go func() { result <- g.Wait() }()
	return result
}

// blocker is a function that signals it started and returns ret once
// released.
type blocker struct {
	started chan struct{}
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 1), release: make(chan struct{})}
}

func (b *blocker) fn(ret error) func() error {
	return func() error { b.started <- struct{}{}; <-b.release; return ret }
}

// KeepErrors: every error in record order (a limit of 1 makes the order
// the order of Go), the first being Wait's, up to max, the rest counted;
// nested Go and reuse after Wait accumulate.
func TestKeepErrors(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		g, ctx := WithContext(context.Background())
		g.KeepErrors(4)
		g.SetLimit(1)
		shared(t, g, migrate)
		errs := []error{errors.New("e0"), errors.New("e1"), errors.New("e2")}
		for _, err := range errs[:2] {
			g.Go(func() error { return err })
		}
		g.Go(func() error { return nil })
		if err := g.Wait(); err != errs[0] || context.Cause(ctx) != errs[0] {
			t.Fatalf("Wait() = %v, cause %v; want %v", err, context.Cause(ctx), errs[0])
		}
		// Reuse after Wait, with a nested Go: the errors accumulate.
		g.SetLimit(2)
		g.Go(func() error {
			g.Go(func() error { return errs[2] })
			return nil
		})
		if err := g.Wait(); err != errs[0] {
			t.Fatalf("second Wait() = %v; want %v", err, errs[0])
		}
		got := g.Errors()
		u, ok := got.(interface{ Unwrap() []error })
		if !ok || !slices.Equal(u.Unwrap(), errs) || !errors.Is(got, errs[2]) {
			t.Fatalf("Errors() = %#v; want %v, errors.Join-compatible", got, errs)
		}
		for range 3 {
			g.Go(func() error { return errors.New("late") })
		}
		g.Wait()
		if n := len(g.Errors().(interface{ Unwrap() []error }).Unwrap()); n != 4 || g.DroppedErrors() != 2 {
			t.Fatalf("%d errors kept, %d dropped; want 4 and 2", n, g.DroppedErrors())
		}
	})
}

func TestKeepErrorsRefusals(t *testing.T) {
	var g Group
	if g.Errors() != nil || g.DroppedErrors() != 0 {
		t.Fatal("a zero Group has errors")
	}
	mustPanic(t, "at least 1", func() { g.KeepErrors(0) })
	g.KeepErrors(1)
	mustPanic(t, "twice", func() { g.KeepErrors(1) })
	var used Group
	used.Go(func() error { return errors.New("e") })
	used.Wait()
	mustPanic(t, "first function", func() { used.KeepErrors(1) })
	if used.Errors() != nil {
		t.Fatal("Errors() without KeepErrors is not nil")
	}
}

// Skip mode on a group without a context: the first error cancels it; Go
// calls blocked at the limit then return without running their function,
// later Go, TryGo, GoOrSkip and Start start nothing, and all count.
func TestSkipWhenCanceled(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		var g Group
		g.SkipWhenCanceled()
		g.SetLimit(1)
		shared(t, &g, migrate)
		b := newBlocker()
		boom := errors.New("boom")
		g.Go(b.fn(boom))
		<-b.started
		returned := make(chan bool, 2)
		for range 2 {
			go func() { returned <- g.GoOrSkip(func() error { t.Error("a skipped function ran"); return nil }) }()
		}
		testwait.Eventually(t, "two parked Go calls", func() bool { return g.core.Load().ParkedGoCallers() == 2 })
		if g.Canceled() {
			t.Fatal("canceled before the error")
		}
		close(b.release) // boom: canceled
		for range 2 {
			if testwait.Receive(t, "a parked GoOrSkip", returned) {
				t.Fatal("GoOrSkip started a function after the cancellation")
			}
		}
		if !g.Canceled() {
			t.Fatal("not canceled after the error")
		}
		g.Go(func() error { t.Error("a skipped Go ran"); return nil })
		if g.TryGo(func() error { return nil }) {
			t.Fatal("TryGo started a function")
		}
		if err := g.Start(func(context.Context, func()) error { return nil }); err != ErrSkipped {
			t.Fatalf("Start = %v; want ErrSkipped", err)
		}
		if err := g.Wait(); err != boom {
			t.Fatalf("Wait() = %v; want %v", err, boom)
		}
		if n := g.Skipped(); n != 5 {
			t.Fatalf("Skipped() = %d; want 5", n)
		}
	})
}

// Skip mode on a WithContext group: the parent's cancellation counts, and
// wakes a parked Go call; the group stays canceled after Wait (reuse).
func TestSkipWhenParentCanceled(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		parent, cancel := context.WithCancel(context.Background())
		g, ctx := WithContext(parent)
		g.SkipWhenCanceled()
		g.SetLimit(1)
		shared(t, g, migrate)
		g.Go(func() error { <-ctx.Done(); return nil })
		returned := make(chan bool, 1)
		go func() { returned <- g.GoOrSkip(func() error { t.Error("a skipped function ran"); return nil }) }()
		testwait.Eventually(t, "a parked Go call", func() bool { return g.core.Load().ParkedGoCallers() == 1 })
		cancel()
		if testwait.Receive(t, "the parked GoOrSkip", returned) {
			t.Fatal("GoOrSkip started a function after the parent's cancellation")
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if g.GoOrSkip(func() error { return nil }) || g.Skipped() != 2 {
			t.Fatalf("after Wait: started, or Skipped() = %d; want 2", g.Skipped())
		}
	})
}

func TestSkipWhenCanceledRefusals(t *testing.T) {
	var g Group
	g.Go(func() error { return nil })
	mustPanic(t, "first function", g.SkipWhenCanceled)
	g.Wait()
	var plain Group
	if !plain.GoOrSkip(func() error { return errors.New("e") }) {
		t.Fatal("GoOrSkip skipped without skip mode")
	}
	plain.Wait()
	if !plain.GoOrSkip(func() error { return nil }) || plain.Skipped() != 0 {
		t.Fatal("GoOrSkip skipped without skip mode after an error")
	}
	plain.Wait()
}

// OnTaskDone: one call per function (nested ones included), with its
// error, before Wait returns; a channel drained by the caller is one line.
func TestOnTaskDone(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		var g Group
		results := make(chan TaskResult, 10)
		g.OnTaskDone(func(r TaskResult) { results <- r })
		g.SetLimit(2)
		shared(t, &g, migrate)
		boom := errors.New("boom")
		g.Go(func() error { return boom })
		g.Go(func() error {
			g.Go(func() error { return nil }) // nested
			return nil
		})
		g.TryGo(func() error { return nil }) // may be refused at the limit
		if err := g.Wait(); err != boom {
			t.Fatalf("Wait() = %v", err)
		}
		var errs, oks int
		for len(results) > 0 {
			switch r := <-results; {
			case r.Skipped || r.CTask:
				t.Fatalf("result %+v", r)
			case r.Err == boom:
				errs++
			case r.Err == nil:
				oks++
			}
		}
		if errs != 1 || oks < 2 || oks > 3 {
			t.Fatalf("%d errors and %d successes reported; want 1 and 2 or 3", errs, oks)
		}
		// Reuse after Wait.
		g.Go(func() error { return boom })
		if err := g.Wait(); err != boom || len(results) != 1 || (<-results).Err != boom {
			t.Fatalf("after reuse: Wait() = %v, %d results", err, len(results))
		}
	})
}

// The callback sees its function's error recorded: kept, in order, the
// first one canceling the context; an error a function returns after a
// callback it waited for comes after that callback's.
func TestOnTaskDoneAfterTheErrorIsRecorded(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		g, ctx := WithContext(context.Background())
		g.KeepErrors(4)
		type seen struct {
			kept  []error
			cause error
		}
		seenBy := make(chan seen, 2)
		g.OnTaskDone(func(r TaskResult) {
			var kept []error
			if all := g.Errors(); all != nil {
				kept = all.(interface{ Unwrap() []error }).Unwrap()
			}
			seenBy <- seen{kept, context.Cause(ctx)}
		})
		shared(t, g, migrate)
		e1, e2 := errors.New("e1"), errors.New("e2")
		g.Go(func() error { return e1 })
		first := testwait.Receive(t, "the first callback", seenBy)
		if !slices.Equal(first.kept, []error{e1}) || first.cause != e1 {
			t.Fatalf("the callback of e1 saw kept %v, cause %v; want [e1], e1", first.kept, first.cause)
		}
		g.Go(func() error { return e2 })
		second := testwait.Receive(t, "the second callback", seenBy)
		if !slices.Equal(second.kept, []error{e1, e2}) {
			t.Fatalf("the callback of e2 saw kept %v; want [e1 e2]", second.kept)
		}
		if err := g.Wait(); err != e1 {
			t.Fatalf("Wait() = %v; want e1", err)
		}
	})
}

// Wait returns only after every callback has returned.
func TestOnTaskDoneBeforeWaitReturns(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		var g Group
		inCallback, release := make(chan struct{}), make(chan struct{})
		g.OnTaskDone(func(TaskResult) { close(inCallback); <-release })
		shared(t, &g, migrate)
		g.Go(func() error { return nil })
		<-inCallback
		waited := waitResult(&g)
		if g.Idle() {
			t.Fatal("Idle while a callback runs")
		}
		if err, ok := g.WaitTimeout(0); ok {
			t.Fatalf("WaitTimeout(0) = %v, true while a callback runs", err)
		}
		select {
		case <-waited:
			t.Fatal("Wait returned while a callback ran")
		default:
		}
		close(release)
		if err := testwait.Receive(t, "Wait", waited); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOnTaskDoneRefusals(t *testing.T) {
	var g Group
	mustPanic(t, "nil", func() { g.OnTaskDone(nil) })
	g.OnTaskDone(func(TaskResult) {})
	mustPanic(t, "twice", func() { g.OnTaskDone(func(TaskResult) {}) })
	var used Group
	used.Go(func() error { return nil })
	mustPanic(t, "first function", func() { used.OnTaskDone(func(TaskResult) {}) })
	used.Wait()
}

// WaitTimeout times out while a function runs, canceling nothing, and may
// be called again; once the function ends it is Wait.
func TestWaitTimeout(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		g, ctx := WithContext(context.Background())
		shared(t, g, migrate)
		if err, ok := g.WaitTimeout(0); !ok || err != nil || !g.Idle() {
			t.Fatalf("WaitTimeout(0) on an idle group = %v, %v", err, ok)
		}
		g, ctx = WithContext(context.Background())
		b := newBlocker()
		boom := errors.New("boom")
		g.Go(b.fn(boom))
		shared(t, g, migrate)
		<-b.started
		// The time is the feature: 20 ms must pass with the function blocked.
		for _, d := range []time.Duration{0, 20 * time.Millisecond} {
			if err, ok := g.WaitTimeout(d); ok || err != nil || ctx.Err() != nil || g.Idle() {
				t.Fatalf("WaitTimeout(%v) = %v, %v, ctx %v; want nil, false, not canceled", d, err, ok, ctx.Err())
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Generous: the function ends as soon as it is released.
			if err, ok := g.WaitTimeout(testwait.Timeout); !ok || err != boom {
				t.Errorf("WaitTimeout = %v, %v; want %v, true", err, ok, boom)
			}
		}()
		close(b.release)
		<-done
		if context.Cause(ctx) != boom || !g.Idle() {
			t.Fatalf("cause %v; want %v", context.Cause(ctx), boom)
		}
		if err, ok := g.WaitTimeout(-1); !ok || err != boom {
			t.Fatalf("WaitTimeout(-1) = %v, %v", err, ok)
		}
	})
}

// Several Waits and WaitTimeouts parked at once: a timeout wakes only its
// own caller.
func TestWaitTimeoutBesideWait(t *testing.T) {
	var g Group
	b := newBlocker()
	g.Go(b.fn(nil))
	<-b.started
	waited := waitResult(&g)
	testwait.Eventually(t, "Wait to park", func() bool { return g.core.Load().ParkedWaits() == 1 })
	if _, ok := g.WaitTimeout(time.Millisecond); ok {
		t.Fatal("WaitTimeout returned true while a function runs")
	}
	select {
	case <-waited:
		t.Fatal("Wait returned while a function runs")
	default:
	}
	close(b.release)
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatal(err)
	}
}

// Cancel: the context's cause is Cancel's, no error is recorded, the first
// cancellation wins.
func TestCancel(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		stop := errors.New("stop")
		g, ctx := WithContext(context.Background())
		shared(t, g, migrate)
		g.Go(func() error { <-ctx.Done(); return nil })
		if g.Canceled() {
			t.Fatal("canceled before Cancel")
		}
		g.Cancel(stop)
		if context.Cause(ctx) != stop || !g.Canceled() {
			t.Fatalf("cause %v after Cancel(%v)", context.Cause(ctx), stop)
		}
		g.Cancel(nil) // idempotent: the first cancellation wins
		boom := errors.New("boom")
		g.Go(func() error { return boom })
		if err := g.Wait(); err != boom || context.Cause(ctx) != stop {
			t.Fatalf("Wait() = %v, cause %v; want %v, %v", err, context.Cause(ctx), boom, stop)
		}

		g, ctx = WithContext(context.Background())
		shared(t, g, migrate)
		g.Go(func() error { <-ctx.Done(); return nil })
		g.Cancel(nil)
		if err := g.Wait(); err != nil || context.Cause(ctx) != context.Canceled {
			t.Fatalf("Wait() = %v, cause %v; want nil, context.Canceled", err, context.Cause(ctx))
		}

		var plain Group
		shared(t, &plain, migrate)
		plain.Cancel(stop)
		if !plain.Canceled() || plain.Wait() != nil {
			t.Fatal("a plain group: not canceled, or an error recorded")
		}
	})
}

func TestCanceled(t *testing.T) {
	var zero Group
	if zero.Canceled() {
		t.Fatal("a zero Group is canceled")
	}
	zero.Go(func() error { return errors.New("e") })
	zero.Wait()
	if !zero.Canceled() {
		t.Fatal("a zero Group with an error is not canceled")
	}
	g, _ := WithContext(context.Background())
	g.Wait()
	if !g.Canceled() {
		t.Fatal("a WithContext group is not canceled after Wait")
	}
}

// Start returns once the function says it is ready, while it still runs;
// or with its error if it returns first (the group has it too).
func TestStart(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		g, groupCtx := WithContext(context.Background())
		shared(t, g, migrate)
		release := make(chan struct{})
		var taskCtx context.Context
		err := g.Start(func(ctx context.Context, ready func()) error {
			taskCtx = ctx
			ready()
			ready() // later calls do nothing
			<-release
			return nil
		})
		if err != nil || taskCtx.Err() != nil || g.Idle() {
			t.Fatalf("Start = %v, ctx %v, idle %v", err, taskCtx.Err(), g.Idle())
		}
		boom := errors.New("boom")
		if err := g.Start(func(ctx context.Context, ready func()) error { return boom }); err != boom {
			t.Fatalf("Start = %v; want %v", err, boom)
		}
		close(release)
		testwait.Receive(t, "the error to cancel the group's context", groupCtx.Done())
		testwait.Receive(t, "the error to cancel the started function's context", taskCtx.Done())
		if err := g.Wait(); err != boom {
			t.Fatalf("Wait() = %v; want %v", err, boom)
		}

		// At the limit, Start blocks as Go does; a ready from another
		// goroutine counts; a function returning nil unready gives nil.
		var plain Group
		plain.SetLimit(1)
		shared(t, &plain, migrate)
		b := newBlocker()
		plain.Go(b.fn(nil))
		<-b.started
		started, finish := make(chan error, 1), make(chan struct{})
		go func() {
			started <- plain.Start(func(ctx context.Context, ready func()) error {
				go ready()
				<-finish
				if ctx.Err() != nil {
					t.Error("the task's context is done before it returned")
				}
				return nil
			})
		}()
		testwait.Eventually(t, "Start to park at the limit", func() bool { return plain.core.Load().ParkedGoCallers() == 1 })
		close(b.release)
		if err := testwait.Receive(t, "Start", started); err != nil {
			t.Fatal(err)
		}
		if plain.Idle() {
			t.Fatal("idle while the started function runs")
		}
		plain.Cancel(nil) // a plain group has no context: the task's stays
		if err, ok := plain.WaitTimeout(time.Millisecond); ok {
			t.Fatalf("WaitTimeout = %v, true while the started function runs", err)
		}
		close(finish)
		if err := plain.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := (&Group{}).Start(func(context.Context, func()) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
}

// ResizeLimit: raising admits the oldest parked callers at once, in order;
// lowering stops nothing and holds new ones until enough have ended; a
// negative limit admits everyone.
func TestResizeLimit(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		var g Group
		g.SetLimit(1)
		shared(t, &g, migrate)
		b := newBlocker()
		g.Go(b.fn(nil))
		<-b.started
		ran := make(chan int, 4)
		hold := make(chan struct{})
		for i := range 4 {
			go g.Go(func() error { ran <- i; <-hold; return nil })
			testwait.Eventually(t, "a parked Go call", func() bool { return g.core.Load().ParkedGoCallers() == int64(i+1) })
		}
		g.ResizeLimit(3) // two of the four at once: the oldest
		got := []int{testwait.Receive(t, "an admitted call", ran), testwait.Receive(t, "an admitted call", ran)}
		slices.Sort(got)
		if !slices.Equal(got, []int{0, 1}) {
			t.Fatalf("admitted %v; want the oldest, [0 1]", got)
		}
		g.ResizeLimit(1) // 3 run; none stops
		close(b.release) // 2 run: still above 1
		if g.TryGo(func() error { return nil }) {
			t.Fatal("TryGo admitted above the lowered limit")
		}
		if n := g.core.Load().ParkedGoCallers(); n != 2 {
			t.Fatalf("%d parked; want 2 still parked", n)
		}
		g.ResizeLimit(-1) // every parked call at once
		got = []int{testwait.Receive(t, "an admitted call", ran), testwait.Receive(t, "an admitted call", ran)}
		slices.Sort(got)
		if !slices.Equal(got, []int{2, 3}) {
			t.Fatalf("admitted %v; want [2 3]", got)
		}
		close(hold)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if !g.TryGo(func() error { return nil }) {
			t.Fatal("TryGo refused with no limit")
		}
		g.Wait()
	})
}

// Lowering the limit: a finishing function hands its slot on only when
// the count is below the new limit.
func TestResizeLimitLowerThenFinish(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		var g Group
		g.SetLimit(2)
		shared(t, &g, migrate)
		b1, b2 := newBlocker(), newBlocker()
		g.Go(b1.fn(nil))
		g.Go(b2.fn(nil))
		<-b1.started
		<-b2.started
		ran := make(chan struct{}, 1)
		go g.Go(func() error { ran <- struct{}{}; return nil })
		testwait.Eventually(t, "a parked Go call", func() bool { return g.core.Load().ParkedGoCallers() == 1 })
		g.ResizeLimit(1)
		close(b1.release)
		testwait.Eventually(t, "the first function to end", func() bool {
			return !g.TryGo(func() error { return nil }) && len(ran) == 0 && g.core.Load().ParkedGoCallers() == 1
		})
		close(b2.release)
		testwait.Receive(t, "the parked call's function", ran)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
	})
}

// A negative limit keeps the limit, unbounded: a later ResizeLimit bounds
// it again while functions run (it does not panic as SetLimit would).
func TestResizeLimitBoundAgainAfterNegative(t *testing.T) {
	modes(t, func(t *testing.T, migrate bool) {
		var g Group
		g.SetLimit(1)
		shared(t, &g, migrate)
		b := newBlocker()
		g.Go(b.fn(nil))
		<-b.started
		parked := newBlocker()
		go g.Go(parked.fn(nil))
		testwait.Eventually(t, "a parked Go call", func() bool { return g.core.Load().ParkedGoCallers() == 1 })
		g.ResizeLimit(-1) // the parked call at once
		<-parked.started
		g.ResizeLimit(2) // two run: bounded again, nothing stops
		if g.TryGo(func() error { return nil }) {
			t.Fatal("TryGo admitted beyond the limit given a bound again")
		}
		close(b.release)
		close(parked.release)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		b = newBlocker()
		g.Go(b.fn(nil))
		<-b.started
		g.ResizeLimit(1) // still a limit: resized, no panic
		if g.TryGo(func() error { return nil }) {
			t.Fatal("TryGo admitted beyond the limit of 1")
		}
		close(b.release)
		g.Wait()
	})
}

func TestResizeLimitWithoutLimit(t *testing.T) {
	var g Group
	g.ResizeLimit(-1) // nothing to remove
	b := newBlocker()
	g.Go(b.fn(nil))
	<-b.started
	mustPanic(t, "no limit", func() { g.ResizeLimit(1) })
	close(b.release)
	g.Wait()
	g.ResizeLimit(1) // idle: SetLimit(1)
	b = newBlocker()
	g.Go(b.fn(nil))
	<-b.started
	if g.TryGo(func() error { return nil }) {
		t.Fatal("ResizeLimit(1) on an idle group set no limit")
	}
	close(b.release)
	g.Wait()
}

// Many goroutines resize and start at once (for -race): every function
// runs, none is lost.
func TestResizeLimitConcurrent(t *testing.T) {
	var g Group
	g.SetLimit(1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 50 {
				g.Go(func() error { mu.Lock(); ran++; mu.Unlock(); return nil })
			}
		}()
		go func() { defer wg.Done(); g.ResizeLimit(1 + i%3) }()
	}
	wg.Wait()
	g.ResizeLimit(-1)
	if err := g.Wait(); err != nil || ran != 400 {
		t.Fatalf("Wait() = %v with %d run; want 400", err, ran)
	}
}
