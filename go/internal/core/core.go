// SPDX-License-Identifier: BSD-3-Clause

package core

// The cgo side of the package (see group.go for the package documentation):
// the only code that compiles the C library in (the generated copies of c/
// and include/ in this directory) or links it (build tag
// liberrgroup_system), the C bridge (bridge.c), the functions the C library
// calls back (exports.go), the cgo handle bookkeeping and the conversion of
// errors between the two sides.
//
// A [Group] keeps its books in Go until C code needs its C group: the first
// CHandle (group_cgo.go) moves it onto one for good (a cGroup, this file):
// admission of goroutines that run on the caller's side
// (eg_group_admit / eg_group_try_admit, parking the goroutine on a channel
// while the C library owes it a slot), their end (eg_group_external_done),
// Wait (eg_group_wait_async, parked), the limit, and the C handle.

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// cGroup is the Go side of one C group. It is referenced by the Group that
// made it (and so by the goroutines running the group's functions). When it
// becomes unreachable, a finalizer gives the C side back (cSide.release).
// (A finalizer, not runtime.AddCleanup: the module supports Go 1.22.)
type cGroup struct {
	group  *C.eg_group // == side.group, read on every call
	bridge *errorBridge
	side   *cSide
	parked atomic.Int64 // Admit calls parked (for the tests)

	goCtx       context.Context           // the Go context (NewWithContext); nil for New
	skipMode    bool                      // SkipWhenCanceled; set before the first admission
	droppedInGo int                       // KeepErrors: dropped in Go mode, before migrate
	lateSkipped atomic.Int64              // skip mode: late admissions given back (checkSkip)
	skipping    atomic.Pointer[skipQueue] // skip mode: parked Go calls (extras_cgo.go)
}

func (c *cGroup) parkedGoCallers() int64 { return c.parked.Load() }

// errorBridge turns C errors into Go errors for one group and cancels its Go
// context. It is shared by the cGroup and the C context's after-function,
// and must not reference the cGroup (the after-function would keep it
// alive).
type errorBridge struct {
	cancel    context.CancelCauseFunc // nil for a group made by New
	newCError CErrorFunc

	mu       sync.Mutex
	cached   *C.eg_error // the C error cachedGo stands for, retained
	cachedGo error
	released bool // cSide.release ran: cache nothing any more
}

// cSide is what the C library holds for one group, given back by the
// cGroup's finalizer; it must not reference the cGroup.
type cSide struct {
	group          *C.eg_group
	cctx, cparent  *C.eg_context   // NULL for a group made by New
	parent         context.Context // the Go parent; nil for New
	bridge         *errorBridge
	linkOnce       sync.Once // link, on the first CHandle
	afterFunc      *C.eg_after_func
	afterHandle    cgo.Handle
	stopParentLink func() bool // stops the Go parent -> C parent AfterFunc
	doneHandle     cgo.Handle  // OnTaskDone's taskDoneWatch; 0 if none
}

// contextWatch is the argument of the after-function of a group's C context.
type contextWatch struct {
	bridge *errorBridge
	cctx   *C.eg_context
}

// A parker is what a goroutine parks on while the C library owes it a
// notification (admission at the limit, completion of a wait): a channel
// with room for the one value the notification sends, and the cgo handle of
// that channel, which is the notification's argument. Parkers are reused
// through parkers, so the handle is made once per parker, not per call; a
// parker dropped by the pool deletes its handle in a finalizer (the handle
// references the channel, not the parker).
type parker struct {
	notified chan *C.eg_error // admission sends nil, a wait its retained result
	handle   cgo.Handle
}

var parkers = sync.Pool{New: func() any {
	p := &parker{notified: make(chan *C.eg_error, 1)}
	p.handle = newHandle(p.notified)
	runtime.SetFinalizer(p, func(p *parker) { deleteHandle(p.handle) })
	return p
}}

// notify sends value to the parker whose channel handle is h; the channel
// has room, so it never blocks.
func notify(h cgo.Handle, value *C.eg_error) {
	h.Value().(chan *C.eg_error) <- value
}

