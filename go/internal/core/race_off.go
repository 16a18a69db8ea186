// SPDX-License-Identifier: BSD-3-Clause

//go:build !race

package core

const raceEnabled = false
