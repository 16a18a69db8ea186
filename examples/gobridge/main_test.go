// SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `Wait: C error 42: inventory: warehouse database unreachable
pricing stopped: inventory: warehouse database unreachable (same error: true)
shipping stopped: inventory: warehouse database unreachable (same error: true)
reviews stopped: inventory: warehouse database unreachable (same error: true)
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
