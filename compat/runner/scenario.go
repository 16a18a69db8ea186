// SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The scenario format is documented in compat/README.md. This parser and the
// one in compat/c_runner/runner.c accept exactly the same language.

const formatHeader = "errgroup-scenario 1"

type flowKind int

const (
	kindMain flowKind = iota
	kindTask
	kindCaller
	kindAfterFunc
)

type step struct {
	verb string
	args []string
	line int
}

type flowSpec struct {
	name  string
	kind  flowKind
	steps []step
}

type scenario struct {
	path   string
	name   string
	covers string
	sides  []string // the sides it runs on (a "sides" line); nil: all
	group  string   // "zero" or "context"
	parent string   // background, cancelable, deadline-past, deadline-soon, deadline-far
	flows  []*flowSpec
	byName map[string]*flowSpec
}

// The sides of the suite (compat/README.md). This runner is "reference" or
// "go-package" (implName), or "go-on-c" (the go-package build with every
// group moved onto its C group, EG_COMPAT_C_GROUP=1); compat/c_runner is "c".
var allSides = []string{"reference", "go-package", "go-on-c", "c"}

func thisSide() string {
	switch {
	case implName == "reference":
		return "reference"
	case onCGroup:
		return "go-on-c"
	}
	return "go-package"
}

// arity: verb -> allowed argument counts (min, max), and which flow kinds
// may use it ("" = any). Extras steps (the liberrgroup extras the reference
// has no counterpart of) are allowed only in a scenario whose "sides" line
// leaves the reference out.
var verbs = map[string]struct {
	min, max int
	only     flowKind
	any      bool
	extras   bool
}{
	"go":              {1, 1, 0, true, false},
	"try-go":          {1, 1, 0, true, false},
	"wait":            {0, 0, 0, true, false},
	"limit":           {1, 1, 0, true, false},
	"signal":          {1, 1, 0, true, false},
	"wait-for":        {1, 1, 0, true, false},
	"wait-ctx-done":   {0, 0, 0, true, false},
	"ctx":             {0, 0, 0, true, false},
	"parent":          {0, 0, 0, true, false},
	"deadline":        {0, 0, 0, true, false},
	"cancel-parent":   {0, 1, 0, true, false},
	"log":             {1, 1, 0, true, false},
	"start":           {1, 1, 0, true, false},
	"join":            {1, 1, 0, true, false},
	"expect-blocked":  {1, 1, 0, true, false},
	"abandon":         {1, 1, 0, true, false},
	"after-func":      {1, 1, 0, true, false},
	"after-func-stop": {1, 1, 0, true, false},
	"freeze":          {1, 1, 0, true, false},
	"thaw":            {1, 1, 0, true, false},
	"settle":          {0, 0, 0, true, false},
	"return":          {1, 1, kindTask, false, false},

	"cancel":             {0, 1, 0, true, true},
	"canceled":           {0, 0, 0, true, true},
	"keep-errors":        {1, 1, 0, true, true},
	"errors":             {0, 0, 0, true, true},
	"skip-when-canceled": {0, 0, 0, true, true},
	"go-or-skip":         {1, 1, 0, true, true},
	"try-go-or-skip":     {1, 1, 0, true, true},
	"skipped":            {0, 0, 0, true, true},
	"on-task-done":       {0, 0, 0, true, true},
	"wait-timeout":       {1, 1, 0, true, true},
	"idle":               {0, 0, 0, true, true},
	"start-task":         {1, 1, 0, true, true},
	"ready":              {0, 0, kindTask, false, true},
	"task-ctx":           {0, 0, kindTask, false, true},
	"wait-task-ctx-done": {0, 0, kindTask, false, true},
	"resize-limit":       {1, 1, 0, true, true},
}

// errorVerbs make the error named by their argument (once per scenario).
var errorVerbs = map[string]bool{"return": true, "cancel-parent": true, "cancel": true}

