// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package errgroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liberrgroup/liberrgroup/go/errgroup/internal/ctest"
	"github.com/liberrgroup/liberrgroup/go/internal/core"
	"github.com/liberrgroup/liberrgroup/go/internal/testwait"
)

// waitInBackground runs g.Wait in a goroutine and delivers its result.
func waitInBackground(g *Group) <-chan error {
	result := make(chan error, 1)
	go func() { result <- g.Wait() }()
	return result
}

type myErr struct{ text string }

func (e *myErr) Error() string { return e.text } // panics on a nil *myErr

func TestZeroGroupForms(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var value Group
	for name, g := range map[string]*Group{"var": &value, "new": new(Group), "literal": &Group{}} {
		var ran atomic.Int32
		for range 10 {
			g.Go(func() error { ran.Add(1); return nil })
		}
		if err := g.Wait(); err != nil || ran.Load() != 10 {
			t.Errorf("%s: Wait() = %v with %d functions run; want nil and 10", name, err, ran.Load())
		}
	}
}

func TestWaitOnUnusedZeroGroupMakesNoCGroup(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var g Group
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if g.core.Load() != nil {
		t.Fatal("Wait on an unused zero Group made a C group")
	}
}

// The error that Wait returns and the context's cause are the very value a
// function returned, typed nil pointers included.
func TestErrorIdentity(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var typedNil *myErr
	wrapped := fmt.Errorf("outer: %w", os.ErrNotExist)
	for name, want := range map[string]error{
		"typed nil pointer": typedNil,
		"pointer":           &myErr{"mine"},
		"wrapping":          wrapped,
		"canceled":          context.Canceled,
		"deadline":          context.DeadlineExceeded,
	} {
		g, ctx := WithContext(context.Background())
		g.Go(func() error { return want })
		got := g.Wait()
		if got != want {
			t.Errorf("%s: Wait() = %#v; want the very value %#v", name, got, want)
		}
		if cause := context.Cause(ctx); cause != want {
			t.Errorf("%s: context.Cause = %#v; want %#v", name, cause, want)
		}
	}

	g := new(Group)
	g.Go(func() error { return wrapped })
	if err := g.Wait(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("errors.Is(%v, os.ErrNotExist) = false", err)
	}
	g = new(Group)
	g.Go(func() error { return typedNil })
	var target *myErr
	if err := g.Wait(); err == nil || !errors.As(err, &target) || target != nil {
		t.Errorf("Wait() = %#v; want the typed nil *myErr (errors.As gives %#v)", err, target)
	}
}

// The first error is the first to be recorded, not that of the first
// function started; later errors are dropped; it is sticky across rounds.
func TestFirstErrorInOrderOfCompletionAndSticky(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errEarly, errLate := errors.New("started first, returns last"), errors.New("returns first")
	g, ctx := WithContext(context.Background())
	release := make(chan struct{})
	g.Go(func() error { <-release; return errEarly })
	g.Go(func() error { return errLate })
	testwait.Receive(t, "the context to be canceled by the first error", ctx.Done())
	if cause := context.Cause(ctx); cause != errLate {
		t.Fatalf("cause = %v; want %v", cause, errLate)
	}
	close(release)
	if err := g.Wait(); err != errLate {
		t.Fatalf("Wait() = %v; want %v", err, errLate)
	}
	g.Go(func() error { return errors.New("a later round") })
	if err := g.Wait(); err != errLate {
		t.Fatalf("second Wait() = %v; want the sticky %v", err, errLate)
	}
}

// With no error in the first round, the context's cause is Canceled and
// stays so when a later round fails.
func TestLaterRoundErrorKeepsCanceledCause(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g, ctx := WithContext(context.Background())
	g.Go(func() error { return nil })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if cause := context.Cause(ctx); cause != context.Canceled || ctx.Err() != context.Canceled {
		t.Fatalf("after a clean Wait: Cause = %v, Err = %v; want context.Canceled", cause, ctx.Err())
	}
	errLater := errors.New("later")
	g.Go(func() error { return errLater })
	if err := g.Wait(); err != errLater {
		t.Fatalf("Wait() = %v; want %v", err, errLater)
	}
	if cause := context.Cause(ctx); cause != context.Canceled {
		t.Fatalf("Cause = %v; want context.Canceled", cause)
	}
}

