// SPDX-License-Identifier: BSD-3-Clause

// Command goscatter is the scatter-gather with this repository's errgroup,
// in Go and C at once: a request handler gathers a user's display name
// from a name service over HTTP (net/http, in Go) and two fields from an
// in-memory store (C tasks that C code starts on the group's CHandle), all
// under one deadline. A Go error (the name service failing, the deadline)
// ends the C lookups; a C error (a user the store does not have) cancels
// the Go HTTP request in flight.
//
//	goscatter --names=URL [--deadline=MS] [--store-latency=MS] USER
//
// It prints every result and exits 0, or prints what arrived, marks the
// rest missing, prints the first error ("context deadline exceeded" when
// the deadline came first) and exits 1.
//
// From the repository root:
//
//	go run ./examples/goscatter --names=http://127.0.0.1:PORT alice
package main

// #include <stdlib.h>
// #include <string.h>
// #include "errgroup.h"
// #include "store.h"
import "C"

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

// A result as the handler prints it.
type result struct {
	field   string
	value   string
	ok      bool
	elapsed time.Duration
}

func (r result) String() string {
	if !r.ok {
		return fmt.Sprintf("%s: missing (ended after %d ms)", r.field, r.elapsed.Milliseconds())
	}
	return fmt.Sprintf("%s: %s (%d ms)", r.field, r.value, r.elapsed.Milliseconds())
}

// fetchName asks the name service; a done ctx aborts the request, closing
// its connection.
func fetchName(ctx context.Context, namesURL, user string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, namesURL+"/users/"+user, nil)
	if err != nil {
		return "", fmt.Errorf("name service: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		defer resp.Body.Close()
		var body []byte
		body, err = io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode/100 != 2 {
			return "", fmt.Errorf("name service: HTTP %d", resp.StatusCode)
		}
		if err == nil {
			return strings.TrimSuffix(string(body), "\n"), nil
		}
	}
	if ctx.Err() != nil {
		return "", context.Cause(ctx) // the deadline, or the store's error
	}
	return "", fmt.Errorf("name service: %w", err)
}

// handle scatters, waits and gathers. The results travel back in slots
// that each task alone writes and that are read only after Wait: the Go
// task's in a Go variable, the C tasks' in C memory.
func handle(namesURL, user string, deadline, latency time.Duration) ([]result, error) {
	start, startC := time.Now(), C.eg_now_ns()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)

	name := result{field: "name"}
	g.Go(func() error {
		value, err := fetchName(ctx, namesURL, user)
		name.elapsed = time.Since(start)
		name.value, name.ok = value, err == nil
		return err
	})

	// C memory: the C tasks keep these pointers after the cgo calls return.
	req := (*C.struct_store_request)(C.calloc(1, C.sizeof_struct_store_request))
	defer C.free(unsafe.Pointer(req))
	cUser := C.CString(user)
	C.strncpy(&req.user[0], cUser, C.size_t(len(req.user)-1))
	C.free(unsafe.Pointer(cUser))
	req.latency_ns = C.int64_t(latency.Nanoseconds())
	req.start_ns = startC
	lookups := (*[2]C.struct_store_lookup)(C.calloc(2, C.sizeof_struct_store_lookup))
	defer C.free(unsafe.Pointer(lookups))
	var startErr error
	for i := range lookups {
		lookups[i].req = req
		lookups[i].column = C.int(i + 1)
		if status := C.start_store_lookup(g.CHandle(), &lookups[i]); status != 0 {
			startErr = fmt.Errorf("eg_group_go: %s", C.GoString(C.eg_strerror(status)))
		}
	}

	err := g.Wait()
	runtime.KeepAlive(g) // C used its handle until Wait
	results := []result{name}
	for i, field := range []string{"email", "plan"} {
		l := &lookups[i].result
		results = append(results, result{
			field:   field,
			value:   C.GoString(&l.value[0]),
			ok:      l.ok != 0,
			elapsed: time.Duration(l.elapsed_ms) * time.Millisecond,
		})
	}
	return results, errors.Join(err, startErr)
}

func main() {
	fs := flag.NewFlagSet("goscatter", flag.ExitOnError)
	namesURL := fs.String("names", "", "the name service's base URL")
	deadlineMS := fs.Int("deadline", 1000, "the deadline of the whole, in ms")
	latencyMS := fs.Int("store-latency", 50, "the store's simulated latency, in ms")
	fs.Parse(os.Args[1:])
	if *namesURL == "" || fs.NArg() != 1 || *deadlineMS < 0 || *latencyMS < 0 {
		fmt.Fprintln(os.Stderr, "usage: goscatter --names=URL [--deadline=MS] [--store-latency=MS] USER")
		os.Exit(2)
	}
	results, err := handle(*namesURL, fs.Arg(0),
		time.Duration(*deadlineMS)*time.Millisecond, time.Duration(*latencyMS)*time.Millisecond)
	for _, r := range results {
		fmt.Println(r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scatter_gather:", err)
		os.Exit(1)
	}
}
