// SPDX-License-Identifier: BSD-3-Clause

package errgroup

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/liberrgroup/liberrgroup/go/internal/testwait"
)

// waitInBackground runs g.Wait in a goroutine and delivers its result.
func waitInBackground(g *Group) <-chan error {
	result := make(chan error, 1)
	go func() { result <- g.Wait() }()
	return result
}

func TestZeroGroupForms(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var value Group
	for name, g := range map[string]*Group{"var": &value, "new": new(Group), "literal": &Group{}} {
		var ran, background atomic.Int32
		for range 10 {
			g.Go(func(ctx context.Context) error {
				ran.Add(1)
				if ctx == context.Background() {
					background.Add(1)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil || ran.Load() != 10 || background.Load() != 10 {
			t.Errorf("%s: Wait() = %v with %d functions run, %d given context.Background(); want nil, 10, 10",
				name, err, ran.Load(), background.Load())
		}
	}
}

func TestWaitOnUnusedGroupMakesNoCGroup(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for _, g := range []*Group{new(Group), WithContext(context.Background())} {
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if g.core.Load() != nil {
			t.Fatal("Wait on an unused Group made a C group")
		}
	}
}

// WithContext passes its context as it is and never cancels it: an error
// does not stop the other functions.
func TestWithContextPassesContextAndDoesNotCancel(t *testing.T) {
	testwait.CheckNoLeaks(t)
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "v")
	g := WithContext(parent)
	errFirst := errors.New("first")
	failed := make(chan struct{})
	var sawSame, sawDone atomic.Bool
	g.Go(func(ctx context.Context) error { defer close(failed); return errFirst })
	g.Go(func(ctx context.Context) error {
		<-failed
		sawSame.Store(ctx == parent)
		sawDone.Store(ctx.Err() != nil)
		return nil
	})
	if err := g.Wait(); err != errFirst {
		t.Fatalf("Wait() = %v; want %v", err, errFirst)
	}
	if !sawSame.Load() || sawDone.Load() {
		t.Fatalf("the function got the very context: %v, saw it done after an error: %v; want true, false",
			sawSame.Load(), sawDone.Load())
	}
	if parent.Err() != nil {
		t.Fatal("Wait canceled the context given to WithContext")
	}
	// nil is taken as context.Background(), as in go-errgroup.
	//lint:ignore SA1012 the nil context is the point
	g = WithContext(nil) //nolint:staticcheck
	var background atomic.Bool
	g.Go(func(ctx context.Context) error { background.Store(ctx == context.Background()); return nil })
	if err := g.Wait(); err != nil || !background.Load() {
		t.Fatalf("WithContext(nil): Wait() = %v, context.Background() given: %v", err, background.Load())
	}
}

// WithCancel: the first error cancels the functions' context, with that
// error as cause; Wait returns it.
func TestWithCancelFirstErrorCancels(t *testing.T) {
	testwait.CheckNoLeaks(t)
	type key struct{}
	g := WithCancel(context.WithValue(context.Background(), key{}, "v"))
	errFirst := errors.New("first")
	type seen struct {
		err, cause error
		value      any
	}
	saw := make(chan seen, 1)
	g.Go(func(ctx context.Context) error {
		<-ctx.Done()
		saw <- seen{ctx.Err(), context.Cause(ctx), ctx.Value(key{})}
		return nil
	})
	g.Go(func(context.Context) error { return errFirst })
	if err := g.Wait(); err != errFirst {
		t.Fatalf("Wait() = %v; want %v", err, errFirst)
	}
	if s := testwait.Receive(t, "the waiting function", saw); s.err != context.Canceled || s.cause != errFirst || s.value != "v" {
		t.Fatalf("the waiting function saw Err %v, Cause %v, value %v; want Canceled, %v, v", s.err, s.cause, s.value, errFirst)
	}
}

// WithCancel: with no error, the context is canceled when Wait returns, not
// before; its cause is then context.Canceled.
func TestWithCancelCanceledByWait(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := WithCancel(context.Background())
	var ctxOfGroup context.Context
	release := make(chan struct{})
	g.Go(func(ctx context.Context) error {
		ctxOfGroup = ctx
		<-release
		if ctx.Err() != nil {
			return errors.New("canceled before Wait returned")
		}
		return nil
	})
	waited := waitInBackground(g)
	close(release)
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatal(err)
	}
	if ctxOfGroup.Err() != context.Canceled || context.Cause(ctxOfGroup) != context.Canceled {
		t.Fatalf("after Wait: Err %v, Cause %v; want context.Canceled", ctxOfGroup.Err(), context.Cause(ctxOfGroup))
	}
}

// WithCancel: the parent's cancellation reaches the functions with the
// parent's cause, records no error and does not end Wait early.
func TestWithCancelParentCancellation(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errParent := errors.New("parent gave up")
	parent, cancel := context.WithCancelCause(context.Background())
	g := WithCancel(parent)
	saw := make(chan error, 1)
	g.Go(func(ctx context.Context) error { <-ctx.Done(); saw <- context.Cause(ctx); return nil })
	cancel(errParent)
	if cause := testwait.Receive(t, "the function to see the parent's cancellation", saw); cause != errParent {
		t.Fatalf("Cause = %v; want %v", cause, errParent)
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v; a parent's cancellation records no error", err)
	}
}

func TestWithCancelNilPanicsLikeWithCancel(t *testing.T) {
	panicValue := func(f func()) (v any) {
		defer func() { v = recover() }()
		f()
		return nil
	}
	//lint:ignore SA1012 the nil context is the point
	want := panicValue(func() { _, cancel := context.WithCancel(nil); cancel() }) //nolint:staticcheck
	//lint:ignore SA1012 the nil context is the point
	got := panicValue(func() { WithCancel(nil) }) //nolint:staticcheck
	if want == nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("WithCancel(nil) panicked with %#v; want %#v", got, want)
	}
}

type myErr struct{ text string }

func (e *myErr) Error() string { return e.text }

// Wait returns the very value of the first error, in order of completion,
// and keeps it for later rounds.
func TestWaitReturnsFirstErrorIdentity(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for name, g := range map[string]*Group{"zero": new(Group), "WithContext": WithContext(context.Background()),
		"WithCancel": WithCancel(context.Background())} {
		errLate, errEarly := &myErr{"started first, returns last"}, &myErr{"returns first"}
		// The late function returns only once errEarly has been recorded:
		// closing a channel in errEarly's function would not do, the error
		// is recorded after the function returns.
		recorded := make(chan struct{})
		hook := func(err error) {
			if err == error(errEarly) {
				close(recorded)
			}
		}
		testHookReported.Store(&hook)
		g.Go(func(context.Context) error { <-recorded; return errLate })
		g.Go(func(context.Context) error { return errEarly })
		if err := g.Wait(); err != error(errEarly) {
			t.Errorf("%s: Wait() = %p; want the very %p", name, err, errEarly)
		}
		testHookReported.Store(nil)
		g.Go(func(context.Context) error { return errors.New("a later round") })
		if err := g.Wait(); err != error(errEarly) {
			t.Errorf("%s: second Wait() = %v; want the sticky %v", name, err, errEarly)
		}
	}
}

// GOMAXPROCS(1): Go never blocks, queued functions hold no goroutine and
// run first in, first out.
func TestGOMAXPROCSQueueIsFIFOAndGoNeverBlocks(t *testing.T) {
	testwait.CheckNoLeaks(t)
	const queued = 1000
	g := WithCancel(context.Background())
	g.GOMAXPROCS(1)
	release := make(chan struct{})
	g.Go(func(context.Context) error { <-release; return nil })
	var order []int // only one function runs at a time
	for i := range queued {
		g.Go(func(context.Context) error { order = append(order, i); return nil })
	}
	// Every Go above returned while the only worker is held.
	if n := g.core.Load().QueuedFunctions(); n != queued {
		t.Fatalf("%d functions queued; want %d", n, queued)
	}
	waited := waitInBackground(g)
	close(release)
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatal(err)
	}
	if len(order) != queued {
		t.Fatalf("%d queued functions ran; want %d", len(order), queued)
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("queued functions ran in order %v...; want 0..%d", order[:min(len(order), 20)], queued-1)
		}
	}
}

