// SPDX-License-Identifier: BSD-3-Clause

package errgroup_test

import (
	"context"
	"errors"
	"testing"

	xsync "github.com/liberrgroup/liberrgroup/go/errgroup"
	"github.com/liberrgroup/liberrgroup/go/kratos/errgroup"
)

// A program may import both packages: the C library is compiled in (or
// linked) once, by their shared core, so this test binary links at all.
// A go/errgroup group and a go/kratos group then work side by side.
func TestBothPackagesInOneProgram(t *testing.T) {
	errRef := errors.New("reference")
	ref, refCtx := xsync.WithContext(context.Background())
	ref.Go(func() error { return errRef })

	k := errgroup.WithCancel(refCtx)
	k.GOMAXPROCS(1)
	saw := make(chan error, 1)
	k.Go(func(ctx context.Context) error { <-ctx.Done(); saw <- context.Cause(ctx); return nil })

	if err := ref.Wait(); err != errRef {
		t.Fatalf("errgroup Wait() = %v; want %v", err, errRef)
	}
	if err := k.Wait(); err != nil {
		t.Fatalf("kratos Wait() = %v; want nil", err)
	}
	if cause := <-saw; cause != errRef {
		t.Fatalf("the kratos function saw cause %v; want the parent's %v", cause, errRef)
	}
}
