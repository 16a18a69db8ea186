#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Random errgroup scenarios from a seed, deterministic by construction.

Every scenario has exactly one correct transcript: the generator simulates
what main can *know* at each point and only emits an observation or a
try-go whose outcome is forced:

  * tasks hold their slot until main signals rel-<task>; main learns a task
    (and its nested children) started from <task>-up;
  * a slot freed by a released task is only counted free after a wait (or
    when it was handed to a blocked caller, which main sees as <caller>-in);
  * two different errors are never in flight at once: the first error is
    confirmed (wait-ctx-done on a live context, or a wait) before another
    task may fail with a different one;
  * wait is called only with no go caller blocked (the reference's
    WaitGroup forbids Add racing with Wait's return);
  * SetLimit(n >= 0) only when the group is idle, or, to observe the
    refusal, when every active task holds a slot of the current limit and
    none was released since the last wait (point 13's divergence is never
    reached); nested spawns only while unlimited (a nested go on a full
    limit would deadlock).

  python3 compat/generate.py SEED COUNT OUTDIR
"""

import os
import random
import sys


class Gen:
    def __init__(self, rng, index):
        self.rng = rng
        self.index = index
        self.tasks = []      # (name, body lines)
        self.callers = []    # (name, body lines)
        self.main = []
        self.n = 0
        self.context = rng.random() < 0.6
        self.parent = "cancelable" if self.context and rng.random() < 0.5 else "background"
        # What main knows.
        self.limit = None          # None = unlimited, else int
        self.limit_epoch = 0
        self.held = []             # tasks holding a slot (or running), unreleased
        self.epoch_of = {}         # task -> limit epoch it was started under (None: unlimited)
        self.pending = 0           # released tasks that may still occupy a slot
        self.released_since_wait = False
        self.blocked = []          # FIFO of (caller, task)
        self.err = ("none", None)  # none | maybe | known
        self.ctx = ("live", None, None) if self.context else None
        self.parent_state = ("live", None) if self.parent == "cancelable" else None
        self.abandoned = []
        self.covers = set()

    def fresh(self, prefix):
        self.n += 1
        return "%s%d" % (prefix, self.n)

    # -------------------------------------------------------- task bodies
    def new_task(self, depth=0):
        """Makes a task; returns (name, [all names incl. nested children])."""
        name = self.fresh("T")
        body = []
        family = [name]
        if self.limit is None and depth < 2 and self.rng.random() < 0.3:
            for _ in range(self.rng.randint(1, 2)):
                child, kids = self.new_task(depth + 1)
                verb = "go" if self.rng.random() < 0.7 else "try-go"
                body.append("%s %s" % (verb, child))
                family += kids
                self.covers.add(9)
        body.append("signal %s-up" % name)
        body.append("wait-for rel-%s" % name)
        self.tasks.append([name, body])
        return name, family

    def set_return(self, name, value):
        for t in self.tasks:
            if t[0] == name:
                t[1].append("return %s" % value)
                return
        raise KeyError(name)

    def started(self, family):
        for t in family:
            self.main.append("wait-for %s-up" % t)
            self.held.append(t)
            self.epoch_of[t] = self.limit_epoch if self.limit is not None else None

    # ------------------------------------------------------------ actions
    def can_go(self):
        return not self.blocked and (self.limit is None or len(self.held) < self.limit)

    def do_go(self):
        name, family = self.new_task()
        self.main.append("go %s" % name)
        self.started(family)
        if self.limit is not None:
            self.pending = min(self.pending, self.limit - len(self.held))
            self.covers.add(14)
        else:
            self.covers.add(3)

    def try_go_outcome(self):
        if self.limit is None:
            return True
        if len(self.held) >= self.limit or self.blocked:
            return False
        if len(self.held) + self.pending < self.limit:
            return True
        return None

    def do_try_go(self):
        outcome = self.try_go_outcome()
        name, family = self.new_task()
        self.main.append("try-go %s" % name)
        self.covers.add(16)
        if outcome:
            self.started(family)
        else:
            # never started: its body must not wait for anything
            for t in self.tasks:
                if t[0] == name:
                    t[1][:] = ["log never-%s" % name]
            self.covers.add(12 if self.limit == 0 else 15)

    def do_block_caller(self):
        caller = self.fresh("C")
        name, family = self.new_task()
        self.callers.append([caller, ["go %s" % name, "signal %s-in" % caller]])
        self.main.append("start %s" % caller)
        self.main.append("expect-blocked %s" % caller)
        self.blocked.append((caller, name, family))
        self.covers.update((14, 17))

    def error_for_release(self):
        kind, err = self.err
        r = self.rng.random()
        if r < 0.55:
            return "nil"
        if kind == "maybe":
            return err
        if kind == "none":
            return self.rng.choice(["E1", "E2", "E3"])
        return self.rng.choice(["E1", "E2", "E3", "E4"])

    def release(self, name):
        value = self.error_for_release()
        self.set_return(name, value)
        self.held.remove(name)
        self.main.append("signal rel-%s" % name)
        self.released_since_wait = True
        frees_current_slot = self.limit is not None and self.epoch_of[name] == self.limit_epoch
        if value != "nil":
            self.covers.add(4)
            kind, _ = self.err
            if kind == "none":
                if self.context and self.ctx[0] == "live":
                    self.main.append("wait-ctx-done")
                    self.err = ("known", value)
                    self.ctx = ("done", "canceled", value)
                    self.covers.update((4, 6))
                else:
                    self.err = ("maybe", value)
        if frees_current_slot:
            if self.blocked:
                caller, task, family = self.blocked.pop(0)
                self.main.append("wait-for %s-in" % caller)
                self.started(family)
                self.covers.add(15)
            else:
                self.pending += 1

    def release_all(self):
        while self.held:
            self.release(self.rng.choice(self.held))

    def observe(self):
        if self.ctx is None:
            self.main.append("ctx")
            return
        state = self.ctx
        if state[0] == "live" and self.err[0] == "none":
            self.main.append("ctx")
        elif state[0] == "done":
            self.main.append("ctx")

    def do_wait(self, extra_waiter):
        assert not self.blocked and not self.held
        waiter = None
        if extra_waiter:
            waiter = self.fresh("W")
            self.callers.append([waiter, ["wait"]])
            self.main.append("start %s" % waiter)
            self.covers.add(7)
        self.main.append("wait")
        if waiter:
            self.main.append("join %s" % waiter)
        kind, err = self.err
        if kind == "maybe":
            self.err = ("known", err)
        if self.context and self.ctx[0] == "live":
            cause = self.err[1] if self.err[0] == "known" else "Canceled"
            self.ctx = ("done", "canceled", cause)
        self.pending = 0
        self.released_since_wait = False
        self.covers.update((5, 8))
        self.observe()

    def do_cancel_parent(self):
        if self.parent_state is None or self.parent_state[0] != "live" or self.err[0] == "maybe":
            return
        cause = self.rng.choice(["nil", "P1"])
        self.main.append("cancel-parent" + ("" if cause == "nil" else " " + cause))
        cause_name = "Canceled" if cause == "nil" else cause
        self.parent_state = ("done", cause_name)
        if self.ctx[0] == "live":
            self.ctx = ("done", "canceled", cause_name)
        self.main.append("parent")
        self.main.append("ctx")
        self.covers.update((10, 21))

    def do_set_limit_round_start(self):
        choice = self.rng.choice([None, -1, 1, 1, 2, 2, 3, 0])
        if choice is None:
            return
        self.main.append("limit %d" % choice)
        self.limit_epoch += 1
        self.limit = None if choice < 0 else choice
        self.pending = 0
        self.covers.add(11)

    def do_refused_limit(self):
        if (self.limit is None or not self.held or self.pending or self.released_since_wait
                or any(self.epoch_of[t] != self.limit_epoch for t in self.held)):
            return
        n = self.rng.choice([0, 1, 2, 5])
        self.main.append("limit %d" % n)  # refused: "... while N goroutines ..."
        self.covers.add(13)

    def do_remove_limit(self):
        if self.limit is None or self.blocked:
            return
        self.main.append("limit -1")
        self.limit_epoch += 1
        self.limit = None
        self.pending = 0
        self.covers.add(11)

    # -------------------------------------------------------------- round
    def round(self):
        self.do_set_limit_round_start()
        for _ in range(self.rng.randint(2, 9)):
            r = self.rng.random()
            if r < 0.30 and self.can_go():
                self.do_go()
            elif r < 0.45 and self.try_go_outcome() is not None:
                self.do_try_go()
            elif r < 0.57 and self.limit is not None and len(self.held) >= self.limit \
                    and len(self.blocked) < 3:
                if self.limit == 0:
                    # blocked for good on a limit of zero
                    caller = self.fresh("Z")
                    name, _ = self.new_task()
                    for t in self.tasks:
                        if t[0] == name:
                            t[1][:] = ["log never-%s" % name]
                    self.callers.append([caller, ["go %s" % name]])
                    self.main.append("start %s" % caller)
                    self.main.append("expect-blocked %s" % caller)
                    self.main.append("abandon %s" % caller)
                    self.abandoned.append(caller)
                    self.covers.add(12)
                else:
                    self.do_block_caller()
            elif r < 0.75 and self.held:
                self.release(self.rng.choice(self.held))
            elif r < 0.80:
                self.do_refused_limit()
            elif r < 0.84:
                self.do_remove_limit()
            elif r < 0.90:
                self.do_cancel_parent()
            elif r < 0.95:
                self.observe()
        # Drain: admit every blocked caller, release everything, wait.
        while self.held or self.blocked:
            self.release(self.rng.choice(self.held))
        self.do_wait(self.rng.random() < 0.2)

    def build(self):
        for _ in range(self.rng.randint(1, 3)):
            self.round()
        lines = ["errgroup-scenario 1",
                 "name generated-%d" % self.index,
                 "covers " + " ".join(str(c) for c in sorted(self.covers | {1 if not self.context else 2})),
                 "group " + ("context" if self.context else "zero")]
        if self.context:
            lines.append("parent " + self.parent)
        lines.append("")
        for name, body in self.tasks:
            lines.append("task " + name)
            lines += ["  " + b for b in body]
            lines.append("end")
        for name, body in self.callers:
            lines.append("caller " + name)
            lines += ["  " + b for b in body]
            lines.append("end")
        lines.append("main")
        lines += ["  " + m for m in self.main]
        lines.append("end")
        return "\n".join(lines) + "\n"


def scenario_text(seed, index):
    rng = random.Random("%d/%d" % (seed, index))
    return Gen(rng, index).build()


def write_scenarios(out_dir, seed, count):
    files = []
    for i in range(count):
        path = os.path.join(out_dir, "gen-%d-%04d.scn" % (seed, i))
        with open(path, "w") as fh:
            fh.write(scenario_text(seed, i))
        files.append(path)
    return files


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: generate.py SEED COUNT OUTDIR")
    os.makedirs(sys.argv[3], exist_ok=True)
    for f in write_scenarios(sys.argv[3], int(sys.argv[1]), int(sys.argv[2])):
        print(f)
