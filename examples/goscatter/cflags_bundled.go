// SPDX-License-Identifier: BSD-3-Clause

//go:build !liberrgroup_system

package main

// The C library itself is compiled in by package errgroup; the C part of
// this program only needs its header.

// #cgo CFLAGS: -I${SRCDIR}/../../include
import "C"
