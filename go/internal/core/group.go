// SPDX-License-Identifier: BSD-3-Clause

// Package core is the core shared by the Go packages of this repository
// (go/errgroup, go/kratos/errgroup): the Group that both wrap, and, built
// with cgo, the C side (core.go) that a Group moves onto when C code needs
// it (CHandle).
//
// Without cgo (CGO_ENABLED=0, the go command's default when
// cross-compiling) the package is this file alone: Groups keep their books
// in Go, as every group of a cgo build does until its first CHandle, and
// there is no CHandle. The programs that get this build are exactly those
// that do not call CHandle (a program that does calls C through cgo
// itself), and they run the code that the same program runs with cgo.
package core

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"unsafe"
)

// GoErrorCode is the code (eg_error_code) of the C error that carries a Go
// error to the C side: an error returned by a Go function of a group, or a Go
// parent context's cause. Its message (eg_error_message) is the Go error's
// Error() text. context.Canceled and context.DeadlineExceeded are carried as
// eg_error_canceled() and eg_error_deadline_exceeded() instead.
const GoErrorCode = 0x476f // "Go"

// CErrorFunc makes the Go form of an error made by C code (code and message
// of the C error); one value per group and C error is made and reused.
type CErrorFunc func(code int, message string) error

// cBackend is the C group a Group moved onto (core.go's cGroup; a build
// without cgo has none, and no Group moves).
type cBackend interface {
	TryAdmit() int // admitOK, admitFull or admitSkipped
	Admit() bool   // false: skipped
	Done(err error)
	Wait() error
	SetLimit(n int)
	CHandle() unsafe.Pointer
	parkedGoCallers() int64
	extrasBackend
}

// A Group is the core of one group of go/errgroup or go/kratos/errgroup. It
// starts in Go mode: the count of active functions, the limit with its
// first-come-first-served queue of parked Go calls, the first error and the
// parked Waits are kept here, with sync/atomic and a mutex, and no C object
// exists. That keeps cgo calls (each one a process-wide release and acquire
// for the race detector, and tens of nanoseconds) off Go, TryGo, a
// function's end and Wait.
//
// Worker mode (SetWorkers, go-kratos's GOMAXPROCS) is kept in Go too. The
// first CHandle (group_cgo.go) moves a group without worker mode onto a C
// group for good (migrate): the C group gets the first error, a finished
// Wait, the limit, one admitted slot for every function still active
// (which reports its end to C) and the parked Go calls in their order. From
// then on every call goes to the C group. The rules are the C library's:
// see eg_group_set_limit and eg_group_set_workers.
type Group struct {
	// state holds the count of active functions (stateCount) and the bits
	// below. Go mode changes it only by compare-and-swap; the bits
	// stateQueued and stateWaiters change only under mu, and so do
	// stateMoving, whose setting fixes how many functions report to C, and
	// stateC.
	state atomic.Uint64
	limit atomic.Pointer[goLimit] // nil: no limit; replaced under mu

	mu     sync.Mutex // serialises migrate, the queues, parking Waits
	woken  sync.Cond  // L: &mu; broadcast when the count drops to zero
	rounds uint64     // under mu: how many times woken was broadcast
	// c is written before the compare-and-swap that sets stateC and read
	// only after a load that saw it: that orders the two.
	c      cBackend
	errMu  sync.Mutex // guards err, hasErr, waited against migrate
	err    error      // Go mode: the first error
	hasErr bool
	waited bool // Go mode: a Wait returned
	// Go mode: the first error came after a Wait returned (which canceled
	// the context with no cause), so migrate carries the Wait over first.
	errAfterWait bool
	// canceled: Cancel was called, or (Go mode) a first error recorded
	// (beside the bools above, in their padding).
	canceled atomic.Bool
	parent   context.Context         // NewWithContext's parent
	ctx      context.Context         // NewWithContext's context; nil for New
	cancel   context.CancelCauseFunc // nil for New

	// ext holds the state of the extras beyond the reference (extras.go),
	// made by the first call of one; nil for a group that uses none.
	ext atomic.Pointer[extras]

	parkedGo, parkedWaits atomic.Int32 // for the tests (ParkedGoCallers)
}

