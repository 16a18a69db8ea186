// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup && cgo

package main

// With cgo a Group can be moved onto its C group (CHandle).
const hasCGroup = true

// moveToCGroup moves g onto its C group for good (EG_COMPAT_C_GROUP=1): from
// then on every call of g is the C library's.
func moveToCGroup(g *Group) { g.CHandle() }
