// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package errgroup

import "unsafe"

// CHandle returns the group's C group (an eg_group *) for C code called
// through cgo. The zero Group makes it on first use.
//
// C code may start C tasks on it with eg_group_go and eg_group_try_go, and
// may call eg_group_wait on it; it must not free it. C tasks count as
// goroutines of the group: they take slots of the limit, Wait waits for
// them, the first of their errors to be recorded is returned by Wait as a
// *CError, and it cancels the context made by WithContext. C tasks receive
// the group's C context, which is canceled when the Go context is (by a Go
// function's error, whose text is the C error's message, by Wait, or by the
// parent context). The handle stays valid while the Group is reachable and
// while C tasks started on it run: keep the Group alive
// (runtime.KeepAlive) until C code no longer uses the handle.
func (g *Group) CHandle() unsafe.Pointer {
	return g.load().CHandle(newCError)
}
