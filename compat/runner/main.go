// SPDX-License-Identifier: BSD-3-Clause

// Command runner runs errgroup conformance scenarios (compat/README.md)
// against the reference golang.org/x/sync/errgroup or, built with
// -tags liberrgroup, against github.com/liberrgroup/liberrgroup/go/errgroup,
// and prints one canonical transcript per scenario file.
//
// Usage: runner FILE...
//
// Output: for each file a line "### FILE", its transcript, then "### end".
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// onCGroup: every group is moved onto its C group first (EG_COMPAT_C_GROUP).
var onCGroup bool

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runner FILE...")
		os.Exit(2)
	}
	// EG_COMPAT_C_GROUP=1 (the go-chandle column of the extras): every
	// group is moved onto its C group (CHandle) before its first step.
	onCGroup = os.Getenv("EG_COMPAT_C_GROUP") == "1"
	if onCGroup && !hasCGroup {
		fmt.Fprintln(os.Stderr, "runner: EG_COMPAT_C_GROUP=1: this build has no C group (the reference, or no cgo)")
		os.Exit(2)
	}
	timeout := 5 * time.Second
	if ms, err := strconv.Atoi(os.Getenv("EG_COMPAT_TIMEOUT_MS")); err == nil && ms > 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	status := 0
	for _, path := range os.Args[1:] {
		fmt.Printf("### %s\n", path)
		sc, err := parseScenario(path)
		if err != nil {
			fmt.Printf("parse error: %v\n", err)
			fmt.Fprintf(os.Stderr, "runner: %v\n", err)
			status = 1
		} else {
			for _, line := range runScenario(sc, timeout) {
				fmt.Println(line)
			}
		}
		fmt.Println("### end")
	}
	os.Exit(status)
}
