// SPDX-License-Identifier: BSD-3-Clause

package core

// The extras beyond golang.org/x/sync/errgroup (issue 14), each opt-in: a
// group that uses none of them has ext == nil and none of the state bits
// stateSkip and stateHooks, and its Go, TryGo, function ends and Wait take
// exactly the paths they took before (one more bit in a mask they already
// test). In Go mode they are kept here; once migrated (CHandle) every call
// goes to the C group's eg_group_* function of the same feature
// (extras_cgo.go), and migrate carries their state over.

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A TaskResult is what the OnTaskDone callback receives for one function
// (or C task) of the group that ended, or that skip mode did not start.
type TaskResult struct {
	// Err is what the function returned (nil for a skipped task).
	Err error
	// Skipped: skip mode did not start the task (a C task queued in the C
	// group's worker mode when the group was canceled). A refused Go,
	// TryGo or GoOrSkip call is not reported: its caller learns it.
	Skipped bool
	// CTask: a C task started on the group's C handle by C code; CArg is
	// the arg it was started with (eg_group_go's arg). Nil for a Go
	// function.
	CTask bool
	CArg  unsafe.Pointer
}

// ErrSkipped is what Start returns when skip mode did not start the
// function; its text is eg_strerror(EG_ESKIPPED)'s.
var ErrSkipped = errors.New("errgroup: task skipped, group canceled")

// extras is the state of the extras a group uses, and its worker mode. It
// is made once (ext), by the first extra called or SetWorkers, and never
// replaced.
type extras struct {
	// KeepErrors: keepMax (0: not keeping) and, under the group's errMu,
	// the kept errors in record order and the count of dropped ones (in
	// Go mode; after migration, what Go mode had dropped).
	keepMax int
	kept    []error
	dropped int

	skipped atomic.Int64 // skip mode, Go mode: refused admissions

	// onDone (OnTaskDone): set under mu before stateHooks, read only by
	// whoever saw that bit. cDone keeps what the C group's task-done
	// callback reaches alive once migrated (extras_cgo.go).
	onDone func(TaskResult)
	cDone  any

	resized bool // under mu: ResizeLimit was called (migrate needs C's)

	// workers is worker mode (SetWorkers), under mu; set once, with
	// stateWorkers.
	workers *goWorkers
}

// workerMode returns the group's worker mode, nil if it has none; under mu.
func (g *Group) workerMode() *goWorkers {
	if e := g.ext.Load(); e != nil {
		return e.workers
	}
	return nil
}

// extrasBackend is what a C group does for the extras (extras_cgo.go).
type extrasBackend interface {
	checkSkip() bool  // after a late admission in skip mode: false if skipped
	skipWaiters()     // skip mode, canceled: wakes the parked Go calls as skipped
	record(err error) // a Go function's error, before its end (OnTaskDone)
	keepErrors(max int)
	errors() (kept []error, dropped int)
	skipWhenCanceled()
	canceled() bool
	skipped() int64
	onTaskDone(f func(TaskResult)) any
	waitTimeout(d time.Duration) (error, bool)
	idle() bool
	cancel(cause error)
	resizeLimit(n int)
}

// extras returns the group's extras, making them on first use.
func (g *Group) extras() *extras {
	if e := g.ext.Load(); e != nil {
		return e
	}
	g.ext.CompareAndSwap(nil, &extras{})
	return g.ext.Load()
}

// beforeFirst sets bits in the state if no function was ever admitted, and
// reports whether it did; one compare-and-swap, as admissions are.
func (g *Group) beforeFirst(bits uint64) bool {
	ok := false
	g.update(func(s uint64) uint64 {
		if ok = s&stateStarted == 0; ok {
			return s | bits
		}
		return s
	})
	return ok
}

// lockGo takes mu and reports true if the group is in Go mode; false (mu
// released) once it has migrated: the caller then goes to g.c.
func (g *Group) lockGo() bool {
	g.mu.Lock()
	if g.state.Load()&stateC != 0 {
		g.mu.Unlock()
		return false
	}
	return true
}

