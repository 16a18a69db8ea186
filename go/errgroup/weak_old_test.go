// SPDX-License-Identifier: BSD-3-Clause

//go:build !go1.24

package errgroup

import "testing"

const weakTaskDone = false

// checkExtrasNoLeaks checks nothing before Go 1.24: without weak pointers a
// group shared with C that uses the extras keeps a strong handle for its C
// task-done callback and is never collected (a documented limitation).
func checkExtrasNoLeaks(t *testing.T) {}
