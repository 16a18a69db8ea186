// SPDX-License-Identifier: BSD-3-Clause

// Command gobridge shows a Go errgroup shared with C code: the group fans
// out to Go functions and to a C routine that C starts with eg_group_go on
// the group's C handle. The C routine fails; its error cancels the group's
// context, the Go functions stop on it, and Wait returns the C error as an
// *errgroup.CError.
//
// Run it from the repository root with `go run ./examples/gobridge` (the C
// library is compiled in), or against an installed liberrgroup with
// `go run -tags liberrgroup_system ./examples/gobridge`.
package main

/*
#include <stddef.h>
#include "errgroup.h"

// A C routine of the group: it runs on a pool thread of the C library and
// fails at once, as if the database it needs were down.
static eg_error *check_inventory(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return eg_error_new(42, "inventory: warehouse database unreachable");
}

// C code that receives the Go group's handle and starts its own task on it.
static int start_inventory_check(void *group) {
  return eg_group_go((eg_group *)group, check_inventory, NULL);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gobridge:", err)
		os.Exit(1)
	}
}

// run fans out, waits, and prints what each part saw.
func run(out io.Writer) error {
	g, ctx := errgroup.WithContext(context.Background())

	services := []string{"pricing", "shipping", "reviews"}
	stopped := make([]error, len(services))
	for i := range services {
		g.Go(func() error {
			// Stands for long work that checks ctx: it ends when the group's
			// context is canceled, and says why.
			<-ctx.Done()
			stopped[i] = context.Cause(ctx)
			return ctx.Err()
		})
	}

	if status := C.start_inventory_check(g.CHandle()); status != 0 {
		return fmt.Errorf("eg_group_go: %s", C.GoString(C.eg_strerror(status)))
	}

	err := g.Wait()
	var cerr *errgroup.CError
	if !errors.As(err, &cerr) {
		return fmt.Errorf("wanted the C routine's error, Wait returned %v", err)
	}
	fmt.Fprintf(out, "Wait: C error %d: %s\n", cerr.Code, cerr.Message)
	for i, name := range services {
		fmt.Fprintf(out, "%s stopped: %v (same error: %v)\n", name, stopped[i], stopped[i] == err)
	}
	return nil
}
