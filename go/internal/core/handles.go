package core

import (
	"runtime/cgo"
	"sync/atomic"
)

// liveHandles counts the cgo handles this package has made and not yet
// deleted; the tests check that it comes back to zero.
var liveHandles atomic.Int64

func newHandle(v any) cgo.Handle {
	liveHandles.Add(1)
	return cgo.NewHandle(v)
}

func deleteHandle(h cgo.Handle) {
	h.Delete()
	liveHandles.Add(-1)
}
