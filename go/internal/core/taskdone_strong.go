// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo && !go1.24

package core

// taskDoneRef is what the task-done callback's cgo handle holds. Before Go
// 1.24 (no weak pointers) it is the watch itself: a Group shared with C
// whose OnTaskDone callback references the Group is then not collected.
type taskDoneRef = *taskDoneWatch

func makeTaskDoneRef(w *taskDoneWatch) taskDoneRef { return w }

func watchOf(r taskDoneRef) *taskDoneWatch { return r }
