// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package errgroup

// The extras on groups shared with C: the scenarios of extras_test.go with
// CHandle called where they call shared, and what only C tasks show.

import (
	"testing"
)

const cgoBuild = true

func init() {
	shared = func(t *testing.T, g *Group, migrate bool) {
		if migrate {
			g.CHandle()
		}
	}
}
