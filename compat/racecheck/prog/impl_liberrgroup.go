//go:build liberrgroup

package main

import "github.com/liberrgroup/liberrgroup/go/errgroup"

// The side under test: our Go package (built with -tags liberrgroup).

type Group = errgroup.Group

var WithContext = errgroup.WithContext
