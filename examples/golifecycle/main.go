// SPDX-License-Identifier: BSD-3-Clause

// Command golifecycle is go-kratos's App.Run with this repository's
// errgroup: HTTP servers (net/http) and a signal watcher (os/signal) in one
// group, plus a C worker that C code starts on the group's CHandle. Every
// member stops when a signal arrives or any member fails, Go or C: a Go
// server's error cancels the C worker's context, the C worker's error makes
// the Go servers shut down.
//
//	golifecycle [--stop-timeout=MS] [--hang-stop=NAME] [--fail-c-after=MS] NAME=PORT...
//
// Each NAME=PORT is a server on 127.0.0.1:PORT (0: an ephemeral port; the
// port is printed). GET / answers, GET /fail makes that server fail.
// --hang-stop=NAME gives that server a job that never finishes, so its
// stop ends only at the stop timeout (default 10 s, as go-kratos).
// --fail-c-after=MS makes the C worker fail after MS milliseconds.
// The exit status is App.Run's: 0 after SIGINT or SIGTERM, 1 with the
// error printed otherwise.
//
// From the repository root: go run ./examples/golifecycle a=0 b=0
package main

// #include "errgroup.h"
// #include "worker.h"
import "C"

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/liberrgroup/liberrgroup/go/errgroup"
)

// server is a kratos transport.Server: Start blocks until Stop.
type server struct {
	name     string
	port     int
	hangStop bool
	srv      *http.Server

	mu      sync.Mutex
	failure error // set by GET /fail
}

func newServer(name string, port int, hangStop bool) *server {
	s := &server{name: name, port: port, hangStop: hangStop}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from server %s\n", s.name)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.failure = fmt.Errorf("server %s: failure requested through /fail", s.name)
		s.mu.Unlock()
		fmt.Fprintf(w, "server %s: failing\n", s.name)
		// Serve returns at once; this response is still delivered.
		go s.srv.Shutdown(context.Background())
	})
	s.srv = &http.Server{Handler: mux}
	return s
}

// Start listens, calls ready, and serves until Stop (nil) or a failure
// (its error).
func (s *server) Start(ctx context.Context, ready func()) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)))
	if err != nil {
		return fmt.Errorf("server %s: %w", s.name, err)
	}
	fmt.Printf("lifecycle: server %s listening on http://%s/\n", s.name, ln.Addr())
	ready()
	err = s.srv.Serve(ln)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure != nil {
		return s.failure
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("server %s: %w", s.name, err)
}

// Stop is the graceful stop: Shutdown waits for the requests in flight (and
// the job that never finishes, under --hang-stop) until ctx's timeout.
func (s *server) Stop(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err == nil && s.hangStop {
		<-ctx.Done() // the job that never finishes
		err = ctx.Err()
	}
	if err != nil {
		s.srv.Close()
		return fmt.Errorf("server %s: stop: %w", s.name, err)
	}
	fmt.Printf("lifecycle: server %s stopped\n", s.name)
	return nil
}

type app struct {
	servers     []*server
	stopTimeout time.Duration
	failCAfter  time.Duration // < 0: the C worker never fails
}

// run is go-kratos's App.Run.
func (a *app) run() error {
	appCtx, stop := context.WithCancel(context.Background()) // a.ctx, a.cancel
	defer stop()
	eg, ctx := errgroup.WithContext(appCtx)
	for _, srv := range a.servers {
		eg.Go(func() error {
			<-ctx.Done() // wait for the stop signal
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.stopTimeout)
			defer cancel()
			return srv.Stop(stopCtx)
		})
		// Start returns once the server listens, or with its error if it
		// cannot: the group has that error too (it cancels ctx, so every
		// member stops, and Wait below returns it).
		eg.Start(func(_ context.Context, ready func()) error {
			return srv.Start(context.WithoutCancel(ctx), ready)
		})
	}
	// The C member: C code starts its task on the group's C group.
	if status := C.start_c_worker(eg.CHandle(), C.long(a.failCAfter.Milliseconds())); status != 0 {
		return fmt.Errorf("eg_group_go: %s", C.GoString(C.eg_strerror(status)))
	}
	// Every server listens: now the signal watcher.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	eg.Go(func() error {
		select {
		case <-ctx.Done():
			return nil
		case sig := <-c:
			fmt.Printf("lifecycle: %s received, stopping\n", signalName(sig))
			stop() // a.Stop()
			return nil
		}
	})
	fmt.Printf("lifecycle: running %d servers; SIGINT or SIGTERM stops them\n", len(a.servers))
	err := eg.Wait()
	runtime.KeepAlive(eg) // C used its handle until Wait
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Println("lifecycle: stopped")
	return nil
}

func signalName(sig os.Signal) string {
	if sig == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

func parseArgs(args []string) (*app, error) {
	fs := flag.NewFlagSet("golifecycle", flag.ContinueOnError)
	stopMS := fs.Int("stop-timeout", 10000, "stop timeout, in ms")
	hang := fs.String("hang-stop", "", "the server whose stop hangs")
	failC := fs.Int("fail-c-after", -1, "the C worker fails after this many ms")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	a := &app{stopTimeout: time.Duration(*stopMS) * time.Millisecond,
		failCAfter: time.Duration(*failC) * time.Millisecond}
	for _, arg := range fs.Args() {
		name, portText, ok := strings.Cut(arg, "=")
		port, err := strconv.Atoi(portText)
		if !ok || name == "" || err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("bad server %q: want NAME=PORT", arg)
		}
		a.servers = append(a.servers, newServer(name, port, name == *hang))
	}
	if len(a.servers) == 0 || *stopMS <= 0 {
		return nil, errors.New("usage: golifecycle [--stop-timeout=MS] [--hang-stop=NAME] [--fail-c-after=MS] NAME=PORT...")
	}
	return a, nil
}

func main() {
	a, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "lifecycle:", err)
		os.Exit(2)
	}
	if err := a.run(); err != nil {
		fmt.Fprintln(os.Stderr, "lifecycle:", err)
		os.Exit(1)
	}
}