func TestWithContextNilPanicsLikeWithCancelCause(t *testing.T) {
	panicValue := func(f func()) (v any) {
		defer func() { v = recover() }()
		f()
		return nil
	}
	//lint:ignore SA1012 the nil context is the point
	want := panicValue(func() { context.WithCancelCause(nil) }) //nolint:staticcheck
	//lint:ignore SA1012 the nil context is the point
	got := panicValue(func() { WithContext(nil) }) //nolint:staticcheck
	if want == nil || fmt.Sprint(got) != fmt.Sprint(want) || reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Fatalf("WithContext(nil) panicked with %#v; want %#v", got, want)
	}
}

func TestWithContextKeepsParentValuesAndDeadline(t *testing.T) {
	testwait.CheckNoLeaks(t)
	type key struct{}
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), deadline)
	defer cancel()
	g, ctx := WithContext(parent)
	if ctx.Value(key{}) != "v" {
		t.Error("the group's context lost the parent's value")
	}
	if d, ok := ctx.Deadline(); !ok || !d.Equal(deadline) {
		t.Errorf("Deadline() = %v, %v; want %v", d, ok, deadline)
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// A parent's cancellation reaches the Go context and the C tasks with the
// parent's cause, records no error and does not end Wait early.
func TestParentCancellationReachesGoAndC(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errParent := errors.New("parent gave up")
	parent, cancelParent := context.WithCancelCause(context.Background())
	g, ctx := WithContext(parent)
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	finishGo := make(chan struct{})
	g.Go(func() error { <-ctx.Done(); <-finishGo; return nil })
	cancelParent(errParent)
	testwait.Receive(t, "the group's context to be canceled by its parent", ctx.Done())
	if cause := context.Cause(ctx); cause != errParent {
		t.Fatalf("Cause = %v; want %v", cause, errParent)
	}
	waited := waitInBackground(g)
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v before the Go function did", err)
	default:
	}
	close(finishGo)
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatalf("Wait() = %v; a parent's cancellation records no error", err)
	}
	seen := watcher.Observed()
	if seen.TimedOut || seen.CtxErr != ctest.ECanceled || seen.CauseCode != GoErrorCode || seen.CauseMessage != errParent.Error() {
		t.Fatalf("the C task saw %+v; want canceled with cause %q (code %d)", seen, errParent, GoErrorCode)
	}
}

// The sides are linked on the first CHandle: a parent canceled before that
// still reaches the C tasks.
func TestParentCanceledBeforeCHandleReachesC(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errParent := errors.New("parent gave up early")
	parent, cancelParent := context.WithCancelCause(context.Background())
	g, ctx := WithContext(parent)
	cancelParent(errParent)
	<-ctx.Done()
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen := watcher.Observed(); seen.TimedOut || seen.CauseCode != GoErrorCode || seen.CauseMessage != errParent.Error() {
		t.Fatalf("the C task saw %+v; want the cause %q", seen, errParent)
	}
}

func TestParentDeadlineReachesC(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for _, already := range []bool{false, true} {
		wait := time.Millisecond
		if already {
			wait = -time.Second
		}
		parent, cancel := context.WithTimeout(context.Background(), wait)
		g, ctx := WithContext(parent)
		watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if context.Cause(ctx) != context.DeadlineExceeded {
			t.Errorf("already=%v: Cause = %v; want DeadlineExceeded", already, context.Cause(ctx))
		}
		if seen := watcher.Observed(); seen.TimedOut || seen.CtxErr != ctest.ECanceled && seen.CtxErr != ctest.EDeadlineExceeded ||
			seen.CauseCode != ctest.EDeadlineExceeded || seen.CauseMessage != "context deadline exceeded" {
			t.Errorf("already=%v: the C task saw %+v; want the cause deadline exceeded", already, seen)
		}
		watcher.Free()
		cancel()
	}
}

