package core

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A Group is the core of one group of go/errgroup or go/kratos/errgroup. It
// starts in Go mode: the count of active functions, the first error and the
// parked Waits are kept here, with sync/atomic and a mutex, and no C object
// exists. That is all an unlimited group needs, and it keeps cgo calls
// (each one a process-wide release and acquire for the race detector, and
// tens of nanoseconds) off Go, a function's end and Wait.
//
// The first SetLimit(n >= 0), SetWorkers or CHandle moves the group onto a
// C group for good (migrate): the C group gets the first error, a finished
// Wait and one admitted slot for every function still active, which reports
// its end to C. From then on every call goes to the cGroup.
type Group struct {
	// state holds the count of active functions (stateCount) and the bits
	// below. Go mode changes it only by compare-and-swap, so that the
	// change that sets stateC (under mu) fixes how many functions report
	// to C.
	state atomic.Uint64

	mu      sync.Mutex // serialises migrate, parking Waits and waking them
	woken   sync.Cond  // L: &mu; broadcast when the count drops to zero
	rounds  uint64     // under mu: how many times woken was broadcast
	c       atomic.Pointer[cGroup]
	errMu   sync.Mutex // guards err, hasErr, waited against migrate
	err     error      // Go mode: the first error
	hasErr  bool
	waited  bool                    // Go mode: a Wait returned
	parent  context.Context         // NewWithContext's parent
	cancel  context.CancelCauseFunc // nil for New
	newCErr CErrorFunc
}

const (
	stateCount   = 1<<32 - 1 // active functions (Go mode)
	stateWaiters = 1 << 32   // a Wait is parked on woken
	stateC       = 1 << 33   // migrated: every call goes to the cGroup
	stateUsed    = 1 << 34   // a function was ever admitted (SetWorkers)
)

// New makes a group with no context and no limit. newCError makes the Go
// form of errors made by C code (C tasks started on the C handle).
func New(newCError CErrorFunc) *Group {
	g := &Group{newCErr: newCError}
	g.woken.L = &g.mu
	return g
}

// NewWithContext makes a group whose Go context is canceled by cancel: the
// first error recorded (by Done or, once migrated, by a C task) and Wait
// call cancel with that error. parent is the context it was derived from,
// linked to the C side on migration.
func NewWithContext(parent context.Context, cancel context.CancelCauseFunc, newCError CErrorFunc) *Group {
	g := New(newCError)
	g.parent, g.cancel = parent, cancel
	return g
}

// Load returns the group in *slot, making it with New(newCError) for a zero
// group; of goroutines racing to make it, the compare-and-swap picks one.
func Load(slot *atomic.Pointer[Group], newCError CErrorFunc) *Group {
	if g := slot.Load(); g != nil {
		return g
	}
	slot.CompareAndSwap(nil, New(newCError))
	return slot.Load()
}