// A goLimit is one SetLimit(n >= 0) of a Go-mode group: its slots are the
// group's count, and queue (under the group's mu) holds the Go calls parked
// until a slot frees, oldest first. A limit that is replaced keeps its
// queue: those callers stay parked for good, as in the C library (nothing
// gives the old limit's slots back any more).
type goLimit struct {
	n     uint64
	queue []chan struct{} // queue[head:] wait, oldest first
	head  int
}

// goWorkers is a group's worker mode: at most n functions run; Start
// queues the others (counted active at once, so Wait waits for them),
// without a goroutine, oldest first, and a finishing function starts the
// oldest. Under the group's mu.
type goWorkers struct {
	n       int
	running int
	queue   []func() // queue[head:] wait
	head    int
}

// A parked Go call waits on a channel from goParkers (room for one value).
var goParkers = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// newParker returns a channel for a Go call to park on: from goParkers,
// except under the race detector (race_on.go says why).
func newParker() chan struct{} {
	if raceEnabled {
		return make(chan struct{}, 1)
	}
	return goParkers.Get().(chan struct{})
}

// liveCGroups counts the C groups made and not yet given back (the tests
// check that garbage groups release theirs), liveHandles the cgo handles
// made and not yet deleted. Both stay 0 without cgo.
var liveCGroups, liveHandles atomic.Int64

// LiveCGroups is the number of C groups made and not yet given back.
func LiveCGroups() int64 { return liveCGroups.Load() }

// LiveHandles is the number of cgo handles made and not yet deleted.
func LiveHandles() int64 { return liveHandles.Load() }

// The counts below are for the tests. They are per group, never global:
// an atomic that every group touched would order unrelated goroutines for
// the race detector.

// ParkedGoCallers is the number of Admit calls parked until a slot frees.
func (g *Group) ParkedGoCallers() int64 {
	n := int64(g.parkedGo.Load())
	if g.state.Load()&stateC != 0 {
		n += g.c.parkedGoCallers()
	}
	return n
}

// ParkedWaits is the number of Waits parked while the group is in Go mode.
func (g *Group) ParkedWaits() int64 { return int64(g.parkedWaits.Load()) }

// QueuedFunctions is the number of functions queued by Start in worker mode
// and not yet started.
func (g *Group) QueuedFunctions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.workerMode()
	if w == nil {
		return 0
	}
	return len(w.queue) - w.head
}

const (
	stateCount   = 1<<32 - 1 // active functions (Go mode)
	stateWaiters = 1 << 32   // a Wait is parked on woken
	stateC       = 1 << 33   // migrated: every call goes to the cGroup
	stateUsed    = 1 << 34   // a function was ever admitted or a limit set
	stateQueued  = 1 << 35   // the current limit's queue is not empty
	stateWorkers = 1 << 36   // worker mode: Start and Done go through mu
	// stateMoving is set, under mu, while migrate fills the C group: the
	// count is frozen (every compare-and-swap outside mu sees the bit and
	// waits for mu, see waitMove), so the C group is complete before any
	// call reaches it through stateC.
	stateMoving = 1 << 37
	// stateStarted: a function was ever admitted (the extras that must
	// come before the first function check it).
	stateStarted = 1 << 38
	stateSkip    = 1 << 39 // SkipWhenCanceled: admission checks Canceled
	stateHooks   = 1 << 40 // OnTaskDone: Done calls the callback
	// admitBits is what every admission sets.
	admitBits = stateUsed | stateStarted
)

