//go:build liberrgroup_system

package ctest

/*
#cgo pkg-config: liberrgroup
#cgo CFLAGS: -std=c11
*/
import "C"
