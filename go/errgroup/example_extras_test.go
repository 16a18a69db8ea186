// SPDX-License-Identifier: BSD-3-Clause

package errgroup_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

// Each function's result as it ends, through a channel of the caller's
// own: OnTaskDone's callback sends to it (the buffer holds every result,
// so no function's end waits for the reader).
func ExampleGroup_OnTaskDone() {
	const tasks = 3
	results := make(chan errgroup.TaskResult, tasks)
	var g errgroup.Group
	g.OnTaskDone(func(r errgroup.TaskResult) { results <- r })
	for i := range tasks {
		g.Go(func() error {
			if i == 1 {
				return errors.New("task 1 failed")
			}
			return nil
		})
	}
	failed := 0
	for range tasks {
		if r := <-results; r.Err != nil {
			failed++
		}
	}
	fmt.Println(failed, "failed;", g.Wait())
	// Output: 1 failed; task 1 failed
}

// Every error, not only the first, as one errors.Join-compatible error.
func ExampleGroup_KeepErrors() {
	var g errgroup.Group
	g.KeepErrors(10)
	g.SetLimit(1) // one at a time: the errors come in the order of Go
	for _, name := range []string{"a", "b"} {
		g.Go(func() error { return fmt.Errorf("%s failed", name) })
	}
	fmt.Println("Wait:", g.Wait())
	fmt.Println(g.Errors())
	// Output:
	// Wait: a failed
	// a failed
	// b failed
}

// Start returns once the function says it is ready.
func ExampleGroup_Start() {
	g, ctx := errgroup.WithContext(context.Background())
	err := g.Start(func(_ context.Context, ready func()) error {
		fmt.Println("listening")
		ready()
		<-ctx.Done()
		return nil
	})
	fmt.Println("started:", err)
	g.Cancel(nil)
	fmt.Println("Wait:", g.Wait())
	// Output:
	// listening
	// started: <nil>
	// Wait: <nil>
}
