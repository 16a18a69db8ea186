// SPDX-License-Identifier: BSD-3-Clause

//go:build !liberrgroup

package main

import "golang.org/x/sync/errgroup"

// The side under test: the reference, golang.org/x/sync/errgroup.

const implName = "reference"

type Group = errgroup.Group

var WithContext = errgroup.WithContext

// extrasStep: the reference has no extras (compat/README.md, "Extras"); the
// parser refuses a scenario that uses them before anything runs.
func (r *run) extrasStep(f *flow, s step) (ret error, stop, ok bool) {
	return nil, false, false
}

// The reference has no C group (onCGroup is never set).
const hasCGroup = false

func moveToCGroup(*Group) {}