// GOMAXPROCS(n): exactly n functions run at once, never more.
func TestGOMAXPROCSMaxConcurrency(t *testing.T) {
	testwait.CheckNoLeaks(t)
	const workers, total = 3, 300
	var g Group
	g.GOMAXPROCS(workers)
	var running, most atomic.Int32
	var firstWave sync.WaitGroup
	firstWave.Add(workers)
	release := make(chan struct{})
	for i := range total {
		g.Go(func(context.Context) error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if i < workers {
				firstWave.Done()
				<-release
			}
			runtime.Gosched()
			running.Add(-1)
			return nil
		})
	}
	firstWave.Wait() // the first n run at once
	if n := g.core.Load().QueuedFunctions(); n != total-workers {
		t.Fatalf("%d functions queued while %d workers are held; want %d", n, workers, total-workers)
	}
	close(release)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m != workers {
		t.Fatalf("at most %d functions ran at once; want %d", m, workers)
	}
}

// 100,000 functions queued under GOMAXPROCS(2) drain with a flat goroutine
// count: a queued function has no goroutine, and each finishing function
// starts only the next one.
func TestHundredThousandQueuedWithFlatGoroutineCount(t *testing.T) {
	testwait.CheckNoLeaks(t)
	const queued = 100_000
	const flat = 100
	before := runtime.NumGoroutine()
	var g Group
	g.GOMAXPROCS(2)
	release := make(chan struct{})
	var ran atomic.Int64
	for range 2 {
		g.Go(func(context.Context) error { <-release; ran.Add(1); return nil })
	}
	for range queued {
		g.Go(func(context.Context) error { ran.Add(1); return nil })
	}
	if n := g.core.Load().QueuedFunctions(); n != queued {
		t.Fatalf("%d functions queued; want %d", n, queued)
	}
	if n := runtime.NumGoroutine(); n-before > flat {
		t.Fatalf("%d goroutines with %d functions queued (%d before); want fewer than %d more", n, queued, before, flat)
	}
	stop := make(chan struct{})
	most := make(chan int, 1)
	go func() { // samples the goroutine count while the queue drains
		m := 0
		for {
			select {
			case <-stop:
				most <- m
				return
			default:
				m = max(m, runtime.NumGoroutine())
				runtime.Gosched()
			}
		}
	}()
	waited := waitInBackground(&g)
	close(release)
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatal(err)
	}
	close(stop)
	m := testwait.Receive(t, "the sampler", most)
	t.Logf("goroutines: %d before, at most %d while %d queued functions drained", before, m, queued)
	if m-before > flat {
		t.Fatalf("up to %d goroutines while %d queued functions drained (%d before); want fewer than %d more",
			m, queued, before, flat)
	}
	if ran.Load() != queued+2 {
		t.Fatalf("%d functions ran; want %d", ran.Load(), queued+2)
	}
}

