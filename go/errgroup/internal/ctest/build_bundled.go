// SPDX-License-Identifier: BSD-3-Clause

//go:build !liberrgroup_system

package ctest

// The library's C code is linked into the program by package go/internal/core
// (through package errgroup, which every user of this package imports): only
// the header is needed here.

/*
#cgo CFLAGS: -I${SRCDIR}/../../../../include -std=c11
*/
import "C"
