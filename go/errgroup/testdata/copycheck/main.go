// SPDX-License-Identifier: BSD-3-Clause

// Package main copies a Group: TestVetReportsCopiedGroup expects go vet to
// report it.
package main

import "github.com/liberrgroup/liberrgroup/go/errgroup"

func main() {
	var g errgroup.Group
	g.Go(func() error { return nil })
	copied := g // want: assignment copies lock value
	_ = copied.Wait()
}
