// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo && go1.24

package core

import "weak"

// taskDoneRef is what the task-done callback's cgo handle holds: a weak
// pointer, so that a callback that references its Group does not keep the
// Group (and its C group) alive through the handle table; the cGroup holds
// the taskDoneWatch itself.
type taskDoneRef = weak.Pointer[taskDoneWatch]

func makeTaskDoneRef(w *taskDoneWatch) taskDoneRef { return weak.Make(w) }

// watch returns the watch, nil once its cGroup has been collected (a C task
// that outlived its Group: its end is not reported).
func watchOf(r taskDoneRef) *taskDoneWatch { return r.Value() }
