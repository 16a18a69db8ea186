// SPDX-License-Identifier: BSD-3-Clause

package goref

// Real-work counterparts of bench/real_work.cc: tasks that block or compute
// for milliseconds, run with golang.org/x/sync/errgroup. Each benchmark is
// named Real<Case>_<impl>, impl "go" for goroutines that park without an OS
// thread (time.Sleep, a channel, or computing) and "gosys" for goroutines
// that block their thread in a system call (syscall.Nanosleep, a blocking
// read(2) on a pipe), so the table shows what goroutines buy and what OS
// threads cost. Like the C cases, one benchmark op does REAL_ROUNDS rounds
// (default 5) and reports medians as metrics (wall_ms, p50_us, p99_us,
// peak_threads, peak_conc, csw_per_sub); run with -benchtime 1x -count 1:
//
//	REAL_ROUNDS=5 go test -run xxx -bench '^BenchmarkReal' -benchtime 1x ./bench/goref
//
// Go's runtime never gives its threads back, so thread counts here are the
// process's peak so far: BenchmarkRealCpu_go is first in this file, and the
// real-work cases run in a process of their own (bench/run.sh).

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"
)

func realRounds() int {
	if n, err := strconv.Atoi(os.Getenv("REAL_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 5
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank percentile, q in (0, 1].
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	rank := int(math.Ceil(q * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func msSince(t0 time.Time) float64 {
	return float64(time.Since(t0).Nanoseconds()) / 1e6
}

// processThreads reads "Threads:" from /proc/self/status (-1 if it cannot).
func processThreads() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(rest))
			return n
		}
	}
	return -1
}

// sleepSys blocks the calling thread in nanosleep(2), as a blocking system
// call (a disk read, a C library call) does: Go's sysmon has to notice and
// hand the P to another thread.
func sleepSys(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

func sleeper(impl string) func(time.Duration) {
	if impl == "gosys" {
		return sleepSys
	}
	return time.Sleep
}

// blockers are n goroutines blocked until release: on a channel (sys false)
// or in read(2) on a blocking pipe (sys true). start returns once all have
// started and (give or take) are inside the call.
type blockers struct {
	g       errgroup.Group
	sys     bool
	ch      chan struct{}
	fds     [2]int
	started atomic.Int32
}

func startBlockers(b *testing.B, n int, sys bool) *blockers {
	bl := &blockers{sys: sys, ch: make(chan struct{})}
	if sys {
		if err := syscall.Pipe(bl.fds[:]); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		bl.g.Go(func() error {
			bl.started.Add(1)
			if bl.sys {
				var buf [1]byte
				for {
					if _, err := syscall.Read(bl.fds[0], buf[:]); err != syscall.EINTR {
						break
					}
				}
			} else {
				<-bl.ch
			}
			return nil
		})
	}
	for int(bl.started.Load()) < n {
		time.Sleep(100 * time.Microsecond)
	}
	time.Sleep(5 * time.Millisecond)
	return bl
}

func (bl *blockers) release() {
	if bl.sys {
		syscall.Close(bl.fds[1]) // every read returns 0
	} else {
		close(bl.ch)
	}
	bl.g.Wait()
	if bl.sys {
		syscall.Close(bl.fds[0])
	}
}

// --- CPU-bound fan-out: 200 tasks of 10 ms of computing ---------------------

var sink atomic.Uint64

func spin(n int) {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink.Add(x)
}

// threadCPU is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID,
		uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// spinFor10ms calibrates spin: the iterations that take 10 ms of CPU time,
// timed by the thread's CPU clock (on the goroutine locked to its thread), so
// that neighbours taking the CPU away do not shorten the work; the fastest of
// a few runs.
func spinFor10ms() int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 1 << 23
	best := time.Duration(math.MaxInt64)
	for i := 0; i < 5; i++ {
		t0 := threadCPU()
		spin(n)
		best = min(best, threadCPU()-t0)
	}
	return int(float64(n) * float64(10*time.Millisecond) / float64(best))
}

// processCPUms is the CPU time the process has used (all threads).
func processCPUms() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// BenchmarkRealCpu_go: the C side burns 10 ms of thread CPU time per task;
// goroutines have no CPU clock of their own, so here each runs a loop
// calibrated to 10 ms of CPU time (cpu_ms shows what the round used).
func BenchmarkRealCpu_go(b *testing.B) {
	const tasks = 200
	iters := spinFor10ms()
	var walls, peaks, cpu []float64
	for i := 0; i < b.N; i++ {
		for r := 0; r < min(realRounds(), 3); r++ {
			var peak atomic.Int32
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					if n := int32(processThreads()); n > peak.Load() {
						peak.Store(n)
					}
					select {
					case <-stop:
						return
					case <-time.After(500 * time.Microsecond):
					}
				}
			}()
			cpu0 := processCPUms()
			t0 := time.Now()
			var g errgroup.Group
			for j := 0; j < tasks; j++ {
				g.Go(func() error { spin(iters); return nil })
			}
			g.Wait()
			walls = append(walls, msSince(t0))
			cpu = append(cpu, processCPUms()-cpu0)
			close(stop)
			<-sampled
			peaks = append(peaks, float64(peak.Load()))
		}
	}
	b.ReportMetric(median(walls), "wall_ms")
	b.ReportMetric(median(peaks), "peak_threads")
	b.ReportMetric(median(cpu), "cpu_ms")
	b.ReportMetric(tasks*10.0/float64(runtime.NumCPU()), "ideal_ms")
	b.ReportMetric(float64(runtime.NumCPU()), "cpus")
}

