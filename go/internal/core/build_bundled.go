//go:build !liberrgroup_system

package core

//go:generate bash ../../../scripts/go_bundle_sources.sh

// The default build: the library's C sources are compiled into this package
// through the bundle_*.c wrappers, one per file of c/. This package is the
// only one that compiles them, so a program may import every Go package of
// the repository (go/errgroup, go/kratos/errgroup) and still link one copy.

/*
#cgo CFLAGS: -I${SRCDIR}/../../../include -I${SRCDIR}/../../../c -std=c11 -O2
#cgo LDFLAGS: -lpthread
*/
import "C"
