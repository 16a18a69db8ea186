// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup

package main

import "github.com/liberrgroup/liberrgroup/go/errgroup"

// The side under test: our Go package (built with -tags liberrgroup).

const implName = "liberrgroup"

type Group = errgroup.Group

var WithContext = errgroup.WithContext
