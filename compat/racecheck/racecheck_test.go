// SPDX-License-Identifier: BSD-3-Clause

// Package racecheck records what the race detector reports for the same
// programs under the reference, golang.org/x/sync/errgroup, and under this
// repository's go/errgroup: prog/ is built twice with -race (once with
// -tags liberrgroup) and every case runs in its own process. The table
// below is what go/errgroup's package documentation promises; the test fails
// when either side stops matching it.
package racecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// reported: whether the detector reports a race, per side.
type reported struct{ reference, liberrgroup bool }

var expected = map[string]reported{
	"two-tasks":               {true, true},
	"nested-go-between":       {true, false},
	"nested-trygo-between":    {true, false},
	"two-nested-gos":          {true, false},
	"go-after-end":            {true, false},
	"other-group-between":     {true, true},
	"fresh-group-between":     {true, true},
	"shared-groups-between":   {true, false},
	"error-cancels-then-read": {false, false},
	"two-writers":             {true, true},
	"write-before-go":         {false, false},
	"read-after-wait":         {false, false},
	"limit-one-hand-off":      {false, false},
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func build(t *testing.T, tags string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "prog")
	args := []string{"build", "-race", "-o", exe}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command(goTool(), append(args, "./prog")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return exe
}

// races runs one case and says whether the detector reported a race.
func races(t *testing.T, exe, name string) bool {
	t.Helper()
	cmd := exec.Command(exe, name)
	cmd.Env = append(os.Environ(), "GORACE=exitcode=66")
	out, err := cmd.CombinedOutput()
	found := strings.Contains(string(out), "WARNING: DATA RACE")
	if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 66 && found {
		return true
	}
	if err != nil || found {
		t.Fatalf("%s %s: %v\n%s", exe, name, err, out)
	}
	return false
}

func TestRaceDetectorSeesTheSame(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two -race binaries")
	}
	ref := build(t, "")
	ours := build(t, "liberrgroup")
	for name, want := range expected {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := reported{races(t, ref, name), races(t, ours, name)}
			t.Logf("race reported: reference %v, liberrgroup %v", got.reference, got.liberrgroup)
			if got != want {
				t.Errorf("race reported: reference %v, liberrgroup %v; the table says %v, %v",
					got.reference, got.liberrgroup, want.reference, want.liberrgroup)
			}
		})
	}
}
