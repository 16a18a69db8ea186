//go:build !race

package errgroup

const raceEnabled = false