// waitMove waits until a migrate that set stateMoving (under mu) is done.
func (g *Group) waitMove() {
	g.mu.Lock()
	g.mu.Unlock() //nolint:staticcheck // an empty critical section: only waits
}

// New makes a group with no context and no limit.
func New() *Group {
	g := &Group{}
	g.woken.L = &g.mu
	return g
}

// NewWithContext makes a group whose Go context ctx is canceled by cancel:
// the first error recorded (by Done or, once migrated, by a C task) and
// Wait call cancel with that error. parent is the context it was derived
// from, linked to the C side on migration.
func NewWithContext(parent, ctx context.Context, cancel context.CancelCauseFunc) *Group {
	g := New()
	g.parent, g.ctx, g.cancel = parent, ctx, cancel
	return g
}

// Load returns the group in *slot, making it with New for a zero group; of
// goroutines racing to make it, the compare-and-swap picks one.
func Load(slot *atomic.Pointer[Group]) *Group {
	if g := slot.Load(); g != nil {
		return g
	}
	slot.CompareAndSwap(nil, New())
	return slot.Load()
}

// update applies f to the state under mu, by compare-and-swap (functions
// change the count outside mu); it returns the state f saw.
func (g *Group) update(f func(uint64) uint64) uint64 {
	for {
		s := g.state.Load()
		if g.state.CompareAndSwap(s, f(s)) {
			return s
		}
	}
}

// What an admission attempt gives (tryAdmit, cBackend.TryAdmit).
const (
	admitFull    = iota // no room right now (or worker mode)
	admitOK             // admitted: the caller runs the function and calls Done
	admitSkipped        // skip mode and the group is canceled: counted skipped
)

// TryAdmit admits one function if the group has room for it right now (no
// limit, or a free slot and no Go call waiting for one): it then counts as
// active and the caller must run it and call Done. Never blocks. In skip
// mode (SkipWhenCanceled) it also refuses once the group is canceled, and
// counts the refusal as skipped.
func (g *Group) TryAdmit() bool { return g.tryAdmit() == admitOK }

// tryAdmit is TryAdmit, saying why it refused.
func (g *Group) tryAdmit() int {
	for {
		s := g.state.Load()
		if s&(stateC|stateMoving|stateWorkers|stateSkip) != 0 {
			if s&stateMoving != 0 {
				g.waitMove()
				continue
			}
			return g.tryAdmitSlow(s)
		}
		if limit := g.limit.Load(); limit != nil && (s&stateQueued != 0 || s&stateCount >= limit.n) {
			return admitFull
		}
		if g.state.CompareAndSwap(s, (s+1)|admitBits) {
			return admitOK
		}
	}
}

// tryAdmitSlow is tryAdmit for a migrated group, worker mode or skip mode.
func (g *Group) tryAdmitSlow(s uint64) int {
	for ; ; s = g.state.Load() {
		switch {
		case s&stateC != 0:
			r := g.c.TryAdmit()
			if r == admitOK && s&stateSkip != 0 && !g.c.checkSkip() {
				return admitSkipped
			}
			return r
		case s&stateMoving != 0:
			g.waitMove()
			continue
		case s&stateWorkers != 0:
			return admitFull // worker mode admits through Start only
		case g.Canceled(): // skip mode
			g.ext.Load().skipped.Add(1)
			return admitSkipped
		}
		if limit := g.limit.Load(); limit != nil && (s&stateQueued != 0 || s&stateCount >= limit.n) {
			return admitFull
		}
		if g.state.CompareAndSwap(s, (s+1)|admitBits) {
			return admitOK
		}
	}
}

