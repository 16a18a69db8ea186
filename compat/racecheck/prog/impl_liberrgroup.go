// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup

package main

import "github.com/liberrgroup/liberrgroup/go/errgroup"

// The side under test: our Go package (built with -tags liberrgroup).

type Group = errgroup.Group

var WithContext = errgroup.WithContext

// shareWithC hands the group's C group out (to nobody): from then on the
// group's calls are cgo calls.
func shareWithC(g *Group) { g.CHandle() }
