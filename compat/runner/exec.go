// SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// flow is one thread of control of a scenario: main, a caller, a task or an
// after-func callback. Only its own goroutine appends to records while it
// runs; the final report reads them after it finished (or was abandoned).
type flow struct {
	spec      *flowSpec
	mu        sync.Mutex
	records   []string
	claimed   atomic.Bool // handed to go/try-go (a task runs at most once)
	launched  atomic.Bool // go/try-go returned having started it, or start was called
	started   atomic.Bool
	finished  atomic.Bool
	abandoned atomic.Bool
	done      chan struct{}
	goid      atomic.Int64

	// A task started by start-task: its own context and ready function
	// (set before it runs; extras, go-package side only).
	taskCtx     context.Context
	ready       func()
	readyCalled atomic.Bool
}

func (f *flow) record(format string, args ...any) {
	f.mu.Lock()
	f.records = append(f.records, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

type event struct {
	once sync.Once
	ch   chan struct{}
}

type run struct {
	sc      *scenario
	timeout time.Duration
	group   *Group
	ctx     context.Context // the group's context; nil for a zero group
	parent  context.Context
	cancel  context.CancelCauseFunc // cancels the parent, if cancelable

	releaseParent context.CancelFunc // stops a deadline parent's timer

	errs   map[string]error
	flows  map[string]*flow
	events sync.Map // name -> *event

	orderMu sync.Mutex
	order   []string

	afterMu    sync.Mutex
	afterStops map[string]func() bool
	afterState map[string]string // "registered", "stopped"

	// The task-done log (extras: on-task-done), in call order.
	doneMu   sync.Mutex
	doneRecs []string
}

func (r *run) event(name string) *event {
	e, _ := r.events.LoadOrStore(name, &event{ch: make(chan struct{})})
	return e.(*event)
}

func (r *run) errorNamed(name string) error {
	if name == "nil" {
		return nil
	}
	return r.errs[name]
}

// nameOf prints an error by identity, never by text.
func (r *run) nameOf(err error) string {
	if err == nil {
		return "nil"
	}
	if err == context.Canceled {
		return "Canceled"
	}
	if err == context.DeadlineExceeded {
		return "DeadlineExceeded"
	}
	for name, e := range r.errs {
		if e == err {
			return name
		}
	}
	return "unknown(" + strconv.Quote(err.Error()) + ")"
}

func (r *run) ctxErrName(err error) string {
	switch err {
	case nil:
		return "nil"
	case context.Canceled:
		return "canceled"
	case context.DeadlineExceeded:
		return "deadline-exceeded"
	}
	return "unknown(" + strconv.Quote(err.Error()) + ")"
}

func (r *run) describeCtx(ctx context.Context) string {
	return fmt.Sprintf("err=%s cause=%s", r.ctxErrName(ctx.Err()), r.nameOf(context.Cause(ctx)))
}

func runScenario(sc *scenario, timeout time.Duration) []string {
	r := &run{sc: sc, timeout: timeout, errs: map[string]error{}, flows: map[string]*flow{},
		afterStops: map[string]func() bool{}, afterState: map[string]string{}}
	for _, f := range sc.flows {
		r.flows[f.name] = &flow{spec: f, done: make(chan struct{})}
		for _, s := range f.steps {
			for _, a := range s.args {
				if errorVerbs[s.verb] && isErrorName(a) && r.errs[a] == nil {
					r.errs[a] = errors.New(a)
				}
			}
		}
	}
	// Releases the parent's timer once the transcript is taken.
	defer func() {
		if r.releaseParent != nil {
			r.releaseParent()
		}
	}()
	if sc.group == "zero" {
		r.group = new(Group)
	} else {
		switch sc.parent {
		case "background":
			r.parent = context.Background()
		case "cancelable":
			r.parent, r.cancel = context.WithCancelCause(context.Background())
		case "deadline-past":
			r.parent, r.releaseParent = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		case "deadline-soon":
			r.parent, r.releaseParent = context.WithTimeout(context.Background(), 20*time.Millisecond)
		case "deadline-far":
			r.parent, r.releaseParent = context.WithTimeout(context.Background(), time.Hour)
		}
		r.group, r.ctx = WithContext(r.parent)
	}
	if onCGroup {
		moveToCGroup(r.group)
	}

	mainFlow := r.flows["main"]
	mainFlow.launched.Store(true)
	r.runFlow(mainFlow)

	// Wait for everything launched and not abandoned to finish.
	deadline := time.Now().Add(r.timeout)
	for _, spec := range sc.flows {
		f := r.flows[spec.name]
		if spec.kind == kindAfterFunc || !f.launched.Load() || f.abandoned.Load() {
			continue
		}
		select {
		case <-f.done:
		case <-time.After(time.Until(deadline)):
		}
	}
	// After-funcs: one that is registered, not stopped, on a done context
	// must run; wait for it.
	for _, spec := range sc.flows {
		if spec.kind != kindAfterFunc {
			continue
		}
		f := r.flows[spec.name]
		r.afterMu.Lock()
		state := r.afterState[spec.name]
		r.afterMu.Unlock()
		if state == "registered" && r.ctx != nil && r.ctx.Err() != nil {
			select {
			case <-f.done:
			case <-time.After(time.Until(deadline)):
			}
		}
	}
	return r.transcript()
}

func (r *run) transcript() []string {
	lines := []string{"scenario " + r.sc.name}
	// main first, then every other flow in the order of the file.
	specs := []*flowSpec{r.sc.byName["main"]}
	for _, spec := range r.sc.flows {
		if spec.kind != kindMain {
			specs = append(specs, spec)
		}
	}
	for _, spec := range specs {
		f := r.flows[spec.name]
		f.mu.Lock()
		recs := append([]string(nil), f.records...)
		f.mu.Unlock()
		switch {
		case spec.kind == kindTask && !f.started.Load():
			lines = append(lines, spec.name+": never started")
			continue
		case spec.kind == kindCaller && !f.started.Load():
			lines = append(lines, spec.name+": never started")
			continue
		case spec.kind == kindAfterFunc && !f.started.Load():
			lines = append(lines, spec.name+": never ran")
			continue
		}
		for _, rec := range recs {
			lines = append(lines, spec.name+": "+rec)
		}
		if f.abandoned.Load() {
			lines = append(lines, spec.name+": abandoned")
		} else if !f.finished.Load() {
			lines = append(lines, spec.name+": unfinished")
		}
	}
	r.doneMu.Lock()
	for _, rec := range r.doneRecs {
		lines = append(lines, "task-done: "+rec)
	}
	r.doneMu.Unlock()
	r.orderMu.Lock()
	if len(r.order) > 0 {
		lines = append(lines, "order: "+strings.Join(r.order, " "))
	}
	r.orderMu.Unlock()
	return lines
}

func (r *run) runFlow(f *flow) error {
	f.goid.Store(currentGoroutineID())
	f.started.Store(true)
	defer func() {
		f.finished.Store(true)
		close(f.done)
	}()
	if f.spec.kind == kindTask {
		f.record("started")
	}
	for _, s := range f.spec.steps {
		ret, stop := r.step(f, s)
		if stop {
			return ret
		}
	}
	if f.spec.kind == kindTask {
		f.record("return nil")
	}
	return nil
}

func (r *run) taskFunc(t *flow) func() error {
	return func() error { return r.runFlow(t) }
}

// claimTask marks a task as handed to go/try-go; a task runs at most once.
func (r *run) claimTask(f *flow, name string) (*flow, bool) {
	t := r.flows[name]
	if !t.claimed.CompareAndSwap(false, true) {
		f.record("%s: task already used", name)
		return nil, false
	}
	return t, true
}

func (r *run) waitChan(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(r.timeout):
		return false
	}
}

// step runs one step; stop is true when the flow ends (return or timeout).
func (r *run) step(f *flow, s step) (ret error, stop bool) {
	arg := func(i int) string { return s.args[i] }
	switch s.verb {
	case "go":
		t, ok := r.claimTask(f, arg(0))
		if !ok {
			return nil, false
		}
		r.group.Go(r.taskFunc(t))
		t.launched.Store(true)
		f.record("go %s", t.spec.name)
	case "try-go":
		t, ok := r.claimTask(f, arg(0))
		if !ok {
			return nil, false
		}
		started := r.group.TryGo(r.taskFunc(t))
		if started {
			t.launched.Store(true)
		} else {
			t.claimed.Store(false)
		}
		f.record("try-go %s -> %t", t.spec.name, started)
	case "wait":
		err := r.group.Wait()
		if r.ctx == nil {
			f.record("wait err=%s", r.nameOf(err))
		} else {
			same := "no"
			if context.Cause(r.ctx) == err {
				same = "yes"
			}
			f.record("wait err=%s same-as-cause=%s", r.nameOf(err), same)
		}
	case "limit":
		n, _ := strconv.Atoi(arg(0))
		f.record("limit %d -> %s", n, r.setLimit(n))
	case "signal":
		e := r.event(arg(0))
		e.once.Do(func() { close(e.ch) })
	case "wait-for":
		if !r.waitChan(r.event(arg(0)).ch) {
			f.record("wait-for %s: TIMEOUT", arg(0))
			return nil, true
		}
	case "wait-ctx-done":
		if r.ctx == nil {
			f.record("wait-ctx-done: no context")
		} else if !r.waitChan(r.ctx.Done()) {
			f.record("wait-ctx-done: TIMEOUT")
			return nil, true
		}
	case "ctx":
		if r.ctx == nil {
			f.record("ctx none")
		} else {
			f.record("ctx %s", r.describeCtx(r.ctx))
		}
	case "parent":
		if r.parent == nil {
			f.record("parent none")
		} else {
			f.record("parent %s", r.describeCtx(r.parent))
		}
	case "deadline":
		if r.ctx == nil {
			f.record("deadline none")
		} else {
			d, ok := r.ctx.Deadline()
			pd, pok := r.parent.Deadline()
			switch {
			case !ok && !pok:
				f.record("deadline none")
			case ok && pok && d.Equal(pd):
				f.record("deadline same-as-parent")
			default:
				f.record("deadline differs")
			}
		}
	case "cancel-parent":
		if r.cancel == nil {
			f.record("cancel-parent: parent is not cancelable")
		} else if len(s.args) == 0 {
			r.cancel(nil)
		} else {
			r.cancel(r.errorNamed(arg(0)))
		}
	case "log":
		r.orderMu.Lock()
		r.order = append(r.order, arg(0))
		r.orderMu.Unlock()
	case "start":
		c := r.flows[arg(0)]
		if !c.launched.CompareAndSwap(false, true) {
			f.record("start %s: already started", arg(0))
			return nil, false
		}
		go r.runFlow(c)
	case "join":
		if !r.waitChan(r.flows[arg(0)].done) {
			f.record("join %s: TIMEOUT", arg(0))
			return nil, true
		}
	case "expect-blocked":
		if r.waitBlockedInGo(r.flows[arg(0)]) {
			f.record("%s blocked in go", arg(0))
		} else {
			f.record("expect-blocked %s: TIMEOUT", arg(0))
			return nil, true
		}
	case "abandon":
		r.flows[arg(0)].abandoned.Store(true)
	case "after-func":
		name := arg(0)
		if r.ctx == nil {
			f.record("after-func %s: no context", name)
			return nil, false
		}
		af := r.flows[name]
		if !af.launched.CompareAndSwap(false, true) {
			f.record("after-func %s: already registered", name)
			return nil, false
		}
		r.afterMu.Lock()
		r.afterState[name] = "registered"
		r.afterStops[name] = context.AfterFunc(r.ctx, func() {
			af.goid.Store(currentGoroutineID())
			af.started.Store(true)
			af.record("ran ctx %s", r.describeCtx(r.ctx))
			af.finished.Store(true)
			close(af.done)
			e := r.event(name)
			e.once.Do(func() { close(e.ch) })
		})
		r.afterMu.Unlock()
	case "after-func-stop":
		name := arg(0)
		r.afterMu.Lock()
		stopFn := r.afterStops[name]
		r.afterMu.Unlock()
		if stopFn == nil {
			f.record("after-func-stop %s: not registered", name)
			return nil, false
		}
		if stopFn() {
			r.afterMu.Lock()
			r.afterState[name] = "stopped"
			r.afterMu.Unlock()
			f.record("after-func-stop %s -> stopped", name)
		} else {
			f.record("after-func-stop %s -> not-stopped", name)
		}
	case "freeze", "thaw", "settle":
		// Scheduling hooks of the C runner (see compat/README.md); the
		// correct outcome never depends on them, so Go runs them as no-ops.
	case "return":
		f.record("return %s", arg(0))
		return r.errorNamed(arg(0)), true
	default:
		// The extras steps: impl_liberrgroup_extras.go; the reference
		// build has none (its parser refuses scenarios that use them).
		if ret, stop, ok := r.extrasStep(f, s); ok {
			return ret, stop
		}
		f.record("internal: unknown step %s", s.verb)
	}
	return nil, false
}

// setLimit calls SetLimit and turns its documented panic into text.
func (r *run) setLimit(n int) (result string) {
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); ok {
				result = "refused: " + err.Error()
			} else {
				result = fmt.Sprintf("refused with a non-error panic: %v", p)
			}
		}
	}()
	r.group.SetLimit(n)
	return "ok"
}

