module github.com/liberrgroup/liberrgroup/compat

// The conformance runner (compat/runner) and the race-detector comparison
// (compat/racecheck) run the reference golang.org/x/sync/errgroup beside this
// repository's go/errgroup, taken from the directory above (replace).
go 1.26.0

require (
	github.com/liberrgroup/liberrgroup v0.0.0
	golang.org/x/sync v0.25.0
)

replace github.com/liberrgroup/liberrgroup => ../