// Admit admits one function, parking the goroutine until a slot of the
// limit frees (first come, first served; a freed slot goes straight to the
// oldest), and reports true. The caller must then run it and call Done. On a
// limit of zero it never returns. Not for worker mode (use Start). In skip
// mode it reports false, counted skipped, once the group is canceled,
// parked or not (the cancellation wakes it).
func (g *Group) Admit() bool {
	switch g.tryAdmit() {
	case admitOK:
		return true
	case admitSkipped:
		return false
	}
	g.mu.Lock()
	for {
		s := g.state.Load()
		if s&stateC != 0 {
			g.mu.Unlock()
			return g.c.Admit()
		}
		if s&stateSkip != 0 && g.Canceled() {
			g.mu.Unlock()
			g.ext.Load().skipped.Add(1)
			return false
		}
		limit := g.limit.Load()
		if limit == nil || s&stateQueued == 0 && s&stateCount < limit.n {
			if g.state.CompareAndSwap(s, (s+1)|admitBits) {
				g.mu.Unlock()
				return true
			}
			continue
		}
		if !g.state.CompareAndSwap(s, s|stateQueued) {
			continue
		}
		ch := newParker()
		limit.queue = append(limit.queue, ch)
		g.mu.Unlock()
		g.parkedGo.Add(1)
		// A value from Done's hand-off or the C group after migrate; closed
		// by skipParked (skip mode).
		_, ok := <-ch
		g.parkedGo.Add(-1)
		if !ok {
			return false // counted by skipParked
		}
		if !raceEnabled {
			goParkers.Put(ch)
		}
		if s&stateSkip != 0 && g.state.Load()&stateC != 0 {
			return g.c.checkSkip()
		}
		return true
	}
}

// Start runs `go run()` now if the group admits a function right now, else
// (a limit or worker mode) queues run: in worker mode it counts as active at
// once and waits in the group's first-in, first-out queue without a
// goroutine, and a finishing function starts it. Start never blocks in
// worker mode; at a limit it parks as Admit does. run must call Done exactly
// once, as its last action.
func (g *Group) Start(run func()) {
	// TryAdmit refuses in worker mode; the look at workers is under mu,
	// where SetWorkers sets it: a function admitted outside worker mode
	// must not be one that ends inside it (it would free a worker it
	// never had). Without worker mode, SetWorkers refuses from now on
	// (stateUsed, or a limit or C).
	if g.TryAdmit() {
		go run()
		return
	}
	g.mu.Lock()
	w := g.workerMode()
	if w == nil {
		g.mu.Unlock()
		if g.Admit() {
			go run()
		}
		return
	}
	g.update(func(s uint64) uint64 { return (s + 1) | stateStarted })
	if w.running < w.n {
		w.running++
		g.mu.Unlock()
		go run()
		return
	}
	w.queue = append(w.queue, run)
	g.mu.Unlock()
}

// Run is the body of the goroutine of one admitted function: it calls f,
// then reports its end with Done even if f calls runtime.Goexit (a panic
// also runs it, then crashes the program as usual).
func (g *Group) Run(f func() error) {
	var err error
	defer func() { g.Done(err) }()
	err = f()
}

// Done reports the end of one admitted function with its result. The first
// error recorded cancels the group's context (NewWithContext) with it. The
// OnTaskDone callback, if any, runs after the error is recorded and before
// the function stops counting as active. Its slot goes to the oldest parked
// Go call if there is one.
func (g *Group) Done(err error) {
	toC := err // what the C group is still to record: what Go mode did not
	if err != nil {
		inGo, first := g.record(err)
		if first {
			g.firstError(err)
		}
		if inGo {
			toC = nil // migrate carries it over if it comes
		}
	}
	if s := g.state.Load(); s&(stateWorkers|stateHooks) != 0 {
		if s&stateHooks != 0 {
			if toC != nil {
				g.recordInC(toC)
				toC = nil
			}
			g.ext.Load().onDone(TaskResult{Err: err})
		}
		if s&stateWorkers != 0 {
			g.nextWorker()
		}
	}
	for {
		s := g.state.Load()
		if s&stateC != 0 {
			g.c.Done(toC)
			return
		}
		if s&stateMoving != 0 {
			g.waitMove()
			continue
		}
		next := s - 1
		if s&stateQueued == 0 && (next&stateCount != 0 || next&stateWaiters == 0) {
			if g.state.CompareAndSwap(s, next) {
				return
			}
			continue
		}
		if g.doneLocked(s) {
			return
		}
	}
}

