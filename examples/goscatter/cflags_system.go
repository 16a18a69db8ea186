//go:build liberrgroup_system

package main

// #cgo pkg-config: liberrgroup
import "C"
