# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the liberrgroup package (python/liberrgroup). Run by
scripts/python_test.sh (against a build) and scripts/python_pip_test.sh
(against the package pip installed).

Ordering between tasks is made with threading primitives, never with
sleeps. Event waits carry a generous timeout only so that a bug fails the
test instead of hanging it.
"""
import os
import re
import select
import subprocess
import sys
import textwrap
import threading

import pytest

import liberrgroup
from liberrgroup import (
    Canceled,
    Context,
    DeadlineExceeded,
    Group,
    LibraryError,
    LimitBusyError,
)

BOUND = 30.0  # seconds: a safety net, not an ordering device


class TaskFailure(Exception):
    """What the tasks of these tests raise."""


def wait_for(event: threading.Event) -> None:
    assert event.wait(BOUND), "timed out: a task never got there"


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """Every test must leave no task and no exception registered."""
    yield
    import gc

    gc.collect()
    assert liberrgroup._pending_tasks == {}
    assert liberrgroup._exceptions == {}


# ---------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------


def test_all_tasks_run_and_wait_returns():
    done = []
    lock = threading.Lock()

    def record(i, scale=1):
        with lock:
            done.append(i * scale)

    with Group() as g:
        for i in range(50):
            g.go(record, i, scale=2)
    assert sorted(done) == [2 * i for i in range(50)]


def test_wait_raises_the_very_exception_the_task_raised():
    raised = TaskFailure("first")
    g = Group()
    g.go(lambda: None)

    def fail():
        raise raised

    g.go(fail)
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is raised
    assert info.value.__traceback__ is not None
    g.close()


def test_first_error_wins_and_later_ones_are_dropped():
    first = TaskFailure("first")
    later = TaskFailure("later")
    g, ctx = Group.with_context()

    def fail_first():
        raise first

    def fail_after_cancellation():
        # Runs until the first failure canceled the context: it loses.
        assert ctx.wait(BOUND)
        raise later

    with ctx:
        for _ in range(3):
            g.go(fail_after_cancellation)
        g.go(fail_first)
        with pytest.raises(TaskFailure) as info:
            g.wait()
        assert info.value is first
        assert ctx.cause() is first
        g.close()


def test_with_block_waits_and_raises_the_first_exception():
    raised = TaskFailure("boom")
    finished = threading.Event()

    def fail():
        raise raised

    def slow():
        finished.set()

    with pytest.raises(TaskFailure) as info:
        with Group() as g:
            g.go(fail)
            g.go(slow)
    assert info.value is raised
    assert finished.is_set()  # the block waited for every task
    with pytest.raises(ValueError):
        g.go(slow)  # leaving the block closed the group


def test_exception_of_the_block_wins_over_the_groups():
    def fail():
        raise TaskFailure("task")

    with pytest.raises(KeyError):
        with Group() as g:
            g.go(fail)
            raise KeyError("block")


def test_cancellation_reaches_the_other_tasks():
    raised = TaskFailure("stop")
    waiting = 4
    all_waiting = threading.Barrier(waiting + 1)
    seen = []
    lock = threading.Lock()
    g, ctx = Group.with_context()

    def wait_for_cancellation():
        all_waiting.wait(BOUND)
        ctx.wait()
        with lock:
            seen.append((type(ctx.err()), ctx.cause()))

    def fail_once_all_wait():
        all_waiting.wait(BOUND)
        raise raised

    with ctx:
        for _ in range(waiting):
            g.go(wait_for_cancellation)
        g.go(fail_once_all_wait)
        with pytest.raises(TaskFailure) as info:
            g.wait()
        g.close()
        assert info.value is raised
        assert seen == [(Canceled, raised)] * waiting


def test_context_of_a_successful_group_is_canceled_by_wait():
    g, ctx = Group.with_context()
    with ctx:
        g.go(lambda: None)
        g.wait()
        g.close()
        assert ctx.done()
        assert isinstance(ctx.err(), Canceled)
        assert isinstance(ctx.cause(), Canceled)
        with pytest.raises(ValueError):
            ctx.cancel()  # only the group cancels its context, as in Go


def test_group_made_from_a_canceled_parent_starts_canceled():
    reason = TaskFailure("parent went away")
    with Context.with_cancel() as parent:
        parent.cancel(reason)
        g, ctx = Group.with_context(parent)
        with ctx, g:
            assert ctx.done()
            assert ctx.cause() is reason


def test_limit_bounds_the_tasks_running_at_once():
    limit = 3
    running = 0
    most = 0
    lock = threading.Lock()

    def count():
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        with lock:
            running -= 1

    with Group() as g:
        g.set_limit(limit)
        for _ in range(60):
            g.go(count)
    assert 1 <= most <= limit


def test_try_go_refuses_when_the_limit_is_reached():
    release = threading.Event()
    started = threading.Event()
    ran = []

    def hold_the_slot():
        started.set()
        wait_for(release)

    g = Group()
    g.set_limit(1)
    g.go(hold_the_slot)
    wait_for(started)
    assert g.try_go(ran.append, "refused") is False
    release.set()
    g.wait()
    assert ran == []  # a refused task never runs
    assert g.try_go(ran.append, "accepted") is True
    g.wait()
    assert ran == ["accepted"]
    g.close()


def test_try_go_without_limit_always_starts():
    ran = []
    with Group() as g:
        assert all(g.try_go(ran.append, i) for i in range(10))
    assert sorted(ran) == list(range(10))


def test_set_limit_while_tasks_are_active_raises_with_the_reference_text():
    release = threading.Event()
    started = threading.Event()

    def hold():
        started.set()
        wait_for(release)

    g = Group()
    g.go(hold)
    wait_for(started)
    with pytest.raises(LimitBusyError) as info:
        g.set_limit(1)
    assert str(info.value) == (
        "errgroup: modify limit while 1 tasks in the group are still active"
    )
    assert info.value.code == liberrgroup.EG_EBUSY
    g.set_limit(-1)  # removing a limit is always allowed
    release.set()
    g.wait()
    g.set_limit(2)  # idle again: accepted
    g.close()


def test_worker_mode_queues_instead_of_blocking():
    release = threading.Event()
    started = threading.Event()
    ran = []
    lock = threading.Lock()

    def hold():
        started.set()
        wait_for(release)

    def record(i):
        with lock:
            ran.append(i)

    g = Group()
    g.set_workers(1)
    g.go(hold)
    wait_for(started)
    for i in range(20):
        g.go(record, i)  # the only worker is busy: queued, go returns
    assert g.try_go(record, -1) is False
    assert ran == []
    release.set()
    g.wait()
    assert ran == list(range(20))  # first in, first out
    with pytest.raises(LibraryError):
        g.set_workers(2)  # only before the first task
    g.close()
    with Group() as other:
        with pytest.raises(ValueError):
            other.set_workers(0)


def test_reuse_after_wait_and_the_first_error_is_sticky():
    first = TaskFailure("first round")
    second = TaskFailure("second round")
    ran = []

    def fail(exc):
        raise exc

    g = Group()
    g.go(fail, first)
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is first

    g.go(ran.append, "reused")  # the group runs tasks again after wait
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is first  # sticky
    assert ran == ["reused"]

    g.go(fail, second)
    with pytest.raises(TaskFailure) as info:
        g.wait()
    assert info.value is first  # still the first one
    g.close()


def test_nested_go_from_inside_a_task():
    ran = []
    lock = threading.Lock()

    def parent(g):
        for i in range(5):
            g.go(child, i)

    def child(i):
        with lock:
            ran.append(i)

    with Group() as g:
        g.go(parent, g)
    assert sorted(ran) == list(range(5))


def test_any_exception_type_travels_unchanged():
    raised = SystemExit(3)  # a BaseException, not an Exception

    def leave():
        raise raised

    with pytest.raises(SystemExit) as info:
        with Group() as g:
            g.go(leave)
    assert info.value is raised


def test_exceptions_are_released_with_the_group_and_its_context():
    g, ctx = Group.with_context()

    def fail():
        raise TaskFailure("kept while referenced")

    g.go(fail)
    with pytest.raises(TaskFailure):
        g.wait()
    assert len(liberrgroup._exceptions) == 1
    g.close()  # the context still holds the error as its cause
    assert len(liberrgroup._exceptions) == 1
    ctx.close()
    assert liberrgroup._exceptions == {}


def test_go_rejects_what_is_not_callable():
    with Group() as g:
        with pytest.raises(TypeError):
            g.go(42)


# ---------------------------------------------------------------------------
# Contexts
# ---------------------------------------------------------------------------


def test_context_done_err_cause():
    reason = TaskFailure("why")
    with Context.with_cancel() as ctx:
        assert not ctx.done()
        assert ctx.err() is None
        assert ctx.cause() is None
        assert ctx.wait(timeout=0) is False
        ctx.cancel(reason)
        assert ctx.done()
        err = ctx.err()
        assert isinstance(err, Canceled) and str(err) == "context canceled"
        assert ctx.cause() is reason
        ctx.cancel(TaskFailure("too late"))  # the first cancellation wins
        assert ctx.cause() is reason
        assert ctx.wait() is True


def test_cancel_without_cause_gives_canceled():
    with Context.with_cancel() as ctx:
        ctx.cancel()
        assert isinstance(ctx.cause(), Canceled)
        assert str(ctx.cause()) == "context canceled"


def test_cancellation_flows_to_children_not_parents():
    reason = TaskFailure("parent")
    with Context.with_cancel() as parent, Context.with_cancel(parent) as child:
        with Context.with_cancel(parent) as sibling:
            sibling.cancel()
            assert not parent.done() and not child.done()
        parent.cancel(reason)
        assert child.wait(BOUND)
        assert child.cause() is reason


def test_deadline_exceeded():
    with Context.with_timeout(0.001) as ctx:
        assert ctx.deadline() is not None
        assert ctx.wait(BOUND)
        err = ctx.err()
        assert isinstance(err, DeadlineExceeded)
        assert isinstance(err, TimeoutError)
        assert str(err) == "context deadline exceeded"
        assert isinstance(ctx.cause(), DeadlineExceeded)


def test_fd_becomes_readable_when_done():
    with Context.with_cancel() as ctx:
        fd = ctx.fd()
        assert fd >= 0
        assert select.select([ctx], [], [], 0)[0] == []
        ctx.cancel()
        assert select.select([fd], [], [], BOUND)[0] == [fd]


def test_background_context():
    bg = Context.background()
    assert not bg.done()
    assert bg.err() is None
    assert bg.deadline() is None
    assert bg.wait(timeout=0) is False
    with pytest.raises(ValueError):
        bg.wait()  # would never return
    with pytest.raises(ValueError):
        bg.cancel()
    bg.close()  # not owned: nothing happens
    assert not Context.background().done()


def test_closed_objects_refuse_use():
    ctx = Context.with_cancel()
    ctx.close()
    ctx.close()
    with pytest.raises(ValueError):
        ctx.done()
    g = Group()
    g.close()
    g.close()
    with pytest.raises(ValueError):
        g.wait()


def header_version() -> str:
    header = os.path.join(os.path.dirname(__file__), "..", "..", "include", "errgroup.h")
    with open(header, encoding="utf-8") as f:
        text = f.read()
    parts = [re.search(r"#define EG_VERSION_%s (\d+)" % p, text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


def test_library_version_matches_the_header():
    assert liberrgroup.library_version() == header_version()
    assert issubclass(LimitBusyError, LibraryError)


def test_installed_distribution_version_is_the_librarys():
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        pytest.skip("no importlib.metadata")
    try:
        installed = version("liberrgroup")
    except PackageNotFoundError:
        pytest.skip("the package is not pip-installed (scripts/python_pip_test.sh does that)")
    assert installed == liberrgroup.library_version()


def import_in_a_subprocess(env_changes, module_dir=None):
    module_dir = module_dir or os.path.dirname(os.path.dirname(os.path.abspath(liberrgroup.__file__)))
    env = os.environ.copy()
    env.update(env_changes)
    env = {k: v for k, v in env.items() if v is not None}
    program = f"import sys; sys.path.insert(0, {module_dir!r}); import liberrgroup"
    return subprocess.run([sys.executable, "-c", program], capture_output=True,
                          text=True, timeout=120, env=env)


def test_import_error_names_the_fix_for_a_bad_liberrgroup_path():
    result = import_in_a_subprocess({"LIBERRGROUP_PATH": "/nonexistent/liberrgroup.so.1"})
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: liberrgroup: cannot load the C library"), last
    assert "/nonexistent/liberrgroup.so.1" in last
    assert "LIBERRGROUP_PATH must name a loadable liberrgroup.so.1" in last


def test_import_error_names_the_fix_when_no_library_is_found(tmp_path):
    # (Asked in a fresh process: this one has the library loaded already,
    # and dlopen by SONAME would find that.)
    probe = subprocess.run(
        [sys.executable, "-c", "import ctypes; ctypes.CDLL('liberrgroup.so.1')"],
        capture_output=True, timeout=120)
    if probe.returncode == 0:
        pytest.skip("a liberrgroup.so.1 is installed in the system")
    # The module alone, without the library a pip install puts beside it.
    package = tmp_path / "liberrgroup"
    package.mkdir()
    source = os.path.join(os.path.dirname(os.path.abspath(liberrgroup.__file__)), "__init__.py")
    with open(source, encoding="utf-8") as f:
        (package / "__init__.py").write_text(f.read(), encoding="utf-8")
    result = import_in_a_subprocess({"LIBERRGROUP_PATH": None}, str(tmp_path))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: liberrgroup: cannot load the C library"), last
    assert "pip install ./python" in last and "LIBERRGROUP_PATH" in last


def test_with_context_and_group_leaves_the_cause_readable():
    """The docstring's idiom: `with ctx, g:` waits, then closes ctx; the
    cause is still the task's very exception afterwards, as Go's
    context.Cause(ctx) after Wait."""
    raised = TaskFailure("boom")

    def fail():
        raise raised

    g, ctx = Group.with_context()
    with pytest.raises(TaskFailure) as info:
        with ctx, g:
            g.go(fail)
    assert info.value is raised
    assert ctx.done()
    assert ctx.cause() is raised
    assert isinstance(ctx.err(), Canceled)
    assert ctx.err() is not ctx.err()  # a new instance each time, as before
    with pytest.raises(ValueError, match="context is closed"):
        ctx.fd()  # the rest needs the library's context, which is gone

    # Success: the context is canceled by wait, with Canceled as cause.
    g, ctx = Group.with_context()
    with ctx, g:
        g.go(lambda: None)
    assert ctx.done()
    assert isinstance(ctx.cause(), Canceled)


# ---------------------------------------------------------------------------
# Interpreter exit
# ---------------------------------------------------------------------------


def test_interpreter_exit_drains_live_groups():
    """A program that never waits still exits: the drain cancels the root
    context (tasks watching a context made from it stop) and waits for the
    tasks, also those of a group already closed."""
    module_dir = os.path.dirname(os.path.dirname(os.path.abspath(liberrgroup.__file__)))
    program = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {module_dir!r})
        import liberrgroup

        def say(line):  # one write(2) per line: threads do not interleave
            os.write(1, (line + "\\n").encode())

        def watch(ctx, name):
            ctx.wait()
            say(f"{{name}} stopped: {{ctx.err()}}")

        g, ctx = liberrgroup.Group.with_context()
        g.go(watch, ctx, "live group")

        closed, closed_ctx = liberrgroup.Group.with_context()
        closed.go(watch, closed_ctx, "closed group")
        closed.close()

        plain = liberrgroup.Group()
        plain.go(say, "plain task ran")
        say("main done")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert lines == [
        "closed group stopped: context canceled",
        "live group stopped: context canceled",
        "main done",
        "plain task ran",
    ], result.stdout + result.stderr
