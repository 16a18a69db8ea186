// SPDX-License-Identifier: BSD-3-Clause

// Package ctest is the C side of the tests of package errgroup: C tasks
// started on a Go group's C handle, as C code called through cgo would
// start them, and a C latch to hold them. (Test files cannot use cgo.)
package ctest

/*
#include <stdlib.h>
#include "ctest.h"
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// Status codes of the C library that the tests compare with.
const (
	ECanceled         = int(C.EG_ECANCELED)
	EDeadlineExceeded = int(C.EG_EDEADLINE_EXCEEDED)
)

// Latch is a C context that C tasks wait on until Open cancels it.
type Latch struct{ ctx *C.eg_context }

// NewLatch makes a closed latch.
func NewLatch() *Latch {
	l := &Latch{}
	if rc := C.eg_context_with_cancel(C.eg_context_background(), &l.ctx); rc != 0 {
		panic(fmt.Sprintf("eg_context_with_cancel: %d", rc))
	}
	return l
}

// Open lets the tasks waiting on the latch go.
func (l *Latch) Open() { C.eg_context_cancel(l.ctx, nil) }

// Free gives the latch back; tasks must not wait on it any more.
func (l *Latch) Free() { C.eg_context_release(l.ctx) }

// Spec says what a C task does, in order: wait for Latch (if any), wait
// until the group's context is done (if WaitForCancel), record what the
// context says, then return an error with FailCode and FailMessage if
// FailCode is not 0, else NULL. Every wait fails after a minute instead of
// hanging.
type Spec struct {
	Latch         *Latch
	WaitForCancel bool
	FailCode      int
	FailMessage   string
}

// Task is one C task; read Observed after the group's Wait returned.
type Task struct{ c *C.ctest_task }

// Observed is what a C task saw in its context before returning.
type Observed struct {
	TimedOut     bool
	CtxErr       int    // eg_context_err: 0, ECanceled or EDeadlineExceeded
	CauseCode    int    // eg_error_code of eg_context_cause, 0 if none
	CauseMessage string // eg_error_message of eg_context_cause
}

func newTask(spec Spec) *Task {
	t := &Task{c: C.ctest_task_new()}
	if spec.Latch != nil {
		t.c.latch = spec.Latch.ctx
	}
	if spec.WaitForCancel {
		t.c.wait_for_cancel = 1
	}
	t.c.timeout_ns = C.int64_t(time.Minute)
	t.c.fail_code = C.int(spec.FailCode)
	message := C.CString(spec.FailMessage)
	defer C.free(unsafe.Pointer(message))
	C.ctest_set_fail_message(t.c, message)
	return t
}

// Go starts a C task with eg_group_go on the C group handle.
func Go(handle unsafe.Pointer, spec Spec) *Task {
	t := newTask(spec)
	if rc := C.ctest_go(handle, t.c); rc != 0 {
		panic(fmt.Sprintf("eg_group_go: %d", rc))
	}
	return t
}

// TryGo starts a C task with eg_group_try_go; nil if it was not started.
func TryGo(handle unsafe.Pointer, spec Spec) *Task {
	t := newTask(spec)
	switch rc := C.ctest_try_go(handle, t.c); rc {
	case 1:
		return t
	case 0:
		t.Free()
		return nil
	default:
		panic(fmt.Sprintf("eg_group_try_go: %d", rc))
	}
}

// Observed returns what the task recorded.
func (t *Task) Observed() Observed {
	return Observed{
		TimedOut:     t.c.timed_out != 0,
		CtxErr:       int(t.c.ctx_err),
		CauseCode:    int(t.c.cause_code),
		CauseMessage: C.GoString(&t.c.cause_message[0]),
	}
}

// Free gives the task's memory back, once it has returned.
func (t *Task) Free() { C.ctest_task_free(t.c) }

// Wait calls eg_group_wait from C and returns the first error's code and
// message (0 and "" for none).
func Wait(handle unsafe.Pointer) (code int, message string) {
	buf := (*C.char)(C.malloc(512))
	defer C.free(unsafe.Pointer(buf))
	code = int(C.ctest_wait(handle, buf, 512))
	return code, C.GoString(buf)
}

// Arg is the task's arg as eg_group_go received it.
func (t *Task) Arg() unsafe.Pointer { return unsafe.Pointer(t.c) }
