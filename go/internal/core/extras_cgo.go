// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package core

// The extras on a migrated group: each calls the C library's function of
// the same feature (include/errgroup.h, "Beyond the reference").

import (
	"time"
)

// missing panics for an extra whose C function this build lacks.
func missing(extra string) {
	panic("errgroup: " + extra + " on a group shared with C (CHandle) needs a C function this build of liberrgroup lacks")
}

func (c *cGroup) checkSkip() bool               { missing("SkipWhenCanceled"); return false }
func (c *cGroup) keepErrors(max int)            { missing("KeepErrors") }
func (c *cGroup) errors() ([]error, int)        { missing("Errors"); return nil, 0 }
func (c *cGroup) skipWhenCanceled()             { missing("SkipWhenCanceled") }
func (c *cGroup) canceled() bool                { missing("Canceled"); return false }
func (c *cGroup) skipped() int64                { missing("Skipped"); return 0 }
func (c *cGroup) onTaskDone(f func(TaskResult)) { missing("OnTaskDone") }
func (c *cGroup) waitTimeout(d time.Duration) (error, bool) {
	missing("WaitTimeout")
	return nil, false
}
func (c *cGroup) idle() bool         { missing("Idle"); return false }
func (c *cGroup) cancel(cause error) { missing("Cancel") }
func (c *cGroup) resizeLimit(n int)  { missing("ResizeLimit") }
