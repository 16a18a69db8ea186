// SPDX-License-Identifier: BSD-3-Clause

package errgroup_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/liberrgroup/liberrgroup/go/kratos/errgroup"
)

// GOMAXPROCS bounds the running functions without blocking Go; WithCancel
// stops the others at the first error, and a panic is such an error.
func Example() {
	g := errgroup.WithCancel(context.Background())
	g.GOMAXPROCS(2)
	for i := range 5 {
		g.Go(func(ctx context.Context) error {
			if i == 3 {
				panic("bad input")
			}
			return ctx.Err()
		})
	}
	err := g.Wait()
	first, _, _ := strings.Cut(err.Error(), "\n") // the stack follows
	fmt.Println(first)
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// errgroup: panic recovered: bad input
	// false
}
