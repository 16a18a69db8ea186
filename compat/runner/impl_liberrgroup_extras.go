// SPDX-License-Identifier: BSD-3-Clause

//go:build liberrgroup

package main

// The extras steps (compat/README.md, "Extras") on the Go package: the
// methods of liberrgroup's Group that the reference has no counterpart of.

// extrasStep runs one extras step; ok is false for a verb it does not know.
func (r *run) extrasStep(f *flow, s step) (ret error, stop, ok bool) {
	switch s.verb {
	default:
		f.record("%s: not implemented on the go-package side yet", s.verb)
	}
	return nil, false, true
}