// admitted delivers an admission: it wakes a parked cGroup.Admit, or a Go
// call parked in a Go-mode group's queue before the group moved to C
// (requeue), whose handle is used once. It never blocks.
func admitted(h cgo.Handle) {
	switch v := h.Value().(type) {
	case chan *C.eg_error:
		v <- nil
	case chan struct{}:
		deleteHandle(h)
		v <- struct{}{}
	case *skipWaiter:
		deleteHandle(h)
		v.granted()
	}
}

// newCGroup makes the Go side of a C group made by eg_group_new: no
// context, no limit. newCError makes the Go form of errors made by C code.
func newCGroup(newCError CErrorFunc) *cGroup {
	made := C.egb_group_new()
	if made.status != C.EG_OK {
		panic(statusError("eg_group_new", made.status))
	}
	liveCGroups.Add(1)
	side := &cSide{group: made.group, bridge: &errorBridge{newCError: newCError}}
	return newCore(side)
}

// newCGroupWithContext makes the Go side of a group whose Go context is
// canceled by cancel: a C parent context, eg_context_with_cancel(background),
// standing for parent, and the C group with its C context,
// eg_group_with_context(C parent). The first error recorded (by Done or by a
// C task) and Wait call cancel with that error. The links between the two
// sides that only C tasks need are made by the first CHandle
// (cSide.link).
func newCGroupWithContext(parent context.Context, cancel context.CancelCauseFunc, newCError CErrorFunc) *cGroup {
	made := C.egb_group_with_context()
	if made.status != C.EG_OK {
		panic(statusError("eg_group_with_context", made.status))
	}
	liveCGroups.Add(1)
	side := &cSide{
		group:   made.group,
		cctx:    made.ctx,
		cparent: made.parent,
		parent:  parent,
		bridge:  &errorBridge{cancel: cancel, newCError: newCError},
	}
	return newCore(side)
}

func newCore(side *cSide) *cGroup {
	c := &cGroup{group: side.group, bridge: side.bridge, side: side}
	runtime.SetFinalizer(c, func(c *cGroup) { c.side.release() })
	return c
}

// CHandle returns the C group (an eg_group *) for C code; for a group made
// by NewWithContext it first links the two sides (once).
func (c *cGroup) CHandle() unsafe.Pointer {
	if c.side.cctx != nil {
		c.side.linkOnce.Do(c.side.link)
	}
	return unsafe.Pointer(c.group)
}

// link connects the cancellations of a WithContext group's two sides, for C
// tasks (pure Go use needs neither):
//  1. C -> Go: an after-function on the group's C context cancels the Go
//     context with the Go form of the C cause (egGoContextDone), so a C
//     task's error reaches the Go functions;
//  2. Go -> C: parent's cancellation cancels the C parent with parent's
//     cause (at once if parent is already done, else by context.AfterFunc),
//     so C tasks see it.
func (s *cSide) link() {
	s.afterHandle = newHandle(&contextWatch{bridge: s.bridge, cctx: s.cctx})
	registered := C.egb_after_func(s.cctx, C.uintptr_t(s.afterHandle))
	if registered.status != C.EG_OK {
		deleteHandle(s.afterHandle)
		panic(statusError("eg_context_after_func", registered.status))
	}
	s.afterFunc = registered.after_func

	parent, cparent := s.parent, s.cparent
	if parent.Err() != nil {
		cancelC(cparent, context.Cause(parent))
	} else if parent.Done() != nil {
		C.eg_context_retain(cparent) // the AfterFunc's own reference
		s.stopParentLink = context.AfterFunc(parent, func() {
			cancelC(cparent, context.Cause(parent))
			C.eg_context_release(cparent)
		})
	}
}

// release gives back the C side of a group that became unreachable, in
// order: stops the parent's AfterFunc (dropping its C parent reference if it
// never ran), stops the after-function of the C context (deleting its handle
// if it never ran), frees the C group (the library defers that while C
// tasks still run), releases both C contexts and the cached C error.
func (s *cSide) release() {
	s.linkOnce.Do(func() {}) // orders link's writes before the reads below
	if s.stopParentLink != nil && s.stopParentLink() {
		C.eg_context_release(s.cparent)
	}
	if s.afterFunc != nil && C.eg_after_func_stop(s.afterFunc) == 1 {
		deleteHandle(s.afterHandle)
	}
	// A C task still running may still report its end through the
	// task-done callback: its handle then stays (a C task outliving its
	// Group is rare, and the handle is small).
	if s.doneHandle != 0 && C.eg_group_idle(s.group) == 1 {
		deleteHandle(s.doneHandle)
	}
	C.eg_group_free(s.group)
	C.eg_context_release(s.cctx)
	C.eg_context_release(s.cparent)
	s.bridge.release()
	liveCGroups.Add(-1)
}

