// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package core

// The extras on a migrated group: each calls the C library's function of
// the same feature (include/errgroup.h, "Beyond the reference").

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// taskDoneWatch is what the C group's task-done callback (egGoTaskDone)
// reaches: the OnTaskDone callback and the bridge that converts C errors.
// The Group's extras hold it (cDone); the callback's handle holds a
// taskDoneRef.
type taskDoneWatch struct {
	f      func(TaskResult)
	bridge *errorBridge
}

// A skipWaiter is a Go call parked at the limit of a C group in skip mode
// (cGroup.Admit, or a Go-mode call moved there by requeue): its C admission
// request's argument is the waiter's handle. At the group's cancellation
// the Go side wakes it as skipped at once (skipWaiters: the C library
// admits a queued request even once canceled, when its turn comes); the
// request stays queued, not counted active, and when the C library grants
// it later its slot is given back at once, reporting no task (granted).
// It references the C group and the queue, not the cGroup: a queued
// request's handle must not keep the cGroup from being collected.
type skipWaiter struct {
	group *C.eg_group
	queue *skipQueue
	ch    chan struct{} // a value: admitted; closed: skipped
	state atomic.Int32  // waiterParked, then waiterAdmitted or waiterSkipped
}

const (
	waiterParked = iota
	waiterAdmitted
	waiterSkipped
)

// skipQueue holds a C group's parked skipWaiters, those whose request the C
// library has queued, until they are admitted or skipped.
type skipQueue struct {
	mu      sync.Mutex
	parked  map[*skipWaiter]struct{}
	skipped atomic.Int64 // parked calls skipped (a part of Skipped)
}

// admitSkipping is Admit in skip mode: a parked call waits on a skipWaiter,
// which the cancellation wakes.
func (c *cGroup) admitSkipping() bool {
	w := &skipWaiter{group: c.group, queue: c.skipQueue(), ch: make(chan struct{}, 1)}
	h := newHandle(w)
	switch rc := C.egb_admit(c.group, C.uintptr_t(h)); rc {
	case 1:
		deleteHandle(h)
		return c.checkSkip()
	case C.EG_ESKIPPED: // counted by the C group
		deleteHandle(h)
		return false
	case 0:
		c.park(w)
		c.parked.Add(1)
		_, admitted := <-w.ch
		c.parked.Add(-1)
		if !admitted {
			return false // counted by skipWaiters
		}
		return c.checkSkip()
	default:
		deleteHandle(h)
		panic(statusError("eg_group_admit", rc))
	}
}

// skipQueue returns the C group's queue of parked skipWaiters, made on
// first use.
func (c *cGroup) skipQueue() *skipQueue {
	if q := c.skipping.Load(); q != nil {
		return q
	}
	c.skipping.CompareAndSwap(nil, &skipQueue{parked: map[*skipWaiter]struct{}{}})
	return c.skipping.Load()
}

// park puts w, whose request the C library queued, on the queue, unless it
// was admitted meanwhile; then skips it if the group is canceled already
// (a cancellation whose skipWaiters ran before w was on the queue).
func (c *cGroup) park(w *skipWaiter) {
	q := w.queue
	q.mu.Lock()
	if w.state.Load() == waiterParked {
		q.parked[w] = struct{}{}
	}
	q.mu.Unlock()
	if c.canceled() {
		c.skipWaiters()
	}
}

// skipWaiters wakes, as skipped, every Go call parked at the limit: the
// group is canceled. Called by every cancellation the Go side learns of
// (Cancel, a Go function's first error, the Go context's end). Idempotent.
func (c *cGroup) skipWaiters() {
	q := c.skipping.Load()
	if q == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for w := range q.parked {
		if w.state.CompareAndSwap(waiterParked, waiterSkipped) {
			q.skipped.Add(1)
			close(w.ch)
		}
	}
	clear(q.parked)
}

// granted is the C library's admission of w's request (its handle is used
// once): the parked call gets the slot, or, if it was skipped meanwhile,
// the slot goes back at once (eg_group_external_done, no error, no task
// reported), which may admit the next request.
func (w *skipWaiter) granted() {
	if w.state.CompareAndSwap(waiterParked, waiterAdmitted) {
		w.queue.mu.Lock()
		delete(w.queue.parked, w)
		w.queue.mu.Unlock()
		w.ch <- struct{}{}
		return
	}
	result := C.egb_external_done(w.group, nil)
	if result.count != 0 {
		deliver(&result)
	}
}

