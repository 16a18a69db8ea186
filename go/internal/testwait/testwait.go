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
// garbage, no C group and no cgo handle may be left.
func CheckNoLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		Eventually(t, "garbage groups to release their C side and handles", func() bool {
			runtime.GC()
			return core.LiveCGroups() == 0 && core.LiveHandles() == 0
		})
	})
}
