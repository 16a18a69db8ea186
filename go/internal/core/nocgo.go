//go:build !cgo

package core

// This package compiles liberrgroup's C code in (or links the installed
// library): it needs cgo and a C compiler. Without cgo (CGO_ENABLED=0,
// which is also the go command's default when cross-compiling or when no C
// compiler is found) the build stops here with one error, whose name says
// what to do. There is deliberately no pure-Go fallback: the package's
// groups are C groups (CHandle), and a build that silently ran different
// code would not be the program that was tested.
var _ = liberrgroup_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler_for_the_target