// requeueSkipping is requeue in skip mode: the Go-mode call parked on ch
// waits on a skipWaiter of its own channel.
func (c *cGroup) requeueSkipping(ch chan struct{}) {
	w := &skipWaiter{group: c.group, queue: c.skipQueue(), ch: ch}
	h := newHandle(w)
	switch rc := C.egb_admit(c.group, C.uintptr_t(h)); rc {
	case 1:
		deleteHandle(h)
		ch <- struct{}{}
	case 0:
		c.park(w)
	case C.EG_ESKIPPED: // counted by the C group
		deleteHandle(h)
		close(ch)
	default:
		deleteHandle(h)
		panic(statusError("eg_group_admit", rc))
	}
}

// checkSkip is for an admission the C library granted late, in skip mode:
// the C group admits a queued admission even once canceled, so if it is
// canceled the slot goes back and the call counts as skipped (false).
func (c *cGroup) checkSkip() bool {
	if !c.canceled() {
		return true
	}
	c.Done(nil)
	c.lateSkipped.Add(1)
	return false
}

// record records err (not nil) for a Go function that has not ended yet
// (eg_group_external_record), canceling the Go context if it became the
// first error; the function's Done(nil) ends it later. For OnTaskDone,
// whose callback must see the error recorded.
func (c *cGroup) record(err error) {
	result := C.egb_external_record(c.group, cError(err))
	if result.recorded == 1 {
		c.firstError(err)
	}
	if result.count != 0 {
		deliver(&result)
	}
}

// firstError: err, a Go function's, became the C group's first error. It
// cancels the Go context with it, and in skip mode wakes the parked Go
// calls as skipped.
func (c *cGroup) firstError(err error) {
	if c.bridge.cancel != nil {
		c.bridge.cancel(err)
	}
	if c.skipMode {
		c.skipWaiters()
	}
}

func (c *cGroup) keepErrors(max int) {
	switch rc := C.eg_group_keep_errors(c.group, C.size_t(max)); rc {
	case C.EG_OK:
	case C.EG_EBUSY:
		panic("errgroup: KeepErrors called twice or after the group's first function")
	default:
		panic(statusError("eg_group_keep_errors", rc))
	}
}

// errors returns the kept errors (nil if the C group keeps none) and the
// dropped count, Go mode's included.
func (c *cGroup) errors() ([]error, int) {
	var buf []*C.eg_error
	for {
		var first **C.eg_error
		if len(buf) != 0 {
			first = &buf[0]
		}
		got := C.egb_errors(c.group, first, C.size_t(len(buf)))
		if got.count == C.EG_EINVAL { // not keeping errors
			return nil, c.droppedInGo
		}
		if got.count < 0 {
			panic(statusError("eg_group_errors", got.count))
		}
		n := int(got.count)
		if n <= len(buf) {
			kept := make([]error, n)
			for i, e := range buf[:n] {
				kept[i] = c.bridge.goError(e)
				C.eg_error_release(e)
			}
			return kept, c.droppedInGo + int(min(got.dropped, math.MaxInt32))
		}
		for _, e := range buf {
			C.eg_error_release(e)
		}
		buf = make([]*C.eg_error, n)
	}
}

func (c *cGroup) skipWhenCanceled() {
	switch rc := C.eg_group_skip_when_canceled(c.group); rc {
	case C.EG_OK:
		c.skipMode = true
	case C.EG_EBUSY:
		panic("errgroup: SkipWhenCanceled after the group's first function")
	default:
		panic(statusError("eg_group_skip_when_canceled", rc))
	}
}

// canceled: the C group is, or the Go context is done (its parent's
// cancellation reaches the C side a little later).
func (c *cGroup) canceled() bool {
	rc := C.eg_group_canceled(c.group)
	if rc < 0 {
		panic(statusError("eg_group_canceled", rc))
	}
	return rc == 1 || c.goCtx != nil && c.goCtx.Err() != nil
}

// skipped counts the C group's skipped tasks and refused admissions, and
// the late admissions checkSkip gave back.
func (c *cGroup) skipped() int64 {
	n := int64(C.eg_group_skipped(c.group))
	if n < 0 {
		panic(statusError("eg_group_skipped", C.int(n)))
	}
	n += c.lateSkipped.Load()
	if q := c.skipping.Load(); q != nil {
		n += q.skipped.Load()
	}
	return n
}

