// SPDX-License-Identifier: BSD-3-Clause

// Package testwait holds the waiting helpers the Go packages' tests share:
// every wait is bounded, so a broken test fails instead of hanging.
package testwait

import (
	"runtime"
	"testing"
	"time"

	"github.com/liberrgroup/liberrgroup/go/internal/core"
)

// Timeout bounds every wait of the tests.
const Timeout = time.Minute

// Eventually polls cond until it holds, failing the test after Timeout.
func Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// Receive fails the test if ch yields nothing within Timeout.
func Receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Timeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// CheckNoLeaks registers a cleanup: once every group of the test is
// garbage, no more C groups and cgo handles are live than when the test
// called it. The check is against that count, not zero: before Go 1.24 a
// group shared with C that uses the extras is never collected (the
// documented limitation), and earlier tests' such groups stay live.
func CheckNoLeaks(t *testing.T) {
	t.Helper()
	groups, handles := core.LiveCGroups(), core.LiveHandles()
	t.Cleanup(func() {
		Eventually(t, "garbage groups to release their C side and handles", func() bool {
			runtime.GC()
			return core.LiveCGroups() <= groups && core.LiveHandles() <= handles
		})
	})
}

// CGroupsReleasedTo waits until no more than n C groups are live.
func CGroupsReleasedTo(t *testing.T, what string, n int64) {
	t.Helper()
	Eventually(t, what, func() bool { runtime.GC(); return core.LiveCGroups() <= n })
}
