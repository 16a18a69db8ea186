// SPDX-License-Identifier: BSD-3-Clause

// Command prog runs one race-detector case (racecheck_test.go) on the
// errgroup package it was built with: the reference, or with
// -tags liberrgroup this repository's go/errgroup. Built with -race; the
// test reads whether the detector reported a race.
//
// Usage: prog CASE
//
// In the cases, a task that must run after another is delayed with
// time.Sleep, which orders nothing for the detector: whatever the detector
// sees as ordered, it sees through the errgroup calls. Task A waits until
// both tasks are started (a channel closed by main): otherwise A could end
// before main's second Go, which on this package orders A's write before B
// (see go/errgroup's package documentation).
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"
)

// pause is long enough for the other task to be done with its access.
const pause = 50 * time.Millisecond

var x int // the variable the cases race on (or not)

func nothing() error { return nil }

var cases = map[string]func(){
	// Task A writes x; task B, started before A ends, reads it later. No
	// errgroup call in B between the two: a race on every implementation.
	"two-tasks": func() {
		var g Group
		started := make(chan struct{})
		g.Go(func() error { <-started; x = 1; return nil })
		g.Go(func() error { time.Sleep(pause); _ = x; return nil })
		close(started)
		_ = g.Wait()
	},
	// The same, but B starts a nested Go before reading x.
	"nested-go-between": func() {
		var g Group
		started := make(chan struct{})
		g.Go(func() error { <-started; x = 1; return nil })
		g.Go(func() error { time.Sleep(pause); g.Go(nothing); _ = x; return nil })
		close(started)
		_ = g.Wait()
	},
	// Task A ends, then main starts task B, which reads x: main's Go comes
	// after A's end in time only.
	"go-after-end": func() {
		var g Group
		g.Go(func() error { x = 1; return nil })
		time.Sleep(pause)
		g.Go(func() error { _ = x; return nil })
		_ = g.Wait()
	},
	// The same with TryGo.
	"nested-trygo-between": func() {
		var g Group
		started := make(chan struct{})
		g.Go(func() error { <-started; x = 1; return nil })
		g.Go(func() error { time.Sleep(pause); g.TryGo(nothing); _ = x; return nil })
		close(started)
		_ = g.Wait()
	},
	// A writes x and then starts a nested Go; B, running at the same time
	// and not started by A, starts a nested Go later and then reads x. No
	// function ended in between: the two Go calls alone order A's write
	// before B's read on this package (both update the group's count with
	// sync/atomic); the reference's Go (WaitGroup.Add) orders nothing.
	"two-nested-gos": func() {
		var g Group
		started := make(chan struct{})
		hold := make(chan struct{})
		g.Go(func() error { <-started; x = 1; g.Go(func() error { <-hold; return nil }); <-hold; return nil })
		g.Go(func() error { time.Sleep(pause); g.Go(nothing); _ = x; close(hold); return nil })
		close(started)
		_ = g.Wait()
	},
	// A's write, then B's nested Go on another, unrelated group, then B's
	// read.
	"other-group-between": func() {
		var g, other Group
		started := make(chan struct{})
		g.Go(func() error { <-started; x = 1; return nil })
		g.Go(func() error { time.Sleep(pause); other.Go(nothing); _ = x; return nil })
		close(started)
		_ = g.Wait()
		_ = other.Wait()
	},
	// The same with a group made and waited for inside B.
	"fresh-group-between": func() {
		var g Group
		started := make(chan struct{})
		g.Go(func() error { <-started; x = 1; return nil })
		g.Go(func() error {
			time.Sleep(pause)
			var inner Group
			inner.Go(nothing)
			_ = inner.Wait()
			_ = x
			return nil
		})
		close(started)
		_ = g.Wait()
	},
	// As other-group-between, with both groups shared with C (CHandle;
	// nothing for the reference).
	"shared-groups-between": func() {
		var g, other Group
		shareWithC(&g)
		shareWithC(&other)
		started := make(chan struct{})
		g.Go(func() error { <-started; x = 1; return nil })
		g.Go(func() error { time.Sleep(pause); other.Go(nothing); _ = x; return nil })
		close(started)
		_ = g.Wait()
		_ = other.Wait()
	},
	// The same with WithContext groups, the error path: A writes x and
	// fails; B waits for the context, then reads x. The cancellation orders
	// them in the reference too (context's mutex): no race anywhere.
	"error-cancels-then-read": func() {
		g, ctx := WithContext(context.Background())
		g.Go(func() error { x = 1; return fmt.Errorf("fail") })
		g.Go(func() error { <-ctx.Done(); _ = x; return nil })
		_ = g.Wait()
	},
	// Two tasks write x at about the same time: a race everywhere.
	"two-writers": func() {
		var g Group
		start := make(chan struct{})
		g.Go(func() error { <-start; x = 1; return nil })
		g.Go(func() error { <-start; x = 2; return nil })
		close(start)
		_ = g.Wait()
	},
	// Controls, ordered on every implementation: a write before Go, read in
	// the task; a write in a task, read after Wait.
	"write-before-go": func() {
		var g Group
		x = 1
		g.Go(func() error { _ = x; return nil })
		_ = g.Wait()
	},
	"read-after-wait": func() {
		var g Group
		g.Go(func() error { x = 1; return nil })
		_ = g.Wait()
		_ = x
	},
	// Under a limit of one, B is admitted only when A returns: ordered by
	// the limit in the reference (its semaphore channel) too.
	"limit-one-hand-off": func() {
		var g Group
		g.SetLimit(1)
		g.Go(func() error { x = 1; return nil })
		g.Go(func() error { _ = x; return nil })
		_ = g.Wait()
	},
}

func main() {
	if len(os.Args) != 2 || cases[os.Args[1]] == nil {
		names := make([]string, 0, len(cases))
		for name := range cases {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: prog CASE\ncases: %v\n", names)
		os.Exit(2)
	}
	cases[os.Args[1]]()
}
