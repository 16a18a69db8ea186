package errgroup

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// groupCore is the Go side of one C group. It is made once per Group (at
// WithContext, or on first use of a zero Group) and is referenced by the
// Group and by the goroutines running the group's functions. When it becomes
// unreachable, a cleanup gives the C side back (cSide.release).
type groupCore struct {
	group   *C.eg_group // == side.group, read on every call
	bridge  *errorBridge
	side    *cSide
	cleanup runtime.Cleanup
}

// errorBridge turns C errors into Go errors for one group and cancels its Go
// context. It is shared by the groupCore and the C context's after-function,
// and must not reference the groupCore (the after-function would keep it
// alive).
type errorBridge struct {
	cancel context.CancelCauseFunc // nil for a zero Group

	mu       sync.Mutex
	cached   *C.eg_error // the C error cachedGo stands for, retained
	cachedGo *CError
	released bool // cSide.release ran: cache nothing any more
}

// cSide is what the C library holds for one group, given back by the
// groupCore's cleanup; it must not reference the groupCore.
type cSide struct {
	group          *C.eg_group
	cctx, cparent  *C.eg_context   // NULL for a zero Group
	parent         context.Context // the Go parent; nil for a zero Group
	bridge         *errorBridge
	linkOnce       sync.Once // link, on the first CHandle
	afterFunc      *C.eg_after_func
	afterHandle    cgo.Handle
	stopParentLink func() bool // stops the Go parent -> C parent AfterFunc
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
// parker dropped by the pool deletes its handle in a cleanup (the handle
// references the channel, not the parker).
type parker struct {
	notified chan *C.eg_error // admission sends nil, a wait its retained result
	handle   cgo.Handle
}

var parkers = sync.Pool{New: func() any {
	p := &parker{notified: make(chan *C.eg_error, 1)}
	p.handle = newHandle(p.notified)
	runtime.AddCleanup(p, deleteHandle, p.handle)
	return p
}}

// notify sends value to the parker whose channel handle is h; the channel
// has room, so it never blocks.
func notify(h cgo.Handle, value *C.eg_error) {
	h.Value().(chan *C.eg_error) <- value
}

// liveCGroups counts the C groups made and not yet given back (read by the
// tests, which check that garbage Groups release theirs).
var liveCGroups atomic.Int64

// parkedGoCallers counts Go calls parked until the C library admits them
// (read by the tests).
var parkedGoCallers atomic.Int64

// load returns the Group's core, making it for a zero Group. Several
// goroutines may race to make it: one wins the compare-and-swap and the
// others give their C group back at once.
func (g *Group) load() *groupCore {
	if c := g.core.Load(); c != nil {
		return c
	}
	fresh := newZeroCore()
	if g.core.CompareAndSwap(nil, fresh) {
		return fresh
	}
	fresh.cleanup.Stop()
	fresh.side.release()
	return g.core.Load()
}

func newZeroCore() *groupCore {
	made := C.egb_group_new()
	if made.status != C.EG_OK {
		panic(statusError("eg_group_new", made.status))
	}
	liveCGroups.Add(1)
	side := &cSide{group: made.group, bridge: &errorBridge{}}
	return newCore(side)
}

// newContextCore makes the C side of WithContext(parent): a C parent
// context, eg_context_with_cancel(background), standing for parent, and the
// C group with its C context, eg_group_with_context(C parent). The links
// between the two sides that only C tasks need are made by the first
// CHandle (cSide.link).
func newContextCore(parent context.Context, cancel context.CancelCauseFunc) *groupCore {
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
		bridge:  &errorBridge{cancel: cancel},
	}
	return newCore(side)
}

func newCore(side *cSide) *groupCore {
	c := &groupCore{group: side.group, bridge: side.bridge, side: side}
	c.cleanup = runtime.AddCleanup(c, (*cSide).release, side)
	return c
}

// handle returns the C group for C code; for a group made by WithContext it
// first links the two sides (once).
func (c *groupCore) handle() *C.eg_group {
	if c.side.cctx != nil {
		c.side.linkOnce.Do(c.side.link)
	}
	return c.group
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
// *CError per group, made on first sight and reused.
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
	converted := &CError{Code: int(C.eg_error_code(e)), Message: C.GoString(C.eg_error_message(e))}
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

// admitWhenSlotFrees queues a Go call at the limit in the C library and parks
// the goroutine on a parker until egGoAdmitted notifies it (or returns at
// once if a slot freed meanwhile). On a limit of zero it never returns.
func (c *groupCore) admitWhenSlotFrees() {
	p := parkers.Get().(*parker)
	switch rc := C.egb_admit(c.group, C.uintptr_t(p.handle)); rc {
	case 1:
	case 0:
		parkedGoCallers.Add(1)
		<-p.notified
		parkedGoCallers.Add(-1)
	default:
		panic(statusError("eg_group_admit", rc))
	}
	parkers.Put(p)
}

// run is the body of the goroutine of one admitted function: it calls f, then
// reports its end to the C library even if f calls runtime.Goexit (a panic
// also runs it, then crashes the program as usual).
func (c *groupCore) run(f func() error) {
	var err error
	defer func() { c.done(err) }()
	err = f()
}

// done reports the end of one function of the group with its result, then
// delivers the notifications the C library made meanwhile (a parked Go call
// admitted into the freed slot, completed Waits, a losing error to free).
// When err is the group's first error (the C library has then canceled the C
// context with it), it cancels the Go context with err, before delivering.
func (c *groupCore) done(err error) {
	var result C.egb_done_result
	if err == nil {
		result = C.egb_external_done(c.group, nil)
	} else {
		result = C.egb_external_done(c.group, cError(err))
		if result.recorded == 1 && c.bridge.cancel != nil {
			c.bridge.cancel(err)
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
			notify(cgo.Handle(note.handle), nil)
		case C.EGB_NOTE_WAIT_DONE:
			notify(cgo.Handle(note.handle), note.error) // passes the note's reference
		}
	}
}