// nextWorker gives a finishing function's worker to the oldest queued
// function, which is already counted active, or frees it.
func (g *Group) nextWorker() {
	g.mu.Lock()
	w := g.workerMode()
	if w.head == len(w.queue) {
		w.running--
		g.mu.Unlock()
		return
	}
	run := w.queue[w.head]
	w.queue[w.head] = nil
	w.head++
	if w.head == len(w.queue) { // empty: reuse the array
		w.queue, w.head = w.queue[:0], 0
	}
	g.mu.Unlock()
	go run()
}

// doneLocked is Done's slow path, under mu, for a state s with parked Go
// calls or Waits: it hands the slot to the oldest parked Go call (unless
// ResizeLimit lowered the limit below the count, or skip mode releases them
// all), or counts the function out and wakes the Waits if it was the last.
// It reports false if the state changed meanwhile (the caller looks again).
func (g *Group) doneLocked(s uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state.Load() != s {
		return false
	}
	if s&stateQueued != 0 && s&stateSkip != 0 && g.Canceled() {
		g.skipParkedLocked()
		return false // the state changed
	}
	if limit := g.limit.Load(); s&stateQueued != 0 && s&stateCount <= limit.n {
		ch := limit.queue[limit.head]
		limit.queue[limit.head] = nil
		limit.head++
		if limit.head == len(limit.queue) { // empty: reuse the array
			limit.queue, limit.head = limit.queue[:0], 0
			g.update(func(s uint64) uint64 { return s &^ stateQueued })
		}
		ch <- struct{}{} // the slot passes on: the count stays
		return true
	}
	next := s - 1
	if next&stateCount == 0 {
		next &^= stateWaiters
	}
	if !g.state.CompareAndSwap(s, next) {
		return false
	}
	if s&stateWaiters != 0 && next&stateCount == 0 {
		g.rounds++
		g.woken.Broadcast()
	}
	return true
}

// record records err in Go mode: it keeps err as the first error if there
// is none (first) and, with KeepErrors, in the list, or counts it dropped.
// inGo is false if the group has migrated or is migrating: the C group
// records it then (Done, recordInC); if true, a migrate that comes later
// carries it over, and the C group must not record it again.
func (g *Group) record(err error) (inGo, first bool) {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	if g.state.Load()&(stateC|stateMoving) != 0 {
		return false, false
	}
	if e := g.ext.Load(); e != nil && e.keepMax != 0 {
		e.keep(err)
	}
	if g.hasErr {
		return true, false
	}
	g.err, g.hasErr, g.errAfterWait = err, true, g.waited
	g.canceled.Store(true)
	return true, true
}

// recordInC records in the C group the error of a function that has not
// ended yet, once a migrate under way is done (record saw it begun).
func (g *Group) recordInC(err error) {
	for g.state.Load()&stateC == 0 {
		g.waitMove()
	}
	g.c.record(err)
}

// firstError cancels the group's context with its first error, and in
// skip mode releases the parked Go calls as skipped.
func (g *Group) firstError(err error) {
	if g.cancel != nil {
		g.cancel(err)
	}
	if g.state.Load()&stateSkip != 0 {
		g.skipParked()
	}
}

// Wait parks the goroutine until no function of the group (and, once
// migrated, no C task and in worker mode no queued function) is active;
// then, for a group made by NewWithContext, cancels the Go context with the
// first error as cause (context.Canceled if there was none); then returns
// the first error.
func (g *Group) Wait() error {
	for {
		s := g.state.Load()
		if s&stateC != 0 {
			return g.c.Wait()
		}
		if s&stateMoving != 0 {
			g.waitMove()
			continue
		}
		if s&stateCount != 0 {
			g.park(s)
			continue
		}
		if err, ok := g.waitDone(); ok {
			return err
		}
	}
}

