package core

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every C source of the library is compiled in by a bundle_*.c wrapper.
func TestEveryCSourceIsBundled(t *testing.T) {
	sources, err := filepath.Glob("../../../c/*.c")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no C sources found: %v", err)
	}
	for _, src := range sources {
		name := filepath.Base(src)
		text, err := os.ReadFile("bundle_" + name)
		if err != nil {
			t.Errorf("c/%s has no bundle_%s", name, name)
			continue
		}
		if !strings.HasPrefix(string(text), "//go:build !liberrgroup_system\n") ||
			!strings.Contains(string(text), `#include "../../../c/`+name+`"`) {
			t.Errorf("bundle_%s does not include c/%s under the default build tag", name, name)
		}
	}
	wrappers, _ := filepath.Glob("bundle_*.c")
	if len(wrappers) != len(sources) {
		t.Errorf("%d bundle_*.c wrappers for %d C sources", len(wrappers), len(sources))
	}

	// The stamp: sha256sum's output for c/*.c c/*.h include/*.h, hashed.
	var listing strings.Builder
	for _, pattern := range []string{"c/*.c", "c/*.h", "include/*.h"} {
		files, _ := filepath.Glob("../../../" + pattern)
		for _, file := range files {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&listing, "%x  %s\n", sha256.Sum256(text), strings.TrimPrefix(file, "../../../"))
		}
	}
	want := fmt.Sprintf("%x", sha256.Sum256([]byte(listing.String())))
	stamp, err := os.ReadFile("bundle_sources.h")
	if err != nil || !strings.Contains(string(stamp), `"`+want+`"`) {
		t.Errorf("bundle_sources.h is stale (the go command may be using old C objects): run scripts/go_bundle_sources.sh")
	}
}

// The build mode decides where the C library comes from: the shared library
// is loaded only with the liberrgroup_system tag.
func TestBuildModeLinksTheRightLibrary(t *testing.T) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps")
	}
	if loaded := strings.Contains(string(maps), "liberrgroup.so"); loaded != systemBuild {
		t.Fatalf("liberrgroup.so loaded: %v; want %v (liberrgroup_system tag: %v)", loaded, systemBuild, systemBuild)
	}
}
