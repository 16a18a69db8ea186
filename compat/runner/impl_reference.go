// SPDX-License-Identifier: BSD-3-Clause

//go:build !liberrgroup

package main

import "golang.org/x/sync/errgroup"

// The side under test: the reference, golang.org/x/sync/errgroup.

const implName = "reference"

type Group = errgroup.Group

var WithContext = errgroup.WithContext