// Wait waits for the queued functions too, and the group can be reused.
func TestWaitWaitsForQueuedAndReuse(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var g Group
	g.GOMAXPROCS(1)
	for round := range 3 {
		release := make(chan struct{})
		var ran atomic.Int32
		g.Go(func(context.Context) error { <-release; ran.Add(1); return nil })
		for range 10 {
			g.Go(func(context.Context) error { ran.Add(1); return nil })
		}
		waited := waitInBackground(&g)
		select {
		case err := <-waited:
			t.Fatalf("round %d: Wait returned %v while functions were still queued", round, err)
		default:
		}
		close(release)
		if err := testwait.Receive(t, "Wait", waited); err != nil || ran.Load() != 11 {
			t.Fatalf("round %d: Wait() = %v after %d functions; want nil after 11", round, err, ran.Load())
		}
	}
}

func TestGOMAXPROCSPanicsAndSecondCallIsIgnored(t *testing.T) {
	testwait.CheckNoLeaks(t)
	panicValue := func(f func()) (v any) {
		defer func() { v = recover() }()
		f()
		return nil
	}
	for _, n := range []int{0, -1} {
		if v := panicValue(func() { new(Group).GOMAXPROCS(n) }); v != "errgroup: GOMAXPROCS must great than 0" {
			t.Errorf("GOMAXPROCS(%d) panicked with %#v; want go-kratos's text", n, v)
		}
	}
	var used Group
	used.Go(func(context.Context) error { return nil })
	if v := panicValue(func() { used.GOMAXPROCS(2) }); v == nil {
		t.Error("GOMAXPROCS after Go did not panic")
	}
	used.Wait()

	// The second call changes nothing: the limit stays 1.
	var g Group
	g.GOMAXPROCS(1)
	if v := panicValue(func() { g.GOMAXPROCS(5) }); v != nil {
		t.Fatalf("a second GOMAXPROCS panicked with %v", v)
	}
	release := make(chan struct{})
	g.Go(func(context.Context) error { <-release; return nil })
	g.Go(func(context.Context) error { return nil })
	if n := g.core.Load().QueuedFunctions(); n != 1 {
		t.Fatalf("%d functions queued behind one running; want 1 (the limit is still 1)", n)
	}
	close(release)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

const panicPrefix = "errgroup: panic recovered: "

//go:noinline
func panickingFunction(context.Context) error { panic("2233") }

// A panic becomes the function's error: go-kratos's text, with the value
// and the stack of the panicking goroutine.
func TestPanicIsRecoveredWithValueAndStack(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for name, g := range map[string]*Group{"zero": new(Group), "WithContext": WithContext(context.Background()),
		"GOMAXPROCS": func() *Group { g := new(Group); g.GOMAXPROCS(1); return g }()} {
		g.Go(panickingFunction)
		err := g.Wait()
		if err == nil {
			t.Fatalf("%s: Wait() = nil after a panic", name)
		}
		text := err.Error()
		if !strings.HasPrefix(text, panicPrefix+"2233\ngoroutine ") {
			t.Fatalf("%s: the error is %q...; want %q, the value, a newline and the stack", name, text[:min(len(text), 80)], panicPrefix)
		}
		if !strings.Contains(text, "errgroup.panickingFunction(") || !strings.Contains(text, "[running]") {
			t.Fatalf("%s: the error does not hold the panicking goroutine's stack:\n%s", name, text)
		}
	}
	// An error value is formatted with %s, as go-kratos does.
	var g Group
	g.Go(func(context.Context) error { panic(errors.New("an error value")) })
	if err := g.Wait(); err == nil || !strings.HasPrefix(err.Error(), panicPrefix+"an error value\n") {
		t.Fatalf("Wait() = %v", err)
	}
}

// Under WithCancel a panic cancels the other functions, with the panic's
// error as cause, and Wait returns that very error.
func TestPanicCancelsOthersUnderWithCancel(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := WithCancel(context.Background())
	g.GOMAXPROCS(4)
	const others = 3
	causes := make(chan error, others)
	var started sync.WaitGroup
	started.Add(others)
	for range others {
		g.Go(func(ctx context.Context) error {
			started.Done()
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return ctx.Err()
		})
	}
	started.Wait()
	g.Go(panickingFunction)
	err := g.Wait()
	if err == nil || !strings.HasPrefix(err.Error(), panicPrefix+"2233\n") {
		t.Fatalf("Wait() = %v; want the recovered panic", err)
	}
	for range others {
		if cause := testwait.Receive(t, "the other functions", causes); cause != err {
			t.Fatalf("another function saw cause %v; want the panic's error", cause)
		}
	}
}

// A panic after the first error is that function's error, but not the
// group's first.
func TestPanicAfterFirstErrorDoesNotReplaceIt(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := WithCancel(context.Background())
	errFirst := errors.New("first")
	g.Go(func(ctx context.Context) error { <-ctx.Done(); panic("late") })
	g.Go(func(context.Context) error { return errFirst })
	if err := g.Wait(); err != errFirst {
		t.Fatalf("Wait() = %v; want %v", err, errFirst)
	}
}

func TestGoexitCountsAsNil(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := WithCancel(context.Background())
	var ctxOfGroup atomic.Pointer[context.Context]
	g.Go(func(ctx context.Context) error {
		ctxOfGroup.Store(&ctx)
		runtime.Goexit()
		return errors.New("unreachable")
	})
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v; want nil", err)
	}
	if cause := context.Cause(*ctxOfGroup.Load()); cause != context.Canceled {
		t.Fatalf("Cause = %v; want context.Canceled", cause)
	}
}

