// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package core

import "unsafe"

// migrate moves the group onto a C group, once, and returns it; newCError
// makes the Go form of errors made by C code (C tasks started on the C
// handle).
func (g *Group) migrate(newCError CErrorFunc) *cGroup {
	if g.state.Load()&stateC != 0 {
		return g.c.(*cGroup)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state.Load()&stateC != 0 {
		return g.c.(*cGroup)
	}
	if g.workerMode() != nil {
		// No package offers both (go/kratos/errgroup has no CHandle).
		panic("core: a group in worker mode has no C group")
	}
	var c *cGroup
	if g.cancel != nil {
		c = newCGroupWithContext(g.parent, g.cancel, newCError)
	} else {
		c = newCGroup(newCError)
	}
	c.goCtx = g.ctx
	// stateMoving freezes the count and sends every call outside mu to
	// wait for mu: the C group is filled before stateC lets calls reach it.
	g.errMu.Lock()
	s := g.update(func(s uint64) uint64 { return s | stateMoving })
	err, hasErr, waited, errAfterWait := g.err, g.hasErr, g.waited, g.errAfterWait
	g.errMu.Unlock()
	if e := g.ext.Load(); e != nil {
		g.fillExtras(c, e, s&stateCount, err, hasErr)
		return g.moved(c, s)
	}
	// The C group is empty and unlimited until SetLimit below. The first
	// error and a finished Wait in the order they came (the first cancels
	// the C context: with the error as cause, or context.Canceled, as it
	// did the Go context), then the limit, the active functions (at most
	// the limit: a limit is set only while none is active) and the parked
	// Go calls, oldest first.
	if waited && errAfterWait {
		c.Wait()
	}
	if hasErr {
		c.TryAdmit()
		c.Done(err)
	}
	if waited && !errAfterWait {
		c.Wait()
	}
	limit := g.limit.Load()
	if limit != nil {
		c.SetLimit(int(limit.n))
	}
	for n := s & stateCount; n > 0; n-- {
		c.TryAdmit()
	}
	if limit != nil {
		for _, ch := range limit.queue[limit.head:] {
			c.requeue(ch)
		}
		limit.queue, limit.head = nil, 0
	}
	return g.moved(c, s)
}

// moved ends migrate once c is filled: from now on every call goes to c.
// s is the state migrate froze.
func (g *Group) moved(c *cGroup, s uint64) *cGroup {
	g.c = c // before stateC: whoever sees the bit finds c
	g.update(func(s uint64) uint64 { return (s &^ stateMoving) | stateC })
	if s&stateWaiters != 0 { // parked Waits wait on the C group instead
		g.rounds++
		g.woken.Broadcast()
	}
	return c
}

// CHandle returns the C group (an eg_group *) for C code, moving the group
// onto it first; for a group made by NewWithContext it also links the two
// sides' cancellations (once). newCError makes the Go form of errors made
// by C code; the first CHandle's is kept.
func (g *Group) CHandle(newCError CErrorFunc) unsafe.Pointer {
	return g.migrate(newCError).CHandle()
}
