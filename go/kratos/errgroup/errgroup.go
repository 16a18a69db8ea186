// SPDX-License-Identifier: BSD-3-Clause

// Package errgroup is the enhanced errgroup of go-kratos v1
// (github.com/go-kratos/kratos/pkg/sync/errgroup), with its exported API and
// behaviour, on the same core as package
// github.com/liberrgroup/liberrgroup/go/errgroup, which keeps a group's
// books (count, first error, cancellation, the worker limit and its
// first-in, first-out queue) in Go with the rules of liberrgroup's C groups
// (eg_group_set_workers). It never needs C (it has no CHandle), so it builds
// and behaves the same with or without cgo.
//
// Compared with golang.org/x/sync/errgroup:
//
//   - functions receive a context: context.Background() for a zero Group,
//     the given context for WithContext (never canceled by the group), a
//     derived context canceled by the first error or by Wait for WithCancel;
//   - a panic in a function is recovered and becomes that function's error,
//     whose text starts with "errgroup: panic recovered: ", followed by the
//     panic value, a newline and the stack of the panicking goroutine;
//   - GOMAXPROCS(n) bounds how many functions run at once without ever
//     blocking Go: functions beyond n wait in a queue and hold no goroutine.
//
// To use it in place of go-kratos v1's package, change only the import
// path; the package name is the same:
//
//	import "github.com/liberrgroup/liberrgroup/go/kratos/errgroup"
//
// # Differences from go-kratos v1
//
//   - Functions queued by GOMAXPROCS start as soon as a running function
//     returns. go-kratos v1 starts them only once Wait is called (its
//     documentation asks callers to call Wait at once); starting them
//     earlier is strictly better and changes nothing for such callers.
//   - The context of WithCancel has a cause (context.Cause): the first error,
//     or context.Canceled when Wait returns with no error. ctx.Err() is
//     context.Canceled in both cases, as in go-kratos.
//   - GOMAXPROCS after the group's first Go panics (go-kratos would limit
//     only the functions started after it); a second GOMAXPROCS is ignored,
//     as in go-kratos.
//   - A Group may be reused after Wait, also with GOMAXPROCS (go-kratos
//     closes its worker channel in Wait).
//   - Go, GOMAXPROCS and Wait may be called from any goroutine, concurrently.
//   - The race detector sees a little less, as under go/errgroup (see its
//     package documentation): on one group, a function's end and a Go are
//     ordered before every later Go of the group; in GOMAXPROCS mode every
//     Go and every function's end take the group's mutex, so they are all
//     ordered with each other.
package errgroup

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/liberrgroup/liberrgroup/go/internal/core"
)

// A Group is a collection of goroutines working on subtasks that are part of
// the same overall task.
//
// A zero Group is valid and does not cancel on error: its functions receive
// context.Background(). A Group must not be copied after first use (go vet
// reports copies).
type Group struct {
	noCopy noCopy
	ctx    context.Context            // given to the functions; nil: Background
	core   atomic.Pointer[core.Group] // the group's books
}

// noCopy makes go vet's copylocks check report copies of a Group.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// WithContext creates a Group whose functions receive ctx. The group never
// cancels ctx: an error does not stop the other functions. A nil ctx is
// taken as context.Background(), as in go-kratos.
func WithContext(ctx context.Context) *Group {
	return &Group{ctx: ctx}
}

// WithCancel creates a Group whose functions receive a context derived from
// ctx. The derived context is canceled the first time a function passed to
// Go returns a non-nil error (or panics), or the first time Wait returns,
// whichever occurs first; its cause (context.Cause) is that error, or
// context.Canceled when Wait returns with no error. The cancellation of ctx
// reaches it as with context.WithCancelCause.
//
// WithCancel(nil) panics, as context.WithCancel(nil) does.
func WithCancel(ctx context.Context) *Group {
	groupCtx, cancel := context.WithCancelCause(ctx)
	g := &Group{ctx: groupCtx}
	g.core.Store(core.NewWithContext(ctx, groupCtx, cancel))
	return g
}

// load returns the Group's core, making it for a zero Group or one made by
// WithContext (core.Load).
func (g *Group) load() *core.Group {
	return core.Load(&g.core)
}