func currentGoroutineID() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	fields := strings.Fields(string(buf[:n]))
	if len(fields) < 2 {
		return 0
	}
	id, _ := strconv.ParseInt(fields[1], 10, 64)
	return id
}

// Goroutine states that mean "parked, waiting for something". A blocked Go
// call of the reference parks in "chan send"; a cgo-backed package shows
// "syscall" while it sleeps in C (it cannot be told apart from a running C
// call, so it is accepted for the liberrgroup build only).
func blockedState(state string) bool {
	for _, s := range []string{"chan send", "chan receive", "select", "semacquire", "sync.Mutex.Lock", "sync.RWMutex", "sync.Cond.Wait", "sync.WaitGroup.Wait"} {
		if strings.HasPrefix(state, s) {
			return true
		}
	}
	return implName == "liberrgroup" && strings.HasPrefix(state, "syscall")
}

// blockedInGo reports whether goroutine id is parked inside (*Group).Go (or
// one of blockingMethods).
func blockedInGo(id int64) bool {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	header := []byte(fmt.Sprintf("goroutine %d [", id))
	i := bytes.Index(buf, header)
	if i < 0 {
		return false
	}
	rest := buf[i+len(header):]
	end := bytes.Index(rest, []byte("\n\n"))
	if end >= 0 {
		rest = rest[:end]
	}
	closeBracket := bytes.IndexByte(rest, ']')
	if closeBracket < 0 {
		return false
	}
	state := string(rest[:closeBracket])
	if !blockedState(state) {
		return false
	}
	for _, m := range blockingMethods {
		if bytes.Contains(rest, []byte(m)) {
			return true
		}
	}
	return false
}

// The methods a flow blocks in at the limit (the extras add theirs).
var blockingMethods = []string{"errgroup.(*Group).Go("}

// waitBlockedInGo polls, without guessing at time, until f's goroutine is
// parked inside Group.Go; it gives up loudly after the scenario timeout.
func (r *run) waitBlockedInGo(f *flow) bool {
	deadline := time.Now().Add(r.timeout)
	for time.Now().Before(deadline) {
		if id := f.goid.Load(); id != 0 && !f.finished.Load() && blockedInGo(id) {
			return true
		}
		time.Sleep(50 * time.Microsecond) // polling interval, not ordering
	}
	return false
}
