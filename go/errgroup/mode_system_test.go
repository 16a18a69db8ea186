// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup_system

package errgroup

// systemBuild: the package links the installed liberrgroup.so.
const systemBuild = true