// GOMAXPROCS set max goroutine to work.
//
// From now on at most n functions of the group run at once, and Go never
// blocks: functions beyond n wait in a first-in, first-out queue held by
// the group (no goroutine per queued function) and start, in order, as
// soon as running ones return. Wait waits for the queued functions too.
//
// n <= 0 panics with go-kratos's text "errgroup: GOMAXPROCS must great than
// 0". A second call is ignored, as in go-kratos. Calling it after the
// group's first Go panics: it must come first.
func (g *Group) GOMAXPROCS(n int) {
	if n <= 0 {
		panic("errgroup: GOMAXPROCS must great than 0")
	}
	switch err := g.load().SetWorkers(n); err {
	case nil, core.ErrWorkersSet:
	case core.ErrGroupUsed:
		panic("errgroup: GOMAXPROCS must be called before the group's first Go")
	default:
		panic(err)
	}
}

// Go calls the given function in a new goroutine, passing it the group's
// context (see Group, WithContext, WithCancel). It never blocks: under
// GOMAXPROCS(n), when n functions are running, f is queued and its goroutine
// starts when a slot frees.
//
// The first call to return a non-nil error cancels the group (WithCancel
// only); its error will be returned by Wait. A panic in f is recovered and
// becomes f's error: "errgroup: panic recovered: " followed by the panic
// value, a newline and the stack of f's goroutine (runtime.Stack, at most
// 64 KiB). runtime.Goexit in f counts as returning nil.
func (g *Group) Go(f func(ctx context.Context) error) {
	c := g.load()
	ctx := g.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	c.Start(func() { do(c, ctx, f) })
}

// testHookReported, set only by tests, is called with a function's error
// once its end has been reported to the group (the error recorded, if it
// is the first).
var testHookReported atomic.Pointer[func(error)]

// do runs f with ctx, recovering a panic into f's error exactly as go-kratos
// v1 does, and reports f's end to the group.
func do(c *core.Group, ctx context.Context, f func(ctx context.Context) error) {
	var err error
	defer func() {
		if r := recover(); r != nil {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			err = fmt.Errorf("errgroup: panic recovered: %s\n%s", r, buf)
		}
		c.Done(err)
		if hook := testHookReported.Load(); hook != nil {
			(*hook)(err)
		}
	}()
	err = f(ctx)
}

// Wait blocks until all function calls from the Go method have returned, then
// returns the first non-nil error (if any) from them.
//
// It waits for queued functions too. The first error is the first recorded,
// in order of completion (a recovered panic included), and Wait returns the
// very value the function returned. For a group made by WithCancel it then
// cancels the context. The waiting goroutine is parked on a channel and
// holds no OS thread.
func (g *Group) Wait() error {
	c := g.core.Load()
	if c == nil {
		return nil // nothing was ever started on this Group
	}
	return c.Wait()
}

// The extras beyond go-kratos v1 that fit its API (liberrgroup issue 14;
// the same as go/errgroup's methods of the same names). Each is opt-in: a
// Group that uses none behaves exactly as without them.

// Cancel cancels the group without recording an error: a group made by
// WithCancel has its context canceled with cause (nil means
// context.Canceled; the first cancellation wins). Wait still returns nil if
// every function succeeded. It does not stop functions queued by
// GOMAXPROCS: they start and see the context done. Idempotent.
func (g *Group) Cancel(cause error) {
	g.load().Cancel(cause)
}

// KeepErrors makes the group keep every error its functions return
// (recovered panics included), in record order, up to max; later ones are
// counted by DroppedErrors. It panics if max < 1, if called twice, or after
// the group's first Go.
func (g *Group) KeepErrors(max int) {
	g.load().KeepErrors(max)
}

// Errors returns the errors kept since KeepErrors, in record order, as one
// error compatible with errors.Join (Unwrap() []error; the first is Wait's),
// or nil if none was kept or the group keeps none. A snapshot: it may be
// called while functions run.
func (g *Group) Errors() error {
	c := g.core.Load()
	if c == nil {
		return nil
	}
	if kept := c.Errors(); len(kept) != 0 {
		return errors.Join(kept...)
	}
	return nil
}

// DroppedErrors returns how many errors KeepErrors did not keep.
func (g *Group) DroppedErrors() int {
	c := g.core.Load()
	if c == nil {
		return 0
	}
	return c.DroppedErrors()
}

// WaitTimeout is Wait bounded by d: true with Wait's result (and its
// effects) once no function is active or queued, or false and nil when d
// passes first, canceling nothing (the functions keep running; the caller
// may wait again). A negative d waits as long as Wait.
func (g *Group) WaitTimeout(d time.Duration) (error, bool) {
	c := g.core.Load()
	if c == nil {
		return nil, true
	}
	return c.WaitTimeout(d)
}

// Idle reports whether no function of the group is active or queued (a
// Wait would return at once). It never blocks.
func (g *Group) Idle() bool {
	c := g.core.Load()
	return c == nil || c.Idle()
}
