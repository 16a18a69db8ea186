// SPDX-License-Identifier: BSD-3-Clause

//go:build cgo

package errgroup

// The extras on groups shared with C: the scenarios of extras_test.go with
// CHandle called where they call shared, and what only C tasks show.

import (
	"fmt"
	"strings"
	"testing"
)

const cgoBuild = true

func init() {
	shared = func(t *testing.T, g *Group, migrate bool) {
		if migrate {
			defer func() {
				if r := recover(); r != nil {
					if !strings.Contains(fmt.Sprint(r), "lacks") {
						panic(r)
					}
					t.Skip(r) // until the C functions are merged
				}
			}()
			g.CHandle()
		}
	}
}
