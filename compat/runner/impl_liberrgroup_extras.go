// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup

package main

// The extras steps (compat/README.md, "Extras") on the Go package: the
// methods of liberrgroup's Group that the reference has no counterpart of.
// The reference build has none of this (impl_reference.go).

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

func init() {
	blockingMethods = append(blockingMethods, "errgroup.(*Group).GoOrSkip(", "errgroup.(*Group).Start(")
}

// refusal runs call and reports "ok", or "refused" if it panicked (the Go
// package refuses a misuse with a panic where C returns an error code; the
// transcript names neither text).
func refusal(call func()) (result string) {
	defer func() {
		if recover() != nil {
			result = "refused"
		}
	}()
	call()
	return "ok"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// waitResult prints a wait's error as the wait step does.
func (r *run) waitResult(err error) string {
	if r.ctx == nil {
		return "err=" + r.nameOf(err)
	}
	return fmt.Sprintf("err=%s same-as-cause=%s", r.nameOf(err), yesNo(context.Cause(r.ctx) == err))
}

// flowOfGoroutine finds the task running on goroutine id (OnTaskDone's
// callback runs on the goroutine that ran the function).
func (r *run) flowOfGoroutine(id int64) *flow {
	for _, spec := range r.sc.flows {
		if f := r.flows[spec.name]; spec.kind == kindTask && f.started.Load() && f.goid.Load() == id {
			return f
		}
	}
	return nil
}

// onTaskDone is the task-done log's callback.
func (r *run) onTaskDone(res errgroup.TaskResult) {
	var line, name string
	switch t := r.flowOfGoroutine(currentGoroutineID()); {
	case res.Skipped || res.CTask:
		line = fmt.Sprintf("unexpected result skipped=%t c-task=%t", res.Skipped, res.CTask)
	case t == nil:
		line = "unknown task err=" + r.nameOf(res.Err)
	default:
		name = t.spec.name
		line = fmt.Sprintf("%s err=%s idle=%s", name, r.nameOf(res.Err), yesNo(r.group.Idle()))
	}
	r.doneMu.Lock()
	r.doneRecs = append(r.doneRecs, line)
	r.doneMu.Unlock()
	if name != "" {
		e := r.event("done-" + name)
		e.once.Do(func() { close(e.ch) })
	}
}

// startedTaskFunc is the function Start runs for task t: it gets the task
// its own context and ready function.
func (r *run) startedTaskFunc(t *flow) func(context.Context, func()) error {
	return func(ctx context.Context, ready func()) error {
		t.taskCtx = ctx
		t.ready = func() {
			t.readyCalled.Store(true)
			ready()
		}
		return r.runFlow(t)
	}
}

// extrasStep runs one extras step; ok is false for a verb it does not know.
func (r *run) extrasStep(f *flow, s step) (ret error, stop, ok bool) {
	arg := func(i int) string { return s.args[i] }
	switch s.verb {
	case "cancel":
		if len(s.args) == 0 {
			r.group.Cancel(nil)
			f.record("cancel")
		} else {
			r.group.Cancel(r.errorNamed(arg(0)))
			f.record("cancel %s", arg(0))
		}
	case "canceled":
		f.record("canceled %s", yesNo(r.group.Canceled()))
	case "idle":
		f.record("idle %s", yesNo(r.group.Idle()))
	case "wait-timeout":
		d := r.timeout
		if arg(0) != "long" {
			ms, _ := strconv.Atoi(arg(0))
			d = time.Duration(ms) * time.Millisecond
			if ms < 0 {
				d = -1
			}
		}
		err, done := r.group.WaitTimeout(d)
		switch {
		case done:
			f.record("wait-timeout %s -> %s", arg(0), r.waitResult(err))
		case arg(0) == "long":
			f.record("wait-timeout long: TIMEOUT")
			return nil, true, true
		default:
			f.record("wait-timeout %s -> timed-out", arg(0))
		}
	case "keep-errors":
		n, _ := strconv.Atoi(arg(0))
		f.record("keep-errors %d -> %s", n, refusal(func() { r.group.KeepErrors(n) }))
	case "errors":
		var names []string
		if err := r.group.Errors(); err != nil {
			if u, isJoin := err.(interface{ Unwrap() []error }); isJoin {
				for _, e := range u.Unwrap() {
					names = append(names, r.nameOf(e))
				}
			} else {
				names = append(names, "not-joined:"+r.nameOf(err))
			}
		}
		f.record("errors [%s] dropped=%d", strings.Join(names, " "), r.group.DroppedErrors())
	case "skip-when-canceled":
		f.record("skip-when-canceled -> %s", refusal(r.group.SkipWhenCanceled))
	case "go-or-skip":
		t, claimed := r.claimTask(f, arg(0))
		if !claimed {
			break
		}
		if r.group.GoOrSkip(r.taskFunc(t)) {
			t.launched.Store(true)
			f.record("go-or-skip %s -> started", arg(0))
		} else {
			f.record("go-or-skip %s -> skipped", arg(0))
		}
	case "try-go-or-skip":
		// TryGo reports false for both a full limit and a skip: Skipped
		// tells them apart (the scenario forces which one it is).
		t, claimed := r.claimTask(f, arg(0))
		if !claimed {
			break
		}
		before := r.group.Skipped()
		switch {
		case r.group.TryGo(r.taskFunc(t)):
			t.launched.Store(true)
			f.record("try-go-or-skip %s -> true", arg(0))
		case r.group.Skipped() > before:
			f.record("try-go-or-skip %s -> skipped", arg(0))
		default:
			t.claimed.Store(false)
			f.record("try-go-or-skip %s -> false", arg(0))
		}
	case "skipped":
		f.record("skipped %d", r.group.Skipped())
	case "on-task-done":
		f.record("on-task-done -> %s", refusal(func() { r.group.OnTaskDone(r.onTaskDone) }))
	case "start-task":
		t, claimed := r.claimTask(f, arg(0))
		if !claimed {
			break
		}
		t.launched.Store(true)
		err := r.group.Start(r.startedTaskFunc(t))
		switch {
		case errors.Is(err, errgroup.ErrSkipped) && !t.started.Load():
			t.launched.Store(false)
			f.record("start-task %s -> skipped", arg(0))
		case err == nil && t.readyCalled.Load():
			f.record("start-task %s -> ready", arg(0))
		default:
			// Start returns nil both once ready and when f returned nil
			// first: the ready wrapper's flag tells them apart.
			f.record("start-task %s -> returned err=%s", arg(0), r.nameOf(err))
		}
	case "ready":
		if f.ready == nil {
			f.record("ready: not a started task")
		} else {
			f.ready()
			f.record("ready")
		}
	case "task-ctx":
		switch ctx := r.taskContext(f); ctx {
		case nil:
			f.record("task-ctx none")
		default:
			f.record("task-ctx %s", r.describeCtx(ctx))
		}
	case "wait-task-ctx-done":
		if ctx := r.taskContext(f); ctx == nil {
			f.record("wait-task-ctx-done: no context")
		} else if !r.waitChan(ctx.Done()) {
			f.record("wait-task-ctx-done: TIMEOUT")
			return nil, true, true
		}
	case "resize-limit":
		n, _ := strconv.Atoi(arg(0))
		f.record("resize-limit %d -> %s", n, refusal(func() { r.group.ResizeLimit(n) }))
	default:
		return nil, false, false
	}
	return nil, false, true
}

// taskContext is the context task f received: its own for a task of
// start-task, the group's (nil for a zero group) for one of go.
func (r *run) taskContext(f *flow) context.Context {
	if f.taskCtx != nil {
		return f.taskCtx
	}
	return r.ctx
}
