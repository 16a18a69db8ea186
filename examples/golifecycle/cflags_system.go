// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup_system

package main

// #cgo pkg-config: liberrgroup
import "C"
