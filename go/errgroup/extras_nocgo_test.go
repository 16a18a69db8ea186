// SPDX-License-Identifier: BSD-3-Clause

//go:build !cgo

package errgroup

const cgoBuild = false
