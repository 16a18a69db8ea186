// SPDX-License-Identifier: BSD-3-Clause

//go:build !liberrgroup_system

package errgroup

// systemBuild: the package compiles the C sources in (bundle_*.c).
const systemBuild = false
