// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup_system

package core

// With the build tag liberrgroup_system the package links the installed
// shared library found by pkg-config (liberrgroup.pc) instead of compiling
// the C sources; run the program with the library on the loader's path.

/*
#cgo pkg-config: liberrgroup
#cgo CFLAGS: -std=c11 -O2
*/
import "C"
