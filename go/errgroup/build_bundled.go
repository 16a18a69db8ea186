//go:build !liberrgroup_system

package errgroup

//go:generate bash ../../scripts/go_bundle_sources.sh

// The default build: the library's C sources are compiled into this package
// through the bundle_*.c wrappers, one per file of c/.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include -I${SRCDIR}/../../c -std=c11 -O2
#cgo LDFLAGS: -lpthread
*/
import "C"
