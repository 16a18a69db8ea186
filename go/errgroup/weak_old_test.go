// SPDX-License-Identifier: BSD-3-Clause

//go:build !go1.24

package errgroup

const weakTaskDone = false