// Functions started from inside functions of the group, under GOMAXPROCS:
// Go never blocks, so a function that queues more cannot deadlock.
func TestNestedGoUnderGOMAXPROCS(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var g Group
	g.GOMAXPROCS(1)
	var ran atomic.Int32
	g.Go(func(context.Context) error {
		for range 10 {
			g.Go(func(context.Context) error {
				g.Go(func(context.Context) error { ran.Add(1); return nil })
				ran.Add(1)
				return nil
			})
		}
		return nil
	})
	if err := g.Wait(); err != nil || ran.Load() != 20 {
		t.Fatalf("Wait() = %v after %d nested functions; want nil after 20", err, ran.Load())
	}
}

// Many goroutines using one Group at once: Go, GOMAXPROCS'd queueing and
// concurrent Waits all agree.
func TestConcurrentGoAndWait(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for range 20 {
		var g Group
		g.GOMAXPROCS(2)
		start := make(chan struct{})
		var callers sync.WaitGroup
		var ran atomic.Int32
		for range 8 {
			callers.Add(1)
			go func() {
				defer callers.Done()
				<-start
				for range 50 {
					g.Go(func(context.Context) error { ran.Add(1); return nil })
				}
			}()
		}
		close(start)
		callers.Wait()
		waits := []<-chan error{waitInBackground(&g), waitInBackground(&g)}
		for _, w := range waits {
			if err := testwait.Receive(t, "Wait", w); err != nil || ran.Load() != 400 {
				t.Fatalf("Wait() = %v after %d functions; want nil after 400", err, ran.Load())
			}
		}
	}
}

// Groups that become garbage give back their C side, queued or not.
func TestGarbageGroupsReleaseTheirCSide(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for i := range 2000 {
		g := WithCancel(context.Background())
		if i%2 == 0 {
			g.GOMAXPROCS(1)
		}
		for range 3 {
			g.Go(func(context.Context) error { return nil })
		}
		g.Wait()
	}
}