// migrate moves the group onto a C group, once, and returns it.
func (g *Group) migrate() *cGroup {
	if g.state.Load()&stateC != 0 {
		return g.c.Load()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state.Load()&stateC != 0 {
		return g.c.Load()
	}
	var c *cGroup
	if g.cancel != nil {
		c = newCGroupWithContext(g.parent, g.cancel, g.newCErr)
	} else {
		c = newCGroup(g.newCErr)
	}
	g.c.Store(c) // before stateC: whoever sees the bit finds c
	g.errMu.Lock()
	var s uint64
	for {
		s = g.state.Load()
		if g.state.CompareAndSwap(s, s|stateC) {
			break
		}
	}
	err, hasErr, waited := g.err, g.hasErr, g.waited
	g.errMu.Unlock()
	// The C group is empty and has no limit: every admission below
	// succeeds. The first error first (it cancels the C context with its
	// cause), then a finished Wait (it cancels the C context with
	// context.Canceled if there was no error), then the active functions.
	if hasErr {
		c.TryAdmit()
		c.Done(err)
	}
	if waited {
		c.Wait()
	}
	for n := s & stateCount; n > 0; n-- {
		c.TryAdmit()
	}
	if s&stateWaiters != 0 { // parked Waits wait on the C group instead
		g.rounds++
		g.woken.Broadcast()
	}
	return c
}

// TryAdmit admits one function if the group has room for it right now: it
// then counts as active and the caller must run it and call Done. In Go
// mode (no limit) it always does.
func (g *Group) TryAdmit() bool {
	for {
		s := g.state.Load()
		if s&stateC != 0 {
			return g.c.Load().TryAdmit()
		}
		if g.state.CompareAndSwap(s, (s+1)|stateUsed) {
			return true
		}
	}
}

// Admit admits one function, parking the goroutine until a slot of the
// limit frees (first come, first served). The caller must then run it and
// call Done. On a limit of zero it never returns. Not for worker mode (use
// Start).
func (g *Group) Admit() {
	if !g.TryAdmit() {
		g.c.Load().Admit() // refused: only a C group with a limit refuses
	}
}

// Start runs `go run()` now if the group admits a function right now, else
// queues run without a goroutine (cGroup.Start): in worker mode
// (SetWorkers) in the group's first-in, first-out queue, and at a limit
// behind waiting Admit calls. It never blocks. run must call Done exactly
// once, as its last action.
func (g *Group) Start(run func()) {
	if g.TryAdmit() {
		go run()
		return
	}
	g.c.Load().Start(run) // refused: only a C group (workers, limit) refuses
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
// error recorded cancels the group's context (NewWithContext) with it.
func (g *Group) Done(err error) {
	if err != nil && g.record(err) && g.cancel != nil {
		g.cancel(err)
	}
	for {
		s := g.state.Load()
		if s&stateC != 0 {
			g.c.Load().Done(err) // records err there unless it was first here
			return
		}
		next := s - 1
		if next&stateCount != 0 || next&stateWaiters == 0 {
			if g.state.CompareAndSwap(s, next) {
				return
			}
			continue
		}
		// The last function out with Waits parked: wake them under mu.
		g.mu.Lock()
		if g.state.CompareAndSwap(s, next&^stateWaiters) {
			g.rounds++
			g.woken.Broadcast()
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
	}
}

// record keeps err as the first error if there is none and the group is in
// Go mode; it reports whether it did. (After migration the C group records.)
func (g *Group) record(err error) bool {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	if g.hasErr || g.state.Load()&stateC != 0 {
		return false
	}
	g.err, g.hasErr = err, true
	return true
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
			return g.c.Load().Wait()
		}
		if s&stateCount != 0 {
			g.park(s)
			continue
		}
		g.errMu.Lock()
		if g.state.Load()&stateC != 0 {
			g.errMu.Unlock()
			continue
		}
		g.waited = true
		err := g.err
		g.errMu.Unlock()
		if g.cancel != nil {
			g.cancel(err)
		}
		return err
	}
}

// park waits on woken until the count drops to zero or the group migrates,
// if the state is still s (plus or minus the waiters bit).
func (g *Group) park(s uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.state.CompareAndSwap(s, s|stateWaiters) {
		return // changed meanwhile: the caller looks again
	}
	for round := g.rounds; g.rounds == round; {
		g.woken.Wait()
	}
}

// SetLimit is golang.org/x/sync/errgroup's SetLimit: a negative n removes
// the limit (nothing to do for a group in Go mode, which has none); n >= 0
// moves the group onto its C group, which refuses while functions are
// active (a panic with the reference's text) and then keeps the limit.
func (g *Group) SetLimit(n int) {
	if n < 0 && g.state.Load()&stateC == 0 {
		return
	}
	g.migrate().SetLimit(n)
}

// SetWorkers puts the group in worker mode (cGroup.SetWorkers) on its C
// group. Errors: ErrWorkersNotPos (n <= 0), ErrWorkersSet (already in
// worker mode), ErrGroupUsed (a function was ever admitted, or a limit was
// set).
func (g *Group) SetWorkers(n int) error {
	if n <= 0 {
		return ErrWorkersNotPos
	}
	if s := g.state.Load(); s&stateC == 0 && s&stateUsed != 0 {
		return ErrGroupUsed
	}
	return g.migrate().SetWorkers(n)
}

// CHandle returns the C group (an eg_group *) for C code, moving the group
// onto it first; for a group made by NewWithContext it also links the two
// sides' cancellations (once).
func (g *Group) CHandle() unsafe.Pointer {
	return g.migrate().CHandle()
}