// A C task's error wins: Wait returns one *CError, the very one that is the
// context's cause, and the Go functions see the context canceled.
func TestCTaskErrorCancelsGo(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g, ctx := WithContext(context.Background())
	goSaw := make(chan error, 1)
	g.Go(func() error { <-ctx.Done(); goSaw <- context.Cause(ctx); return nil })
	task := ctest.Go(g.CHandle(), ctest.Spec{FailCode: 7, FailMessage: "c failed"})
	defer task.Free()
	err := g.Wait()
	var cerr *CError
	if !errors.As(err, &cerr) || cerr.Code != 7 || cerr.Message != "c failed" || err.Error() != "c failed" {
		t.Fatalf("Wait() = %#v; want *CError{7, \"c failed\"}", err)
	}
	if cause := context.Cause(ctx); cause != err {
		t.Fatalf("Cause = %p; want the very *CError %p", cause, err)
	}
	if seen := testwait.Receive(t, "the Go function", goSaw); seen != err {
		t.Fatalf("the Go function saw cause %#v; want %#v", seen, err)
	}
	if again := g.Wait(); again != err {
		t.Fatalf("second Wait() = %p; want the same *CError %p", again, err)
	}
}

// A Go function's error wins: C tasks see the context canceled with its
// text, and C code reads it as the group's first error.
func TestGoErrorReachesC(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errGo := errors.New("go failed")
	g, _ := WithContext(context.Background())
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	g.Go(func() error { return errGo })
	if err := g.Wait(); err != errGo {
		t.Fatalf("Wait() = %v; want %v", err, errGo)
	}
	if seen := watcher.Observed(); seen.TimedOut || seen.CtxErr != ctest.ECanceled || seen.CauseCode != GoErrorCode || seen.CauseMessage != "go failed" {
		t.Fatalf("the C task saw %+v", seen)
	}
	if code, message := ctest.Wait(g.CHandle()); code != GoErrorCode || message != "go failed" {
		t.Fatalf("eg_group_wait from C = %d %q", code, message)
	}
	runtime.KeepAlive(g)
}

// A typed nil pointer whose Error method panics still works: C sees a
// description of its type.
func TestErrorMethodPanicsOnTypedNil(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var typedNil *myErr
	g, _ := WithContext(context.Background())
	g.Go(func() error { return typedNil })
	if err := g.Wait(); err != error(typedNil) {
		t.Fatalf("Wait() = %#v", err)
	}
	if _, message := ctest.Wait(g.CHandle()); message != "*errgroup.myErr (its Error method panicked)" {
		t.Fatalf("C sees %q", message)
	}
	runtime.KeepAlive(g)
}

// C tasks take slots of the group's limit.
func TestCTasksShareTheLimit(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := new(Group)
	g.SetLimit(1)
	latch := ctest.NewLatch()
	defer latch.Free()
	task := ctest.TryGo(g.CHandle(), ctest.Spec{Latch: latch})
	if task == nil {
		t.Fatal("eg_group_try_go refused the first task")
	}
	defer task.Free()
	if g.TryGo(func() error { return nil }) {
		t.Fatal("TryGo started a function while a C task held the only slot")
	}
	if ctest.TryGo(g.CHandle(), ctest.Spec{}) != nil {
		t.Fatal("eg_group_try_go started a second task on a limit of 1")
	}
	ran := make(chan struct{})
	goReturned := make(chan struct{})
	go func() { g.Go(func() error { close(ran); return nil }); close(goReturned) }()
	testwait.Eventually(t, "Go to park at the limit", func() bool { return g.core.Load().ParkedGoCallers() == 1 })
	latch.Open()
	testwait.Receive(t, "the Go function", ran)
	testwait.Receive(t, "Go to return", goReturned)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestSetLimitPanicsLikeReference(t *testing.T) {
	testwait.CheckNoLeaks(t)
	panicValue := func(g *Group, n int) (v any) {
		defer func() { v = recover() }()
		g.SetLimit(n)
		return nil
	}
	for _, limited := range []bool{true, false} {
		g := new(Group)
		if limited {
			g.SetLimit(5)
		}
		release := make(chan struct{})
		for range 3 {
			g.Go(func() error { <-release; return nil })
		}
		got := panicValue(g, 2)
		want := fmt.Errorf("errgroup: modify limit while %v goroutines in the group are still active", 3)
		if err, ok := got.(error); !ok || reflect.TypeOf(got) != reflect.TypeOf(want) || err.Error() != want.Error() {
			t.Errorf("limited=%v: SetLimit panicked with %#v; want %#v", limited, got, want)
		}
		if v := panicValue(g, -1); v != nil {
			t.Errorf("limited=%v: SetLimit(-1) panicked with %v; removing the limit is always allowed", limited, v)
		}
		// The three are still active: the package doc's divergence (the
		// reference, which counts only the current limit's, accepts it).
		if v := panicValue(g, 2); v == nil {
			t.Errorf("limited=%v: SetLimit(2) after SetLimit(-1) with 3 active did not panic", limited)
		}
		close(release)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if v := panicValue(g, 2); v != nil {
			t.Errorf("limited=%v: SetLimit after Wait panicked with %v", limited, v)
		}
	}
}

// Go callers blocked at the limit are admitted first come, first served, and
// a TryGo never takes a slot a waiting Go caller is owed.
func TestBlockedGoIsFIFOAndNotBarged(t *testing.T) {
	testwait.CheckNoLeaks(t)
	const callers = 20
	g := new(Group)
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil })
	var order []int
	var mu sync.Mutex
	for i := range callers {
		go g.Go(func() error { mu.Lock(); order = append(order, i); mu.Unlock(); return nil })
		testwait.Eventually(t, "the Go caller to park", func() bool { return g.core.Load().ParkedGoCallers() == int64(i+1) })
	}
	if g.TryGo(func() error { return nil }) {
		t.Fatal("TryGo barged past waiting Go callers")
	}
	close(release)
	testwait.Eventually(t, "every waiting Go caller to be admitted", func() bool { return g.core.Load().ParkedGoCallers() == 0 })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("functions ran in order %v; want 0..%d", order, callers-1)
		}
	}
}