// KeepErrors makes the group keep every error its functions return, in
// record order, up to max; later ones are counted as dropped. It panics if
// max < 1, if called twice, or after the group's first function.
func (g *Group) KeepErrors(max int) {
	if max < 1 {
		panic("errgroup: KeepErrors: max must be at least 1")
	}
	if !g.lockGo() {
		g.c.keepErrors(max)
		return
	}
	defer g.mu.Unlock()
	e := g.extras()
	g.errMu.Lock()
	again := e.keepMax != 0
	if !again {
		e.keepMax = min(max, math.MaxInt32)
	}
	g.errMu.Unlock()
	if again {
		panic("errgroup: KeepErrors called twice")
	}
	if !g.beforeFirst(0) {
		g.errMu.Lock()
		e.keepMax, e.kept, e.dropped = 0, nil, 0
		g.errMu.Unlock()
		panic("errgroup: KeepErrors after the group's first function")
	}
}

// keep is record's part for KeepErrors, under errMu.
func (e *extras) keep(err error) {
	if len(e.kept) < e.keepMax {
		e.kept = append(e.kept, err)
	} else {
		e.dropped++
	}
}

// Errors returns the errors kept (KeepErrors) so far, in record order, the
// first being Wait's; nil if there are none or the group keeps none.
func (g *Group) Errors() []error {
	if g.state.Load()&stateC != 0 {
		kept, _ := g.c.errors()
		return kept
	}
	g.errMu.Lock()
	defer g.errMu.Unlock()
	if g.state.Load()&stateC != 0 {
		kept, _ := g.c.errors() // migrated meanwhile (migrate took errMu)
		return kept
	}
	e := g.ext.Load()
	if e == nil || len(e.kept) == 0 {
		return nil
	}
	return append([]error(nil), e.kept...)
}

// DroppedErrors returns how many errors KeepErrors could not keep.
func (g *Group) DroppedErrors() int {
	if g.state.Load()&stateC != 0 {
		_, dropped := g.c.errors()
		return dropped
	}
	g.errMu.Lock()
	defer g.errMu.Unlock()
	if g.state.Load()&stateC != 0 {
		_, dropped := g.c.errors()
		return dropped
	}
	if e := g.ext.Load(); e != nil {
		return e.dropped
	}
	return 0
}

// SkipWhenCanceled puts the group in skip mode: once it is canceled
// (Canceled), admissions start nothing and report it (TryAdmit false,
// Admit false), Go calls parked at the limit are woken and refused too,
// and each refusal counts as skipped. It panics after the group's first
// function, and in worker mode.
func (g *Group) SkipWhenCanceled() {
	if !g.lockGo() {
		g.extras()
		g.c.skipWhenCanceled()
		g.update(func(s uint64) uint64 { return s | stateSkip })
		if g.ctx != nil {
			context.AfterFunc(g.ctx, g.skipParked) // as below
		}
		return
	}
	defer g.mu.Unlock()
	g.extras()
	if g.workerMode() != nil {
		panic("errgroup: SkipWhenCanceled in worker mode")
	}
	if !g.beforeFirst(stateSkip) {
		panic("errgroup: SkipWhenCanceled after the group's first function")
	}
	if g.ctx != nil {
		// Every cancellation of the context (the parent's included)
		// releases the parked Go calls; a first error or Cancel also does
		// it at once.
		context.AfterFunc(g.ctx, g.skipParked)
	}
}