// --- I/O-bound fan-out: n tasks of 1 ms, warm ------------------------------

func ioRounds(b *testing.B, n, limit int, d time.Duration, impl string) {
	sleep := sleeper(impl)
	round := func() float64 {
		t0 := time.Now()
		var g errgroup.Group
		if limit > 0 {
			g.SetLimit(limit)
		}
		for j := 0; j < n; j++ {
			g.Go(func() error { sleep(d); return nil })
		}
		g.Wait()
		return msSince(t0)
	}
	var walls []float64
	for i := 0; i < b.N; i++ {
		round() // warm: the same workload just ran
		for r := 0; r < realRounds(); r++ {
			walls = append(walls, round())
		}
	}
	b.ReportMetric(median(walls), "wall_ms")
}

func BenchmarkRealIo100_go(b *testing.B)     { ioRounds(b, 100, -1, time.Millisecond, "go") }
func BenchmarkRealIo100_gosys(b *testing.B)  { ioRounds(b, 100, -1, time.Millisecond, "gosys") }
func BenchmarkRealIo1000_go(b *testing.B)    { ioRounds(b, 1000, -1, time.Millisecond, "go") }
func BenchmarkRealIo1000_gosys(b *testing.B) { ioRounds(b, 1000, -1, time.Millisecond, "gosys") }

// --- Limit 4, 40 tasks of 2 ms (ideal 20 ms) ---------------------------------

func BenchmarkRealLimit4_go(b *testing.B)    { ioRounds(b, 40, 4, 2*time.Millisecond, "go") }
func BenchmarkRealLimit4_gosys(b *testing.B) { ioRounds(b, 40, 4, 2*time.Millisecond, "gosys") }

// --- Go -> function start latency with goroutines blocked elsewhere ---------

// latency: 200 samples 1 ms apart (after 20 unmeasured), blocked goroutines
// elsewhere on a channel (sys false) or in read(2) (sys true); the
// submitter waits for the start on a channel.
func latency(b *testing.B, blocked int, sys bool) {
	if blocked < 0 {
		blocked = runtime.NumCPU()
	}
	const warmup, samples = 20, 200
	var lat []float64
	for i := 0; i < b.N; i++ {
		var others *blockers
		if blocked > 0 {
			others = startBlockers(b, blocked, sys)
		}
		var g errgroup.Group
		started := make(chan time.Time, 1)
		for s := 0; s < warmup+samples; s++ {
			time.Sleep(time.Millisecond)
			t0 := time.Now()
			g.Go(func() error { started <- time.Now(); return nil })
			at := <-started
			if s >= warmup {
				lat = append(lat, float64(at.Sub(t0).Nanoseconds())/1e3)
			}
		}
		g.Wait()
		if others != nil {
			others.release()
		}
	}
	b.ReportMetric(median(lat), "p50_us")
	b.ReportMetric(percentile(lat, 0.99), "p99_us")
	b.ReportMetric(float64(blocked), "blocked")
}

