// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package core

import "runtime/cgo"

func newHandle(v any) cgo.Handle {
	liveHandles.Add(1)
	return cgo.NewHandle(v)
}

func deleteHandle(h cgo.Handle) {
	h.Delete()
	liveHandles.Add(-1)
}
