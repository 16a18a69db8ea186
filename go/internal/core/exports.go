// SPDX-License-Identifier: BSD-3-Clause

package core

// The Go functions the C library calls back, through the trampolines of
// bridge.c. Each receives a cgo.Handle as a uintptr_t. A file with //export
// may only declare things in its preamble.

/*
#include "bridge.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// egGoReleasePayload is the payload release function of every C error that
// wraps a Go error: the C library calls it once, when the last reference to
// the error goes, on whichever thread drops it. It deletes the handle.
//
//export egGoReleasePayload
func egGoReleasePayload(handle C.uintptr_t) {
	deleteHandle(cgo.Handle(handle))
}

// egGoAdmitted is called once by the C library when a Go call that was
// queued at the limit, or a function queued in a worker-mode group, has been
// admitted (counted active). It must not block: it sends to the parker the
// caller waits on, or starts the queued function's goroutine.
//
//export egGoAdmitted
func egGoAdmitted(handle C.uintptr_t) {
	admitted(cgo.Handle(handle))
}

// egGoWaitDone is called once by the C library when an asynchronous wait
// completes; err is the group's first error, borrowed for this call only, so
// it is retained for the waiting goroutine, which releases it. It sends it to
// the parker the waiting goroutine waits on.
//
//export egGoWaitDone
func egGoWaitDone(handle C.uintptr_t, err *C.eg_error) {
	notify(cgo.Handle(handle), C.eg_error_retain(err))
}

// egGoTaskDone is the C group's task-done callback (OnTaskDone on a
// migrated group): once for each C task that ended or that skip mode did
// not start, on the thread that ran or skipped it. err is borrowed for the
// call.
//
//export egGoTaskDone
func egGoTaskDone(handle C.uintptr_t, taskArg unsafe.Pointer, status C.int, err *C.eg_error) {
	watch := watchOf(cgo.Handle(handle).Value().(taskDoneRef))
	if watch == nil {
		return // the Group is gone
	}
	watch.f(TaskResult{
		Err:     watch.bridge.goError(err),
		Skipped: status == C.EG_ESKIPPED,
		CTask:   true,
		CArg:    taskArg,
	})
}

// egGoContextDone is called once, on a pool thread, after the C context of a
// group made by WithContext is done. It cancels the Go context with the Go
// error that corresponds to the C context's cause, then deletes the handle.
//
//export egGoContextDone
func egGoContextDone(handle C.uintptr_t) {
	h := cgo.Handle(handle)
	watch := h.Value().(*contextWatch)
	deleteHandle(h)
	watch.bridge.cancel(watch.bridge.goError(C.eg_context_cause(watch.cctx)))
}
