// SPDX-License-Identifier: BSD-3-Clause

//go:build race

package errgroup

// raceEnabled: the race detector keeps shadow memory and history for every
// goroutine and sync object, so resident-set checks mean nothing under it.
const raceEnabled = true