func (b *errorBridge) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	C.eg_error_release(b.cached)
	b.cached, b.released = nil, true
}

// goError returns the Go error that the C error e stands for: nil for NULL;
// the Go error itself if e wraps one; context.Canceled or
// context.DeadlineExceeded for the C library's static errors; else one
// value of the bridge's CErrorFunc per group and C error, made on first
// sight and reused.
func (b *errorBridge) goError(e *C.eg_error) error {
	if e == nil {
		return nil
	}
	switch kind := C.egb_classify(e); kind.kind {
	case C.EGB_GO_ERROR:
		return cgo.Handle(kind.handle).Value().(error)
	case C.EGB_CANCELED:
		return context.Canceled
	case C.EGB_DEADLINE:
		return context.DeadlineExceeded
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cached == e {
		return b.cachedGo
	}
	converted := b.newCError(int(C.eg_error_code(e)), C.GoString(C.eg_error_message(e)))
	if !b.released {
		C.eg_error_release(b.cached)
		b.cached, b.cachedGo = C.eg_error_retain(e), converted
	}
	return converted
}

// cError returns an owned C error carrying err (not nil): the C library's
// static errors for context.Canceled and context.DeadlineExceeded, else a
// C error with code GoErrorCode, err's text, and a handle to err as payload,
// deleted by egGoReleasePayload when the C error is freed.
func cError(err error) *C.eg_error {
	switch err {
	case context.Canceled:
		return C.eg_error_canceled()
	case context.DeadlineExceeded:
		return C.eg_error_deadline_exceeded()
	}
	text := errorText(err)
	handle := newHandle(err)
	return C.egb_wrap_go_error(GoErrorCode, (*C.char)(unsafe.Pointer(unsafe.StringData(text))),
		C.size_t(len(text)), C.uintptr_t(handle))
}

// errorText returns err.Error(), or, if that panics (a typed nil pointer
// whose Error method dereferences it), a description of err's type.
func errorText(err error) (text string) {
	defer func() {
		if recover() != nil {
			text = fmt.Sprintf("%T (its Error method panicked)", err)
		}
	}()
	return err.Error()
}

// cancelC cancels the C context ctx with the C form of the Go error cause.
func cancelC(ctx *C.eg_context, cause error) {
	ce := cError(cause)
	C.eg_context_cancel(ctx, ce)
	C.eg_error_release(ce)
}

// TryAdmit admits one function if a slot is free right now and no admission is waiting for one: it then counts as
// active and the caller must run it and call Done. Never blocks.
func (c *cGroup) TryAdmit() int {
	switch rc := C.eg_group_try_admit(c.group); rc {
	case 1:
		return admitOK
	case 0:
		return admitFull
	case C.EG_ESKIPPED:
		return admitSkipped
	default:
		panic(statusError("eg_group_try_admit", rc))
	}
}

// Admit admits one function, parking the goroutine until a slot frees (the
// C library admits waiting calls first come, first served, and hands a
// freed slot straight to the oldest). The caller must then run it and call
// Done. On a limit of zero it never returns.
//
// In skip mode it reports false, admitting nothing, once the group is
// canceled, parked or not (admitSkipping: the cancellation wakes it).
func (c *cGroup) Admit() bool {
	if c.skipMode {
		return c.admitSkipping()
	}
	p := parkers.Get().(*parker)
	switch rc := C.egb_admit(c.group, C.uintptr_t(p.handle)); rc {
	case 1:
	case 0:
		c.parked.Add(1)
		<-p.notified
		c.parked.Add(-1)
	default:
		panic(statusError("eg_group_admit", rc))
	}
	parkers.Put(p)
	return true
}

// requeue queues the Go call parked on ch (in a Go-mode group's FIFO,
// moving to this C group) in the C group's FIFO: ch receives a value when
// the C library admits it, at once if there is room. (In skip mode it is
// closed if the call is skipped: requeueSkipping.)
func (c *cGroup) requeue(ch chan struct{}) {
	if c.skipMode {
		c.requeueSkipping(ch)
		return
	}
	h := newHandle(ch)
	switch rc := C.egb_admit(c.group, C.uintptr_t(h)); rc {
	case 1:
		deleteHandle(h)
		ch <- struct{}{}
	case 0: // admitted() notifies it
	default:
		deleteHandle(h)
		panic(statusError("eg_group_admit", rc))
	}
}

// Done reports the end of one admitted function of the group with its
// result, then delivers the notifications the C library made meanwhile (a
// parked Go call admitted into the freed slot, a queued function to start,
// completed Waits, a losing error to free). When err is the group's first
// error (the C library has then canceled the C context with it), it cancels
// the Go context with err, before delivering.
func (c *cGroup) Done(err error) {
	var result C.egb_done_result
	if err == nil {
		result = C.egb_external_done(c.group, nil)
	} else {
		result = C.egb_external_done(c.group, cError(err))
		if result.recorded == 1 {
			c.firstError(err)
		}
	}
	if result.count != 0 {
		deliver(&result)
	}
}

// deliver hands notifications collected by egb_external_done to the Go
// functions the C library would otherwise have called back.
func deliver(result *C.egb_done_result) {
	for _, note := range result.notes[:result.count] {
		switch note.kind {
		case C.EGB_NOTE_RELEASE_PAYLOAD:
			egGoReleasePayload(note.handle)
		case C.EGB_NOTE_ADMITTED:
			admitted(cgo.Handle(note.handle))
		case C.EGB_NOTE_WAIT_DONE:
			notify(cgo.Handle(note.handle), note.error) // passes the note's reference
		}
	}
}

// Wait parks the goroutine until no function of the group (and no C task)
// is active; then, for a group made by NewWithContext, cancels the Go context with the first error as cause
// (context.Canceled if there was none); then returns the first error: the
// very Go error a function returned, context.Canceled or
// context.DeadlineExceeded for the C library's static errors, or the
// CErrorFunc's value for an error made by C code.
func (c *cGroup) Wait() error {
	p := parkers.Get().(*parker)
	var err error
	switch waited := C.egb_wait_async(c.group, C.uintptr_t(p.handle)); waited.status {
	case 1: // nothing active: completed at once, egGoWaitDone is not called
		err = c.bridge.goError(waited.error)
	case 0: // egGoWaitDone sends the retained result
		result := <-p.notified
		err = c.bridge.goError(result)
		C.eg_error_release(result)
	default:
		panic(statusError("eg_group_wait_async", waited.status))
	}
	parkers.Put(p)
	if c.bridge.cancel != nil {
		c.bridge.cancel(err)
	}
	runtime.KeepAlive(c)
	return err
}

// SetLimit is golang.org/x/sync/errgroup's SetLimit on the C group: a
// negative n removes the limit; n >= 0 while functions are active panics
// with the reference's error text (an *errors.errorString) and changes
// nothing. Limits above math.MaxInt32 are taken as math.MaxInt32.
func (c *cGroup) SetLimit(n int) {
	limit := C.int(-1)
	if n >= 0 {
		limit = C.int(min(n, math.MaxInt32))
	}
	switch set := C.egb_set_limit(c.group, limit); set.status {
	case C.EG_OK:
	case C.EG_EBUSY:
		text := C.GoString(C.eg_error_message(set.refusal))
		C.eg_error_release(set.refusal)
		// The reference panics with fmt.Errorf(...) without %w, which is an
		// *errors.errorString: the same type and text.
		panic(errors.New(text))
	default:
		panic(statusError("eg_group_set_limit", set.status))
	}
	runtime.KeepAlive(c)
}

// statusError describes a failed call into the C library.
func statusError(call string, status C.int) error {
	return fmt.Errorf("errgroup: %s: %s", call, C.GoString(C.eg_strerror(status)))
}
