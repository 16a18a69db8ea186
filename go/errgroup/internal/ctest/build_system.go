// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup_system

package ctest

/*
#cgo pkg-config: liberrgroup
#cgo CFLAGS: -std=c11
*/
import "C"