func TestLimitZero(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := new(Group)
	g.SetLimit(0)
	for range 100 {
		if g.TryGo(func() error { return nil }) {
			t.Fatal("TryGo started a function on a limit of 0")
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// 100,000 goroutines blocked in Go at once are parked on channels: they hold
// no OS thread.
func TestHundredThousandBlockedGoCallers(t *testing.T) {
	testwait.CheckNoLeaks(t)
	const callers = 100_000
	g := new(Group)
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil })
	var ran atomic.Int64
	var returned sync.WaitGroup
	for range callers {
		returned.Add(1)
		go func() { defer returned.Done(); g.Go(func() error { ran.Add(1); return nil }) }()
	}
	testwait.Eventually(t, "every Go caller to park", func() bool { return g.core.Load().ParkedGoCallers() == callers })
	const waiters = 10_000
	waits := make([]<-chan error, waiters)
	for i := range waits {
		waits[i] = waitInBackground(g)
	}
	testwait.Eventually(t, "the waiting goroutines to block", func() bool {
		return runtime.NumGoroutine() >= callers+waiters
	})
	if threads := osThreads(t); threads > 64 {
		t.Fatalf("%d OS threads with %d Go callers and %d Waits blocked; they should hold none", threads, callers, waiters)
	}
	close(release)
	for _, waited := range waits {
		if err := testwait.Receive(t, "Wait", waited); err != nil {
			t.Fatal(err)
		}
	}
	returned.Wait()
	if ran.Load() != callers {
		t.Fatalf("%d functions ran; want %d", ran.Load(), callers)
	}
}

func osThreads(t *testing.T) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(rest))
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

func TestGoexitCountsAsNil(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g, ctx := WithContext(context.Background())
	g.Go(func() error { runtime.Goexit(); return errors.New("unreachable") })
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v; want nil", err)
	}
	if context.Cause(ctx) != context.Canceled {
		t.Fatalf("Cause = %v", context.Cause(ctx))
	}
}

