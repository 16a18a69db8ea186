// SPDX-License-Identifier: BSD-3-Clause

//go:build !race

package errgroup

const raceEnabled = false