func BenchmarkRealLatency0_go(b *testing.B)          { latency(b, 0, false) }
func BenchmarkRealLatency1Ctx_go(b *testing.B)       { latency(b, 1, false) }
func BenchmarkRealLatency1Sys_gosys(b *testing.B)    { latency(b, 1, true) }
func BenchmarkRealLatencyCpusCtx_go(b *testing.B)    { latency(b, -1, false) }
func BenchmarkRealLatencyCpusSys_gosys(b *testing.B) { latency(b, -1, true) }
func BenchmarkRealLatency100Ctx_go(b *testing.B)     { latency(b, 100, false) }
func BenchmarkRealLatency100Sys_gosys(b *testing.B)  { latency(b, 100, true) }

// --- A burst of 160 tasks of 1 ms after 160 were blocked at once -----------

// Before each round 160 goroutines block at once (in read(2) for gosys, so
// the runtime has 160 threads, idle by the burst), then 160 tasks of 1 ms;
// peak_conc is the most of them running at the same time.
func burst(b *testing.B, impl string) {
	const tasks = 160
	sleep := sleeper(impl)
	var walls, peaks []float64
	for i := 0; i < b.N; i++ {
		for r := 0; r < realRounds(); r++ {
			startBlockers(b, tasks, impl == "gosys").release()
			time.Sleep(20 * time.Millisecond)
			var active, peak atomic.Int32
			t0 := time.Now()
			var g errgroup.Group
			for j := 0; j < tasks; j++ {
				g.Go(func() error {
					now := active.Add(1)
					for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
					}
					sleep(time.Millisecond)
					active.Add(-1)
					return nil
				})
			}
			g.Wait()
			walls = append(walls, msSince(t0))
			peaks = append(peaks, float64(peak.Load()))
		}
	}
	b.ReportMetric(median(walls), "wall_ms")
	b.ReportMetric(median(peaks), "peak_conc")
}

func BenchmarkRealBurst160_go(b *testing.B)    { burst(b, "go") }
func BenchmarkRealBurst160_gosys(b *testing.B) { burst(b, "gosys") }

// --- Context switches per submission after 2,000 blocked at once -----------

func processCsw() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Nvcsw + ru.Nivcsw)
}

// 2,000 goroutines block at once (in read(2) for gosys: 2,000 threads), are
// released, then one 1 ms task every 2 ms, 100 of them; the process's
// context switches over the trickle, per submission.
func csw(b *testing.B, impl string) {
	const grow, submissions = 2000, 100
	sleep := sleeper(impl)
	var perSub []float64
	var before float64
	for i := 0; i < b.N*min(realRounds(), 3); i++ {
		startBlockers(b, grow, impl == "gosys").release()
		time.Sleep(20 * time.Millisecond)
		before = float64(processThreads())
		var g errgroup.Group
		c0 := processCsw()
		for s := 0; s < submissions; s++ {
			g.Go(func() error { sleep(time.Millisecond); return nil })
			time.Sleep(2 * time.Millisecond)
		}
		g.Wait()
		perSub = append(perSub, (processCsw()-c0)/submissions)
	}
	b.ReportMetric(median(perSub), "csw_per_sub")
	b.ReportMetric(before, "threads_before")
}

func BenchmarkRealCsw2000_go(b *testing.B)    { csw(b, "go") }
func BenchmarkRealCsw2000_gosys(b *testing.B) { csw(b, "gosys") }
