module github.com/liberrgroup/liberrgroup/bench

// The Go benchmarks: bench/goref (the reference, read against the C
// benchmarks of bench/bench.cc) and bench/gocompare (go/errgroup side by side
// with the reference in one run). The repository's own module is taken from
// the directory above (replace).
go 1.26.0

require (
	github.com/liberrgroup/liberrgroup v0.0.0
	golang.org/x/sync v0.25.0
)

replace github.com/liberrgroup/liberrgroup => ../