// A panic in a function crashes the program with the function's own stack.
func TestPanicCrashesWithOwnStack(t *testing.T) {
	if os.Getenv("ERRGROUP_TEST_PANIC") == "1" {
		g := new(Group)
		g.Go(panickingTask)
		g.Wait()
		// As in a program whose main returns here: the runtime lets the
		// panicking goroutine finish crashing; a test's return would exit 0.
		time.Sleep(testwait.Timeout)
		os.Exit(3)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicCrashesWithOwnStack$")
	cmd.Env = append(os.Environ(), "ERRGROUP_TEST_PANIC=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("the panicking program ended with %v; want exit status 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "panic: task panicked") || !strings.Contains(string(out), "errgroup.panickingTask(") {
		t.Fatalf("the crash does not show the panic with the task's stack:\n%s", out)
	}
}

func panickingTask() error { panic("task panicked") }

func TestNestedGo(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g := new(Group)
	var ran atomic.Int32
	g.Go(func() error {
		for range 10 {
			g.Go(func() error {
				g.Go(func() error { ran.Add(1); return nil })
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

// Many goroutines using a zero Group at once share one C group.
func TestConcurrentFirstUseOfZeroGroup(t *testing.T) {
	testwait.CheckNoLeaks(t)
	for range 50 {
		var g Group
		start := make(chan struct{})
		var callers sync.WaitGroup
		var ran atomic.Int32
		for range 8 {
			callers.Add(1)
			go func() { defer callers.Done(); <-start; g.Go(func() error { ran.Add(1); return nil }) }()
		}
		close(start)
		callers.Wait()
		if err := g.Wait(); err != nil || ran.Load() != 8 {
			t.Fatalf("Wait() = %v after %d functions; want nil after 8", err, ran.Load())
		}
	}
}

func TestConcurrentWaitersGetTheSameResult(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g, _ := WithContext(context.Background())
	release := make(chan struct{})
	errWant := errors.New("one error")
	g.Go(func() error { <-release; return errWant })
	results := make([]<-chan error, 8)
	for i := range results {
		results[i] = waitInBackground(g)
	}
	close(release)
	for _, r := range results {
		if err := testwait.Receive(t, "a Wait", r); err != errWant {
			t.Fatalf("a Wait returned %v; want %v", err, errWant)
		}
	}
}

// Groups that become garbage give back their C group, their C contexts and
// every handle, and the process does not grow.
func TestGarbageGroupsReleaseTheirCSide(t *testing.T) {
	testwait.CheckNoLeaks(t)
	rounds := 50_000
	if testing.Short() || raceEnabled {
		rounds = 5_000
	}
	if n, err := strconv.Atoi(os.Getenv("ERRGROUP_TEST_GARBAGE_GROUPS")); err == nil {
		rounds = n // e.g. 1000000 for the million-group check
	}
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	errFail := errors.New("fail")
	makeGarbage := func(n int) {
		for i := range n {
			g, ctx := WithContext(parent)
			g.Go(func() error {
				if i%2 == 0 {
					return errFail
				}
				return nil
			})
			g.Wait()
			<-ctx.Done()
			var zero Group
			zero.Go(func() error { return nil })
			zero.Wait()
		}
	}
	live := core.LiveCGroups() // earlier tests' groups that are never collected (see CheckNoLeaks)
	makeGarbage(rounds)        // warm up the pool, the allocators and the handle map
	testwait.CGroupsReleasedTo(t, "the first round's groups to be released", live)
	before := residentBytes(t)
	makeGarbage(rounds)
	testwait.CGroupsReleasedTo(t, "the second round's groups to be released", live)
	after := residentBytes(t)
	t.Logf("resident set: %d KiB before, %d KiB after %d more groups", before>>10, after>>10, rounds)
	if raceEnabled {
		return // the race detector's own memory grows with every goroutine
	}
	if growth := after - before; growth > 32<<20 {
		t.Fatalf("the resident set grew by %d MiB over %d groups", growth>>20, rounds)
	}
}

func residentBytes(t *testing.T) int64 {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	fields := strings.Fields(string(statm))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// No goroutine per group is left after Wait.
func TestNoGoroutineLeftAfterWait(t *testing.T) {
	testwait.CheckNoLeaks(t)
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := runtime.NumGoroutine()
	groups := make([]*Group, 1000)
	for i := range groups {
		g, _ := WithContext(parent)
		g.Go(func() error { return nil })
		g.Wait()
		groups[i] = g // still reachable: their AfterFuncs on parent are registered
	}
	testwait.Eventually(t, "the goroutine count to come back", func() bool { return runtime.NumGoroutine() <= before })
	runtime.KeepAlive(groups)
}

// The build mode decides where the C library comes from: the shared library
// is loaded only with the liberrgroup_system tag.
func TestBuildModeLinksTheRightLibrary(t *testing.T) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps")
	}
	loaded := strings.Contains(string(maps), "liberrgroup.so")
	if loaded != systemBuild {
		t.Fatalf("liberrgroup.so loaded: %v; want %v (liberrgroup_system tag: %v)", loaded, systemBuild, systemBuild)
	}
}

// Copying a Group is reported by go vet (copylocks), as for sync types.
func TestVetReportsCopiedGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	out, err := exec.Command("go", "vet", "./testdata/copycheck").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "assignment copies lock value to copied: github.com/liberrgroup/liberrgroup/go/errgroup.Group") {
		t.Fatalf("go vet did not report the copy (%v):\n%s", err, out)
	}
}
