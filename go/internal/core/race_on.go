// SPDX-License-Identifier: BSD-3-Clause

//go:build race

package core

// raceEnabled: built with -race. A parked Go call then gets a new channel
// instead of one from goParkers: the detector takes sync.Pool's Put and Get
// of the same object as synchronisation, which would order goroutines of
// unrelated groups whose calls happened to share a channel.
const raceEnabled = true
