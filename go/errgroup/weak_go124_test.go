// SPDX-License-Identifier: BSD-3-Clause

//go:build go1.24

package errgroup

import (
	"testing"

	"github.com/liberrgroup/liberrgroup/go/internal/testwait"
)

const weakTaskDone = true

// checkExtrasNoLeaks is testwait.CheckNoLeaks for the extras' tests.
func checkExtrasNoLeaks(t *testing.T) { testwait.CheckNoLeaks(t) }
