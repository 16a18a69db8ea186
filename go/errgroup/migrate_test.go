// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package errgroup

// A group keeps its books in Go until it needs its C group (SetLimit(n >=
// 0) or CHandle; go/internal/core's Group.migrate). These tests call
// CHandle at each point of a group's life and check that C code then sees
// what the Go side had: the active functions, the first error, a finished
// Wait, a parked Wait.

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/liberrgroup/liberrgroup/go/errgroup/internal/ctest"
	"github.com/liberrgroup/liberrgroup/go/internal/core"
	"github.com/liberrgroup/liberrgroup/go/internal/testwait"
)

// No C group is made for an unlimited group until CHandle.
func TestUnlimitedGroupMakesNoCGroupUntilCHandle(t *testing.T) {
	testwait.CheckNoLeaks(t)
	live := core.LiveCGroups() // earlier tests' groups that are never collected (see CheckNoLeaks)
	g, ctx := WithContext(context.Background())
	g.Go(func() error { return nil })
	if err := g.Wait(); err != nil || ctx.Err() == nil {
		t.Fatalf("Wait() = %v, ctx.Err() = %v", err, ctx.Err())
	}
	if n := core.LiveCGroups(); n > live {
		t.Fatalf("%d C groups live, %d before the test; want no new one before CHandle", n, live)
	}
	live = core.LiveCGroups()
	g.CHandle()
	if n := core.LiveCGroups(); n != live+1 {
		t.Fatalf("%d C groups live, %d before CHandle; want one more after it", n, live)
	}
	runtime.KeepAlive(g)
}

// Functions active at the first CHandle count on the C side: eg_group_wait
// from C waits for them, and so does Wait.
func TestCHandleWhileGoFunctionsRun(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var g Group
	release := make(chan struct{})
	for range 3 {
		g.Go(func() error { <-release; return nil })
	}
	handle := g.CHandle()
	cWaited := make(chan int, 1)
	go func() { code, _ := ctest.Wait(handle); cWaited <- code }()
	waited := waitInBackground(&g)
	select {
	case <-cWaited:
		t.Fatal("eg_group_wait returned while Go functions were active")
	case err := <-waited:
		t.Fatalf("Wait() = %v while Go functions were active", err)
	default:
	}
	close(release)
	if code := testwait.Receive(t, "eg_group_wait from C", cWaited); code != 0 {
		t.Fatalf("eg_group_wait from C = %d; want 0", code)
	}
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(&g)
}

// A Wait parked before the first CHandle then also waits for C tasks.
func TestParkedWaitWaitsForCTasksAfterCHandle(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g, _ := WithContext(context.Background())
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil })
	waited := waitInBackground(g)
	testwait.Eventually(t, "Wait to park", func() bool { return g.core.Load().ParkedWaits() == 1 })
	latch := ctest.NewLatch()
	defer latch.Free()
	task := ctest.Go(g.CHandle(), ctest.Spec{Latch: latch})
	defer task.Free()
	close(release)
	select {
	case err := <-waited:
		t.Fatalf("Wait() = %v while a C task was active", err)
	default:
	}
	latch.Open()
	if err := testwait.Receive(t, "Wait", waited); err != nil {
		t.Fatal(err)
	}
}

// The first error recorded before the first CHandle is the C group's first
// error and the cause of its C context.
func TestFirstErrorBeforeCHandleReachesC(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errGo := errors.New("failed before CHandle")
	g, ctx := WithContext(context.Background())
	g.Go(func() error { return errGo })
	<-ctx.Done()
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	if code, message := ctest.Wait(g.CHandle()); code != GoErrorCode || message != errGo.Error() {
		t.Fatalf("eg_group_wait from C = %d %q; want %d %q", code, message, GoErrorCode, errGo)
	}
	if err := g.Wait(); err != errGo {
		t.Fatalf("Wait() = %v; want %v", err, errGo)
	}
	if seen := watcher.Observed(); seen.TimedOut || seen.CtxErr != ctest.ECanceled || seen.CauseCode != GoErrorCode || seen.CauseMessage != errGo.Error() {
		t.Fatalf("the C task saw %+v; want canceled with cause %q", seen, errGo)
	}
}

// After a Wait that returned before the first CHandle, the C context is
// canceled too (context.Canceled as cause), as the Go context is.
func TestWaitBeforeCHandleCancelsTheCContext(t *testing.T) {
	testwait.CheckNoLeaks(t)
	g, ctx := WithContext(context.Background())
	if err := g.Wait(); err != nil || context.Cause(ctx) != context.Canceled {
		t.Fatalf("Wait() = %v, Cause = %v", err, context.Cause(ctx))
	}
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen := watcher.Observed(); seen.TimedOut || seen.CtxErr != ctest.ECanceled || seen.CauseCode != ctest.ECanceled {
		t.Fatalf("the C task saw %+v; want canceled with cause canceled", seen)
	}
}

// Go calls parked at the limit before the first CHandle keep their place:
// they move to the C group's queue in order, and the C group keeps the
// limit (a C try_go is refused while they wait).
func TestParkedGoCallersMoveToCInOrder(t *testing.T) {
	testwait.CheckNoLeaks(t)
	var g Group
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil })
	order := make(chan int, 3)
	for i := range 3 {
		go g.Go(func() error { order <- i; return nil })
		testwait.Eventually(t, "the Go caller to park", func() bool { return g.core.Load().ParkedGoCallers() == int64(i+1) })
	}
	handle := g.CHandle()
	if task := ctest.TryGo(handle, ctest.Spec{}); task != nil {
		task.Free()
		t.Fatal("eg_group_try_go started a C task at the limit with Go calls waiting")
	}
	close(release)
	for want := range 3 {
		if got := testwait.Receive(t, "a parked Go call's function", order); got != want {
			t.Fatalf("function %d ran in place %d", got, want)
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(&g)
}

// A first error recorded after a Wait that returned before the first
// CHandle is the C group's first error, but the C context keeps the cause
// the Go context has: context.Canceled, from that Wait. (migrate used to
// carry the error over before the finished Wait, so the C context's cause
// was the error.)
func TestErrorAfterWaitBeforeCHandleKeepsTheCause(t *testing.T) {
	testwait.CheckNoLeaks(t)
	errLater := errors.New("failed after the first Wait")
	g, ctx := WithContext(context.Background())
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	g.Go(func() error { return errLater })
	if err := g.Wait(); err != errLater || context.Cause(ctx) != context.Canceled {
		t.Fatalf("Wait() = %v, Cause = %v; want %v, %v", err, context.Cause(ctx), errLater, context.Canceled)
	}
	watcher := ctest.Go(g.CHandle(), ctest.Spec{WaitForCancel: true})
	defer watcher.Free()
	if err := g.Wait(); err != errLater {
		t.Fatalf("Wait() = %v; want %v", err, errLater)
	}
	if seen := watcher.Observed(); seen.TimedOut || seen.CtxErr != ctest.ECanceled || seen.CauseCode != ctest.ECanceled {
		t.Fatalf("the C task saw %+v; want canceled with cause canceled, as the Go context", seen)
	}
}
