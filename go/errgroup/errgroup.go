// SPDX-License-Identifier: BSD-3-Clause

// Package errgroup provides synchronization, error propagation, and Context
// cancellation for groups of goroutines working on subtasks of a common task.
//
// It has the API and the behaviour of golang.org/x/sync/errgroup, and its
// groups can be shared with C code through liberrgroup, the C library of
// this repository: [Group.CHandle] returns a C group on which C code may
// start C tasks, and Go functions and C tasks then share one count, one
// limit, one first error and one context. Until CHandle is called a group
// keeps its books in Go (the count, the limit with its first-come,
// first-served queue, the first error, the parked Waits), so Go, TryGo, a
// function's end and Wait make no cgo call; the first CHandle moves them
// onto the C group for good.
//
// Built without cgo (CGO_ENABLED=0, the go command's default when
// cross-compiling), the package is the same code without CHandle: a
// program that does not call CHandle builds everywhere and behaves the
// same, and one that does needs cgo anyway.
//
// Functions passed to [Group.Go] and [Group.TryGo] always run in goroutines,
// never on the C library's threads. A goroutine blocked in Go (at the limit)
// or in Wait is parked on a channel and holds no OS thread.
//
// [errgroup.Group] is related to [sync.WaitGroup] but adds handling of tasks
// returning errors.
//
// # Differences from golang.org/x/sync/errgroup
//
//   - SetLimit(n) with n >= 0 also panics while goroutines started without a
//     limit are active, or started under a limit that SetLimit(-1) removed
//     since; the reference silently accepts both (it counts only the
//     goroutines of the current limit), and those goroutines then block
//     when they return.
//   - When a function returns a non-nil error, its Error method is called
//     once (a panic in it is recovered and replaced by a description of the
//     error's type): the text is what C code sees as the message of the
//     group's first error.
//   - Between a parent context's cancellation and the moment the C side of
//     a group learns of it, a C task may fail; its error is then the cause
//     C code sees, while the Go context keeps the parent's cause.
//
// # What the race detector sees
//
// The reference orders, for the race detector, exactly what its
// sync.WaitGroup and semaphore channel order: a function's end before the
// Wait that returns after it, and before the Go call that takes the slot it
// freed at a limit. This package orders those too, and in addition, on one
// group, every function's end and every Go or TryGo before every later Go
// or TryGo of the same group (they change or read the group's count with
// sync/atomic, which the detector takes as synchronisation). So a race
// between a write in function A and a read in function B of the same group
// is not reported when, after the write, A returned or called Go or TryGo
// on that group, and B then called Go or TryGo on it before the read, even
// while A still runs; the reference reports it. Races across groups, and
// between functions of which the reader makes no call of the group between
// the two accesses, are reported as under the reference. (The same holds
// for the goroutine that calls Go: its Go after function A returned or
// called Go orders A's earlier accesses before the function it starts.)
// Once [Group.CHandle] has been called,
// every call of the group is a cgo call, and the detector orders every cgo
// call of the process before every later one: a group shared with C hides
// races between any two goroutines that each made such a call.
// github.com/liberrgroup/liberrgroup/compat/racecheck checks these cases
// on both packages.
package errgroup

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/liberrgroup/liberrgroup/go/internal/core"
)

// A Group is a collection of goroutines working on subtasks that are part of
// the same overall task. A Group should not be reused for different tasks.
//
// A zero Group is valid, has no limit on the number of active goroutines,
// and does not cancel on error. Its C group is made on first use. A Group
// must not be copied after first use (go vet reports copies).
type Group struct {
	noCopy noCopy
	core   atomic.Pointer[core.Group] // the Go side of the C group
}

// noCopy makes go vet's copylocks check report copies of a Group.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// GoErrorCode is the code (eg_error_code) of the C error that carries an
// error returned by a Go function of a group, or a Go parent context's
// cause, to the C side. Its message (eg_error_message) is the Go error's
// Error() text. context.Canceled and context.DeadlineExceeded are carried
// as eg_error_canceled() and eg_error_deadline_exceeded() instead.
const GoErrorCode = core.GoErrorCode // 0x476f, "Go"