// onTaskDone registers f for the C tasks (Go functions call it themselves,
// stateHooks). The handle is given back with the C group (cSide.release).
// It returns what the caller must keep alive, beside the Group rather than
// in the cGroup: f may reference the Group, and a cycle through an object
// with a finalizer (the cGroup) is never collected.
func (c *cGroup) onTaskDone(f func(TaskResult)) any {
	watch := &taskDoneWatch{f: f, bridge: c.bridge}
	h := newHandle(makeTaskDoneRef(watch))
	switch rc := C.egb_on_task_done(c.group, C.uintptr_t(h)); rc {
	case C.EG_OK:
		c.side.doneHandle = h
		return watch
	case C.EG_EBUSY:
		deleteHandle(h)
		panic("errgroup: OnTaskDone called twice or after the group's first function")
	default:
		deleteHandle(h)
		panic(statusError("eg_group_on_task_done", rc))
	}
}

// waitTimeout is Wait bounded by d (eg_group_wait_timeout: the calling
// goroutine holds its thread while it waits).
func (c *cGroup) waitTimeout(d time.Duration) (error, bool) {
	waited := C.egb_wait_timeout(c.group, C.int64_t(d))
	switch waited.status {
	case C.EG_OK:
	case C.EG_ETIMEDOUT:
		return nil, false
	default:
		panic(statusError("eg_group_wait_timeout", waited.status))
	}
	err := c.bridge.goError(waited.error)
	if c.bridge.cancel != nil {
		c.bridge.cancel(err)
	}
	runtime.KeepAlive(c)
	return err, true
}

func (c *cGroup) idle() bool {
	rc := C.eg_group_idle(c.group)
	if rc < 0 {
		panic(statusError("eg_group_idle", rc))
	}
	return rc == 1
}

// cancel cancels the C group with cause, then the Go context with the C
// context's cause: the first cancellation won there, and both sides keep it.
func (c *cGroup) cancel(cause error) {
	var ce *C.eg_error
	if cause != nil {
		ce = cError(cause)
	}
	rc := C.eg_group_cancel(c.group, ce)
	C.eg_error_release(ce)
	if rc != C.EG_OK {
		panic(statusError("eg_group_cancel", rc))
	}
	if c.bridge.cancel != nil {
		c.bridge.cancel(c.bridge.goError(C.eg_context_cause(c.side.cctx)))
	}
	if c.skipMode {
		c.skipWaiters()
	}
	runtime.KeepAlive(c)
}

func (c *cGroup) resizeLimit(n int) {
	limit := C.int(-1)
	if n >= 0 {
		limit = C.int(min(n, math.MaxInt32))
	}
	switch rc := C.eg_group_resize_limit(c.group, limit); rc {
	case C.EG_OK:
	case C.EG_EBUSY:
		panic(errResizeNoLimit)
	default:
		panic(statusError("eg_group_resize_limit", rc))
	}
}

// fillExtras is migrate's filling of a C group for a group that uses
// extras (e): their settings first (the C library takes them only before
// the first task), then every active function and every error to carry
// over admitted while the C group is neither limited nor canceled (in skip
// mode a canceled group admits nothing), then the cancellation the Go side
// had (the Go context's cause, which the C context takes first), the
// errors in record order, the limit (resized: the C group may have more
// active tasks than the limit), and the parked Go calls in order.
func (g *Group) fillExtras(c *cGroup, e *extras, active uint64, err error, hasErr bool) {
	if e.keepMax != 0 {
		c.keepErrors(e.keepMax)
		c.droppedInGo = e.dropped
	}
	if e.onDone != nil {
		e.cDone = c.onTaskDone(e.onDone)
	}
	if g.state.Load()&stateSkip != 0 {
		c.skipWhenCanceled()
	}
	limit := g.limit.Load()
	if limit != nil {
		c.SetLimit(math.MaxInt32)
	}
	carried := e.kept
	if len(carried) == 0 && hasErr {
		carried = []error{err}
	}
	for n := active + uint64(len(carried)); n > 0; n-- {
		if c.TryAdmit() != admitOK {
			panic("errgroup: CHandle: the new C group refused an admission")
		}
	}
	if g.ctx != nil && g.ctx.Err() != nil {
		c.cancel(context.Cause(g.ctx))
	} else if g.canceled.Load() && !hasErr {
		c.cancel(nil) // Cancel on a group without a context
	}
	for _, err := range carried {
		c.Done(err)
	}
	if limit != nil {
		c.resizeLimit(int(limit.n))
		for _, ch := range limit.queue[limit.head:] {
			c.requeue(ch)
		}
		limit.queue, limit.head = nil, 0
	}
}
