# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the binding's extras beyond the reference (issue 14, library
1.1): keep_errors/errors, skip_when_canceled, track_completions and
as_completed, wait(timeout=...) and idle, cancel and canceled, start and
Ready, resize_limit. Each with a limit, worker mode, nested tasks and reuse
after wait where they apply, and error ownership: every exception payload
the binding hands to the library is released exactly once.

Ordering is made with threading primitives, never with sleeps. Event waits
carry a generous timeout only so that a bug fails the test instead of
hanging it; the one place timing is the feature (wait's timeout) says so.
"""
import gc
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import pytest

import liberrgroup
from liberrgroup import (
    Canceled,
    Context,
    Group,
    LibraryError,
    LimitBusyError,
    Ready,
    TaskResult,
    TaskSkipped,
)

BOUND = 30.0  # seconds: a safety net, not an ordering device


class TaskFailure(Exception):
    """What the tasks of these tests raise."""


def wait_for(event: threading.Event) -> None:
    assert event.wait(BOUND), "timed out: a task never got there"


def fail(exc):
    raise exc


def _header() -> str:
    path = os.path.join(os.path.dirname(__file__), "..", "..", "include", "errgroup.h")
    with open(path, encoding="utf-8") as f:
        return f.read()


HEADER = _header()


def needs(*functions):
    """Skips while the header does not declare a C function yet; when it
    does, the loaded library must have it (a missing one fails the test)."""
    missing = [f for f in functions if not re.search(r"\b%s\(" % f, HEADER)]
    if missing:
        pytest.skip(f"the C library does not declare {', '.join(missing)} yet")
    for f in functions:
        assert getattr(liberrgroup, "_" + f) is not None, f"{f} is declared but not exported"


class CountingReleases:
    """Stands in for the payload registry in the library's release
    callback: counts every release of a payload id."""

    def __init__(self, real):
        self.real = real
        self.released = []

    def pop(self, key, default=None):
        self.released.append(key)  # list.append is atomic under the GIL
        return self.real.pop(key, default)


@pytest.fixture(autouse=True)
def released_exactly_once():
    """Every test leaves no task and no exception registered, and the
    library released each exception payload exactly once."""
    counter = CountingReleases(liberrgroup._exceptions)
    saved = liberrgroup._release_payload.__defaults__
    liberrgroup._release_payload.__defaults__ = (counter,)
    try:
        yield counter
        gc.collect()
        assert liberrgroup._pending_tasks == {}
        assert liberrgroup._task_values == {}
        assert liberrgroup._exceptions == {}
        twice = {k for k in counter.released if counter.released.count(k) > 1}
        assert not twice, f"payloads released more than once: {twice}"
    finally:
        liberrgroup._release_payload.__defaults__ = saved


class Holder:
    """A task that holds its slot until released: started.wait() says it runs."""

    def __init__(self):
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, value=None):
        self.started.set()
        wait_for(self.release)
        return value


# ---------------------------------------------------------------------------
# 5. cancel and canceled
# ---------------------------------------------------------------------------


def test_cancel_without_an_error_and_wait_raises_nothing():
    needs("eg_group_cancel", "eg_group_canceled")
    g, ctx = Group.with_context()
    stopped = []

    def watch():
        assert ctx.wait(BOUND)
        stopped.append(type(ctx.cause()))

    with ctx:
        g.go(watch)
        assert not g.canceled
        g.cancel()
        assert g.canceled
        assert g.wait() is True  # no task error recorded
        assert stopped == [Canceled]
        assert isinstance(ctx.err(), Canceled)
        assert isinstance(ctx.cause(), Canceled)
        g.close()


def test_cancel_with_a_cause_first_wins_and_is_idempotent():
    needs("eg_group_cancel")
    reason = TaskFailure("shutting down")
    g, ctx = Group.with_context()
    with ctx:
        g.cancel(reason)
        g.cancel(TaskFailure("too late"))  # idempotent: the first cause stays
        assert ctx.cause() is reason
        g.go(fail, TaskFailure("after the cancellation"))
        with pytest.raises(TaskFailure) as info:
            g.wait()  # a task error is still recorded and raised ...
        assert str(info.value) == "after the cancellation"
        assert ctx.cause() is reason  # ... but does not become the cause
        g.close()
    # The context held the cause's payload until it was closed (fixture:
    # released exactly once).


def test_cancel_of_a_group_without_context_marks_it_canceled():
    needs("eg_group_cancel", "eg_group_canceled")
    g = Group()
    ran = []
    g.cancel(TaskFailure("cause of a group with no context"))
    assert g.canceled
    g.go(ran.append, 1)  # without skip mode tasks still start
    assert g.wait() is True
    assert ran == [1]
    g.close()


def test_canceled_after_a_task_error_and_after_wait():
    needs("eg_group_canceled")
    g = Group()
    g.go(fail, TaskFailure("x"))
    with pytest.raises(TaskFailure):
        g.wait()
    assert g.canceled  # a Group() is canceled by a recorded task error
    g.close()

    g, ctx = Group.with_context()
    with ctx:
        g.go(lambda: None)
        g.wait()
        assert g.canceled  # the end of a wait canceled the context
        g.close()


def test_cancel_from_inside_a_task_and_in_worker_mode():
    needs("eg_group_cancel")
    g, ctx = Group.with_context()
    g.set_workers(1)
    with ctx:
        g.go(lambda: g.cancel())
        g.go(lambda: ctx.wait(BOUND))
        assert g.wait() is True
        assert isinstance(ctx.cause(), Canceled)
        g.close()


# ---------------------------------------------------------------------------
# 1. keep_errors and errors
# ---------------------------------------------------------------------------


def test_errors_keeps_every_exception_in_record_order():
    needs("eg_group_keep_errors", "eg_group_errors")
    raised = [TaskFailure(f"e{i}") for i in range(5)]
    g = Group()
    g.keep_errors(10)
    g.set_limit(1)  # one at a time: recorded in the order of go
    for exc in raised:
        g.go(fail, exc)
    g.go(lambda: None)
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is raised[0]  # wait: still the first, the very object
    group = g.errors()
    assert isinstance(group, ExceptionGroup)
    assert list(group.exceptions) == raised
    assert all(a is b for a, b in zip(group.exceptions, raised))
    assert g.dropped_errors == 0
    assert str(group) == "errgroup: 5 task errors (5 sub-exceptions)"
    g.close()


def test_errors_is_none_without_failures_and_needs_keep_errors():
    needs("eg_group_keep_errors", "eg_group_errors")
    g = Group()
    with pytest.raises(ValueError):
        g.errors()
    with pytest.raises(ValueError):
        g.keep_errors(0)
    g.keep_errors(3)
    with pytest.raises(LibraryError) as info:
        g.keep_errors(3)  # only once
    assert info.value.code == liberrgroup.EG_EBUSY
    g.go(lambda: None)
    g.wait()
    assert g.errors() is None
    g.close()
    other = Group()
    other.go(lambda: None)
    with pytest.raises(LibraryError):
        other.keep_errors(3)  # after the first task
    other.wait()
    other.close()


def test_errors_bounded_drops_and_counts_the_rest():
    needs("eg_group_keep_errors", "eg_group_errors")
    raised = [TaskFailure(f"e{i}") for i in range(6)]
    g = Group()
    g.keep_errors(2)
    g.set_workers(1)  # worker mode: FIFO, one at a time
    for exc in raised:
        g.go(fail, exc)
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is raised[0]
    assert list(g.errors().exceptions) == raised[:2]
    assert g.dropped_errors == 4
    assert str(g.errors()).startswith("errgroup: 2 task errors (4 more dropped)")
    g.close()  # dropped ones were released at once; kept ones now (fixture)


def test_errors_accumulate_across_reuse_and_nested_tasks():
    needs("eg_group_keep_errors", "eg_group_errors")
    first, second, nested = TaskFailure("round 1"), TaskFailure("round 2"), TaskFailure("nested")
    g = Group()
    g.keep_errors(10)
    g.go(fail, first)
    with pytest.raises(TaskFailure):
        g.wait()

    def parent():
        g.go(fail, nested)

    g.go(parent)
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is first  # sticky
    g.go(fail, second)
    with pytest.raises(TaskFailure):
        g.wait()
    kept = g.errors().exceptions
    assert kept[0] is first and set(map(id, kept)) == {id(first), id(second), id(nested)}
    assert kept.index(nested) < kept.index(second)  # rounds in order
    g.close()


def test_errors_snapshot_while_tasks_run():
    needs("eg_group_keep_errors", "eg_group_errors")
    first = TaskFailure("early")
    hold = Holder()
    g = Group()
    g.keep_errors(4)
    g.set_limit(1)
    assert g.errors() is None
    g.go(fail, first)
    # The limit of one: this go returns once the failing task gave its slot
    # back, which it does after its error was recorded.
    g.go(hold)
    wait_for(hold.started)
    assert g.errors().exceptions == (first,)  # while `hold` runs
    hold.release.set()
    with pytest.raises(TaskFailure):
        g.wait()
    g.close()


def test_with_block_of_a_group_that_keeps_errors_raises_the_group():
    needs("eg_group_keep_errors", "eg_group_errors")
    a, b = TaskFailure("a"), KeyError("b")
    with pytest.raises(ExceptionGroup) as info:
        with Group() as g:
            g.keep_errors(5)
            g.set_limit(1)
            g.go(fail, a)
            g.go(fail, b)
    assert info.value.exceptions == (a, b)
    # Readable after the block closed the group.
    assert g.errors() is info.value
    assert g.dropped_errors == 0
    with pytest.raises(ValueError):
        g.go(lambda: None)


def test_errors_with_a_base_exception_is_a_base_exception_group():
    needs("eg_group_keep_errors", "eg_group_errors")
    leave = SystemExit(2)
    g = Group()
    g.keep_errors(5)
    g.go(fail, leave)
    with pytest.raises(SystemExit):
        g.wait()
    kept = g.errors()
    assert isinstance(kept, BaseExceptionGroup) and not isinstance(kept, Exception)
    assert kept.exceptions == (leave,)
    g.close()


def test_errors_of_a_context_group_first_is_the_cause():
    needs("eg_group_keep_errors", "eg_group_errors")
    first = TaskFailure("first")
    later = TaskFailure("later")
    g, ctx = Group.with_context()
    g.keep_errors(5)

    def fail_after_cancellation():
        assert ctx.wait(BOUND)
        raise later

    with ctx:
        g.go(fail_after_cancellation)
        g.go(fail, first)
        with pytest.raises(TaskFailure):
            g.wait()
        assert ctx.cause() is first
        assert g.errors().exceptions == (first, later)
        g.close()


def test_exception_group_fallback_before_python_3_11():
    """Python < 3.11 without the `exceptiongroup` backport: the module's
    stand-in (simulated here by hiding the builtins before the import)."""
    module_dir = os.path.dirname(os.path.dirname(os.path.abspath(liberrgroup.__file__)))
    program = textwrap.dedent(
        f"""
        import builtins, sys
        del builtins.BaseExceptionGroup, builtins.ExceptionGroup
        sys.modules["exceptiongroup"] = None  # not installed
        sys.path.insert(0, {module_dir!r})
        import liberrgroup
        if not hasattr(liberrgroup._lib, "eg_group_keep_errors"):
            print("SKIP"); raise SystemExit
        g = liberrgroup.Group()
        g.keep_errors(3)
        g.set_limit(1)
        a, b = ValueError("a"), SystemExit(1)
        g.go(lambda: (_ for _ in ()).throw(a))
        try:
            g.wait()
        except ValueError as exc:
            assert exc is a
        eg = g.errors()
        assert type(eg) is liberrgroup.ExceptionGroup, type(eg)
        assert isinstance(eg, Exception) and eg.exceptions == (a,)
        assert str(eg) == "errgroup: 1 task error (1 sub-exception)", str(eg)
        base = liberrgroup.BaseExceptionGroup("m", [b])
        assert type(base) is liberrgroup.BaseExceptionGroup and not isinstance(base, Exception)
        g.close()
        print("OK")
        """
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True,
                            text=True, timeout=120, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    if result.stdout.strip() == "SKIP":
        pytest.skip("the library has no eg_group_keep_errors yet")
    assert result.stdout.strip() == "OK", result.stdout + result.stderr


# ---------------------------------------------------------------------------
# 2. skip_when_canceled
# ---------------------------------------------------------------------------


def test_skip_mode_refuses_go_try_go_once_canceled():
    needs("eg_group_skip_when_canceled", "eg_group_skipped", "eg_group_cancel")
    ran = []
    g = Group()
    g.skip_when_canceled()
    g.go(ran.append, "before")
    g.wait()
    assert g.skipped == 0
    g.cancel()
    with pytest.raises(TaskSkipped) as info:
        g.go(ran.append, "after")
    assert info.value.code == liberrgroup.EG_ESKIPPED
    assert str(info.value) == "errgroup: task skipped, group canceled"
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(TaskSkipped):
        g.try_go(ran.append, "after")
    assert g.skipped == 2
    assert g.wait() is True
    assert ran == ["before"]
    with pytest.raises(LibraryError):
        g.skip_when_canceled()  # after the first task
    g.close()


def test_skip_mode_after_a_task_error_and_reuse_of_a_context_group():
    needs("eg_group_skip_when_canceled")
    raised = TaskFailure("stop")
    g = Group()
    g.skip_when_canceled()
    g.go(fail, raised)
    with pytest.raises(TaskFailure):
        g.wait()
    with pytest.raises(TaskSkipped):
        g.go(lambda: None)  # a recorded error canceled the group
    g.close()

    # A context group is canceled by the end of its wait: reuse then skips.
    g, ctx = Group.with_context()
    with ctx:
        g.skip_when_canceled()
        g.go(lambda: None)
        g.wait()
        with pytest.raises(TaskSkipped):
            g.go(lambda: None)
        g.close()


def test_skip_mode_worker_queue_is_skipped_and_reported():
    needs("eg_group_skip_when_canceled", "eg_group_skipped", "eg_group_on_task_done",
          "eg_group_cancel")
    hold = Holder()
    ran = []
    g = Group()
    g.set_workers(1)
    g.skip_when_canceled()
    g.track_completions()
    g.go(hold, "held")
    wait_for(hold.started)
    for i in range(5):
        g.go(ran.append, i)  # queued behind the only worker
    g.cancel()  # the queued tasks are skipped now (reported, counted)
    hold.release.set()
    assert g.wait() is True
    assert ran == []
    assert g.skipped == 5
    results = list(g.as_completed())
    assert len(results) == 6
    skipped = [r for r in results if r.skipped]
    assert [r.args for r in skipped] == [(i,) for i in range(5)]
    for r in skipped:
        assert r.exception is None and r.value is None
        with pytest.raises(TaskSkipped):
            r.result()
    (held,) = [r for r in results if not r.skipped]
    assert held.value == "held"
    g.close()


def test_skip_mode_blocked_go_at_the_limit_is_skipped():
    needs("eg_group_skip_when_canceled", "eg_group_cancel")
    hold = Holder()
    g = Group()
    g.set_limit(1)
    g.skip_when_canceled()
    g.go(hold)
    wait_for(hold.started)
    outcome = []

    def blocked_go():
        try:
            g.go(outcome.append, "ran")
        except TaskSkipped:
            outcome.append("skipped")

    t = threading.Thread(target=blocked_go)
    t.start()
    # Whether the thread is already blocked at the limit or calls go after
    # the cancellation, the outcome is the same: skipped (it is woken).
    g.cancel()
    t.join(BOUND)
    assert not t.is_alive()
    assert outcome == ["skipped"]
    hold.release.set()
    g.wait()
    g.close()


def test_skip_mode_nested_go_in_a_task_is_skipped():
    needs("eg_group_skip_when_canceled", "eg_group_cancel")
    outcome = []
    g = Group()
    g.skip_when_canceled()

    def parent():
        g.cancel()
        try:
            g.go(outcome.append, "child")
        except TaskSkipped:
            outcome.append("skipped")

    g.go(parent)
    assert g.wait() is True
    assert outcome == ["skipped"]
    g.close()


# ---------------------------------------------------------------------------
# 3. track_completions and as_completed
# ---------------------------------------------------------------------------


def test_as_completed_yields_each_task_with_value_or_exception():
    needs("eg_group_on_task_done")
    raised = TaskFailure("3 is bad")

    def square(n):
        if n == 3:
            raise raised
        return n * n

    g = Group()
    g.track_completions()
    for n in range(6):
        g.go(square, n)
    results = list(g.as_completed())
    assert sorted(r.args[0] for r in results) == list(range(6))
    for r in results:
        assert isinstance(r, TaskResult) and r.fn is square and not r.skipped
        if r.args == (3,):
            assert r.exception is raised and r.value is None
            with pytest.raises(TaskFailure) as info:
                r.result()
            assert info.value is raised
        else:
            assert r.exception is None and r.result() == r.args[0] ** 2
    with pytest.raises(TaskFailure):
        g.wait()
    g.close()


def test_as_completed_streams_before_the_group_is_done():
    needs("eg_group_on_task_done")
    hold = Holder()
    g = Group()
    g.track_completions()
    g.go(hold, "slow")
    g.go(lambda: "fast")
    results = g.as_completed()
    first = next(results)  # while "slow" still runs
    assert first.value == "fast"
    assert not hold.release.is_set()
    hold.release.set()
    assert [r.value for r in results] == ["slow"]
    g.wait()
    g.close()


def test_as_completed_order_with_a_limit_nested_and_reuse():
    needs("eg_group_on_task_done")
    g = Group()
    g.track_completions()
    g.set_limit(1)
    for i in range(4):
        g.go(lambda i=i: i)
    assert [r.value for r in g.as_completed()] == [0, 1, 2, 3]  # the order they ended

    def parent():
        g.go(lambda: "child")  # nested (with a limit of one it would wait
        return "parent"        # for the parent's own slot: no limit now)

    g.wait()
    g.set_limit(-1)
    g.go(parent)  # reuse after wait: a new round of results
    assert sorted(r.value for r in g.as_completed()) == ["child", "parent"]
    assert list(g.as_completed()) == []  # nothing running: ends at once
    g.wait()
    g.close()


def test_as_completed_in_worker_mode_and_from_two_iterators():
    needs("eg_group_on_task_done")
    g = Group()
    g.set_workers(2)
    g.track_completions()
    for i in range(20):
        g.go(lambda i=i: i)
    taken = []

    def drain():
        taken.extend(r.value for r in g.as_completed())

    other = threading.Thread(target=drain)
    other.start()
    drain()
    other.join(BOUND)
    assert sorted(taken) == list(range(20))  # each result to one iterator
    g.wait()
    g.close()


def test_track_completions_only_before_the_first_task():
    needs("eg_group_on_task_done")
    g = Group()
    with pytest.raises(ValueError):
        g.as_completed()
    g.go(lambda: None)
    with pytest.raises(LibraryError) as info:
        g.track_completions()
    assert info.value.code == liberrgroup.EG_EBUSY
    g.wait()
    g.close()
    g = Group()
    g.track_completions()
    with pytest.raises(LibraryError):
        g.track_completions()
    g.close()


def test_completions_of_a_group_with_errors_release_every_payload():
    needs("eg_group_on_task_done")
    g, ctx = Group.with_context()
    g.track_completions()
    with ctx:
        for i in range(8):
            g.go(fail, TaskFailure(f"e{i}"))
        with pytest.raises(TaskFailure):
            g.wait()
        exceptions = [r.exception for r in g.as_completed()]
        assert len(exceptions) == 8 and all(isinstance(e, TaskFailure) for e in exceptions)
        g.close()
    # The results hold Python objects only: the library errors are gone
    # (fixture: every payload released exactly once).


# ---------------------------------------------------------------------------
# 4. wait(timeout=...) and idle
# ---------------------------------------------------------------------------


def test_wait_timeout_returns_false_while_tasks_run_and_cancels_nothing():
    needs("eg_group_wait_timeout", "eg_group_idle")
    hold = Holder()
    g, ctx = Group.with_context()
    with ctx:
        assert g.idle
        g.go(hold)
        wait_for(hold.started)
        assert not g.idle
        assert g.wait(timeout=0) is False  # polls
        # Timing is the feature here: a short bound that must pass.
        assert g.wait(timeout=0.01) is False
        assert not ctx.done()  # a timed-out wait cancels nothing
        hold.release.set()
        # Generous: the task returns as soon as it is released.
        assert g.wait(timeout=BOUND) is True
        assert g.idle
        assert ctx.done()  # the successful wait did cancel, as wait() does
        g.close()


def test_wait_timeout_raises_the_first_exception_once_done():
    needs("eg_group_wait_timeout")
    raised = TaskFailure("boom")
    g = Group()
    g.go(fail, raised)
    with pytest.raises(TaskFailure) as info:
        g.wait(timeout=BOUND)  # generous: the task fails at once
    assert info.value is raised
    g.go(lambda: None)  # reuse; sticky as wait()
    with pytest.raises(TaskFailure) as info:
        g.wait(timeout=BOUND)
    assert info.value is raised
    g.close()


def test_wait_timeout_in_worker_mode_with_queued_tasks():
    needs("eg_group_wait_timeout", "eg_group_idle")
    hold = Holder()
    ran = []
    g = Group()
    g.set_workers(1)
    g.go(hold)
    wait_for(hold.started)
    g.go(ran.append, "queued")
    assert g.wait(timeout=0) is False  # does not run the queued task here
    assert ran == [] and not g.idle
    hold.release.set()
    assert g.wait(timeout=BOUND) is True
    assert ran == ["queued"]
    g.close()


def test_wait_timeout_from_inside_a_task_times_out_instead_of_deadlocking():
    needs("eg_group_wait_timeout")
    seen = []
    g = Group()

    def inner():
        seen.append(g.wait(timeout=0))  # its own group: it is active
        try:
            g.wait()
        except LibraryError as exc:
            seen.append(exc.code)

    g.go(inner)
    assert g.wait() is True
    assert seen == [False, liberrgroup.EG_EDEADLK]
    g.close()


# ---------------------------------------------------------------------------
# 6. start and Ready
# ---------------------------------------------------------------------------


def test_start_returns_the_ready_value_while_the_task_runs():
    needs("eg_group_start", "eg_task_ready")
    stop = threading.Event()
    seen = []

    def serve(name, *, ready, suffix=""):
        assert isinstance(ready, Ready)
        assert ready(name + suffix) is True
        assert ready("again") is False  # only the first call counts
        wait_for(stop)
        seen.append("stopped")

    with Group() as g:
        assert g.start(serve, "port", suffix="-8080") == "port-8080"
        assert seen == []  # still running: start returned at ready
        stop.set()
    assert seen == ["stopped"]


def test_start_when_fn_returns_without_ready():
    needs("eg_group_start", "eg_task_ready")
    raised = TaskFailure("could not bind")
    g = Group()
    assert g.start(lambda *, ready: None) is None
    with pytest.raises(TaskFailure) as info:
        g.start(lambda *, ready: fail(raised))
    assert info.value is raised  # the starter gets it ...
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is raised  # ... and the group records it too
    g.close()


def test_start_ready_from_another_thread_and_its_context():
    needs("eg_group_start", "eg_task_ready", "eg_group_cancel")
    kept = []
    g, ctx = Group.with_context()

    def serve(*, ready):
        kept.append(ready)
        helper = threading.Thread(target=ready, args=("from a thread",))
        helper.start()
        helper.join(BOUND)
        assert ready.context.wait(BOUND)  # canceled with the group

    with ctx:
        assert g.start(serve) == "from a thread"
        assert not kept[0].context.done()
        g.cancel()
        assert g.wait() is True
        assert kept[0]() is False  # after the task returned: nothing
        assert kept[0].context.done()  # closed, still readable
        with pytest.raises(ValueError):
            kept[0].context.fd()
        g.close()


def test_start_with_a_limit_worker_mode_and_nested():
    needs("eg_group_start", "eg_task_ready")
    g = Group()
    g.set_limit(2)

    def child(*, ready):
        ready("child")

    def parent(*, ready):
        ready(g.start(child))  # nested start inside a started task

    assert g.start(parent) == "child"
    g.wait()
    g.close()

    hold = Holder()
    g = Group()
    g.set_workers(1)
    g.go(hold)
    wait_for(hold.started)
    done = threading.Event()
    got = []

    def start_behind_the_worker():
        got.append(g.start(lambda *, ready: ready("queued, then ready")))
        done.set()

    t = threading.Thread(target=start_behind_the_worker)
    t.start()
    assert not done.is_set()  # queued behind the only worker ...
    hold.release.set()  # ... until it frees
    wait_for(done)
    t.join(BOUND)
    assert got == ["queued, then ready"]
    g.wait()
    g.close()


def test_start_refuses_a_ready_keyword_and_is_skipped_when_canceled():
    needs("eg_group_start", "eg_group_skip_when_canceled", "eg_group_cancel",
          "eg_group_on_task_done")
    g = Group()
    with pytest.raises(TypeError):
        g.start(lambda *, ready: None, ready=1)
    g.skip_when_canceled()
    g.track_completions()
    assert g.start(lambda *, ready: ready(1)) == 1
    g.cancel()
    with pytest.raises(TaskSkipped):
        g.start(lambda *, ready: ready(2))
    g.wait()
    results = list(g.as_completed())  # started tasks are reported too
    assert [r.kwargs for r in results] == [{}]
    assert g.skipped == 1
    g.close()


# ---------------------------------------------------------------------------
# 7. resize_limit
# ---------------------------------------------------------------------------


def test_resize_limit_raising_admits_blocked_callers():
    needs("eg_group_resize_limit")
    hold = Holder()
    second_ran = threading.Event()
    g = Group()
    g.set_limit(1)
    g.go(hold)
    wait_for(hold.started)
    t = threading.Thread(target=g.go, args=(second_ran.set,))
    t.start()  # blocks at the limit (or comes after the resize: admitted)
    g.resize_limit(2)
    wait_for(second_ran)  # admitted while the holder still holds its slot
    assert not hold.release.is_set()
    t.join(BOUND)
    hold.release.set()
    g.wait()
    g.close()


def test_resize_limit_lowering_stops_no_task():
    needs("eg_group_resize_limit")
    holds = [Holder(), Holder()]
    g = Group()
    g.set_limit(3)
    for h in holds:
        g.go(h)
        wait_for(h.started)
    g.resize_limit(1)
    assert g.try_go(lambda: None) is False  # two run, the limit is one
    holds[0].release.set()
    holds[1].release.set()
    g.wait()
    assert g.try_go(lambda: None) is True  # idle: one slot
    g.wait()
    g.resize_limit(-1)  # no limit at all
    more = [Holder() for _ in range(3)]
    for h in more:
        g.go(h)  # would block with a limit
        wait_for(h.started)
    for h in more:
        h.release.set()
    g.wait()
    g.close()


def test_resize_limit_without_a_limit_and_in_worker_mode():
    needs("eg_group_resize_limit")
    hold = Holder()
    g = Group()
    g.go(hold)
    wait_for(hold.started)
    with pytest.raises(LimitBusyError):
        g.resize_limit(1)  # no limit yet and a task is active: set_limit's rule
    hold.release.set()
    g.wait()
    g.resize_limit(1)  # idle: the same as set_limit
    assert g.try_go(lambda: None) is True
    g.wait()
    g.close()
    g = Group()
    g.set_workers(2)
    with pytest.raises(ValueError):
        g.resize_limit(3)
    g.close()


# ---------------------------------------------------------------------------
# Lifetimes
# ---------------------------------------------------------------------------


def test_a_tracked_group_dropped_while_its_tasks_run_is_freed_after_them():
    needs("eg_group_on_task_done", "eg_group_skip_when_canceled")
    hold = Holder()
    g = Group()
    g.skip_when_canceled()
    g.track_completions()
    g.go(hold)
    wait_for(hold.started)
    ref = weakref.ref(g)
    del g  # the registry keeps it until the task's end is reported
    gc.collect()
    assert ref() is not None
    hold.release.set()
    # The report forgets the task, drops the last reference, and the group
    # is freed (by the library once the task has left it).
    with liberrgroup._no_pending_tasks:
        assert liberrgroup._no_pending_tasks.wait_for(
            lambda: not liberrgroup._pending_tasks, BOUND)
    # The task's thread may still hold the group in the frame of the
    # callback that reported it until that call returns: no event marks its
    # return, so look again (bounded) instead of once.
    deadline = time.monotonic() + BOUND
    while True:
        gc.collect()
        if ref() is None or time.monotonic() > deadline:
            break
        time.sleep(0.001)
    assert ref() is None