func (sc *scenario) runsOn(side string) bool {
	return sc.sides == nil || contains(sc.sides, side)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isErrorName(s string) bool {
	return s != "nil" && s != "Canceled" && s != "DeadlineExceeded" && validName(s)
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func parseScenario(path string) (*scenario, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	sc := &scenario{path: path, group: "zero", parent: "background", byName: map[string]*flowSpec{}}
	scanner := bufio.NewScanner(file)
	lineNo := 0
	sawHeader := false
	var current *flowSpec
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, lineNo, fmt.Sprintf(format, args...))
	}
	for scanner.Scan() {
		lineNo++
		text := scanner.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		words := strings.Fields(text)
		if len(words) == 0 {
			continue
		}
		if !sawHeader {
			if strings.Join(words, " ") != formatHeader {
				return nil, fail("first line must be %q", formatHeader)
			}
			sawHeader = true
			continue
		}
		if current == nil {
			switch words[0] {
			case "name":
				sc.name = strings.Join(words[1:], " ")
			case "covers":
				sc.covers = strings.Join(words[1:], " ")
			case "group":
				if len(words) != 2 || (words[1] != "zero" && words[1] != "context") {
					return nil, fail("group must be zero or context")
				}
				sc.group = words[1]
			case "parent":
				if len(words) != 2 {
					return nil, fail("parent takes one word")
				}
				switch words[1] {
				case "background", "cancelable", "deadline-past", "deadline-soon", "deadline-far":
				default:
					return nil, fail("unknown parent %q", words[1])
				}
				sc.parent = words[1]
			case "sides":
				if sc.sides != nil || len(words) < 2 {
					return nil, fail("sides: one line naming the sides (%s)", strings.Join(allSides, " "))
				}
				for _, w := range words[1:] {
					if !contains(allSides, w) || contains(sc.sides, w) {
						return nil, fail("sides: unknown or repeated side %q", w)
					}
					sc.sides = append(sc.sides, w)
				}
			case "main", "task", "caller":
				kind := map[string]flowKind{"main": kindMain, "task": kindTask, "caller": kindCaller}[words[0]]
				name := "main"
				if kind == kindMain {
					if len(words) != 1 {
						return nil, fail("main takes no name")
					}
				} else {
					if len(words) != 2 || !validName(words[1]) || words[1] == "main" || words[1] == "order" || words[1] == "task-done" {
						return nil, fail("%s needs one valid name", words[0])
					}
					name = words[1]
				}
				if sc.byName[name] != nil {
					return nil, fail("flow %q declared twice", name)
				}
				current = &flowSpec{name: name, kind: kind}
				sc.flows = append(sc.flows, current)
				sc.byName[name] = current
			default:
				return nil, fail("unknown header %q", words[0])
			}
			continue
		}
		if words[0] == "end" && len(words) == 1 {
			current = nil
			continue
		}
		spec, ok := verbs[words[0]]
		if !ok {
			return nil, fail("unknown step %q", words[0])
		}
		n := len(words) - 1
		if n < spec.min || n > spec.max {
			return nil, fail("%s takes %d..%d arguments", words[0], spec.min, spec.max)
		}
		if !spec.any && current.kind != spec.only {
			return nil, fail("%s is only allowed in a task", words[0])
		}
		if spec.extras && sc.runsOn("reference") {
			return nil, fail("%s is an extras step (the reference has no counterpart): the scenario needs a line \"sides c go-package\" before its blocks", words[0])
		}
		for _, a := range words[1:] {
			if !validName(a) {
				return nil, fail("bad argument %q", a)
			}
		}
		switch words[0] {
		case "limit", "keep-errors", "resize-limit":
			if _, err := strconv.Atoi(words[1]); err != nil {
				return nil, fail("%s needs an integer", words[0])
			}
		case "wait-timeout":
			if _, err := strconv.Atoi(words[1]); err != nil && words[1] != "long" {
				return nil, fail("wait-timeout needs milliseconds (an integer, -1: forever) or long")
			}
		}
		current.steps = append(current.steps, step{verb: words[0], args: words[1:], line: lineNo})
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if !sawHeader {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	if current != nil {
		return nil, fmt.Errorf("%s: block %q has no end", path, current.name)
	}
	if sc.byName["main"] == nil {
		return nil, fmt.Errorf("%s: no main block", path)
	}
	if sc.name == "" {
		return nil, fmt.Errorf("%s: no name", path)
	}
	if sc.group == "zero" && sc.parent != "background" {
		return nil, fmt.Errorf("%s: parent needs group context", path)
	}
	if !sc.runsOn(thisSide()) {
		return nil, fmt.Errorf("%s: not run on the %s side: the scenario runs on sides %s only", path, thisSide(), strings.Join(sc.sides, " "))
	}
	// Cross references; after-func names become flows of their own.
	for _, f := range append([]*flowSpec(nil), sc.flows...) {
		for _, s := range f.steps {
			lineNo = s.line
			switch s.verb {
			case "go", "try-go", "go-or-skip", "try-go-or-skip", "start-task":
				if t := sc.byName[s.args[0]]; t == nil || t.kind != kindTask {
					return nil, fail("%s: no task %q", s.verb, s.args[0])
				}
			case "start", "join":
				if c := sc.byName[s.args[0]]; c == nil || c.kind != kindCaller {
					return nil, fail("%s: no caller %q", s.verb, s.args[0])
				}
			case "expect-blocked", "abandon", "freeze", "thaw":
				if c := sc.byName[s.args[0]]; c == nil || (c.kind != kindCaller && c.kind != kindTask && c.kind != kindMain) {
					return nil, fail("%s: no flow %q", s.verb, s.args[0])
				}
			case "return", "cancel-parent", "cancel":
				if len(s.args) == 1 && s.args[0] != "nil" && !isErrorName(s.args[0]) {
					return nil, fail("%s: bad error name %q", s.verb, s.args[0])
				}
			case "after-func":
				if sc.byName[s.args[0]] == nil {
					af := &flowSpec{name: s.args[0], kind: kindAfterFunc}
					sc.flows = append(sc.flows, af)
					sc.byName[af.name] = af
				} else if sc.byName[s.args[0]].kind != kindAfterFunc {
					return nil, fail("after-func name %q is already a flow", s.args[0])
				}
			case "after-func-stop":
				// checked at run time (the name may be registered later in the file)
			}
		}
	}
	return sc, nil
}
