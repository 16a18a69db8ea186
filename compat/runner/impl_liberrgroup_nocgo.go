// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup && !cgo

package main

// Without cgo there is no C group (no CHandle): EG_COMPAT_C_GROUP=1 is refused.
const hasCGroup = false

func moveToCGroup(*Group) {}