// skipParked releases, as skipped, the Go calls parked at the limit (in Go
// mode here, once migrated those parked on the C group).
func (g *Group) skipParked() {
	g.mu.Lock()
	if g.state.Load()&stateC == 0 {
		g.skipParkedLocked()
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	g.c.skipWaiters()
}

// skipParkedLocked is skipParked under mu, in Go mode: each parked Go call
// finds its channel closed.
func (g *Group) skipParkedLocked() {
	limit := g.limit.Load()
	if limit == nil || g.state.Load()&stateQueued == 0 {
		return
	}
	for _, ch := range limit.queue[limit.head:] {
		close(ch)
	}
	g.ext.Load().skipped.Add(int64(len(limit.queue) - limit.head))
	clear(limit.queue)
	limit.queue, limit.head = limit.queue[:0], 0
	g.update(func(s uint64) uint64 { return s &^ stateQueued })
}

// Canceled reports whether the group is canceled: for a group made by
// NewWithContext once its context is done (an error, Cancel, the parent,
// the end of a Wait); for one made by New once an error was recorded or
// Cancel was called.
func (g *Group) Canceled() bool {
	if g.state.Load()&stateC != 0 {
		return g.c.canceled()
	}
	return g.canceled.Load() || g.ctx != nil && g.ctx.Err() != nil
}

// Skipped returns how many admissions skip mode refused (and, once
// migrated, how many C tasks it did not start).
func (g *Group) Skipped() int64 {
	var n int64
	if e := g.ext.Load(); e != nil {
		n = e.skipped.Load()
	}
	if g.state.Load()&stateC != 0 {
		n += g.c.skipped()
	}
	return n
}

// OnTaskDone makes Done call f with each function's result, before the
// function stops counting as active (so a Wait returns only after every
// call of f has). f runs on the function's goroutine; it must not call Wait
// on the group. It panics if f is nil, if called twice, or after the
// group's first function.
func (g *Group) OnTaskDone(f func(TaskResult)) {
	if f == nil {
		panic("errgroup: OnTaskDone: nil callback")
	}
	if !g.lockGo() {
		e := g.extras()
		e.cDone = g.c.onTaskDone(f)
		e.onDone = f
		g.update(func(s uint64) uint64 { return s | stateHooks })
		return
	}
	defer g.mu.Unlock()
	e := g.extras()
	if e.onDone != nil {
		panic("errgroup: OnTaskDone called twice")
	}
	e.onDone = f
	if !g.beforeFirst(stateHooks) {
		e.onDone = nil
		panic("errgroup: OnTaskDone after the group's first function")
	}
}

// Idle reports whether no function of the group (and, once migrated, no C
// task) is active: a Wait would return at once. Never blocks.
func (g *Group) Idle() bool {
	for {
		s := g.state.Load()
		switch {
		case s&stateC != 0:
			return g.c.idle()
		case s&stateMoving != 0:
			g.waitMove()
		default:
			return s&stateCount == 0
		}
	}
}

// WaitTimeout is Wait bounded by d: it reports true with Wait's result (and
// its effects) once no function is active, or false with nil when d passes
// first, canceling nothing; the functions keep running and the caller may
// wait again. A negative d waits as long as Wait.
func (g *Group) WaitTimeout(d time.Duration) (error, bool) {
	if d < 0 {
		return g.Wait(), true
	}
	deadline := time.Now().Add(d)
	for {
		s := g.state.Load()
		switch {
		case s&stateC != 0:
			return g.c.waitTimeout(max(time.Until(deadline), 0))
		case s&stateMoving != 0:
			g.waitMove()
		case s&stateCount != 0:
			if !g.parkUntil(s, deadline) {
				return nil, false
			}
		default:
			if err, ok := g.waitDone(); ok {
				return err, true
			}
		}
	}
}

// parkUntil is park bounded by deadline: false once it has passed.
func (g *Group) parkUntil(s uint64, deadline time.Time) bool {
	wait := time.Until(deadline)
	if wait <= 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.state.CompareAndSwap(s, s|stateWaiters) {
		return true // changed meanwhile: the caller looks again
	}
	expired := false // under mu
	timer := time.AfterFunc(wait, func() {
		g.mu.Lock()
		expired = true
		g.woken.Broadcast() // other parked Waits see no new round and park again
		g.mu.Unlock()
	})
	defer timer.Stop()
	g.parkedWaits.Add(1)
	defer g.parkedWaits.Add(-1)
	round := g.rounds
	for g.rounds == round && !expired {
		g.woken.Wait()
	}
	return g.rounds != round
}

// Cancel cancels the group without recording an error: its context (if
// any) with cause (nil: context.Canceled; the first cancellation wins), and
// the group counts as canceled (Canceled, skip mode). Wait still returns nil
// if every function succeeded. Idempotent.
func (g *Group) Cancel(cause error) {
	if !g.lockGo() {
		g.canceled.Store(true)
		g.c.cancel(cause)
		return
	}
	defer g.mu.Unlock()
	g.extras() // migrate carries the cancellation over
	g.canceled.Store(true)
	if g.cancel != nil {
		g.cancel(cause) // context.CancelCauseFunc(nil): context.Canceled
	}
	if g.state.Load()&stateSkip != 0 {
		g.skipParkedLocked()
	}
}

const errResizeNoLimit = "errgroup: ResizeLimit on a group with no limit while goroutines are active"

// ResizeLimit changes the limit while functions run, safely against
// concurrent admissions: raising it admits the oldest parked Go calls at
// once, in order; lowering it stops nothing (new admissions wait until
// fewer than n run); a negative n lifts the bound and admits every parked
// call, keeping the limit (unbounded) so that a later ResizeLimit bounds it
// again while functions run, as the C library does. On a group with no
// limit it is SetLimit(n), and panics while functions are active. It
// panics in worker mode.
func (g *Group) ResizeLimit(n int) {
	if !g.lockGo() {
		g.c.resizeLimit(n)
		return
	}
	defer g.mu.Unlock()
	if g.workerMode() != nil {
		panic("errgroup: ResizeLimit in worker mode")
	}
	g.extras().resized = true
	if g.state.Load()&stateSkip != 0 && g.Canceled() {
		g.skipParkedLocked() // nothing parked is admitted any more
	}
	limit := g.limit.Load()
	if limit == nil {
		if n < 0 {
			return
		}
		if g.state.Load()&stateCount != 0 {
			panic(errResizeNoLimit)
		}
		g.limit.Store(&goLimit{n: uint64(min(n, math.MaxInt32))})
		g.update(func(s uint64) uint64 { return (s &^ stateQueued) | stateUsed })
		return
	}
	// A new goLimit (TryAdmit reads n outside mu) that takes the queue over.
	// A negative n keeps a limit, unbounded (as the C library's INT_MAX), so
	// that a later ResizeLimit can bound it again while functions run.
	next := &goLimit{n: math.MaxInt32, queue: limit.queue, head: limit.head}
	if n >= 0 {
		next.n = uint64(min(n, math.MaxInt32))
	}
	limit.queue, limit.head = nil, 0
	g.limit.Store(next)
	// Admit the oldest parked calls while there is room. With stateQueued
	// set no admission happens outside mu, and the count only drops.
	for next.head < len(next.queue) && g.state.Load()&stateCount < next.n {
		ch := next.queue[next.head]
		next.queue[next.head] = nil
		next.head++
		g.update(func(s uint64) uint64 { return s + 1 })
		ch <- struct{}{}
	}
	if next.head == len(next.queue) {
		next.queue, next.head = next.queue[:0], 0
		g.update(func(s uint64) uint64 { return s &^ stateQueued })
	}
}

// StartReady starts f as Admit and Run do (the same limit, skip mode), passing
// it a context of its own, a child of the group's (of
// context.Background() for a group made by New) canceled once f returns,
// and a ready function. It returns nil once f calls ready (later calls do
// nothing), or f's result if f returns first (the group records that error
// as usual too); ErrSkipped if skip mode did not start f.
func (g *Group) StartReady(f func(ctx context.Context, ready func()) error) error {
	if !g.Admit() {
		return ErrSkipped
	}
	parent := g.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	result := make(chan error, 1)
	var once sync.Once
	ready := func() { once.Do(func() { result <- nil }) }
	go g.Run(func() error {
		defer cancel()
		err := f(ctx, ready)
		once.Do(func() { result <- err })
		return err
	})
	return <-result
}
