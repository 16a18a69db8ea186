// SPDX-License-Identifier: BSD-3-Clause

package core

import (
	"sync"
	"testing"
)

// TestStartRacingWithSetWorkers: a Start that races with SetWorkers (kratos
// allows Go and GOMAXPROCS from any goroutine at once) either runs before
// worker mode, which SetWorkers then refuses, or goes through worker mode.
// It used to read "no worker mode", then admit the function outside worker
// mode after SetWorkers had set it, so that the function's end gave back a
// worker it never had: running went to -1 and the group then ran n+1
// functions at once.
func TestStartRacingWithSetWorkers(t *testing.T) {
	for iter := 0; iter < 20000; iter++ {
		g := New()
		start, done := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			g.Start(func() { g.Done(nil); close(done) })
		}()
		go func() { defer wg.Done(); <-start; _ = g.SetWorkers(1) }()
		close(start)
		wg.Wait()
		<-done
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		g.mu.Lock()
		running := 0
		if g.workerMode() != nil {
			running = g.workerMode().running
		}
		g.mu.Unlock()
		if running != 0 {
			t.Fatalf("iteration %d: %d workers running after the group's only function returned", iter, running)
		}
	}
}
