// SPDX-License-Identifier: BSD-3-Clause

package errgroup

// The extras beyond golang.org/x/sync/errgroup (liberrgroup issue 14). Each
// is opt-in: a Group that uses none behaves, and costs, exactly as without
// them. They are methods on Group rather than a companion package because
// they need the group's own books (its count, limit queue, first error and
// context), which a wrapper could only rebuild by wrapping every function,
// paying for it on every Go even when unused; as methods they cost nothing
// until called, and code written for the reference still compiles and
// behaves the same, since no existing method changed. Every extra works
// before and after CHandle: once the group is shared with C, it calls the
// C library's function of the same feature.

import (
	"context"
	"errors"
	"time"

	"github.com/liberrgroup/liberrgroup/go/internal/core"
)

// ErrSkipped is returned by Start when the group is in skip mode
// (SkipWhenCanceled) and canceled: the function was not started. Its text
// is the C library's eg_strerror(EG_ESKIPPED).
var ErrSkipped = core.ErrSkipped

// KeepErrors makes the group keep every non-nil error its functions (and C
// tasks) return, in the order they are recorded, up to max of them; later
// ones are counted by DroppedErrors and not kept. Memory: one error value
// per kept error, grown on demand up to max. The first kept error is always
// the one Wait returns. Kept errors accumulate across reuse of the group
// after Wait.
//
// KeepErrors panics if max < 1, if called twice, or after the group's first
// function started.
func (g *Group) KeepErrors(max int) {
	g.load().KeepErrors(max)
}

// Errors returns the errors kept since KeepErrors, in record order, as one
// error compatible with errors.Join (its Unwrap() []error lists them, the
// first being the very value Wait returns; errors.Is and errors.As look
// through all of them), or nil if none was kept or the group does not keep
// errors. It may be called at any time, also while functions run: it is a
// snapshot.
func (g *Group) Errors() error {
	c := g.core.Load()
	if c == nil {
		return nil
	}
	kept := c.Errors()
	if len(kept) == 0 {
		return nil
	}
	return errors.Join(kept...)
}

// DroppedErrors returns how many errors KeepErrors did not keep (beyond its
// max).
func (g *Group) DroppedErrors() int {
	c := g.core.Load()
	if c == nil {
		return 0
	}
	return c.DroppedErrors()
}

// SkipWhenCanceled puts the group in skip mode: once it is canceled (see
// Canceled), Go, TryGo, GoOrSkip and Start start nothing, and Go calls
// blocked at the limit when the cancellation comes return at once without
// starting their function. (On a group shared with C through CHandle, and
// made without WithContext, a C task's error is the one cancellation Go
// does not see at once: such calls then return when their turn comes.)
// Each such call counts in Skipped. Running functions are not
// touched. It panics after the group's first function started.
func (g *Group) SkipWhenCanceled() {
	g.load().SkipWhenCanceled()
}

// GoOrSkip is Go, reporting whether f was started: false means skip mode
// (SkipWhenCanceled) did not start it, because the group is canceled.
// Without skip mode it always reports true.
func (g *Group) GoOrSkip(f func() error) bool {
	c := g.load()
	if !c.Admit() {
		return false
	}
	go c.Run(f)
	return true
}

// Skipped returns how many functions skip mode did not start (and, on a
// group shared with C, how many C tasks it did not start).
func (g *Group) Skipped() int {
	c := g.core.Load()
	if c == nil {
		return 0
	}
	return int(c.Skipped())
}

// Canceled reports whether the group is canceled: for a group made by
// WithContext, once its context is done (a function's error, Cancel, the
// parent's cancellation, the end of a Wait); for any other group, once a
// function returned an error or Cancel was called.
func (g *Group) Canceled() bool {
	c := g.core.Load()
	return c != nil && c.Canceled()
}

// A TaskResult is what the OnTaskDone callback receives for one function of
// the group that ended: Err is what it returned. On a group shared with C,
// CTask is true for a C task started on the handle (CArg is its arg), and
// Skipped for a C task that skip mode did not start.
type TaskResult = core.TaskResult

// OnTaskDone makes the group call f with the result of each function (Go,
// TryGo, GoOrSkip, Start, and C tasks on the C handle) as it ends, on the
// goroutine that ran it (a C task's thread for a C task), after the
// function returned and before it stops counting as active: so Wait
// returns only after every call of f has returned. f must not call Wait on
// the group, and should be quick (it delays the function's end).
//
// A callback rather than a channel: a group may be reused after Wait, so
// there is no last result after which a channel could be closed, and a
// channel with a bounded buffer would have to either block a function's end
// until the caller drains it (a Wait that never returns if nobody does) or
// drop results. With a callback, the caller picks: sending each result to a
// channel of its own is one line (see the example).
//
// It panics if f is nil, if called twice, or after the group's first
// function started.
func (g *Group) OnTaskDone(f func(TaskResult)) {
	g.load().OnTaskDone(f)
}

// WaitTimeout is Wait bounded by d. It reports true with Wait's result, and
// Wait's effects (the context canceled), once no function is active; or
// false and nil when d passes first: nothing is canceled, the functions
// keep running, and the caller may wait again. A negative d waits as long
// as Wait. On a group shared with C, a bounded WaitTimeout holds an OS
// thread while it waits.
func (g *Group) WaitTimeout(d time.Duration) (error, bool) {
	c := g.core.Load()
	if c == nil {
		return nil, true
	}
	return c.WaitTimeout(d)
}

// Idle reports whether no function of the group is active (a Wait would
// return at once). It never blocks and cancels nothing.
func (g *Group) Idle() bool {
	c := g.core.Load()
	return c == nil || c.Idle()
}

// Cancel cancels the group without recording an error: a group made by
// WithContext has its context canceled with cause (nil means
// context.Canceled; the first cancellation wins, as with
// context.WithCancelCause), and every group then counts as canceled
// (Canceled, SkipWhenCanceled). Wait still returns nil if every function
// succeeded. It may be called at any time, from any goroutine; calling it
// again does nothing more.
func (g *Group) Cancel(cause error) {
	g.load().Cancel(cause)
}

// Start starts f as Go does (the same limit, blocking as Go does, and skip
// mode) and waits until f is ready: f receives a context of its own, a
// child of the group's context (of context.Background() for a group not
// made by WithContext) canceled once f returns, and a ready function to call
// once it is ready (later calls do nothing; any goroutine may call it).
// Start returns nil once f calls ready, or f's result if f returns first
// without calling it (the group records that error as usual too), or
// ErrSkipped if skip mode did not start f.
func (g *Group) Start(f func(ctx context.Context, ready func()) error) error {
	return g.load().StartReady(f)
}

// ResizeLimit changes the limit while functions run, safely against
// concurrent Go and TryGo calls (SetLimit keeps the reference's rules).
// Raising it admits the oldest blocked Go calls at once, in order; lowering
// it stops no function: new ones wait until fewer than n run. A negative n
// lifts the bound, admitting every blocked Go call, and later Go calls
// never block; the group keeps its (unbounded) limit, so a later
// ResizeLimit bounds it again while functions run. First come, first
// served holds throughout. On a group with no limit it is SetLimit(n), and
// panics while functions are active.
func (g *Group) ResizeLimit(n int) {
	g.load().ResizeLimit(n)
}