// CError is the Go form of an error made by C code: a C task started on the
// group's C handle returned it. Wait returns it, and it is the cause of the
// context made by WithContext, as one *CError value per group, so == and
// errors.As work. The C errors eg_error_canceled() and
// eg_error_deadline_exceeded() come out as context.Canceled and
// context.DeadlineExceeded instead.
type CError struct {
	Code    int    // eg_error_code
	Message string // eg_error_message
}

// Error returns the C error's message, or, when that is empty, a text
// naming its code.
func (e *CError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("errgroup: C error with code %d", e.Code)
	}
	return e.Message
}

// newCError is the CErrorFunc of this package's groups.
func newCError(code int, message string) error {
	return &CError{Code: code, Message: message}
}

// load returns the Group's core, making it for a zero Group (core.Load).
func (g *Group) load() *core.Group {
	return core.Load(&g.core)
}

// WithContext returns a new Group and an associated Context derived from ctx.
//
// The derived Context is canceled the first time a function passed to Go
// returns a non-nil error, or a C task started on the group's C handle
// returns an error, or the first time Wait returns, whichever occurs first.
// Its cause is that error (the very value the function returned), or
// context.Canceled when Wait returns with no error. The cancellation of ctx
// reaches the derived Context with ctx's cause, as with
// context.WithCancelCause, and the C tasks of the group see it too.
//
// WithContext(nil) panics, as context.WithCancelCause(nil) does.
func WithContext(ctx context.Context) (*Group, context.Context) {
	groupCtx, cancel := context.WithCancelCause(ctx)
	g := &Group{}
	g.core.Store(core.NewWithContext(ctx, groupCtx, cancel))
	return g, groupCtx
}

// Wait blocks until all function calls from the Go method have returned, then
// returns the first non-nil error (if any) from them.
//
// In order: it waits until no function of the group (and no C task started
// on its C handle) is active; then, for a group made by WithContext, it
// cancels the context with the first error as cause (context.Canceled if
// there was none); then it returns the first error. The first error is the
// first non-nil error recorded, in order of completion, and stays the
// group's first error for every later Wait. The waiting goroutine is parked
// on a channel and holds no OS thread.
func (g *Group) Wait() error {
	c := g.core.Load()
	if c == nil {
		return nil // nothing was ever started on this zero Group
	}
	return c.Wait()
}

// Go calls the given function in a new goroutine.
//
// The first call to Go must happen before a Wait.
// It blocks until the new goroutine can be added without the number of
// goroutines in the group exceeding the configured limit.
// Callers blocked at the limit are admitted first come, first served, and
// a freed slot goes straight to the oldest of them.
//
// The first goroutine in the group that returns a non-nil error will
// cancel the associated Context, if any. The error will be returned
// by Wait.
//
// A panic in f is not recovered: it crashes the program with f's stack, as
// in any goroutine. runtime.Goexit in f counts as returning nil.
func (g *Group) Go(f func() error) {
	c := g.load()
	if c.Admit() { // false only in skip mode (SkipWhenCanceled)
		go c.Run(f)
	}
}

// TryGo calls the given function in a new goroutine only if the number of
// active goroutines in the group is currently below the configured limit
// and no Go call is waiting for a slot.
//
// The return value reports whether the goroutine was started.
func (g *Group) TryGo(f func() error) bool {
	c := g.load()
	if !c.TryAdmit() {
		return false
	}
	go c.Run(f)
	return true
}

// SetLimit limits the number of active goroutines in this group to at most n.
// A negative value indicates no limit.
// A limit of zero will prevent any new goroutines from being added.
//
// Any subsequent call to the Go method will block until it can add an active
// goroutine without exceeding the configured limit.
//
// The limit must not be modified while any goroutines in the group are active:
// SetLimit(n) with n >= 0 then panics with an error whose text is
// "errgroup: modify limit while N goroutines in the group are still active"
// and changes nothing. Removing the limit (n < 0) is allowed at any time.
// Limits above math.MaxInt32 are taken as math.MaxInt32.
func (g *Group) SetLimit(n int) {
	g.load().SetLimit(n)
}