// waitDone ends a Go-mode Wait that saw no function active: it marks the
// group waited, cancels the context with the first error and returns it;
// false if the group is migrating meanwhile (the caller looks again).
func (g *Group) waitDone() (error, bool) {
	g.errMu.Lock()
	if g.state.Load()&(stateC|stateMoving) != 0 {
		g.errMu.Unlock()
		return nil, false
	}
	g.waited = true
	err := g.err
	g.errMu.Unlock()
	if g.cancel != nil {
		g.cancel(err)
	}
	return err, true
}

// park waits on woken until the count drops to zero or the group migrates,
// if the state is still s (give or take the waiters bit).
func (g *Group) park(s uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.state.CompareAndSwap(s, s|stateWaiters) {
		return // changed meanwhile: the caller looks again
	}
	g.parkedWaits.Add(1)
	for round := g.rounds; g.rounds == round; {
		g.woken.Wait()
	}
	g.parkedWaits.Add(-1)
}

// SetLimit is golang.org/x/sync/errgroup's SetLimit: a negative n removes
// the limit; n >= 0 while functions are active panics with the reference's
// error text (an *errors.errorString) and changes nothing. Limits above
// math.MaxInt32 are taken as math.MaxInt32, as on the C side. Go calls
// parked on a replaced limit stay parked.
func (g *Group) SetLimit(n int) {
	if g.state.Load()&stateC != 0 {
		g.c.SetLimit(n)
		return
	}
	g.mu.Lock()
	if g.state.Load()&stateC != 0 {
		g.mu.Unlock()
		g.c.SetLimit(n)
		return
	}
	defer g.mu.Unlock()
	if n < 0 {
		g.limit.Store(nil)
		g.update(func(s uint64) uint64 { return s &^ stateQueued })
		return
	}
	if active := g.state.Load() & stateCount; active != 0 {
		// The reference panics with fmt.Errorf(...) without %w, which is
		// an *errors.errorString: the same type and text.
		panic(errors.New(fmt.Sprintf("errgroup: modify limit while %d goroutines in the group are still active", active)))
	}
	g.limit.Store(&goLimit{n: uint64(min(n, math.MaxInt32))})
	g.update(func(s uint64) uint64 { return (s &^ stateQueued) | stateUsed })
}

// Worker-mode refusals of SetWorkers.
var (
	ErrWorkersSet    = errors.New("errgroup: worker mode already set")
	ErrGroupUsed     = errors.New("errgroup: worker mode must be set before the group's first function")
	ErrWorkersNotPos = errors.New("errgroup: the number of workers must be greater than 0")
)

// SetWorkers puts the group in worker mode (go-kratos v1's GOMAXPROCS): at
// most n functions run at once, and those started with Start beyond that
// wait in the group's FIFO. Errors: ErrWorkersNotPos (n <= 0), ErrWorkersSet
// (already in worker mode), ErrGroupUsed (a function was ever admitted, a
// limit was set, or the group has moved to C). Values above math.MaxInt32
// are taken as math.MaxInt32, as in the C library.
func (g *Group) SetWorkers(n int) error {
	if n <= 0 {
		return ErrWorkersNotPos
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.workerMode() != nil {
		return ErrWorkersSet
	}
	// The check and the setting are one compare-and-swap: TryAdmit admits
	// outside mu, by compare-and-swap, and sets stateUsed.
	used := false
	g.update(func(s uint64) uint64 {
		if used = s&(stateUsed|stateC|stateSkip) != 0; used {
			return s
		}
		return s | stateWorkers | stateUsed
	})
	if used {
		return ErrGroupUsed
	}
	g.extras().workers = &goWorkers{n: min(n, math.MaxInt32)}
	return nil
}
