// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo && !liberrgroup_system

package core

//go:generate bash ../../../scripts/go_bundle_sources.sh

// The default build: the library's C sources are compiled into this package.
// They are copies of c/*.c, c/*.h and include/*.h in this directory, made by
// scripts/go_bundle_sources.sh (never edit them), so that the package is
// self-contained for `go mod vendor` and the module zip. This package is the
// only one that compiles them, so a program may import every Go package of
// the repository (go/errgroup, go/kratos/errgroup) and still link one copy.

/*
#cgo CFLAGS: -std=c11 -O2
#cgo LDFLAGS: -lpthread
*/
import "C"
