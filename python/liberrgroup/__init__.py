# SPDX-License-Identifier: BSD-3-Clause
"""Go's errgroup (and context) semantics for Python, on liberrgroup.so.1.

Standard library only: the shared library is loaded with ctypes from

  1. the path in the environment variable LIBERRGROUP_PATH, else
  2. the copy inside this package (``pip install ./python`` builds it), else
  3. the system's ``liberrgroup.so.1`` (the dynamic loader's search:
     LD_LIBRARY_PATH, /etc/ld.so.cache; e.g. the liberrgroup1 package).

If none loads, importing the module raises ImportError saying what to do.

Usage::

    import liberrgroup

    with liberrgroup.Group() as g:          # waits on exit, raises the
        for url in urls:                    # first exception a task raised
            g.go(fetch, url)

    g, ctx = liberrgroup.Group.with_context()
    try:
        with ctx, g:                        # g exits first: waits, then
            for part in parts:              # ctx is closed. ctx is canceled
                g.go(worker, ctx, part)     # by the first failure, or when
    except Exception:                       # the group's wait returns
        print(ctx.cause())                  # still readable: see close()

Semantics (those of golang.org/x/sync/errgroup):

* A task is ``fn(*args, **kwargs)`` run on a thread of the library's pool
  (or on a thread blocked in ``wait``/``go``, which may run queued tasks).
  A task fails by raising; its return value is ignored.
* ``wait()`` blocks until every task started so far has returned and raises
  the first exception a task raised: the very object (``is``-identical),
  with its traceback. Later failures are dropped. The first error is
  sticky: waiting again, even after more rounds of ``go``, raises it again.
* A group made by ``Group.with_context(parent)`` has a context that is
  canceled with the first exception as its cause, or when ``wait`` returns.

Contexts (Go's context package):

* ``err()`` is ``None`` while the context is not done, then a *new instance*
  of ``Canceled`` or ``DeadlineExceeded`` whose ``str()`` is Go's text
  ("context canceled", "context deadline exceeded"). Test with
  ``isinstance`` (or ``type(ctx.err()) is Canceled``), not ``is``.
* ``cause()`` is ``None`` while not done, then the cause of the first
  cancellation: the very exception object given to ``cancel(cause)`` or
  raised by the group's first failing task, else a new ``Canceled`` /
  ``DeadlineExceeded``, else (an error made by other code) a
  ``LibraryError`` carrying its code and message.
* ``parent=None`` everywhere means this module's root context: a child of
  the library's background context that is never canceled while the
  interpreter runs, and is canceled when it exits (see "Exit" below).
  ``Context.background()`` is the library's background context itself.

Lifetimes. Every callback C may call is a module-level ctypes function
object, alive for the life of the module. A task's function and arguments
stay in a registry (which also holds its group) until the task has run. A
task's exception is kept in a registry keyed by an id; the id is the payload
of the library error (``eg_error_wrap``) that carries it through the group,
and the library's release callback for that payload removes it: the
exception lives exactly as long as some group or context still refers to
it. ``close()`` (or leaving a ``with`` block) gives a group or context back
to the library at once; otherwise that happens when the object is garbage
collected.

Beyond the reference (library 1.1, opt-in; python/README.md has the
table): ``keep_errors``/``errors`` (every exception, as an ExceptionGroup),
``skip_when_canceled`` (TaskSkipped), ``track_completions``/``as_completed``
(an iterator of TaskResult), ``wait(timeout=...)``/``idle``,
``cancel``/``canceled``, ``start`` (returns once the task calls
``ready(value)``), ``resize_limit``. With a 1.0 library they raise
NotImplementedError; everything else works.

Exit. At interpreter exit (atexit) the module cancels its root context, so
tasks that watch a context made from it stop, then waits for every live
group: no task is left running Python code while the interpreter shuts
down. A task that ignores its context and never returns still blocks exit,
as a non-daemon thread would.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import itertools
import os
import sys
import threading
import weakref
from ctypes import (
    CFUNCTYPE,
    POINTER,
    byref,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint64,
    c_void_p,
)
from collections import deque
from typing import Any, Callable, Iterator, List, Optional, Tuple

__all__ = [
    "BaseExceptionGroup",
    "Canceled",
    "Context",
    "ContextError",
    "DeadlineExceeded",
    "ExceptionGroup",
    "Group",
    "LibraryError",
    "LimitBusyError",
    "Ready",
    "TaskResult",
    "TaskSkipped",
    "library_version",
    "EG_OK",
    "EG_EINVAL",
    "EG_ENOMEM",
    "EG_EAGAIN",
    "EG_EBUSY",
    "EG_ETIMEDOUT",
    "EG_ECANCELED",
    "EG_EDEADLINE_EXCEEDED",
    "EG_EDEADLK",
    "EG_ESKIPPED",
]

# Status codes of include/errgroup.h.
EG_OK = 0
EG_EINVAL = -1
EG_ENOMEM = -2
EG_EAGAIN = -3
EG_EBUSY = -4
EG_ETIMEDOUT = -5
EG_ECANCELED = -6
EG_EDEADLINE_EXCEEDED = -7
EG_EDEADLK = -8
EG_ESKIPPED = -9

# The code of the library errors that carry a Python exception ("PY").
PYTHON_EXCEPTION_CODE = 0x5059


# ---------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------


class ContextError(Exception):
    """Base of the errors a context reports when it is done."""


class Canceled(ContextError):
    """Go's context.Canceled: ``str()`` is "context canceled"."""


class DeadlineExceeded(ContextError, TimeoutError):
    """Go's context.DeadlineExceeded: "context deadline exceeded"."""


class LibraryError(Exception):
    """A library error not made by this module (or a failing call).

    ``code`` is the error's (or the call's) code, ``str()`` its message.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class LimitBusyError(LibraryError, RuntimeError):
    """``set_limit`` refused while tasks are active (EG_EBUSY).

    ``str()`` is the reference's panic text with Python's word for what is
    active: "errgroup: modify limit while N tasks in the group are still
    active".
    """


class TaskSkipped(LibraryError, RuntimeError):
    """Skip mode (``Group.skip_when_canceled``): the task was not started
    because the group is canceled (EG_ESKIPPED).

    Raised by ``go``, ``try_go`` and ``start`` instead of starting the
    task, as a closed ``concurrent.futures`` executor or Trio nursery
    raises RuntimeError from ``submit``/``start_soon``: a loop that hands
    out work stops at the first refusal instead of dropping tasks without
    noticing. ``str()`` is "errgroup: task skipped, group canceled".
    """


# Exception groups: the builtins on Python 3.11+; before that the PyPI
# backport `exceptiongroup` if it is installed (what Trio and pytest use),
# else the minimal stand-in below (``message``, ``exceptions``, and a
# BaseExceptionGroup of Exceptions only is an ExceptionGroup, as in 3.11;
# no ``except*``, ``split`` or ``subgroup``).
try:
    BaseExceptionGroup = BaseExceptionGroup  # type: ignore[misc]  # noqa: F821
    ExceptionGroup = ExceptionGroup  # type: ignore[misc]  # noqa: F821
except NameError:
    try:
        from exceptiongroup import BaseExceptionGroup, ExceptionGroup  # type: ignore
    except ImportError:

        class BaseExceptionGroup(BaseException):  # type: ignore[no-redef]
            """Stand-in for Python 3.11's BaseExceptionGroup."""

            def __new__(cls, message: str, exceptions: Any) -> Any:
                exceptions = tuple(exceptions)
                if cls is BaseExceptionGroup and all(
                    isinstance(e, Exception) for e in exceptions
                ):
                    cls = ExceptionGroup
                return super().__new__(cls, message, exceptions)

            def __init__(self, message: str, exceptions: Any) -> None:
                super().__init__(message, tuple(exceptions))
                self.message = message
                self.exceptions = tuple(exceptions)

            def __str__(self) -> str:
                n = len(self.exceptions)
                return f"{self.message} ({n} sub-exception{'s' if n != 1 else ''})"

        class ExceptionGroup(BaseExceptionGroup, Exception):  # type: ignore[no-redef]
            """Stand-in for Python 3.11's ExceptionGroup."""


# ---------------------------------------------------------------------------
# Loading and prototypes
# ---------------------------------------------------------------------------


_LIBRARY_NAME = "liberrgroup.so.1"


def _load_library() -> ctypes.CDLL:
    # CDLL (not PyDLL): every call releases the GIL, so a call that blocks
    # (wait, go on a full limit, context wait) never blocks other threads,
    # and tasks run by the calling thread itself can take the GIL.
    path = os.environ.get("LIBERRGROUP_PATH")
    if path:
        candidates = [(path, "LIBERRGROUP_PATH")]
    else:
        bundled = os.path.join(os.path.dirname(os.path.abspath(__file__)), _LIBRARY_NAME)
        candidates = [(bundled, "the package")] if os.path.exists(bundled) else []
        candidates.append((_LIBRARY_NAME, "the system"))
    failures = []
    for candidate, origin in candidates:
        try:
            return ctypes.CDLL(candidate)
        except OSError as exc:
            failures.append(f"{origin}: {exc}")
    if path:
        fix = (
            "LIBERRGROUP_PATH must name a loadable liberrgroup.so.1 (unset it "
            "to use the package's own copy or the system's)"
        )
    else:
        fix = (
            "install the package with the library built in (pip install "
            "./python, from the liberrgroup repository), or install the C "
            "library (cmake --install, or the liberrgroup1 Debian package), "
            "or set LIBERRGROUP_PATH to the path of liberrgroup.so.1"
        )
    raise ImportError(
        f"liberrgroup: cannot load the C library {_LIBRARY_NAME} "
        f"({'; '.join(failures)}): {fix}"
    )


_lib = _load_library()

# eg_error *(*eg_task_fn)(eg_context *ctx, void *arg)
_TASK_FN = CFUNCTYPE(c_void_p, c_void_p, c_void_p)
# void (*release_payload)(void *payload)
_RELEASE_FN = CFUNCTYPE(None, c_void_p)


def _prototype(name: str, restype: Any, *argtypes: Any) -> Any:
    function = getattr(_lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


_eg_version = _prototype("eg_version", c_int)
_eg_version_string = _prototype("eg_version_string", c_char_p)
_eg_strerror = _prototype("eg_strerror", c_char_p, c_int)
_eg_error_new = _prototype("eg_error_new", c_void_p, c_int, c_char_p)
_eg_error_wrap = _prototype(
    "eg_error_wrap", c_void_p, c_int, c_char_p, c_void_p, _RELEASE_FN
)
_eg_error_release = _prototype("eg_error_release", None, c_void_p)
_eg_error_code = _prototype("eg_error_code", c_int, c_void_p)
_eg_error_message = _prototype("eg_error_message", c_char_p, c_void_p)
_eg_error_payload = _prototype("eg_error_payload", c_void_p, c_void_p)
_eg_error_canceled = _prototype("eg_error_canceled", c_void_p)
_eg_error_deadline_exceeded = _prototype("eg_error_deadline_exceeded", c_void_p)
_eg_context_background = _prototype("eg_context_background", c_void_p)
_eg_context_with_cancel = _prototype(
    "eg_context_with_cancel", c_int, c_void_p, POINTER(c_void_p)
)
_eg_context_with_timeout = _prototype(
    "eg_context_with_timeout", c_int, c_void_p, c_int64, POINTER(c_void_p)
)
_eg_context_release = _prototype("eg_context_release", None, c_void_p)
_eg_context_cancel = _prototype("eg_context_cancel", c_int, c_void_p, c_void_p)
_eg_context_done = _prototype("eg_context_done", c_int, c_void_p)
_eg_context_wait = _prototype("eg_context_wait", c_int, c_void_p, c_int64)
_eg_context_err = _prototype("eg_context_err", c_int, c_void_p)
_eg_context_cause = _prototype("eg_context_cause", c_void_p, c_void_p)
_eg_context_deadline = _prototype(
    "eg_context_deadline", c_int, c_void_p, POINTER(c_int64)
)
_eg_context_fd = _prototype("eg_context_fd", c_int, c_void_p)
_eg_now_ns = _prototype("eg_now_ns", c_int64)
_eg_group_new = _prototype("eg_group_new", c_int, POINTER(c_void_p))
_eg_group_with_context = _prototype(
    "eg_group_with_context", c_int, c_void_p, POINTER(c_void_p), POINTER(c_void_p)
)
_eg_group_go = _prototype("eg_group_go", c_int, c_void_p, _TASK_FN, c_void_p)
_eg_group_try_go = _prototype("eg_group_try_go", c_int, c_void_p, _TASK_FN, c_void_p)
_eg_group_set_limit = _prototype(
    "eg_group_set_limit", c_int, c_void_p, c_int, POINTER(c_void_p)
)
_eg_group_set_workers = _prototype("eg_group_set_workers", c_int, c_void_p, c_int)
_eg_group_wait = _prototype("eg_group_wait", c_void_p, c_void_p)
_eg_group_free = _prototype("eg_group_free", None, c_void_p)

# void (*eg_task_done_fn)(void *done_arg, void *task_arg, int status,
#                         eg_error *error)
_TASK_DONE_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_int, c_void_p)


def _optional(name: str, restype: Any, *argtypes: Any) -> Any:
    """Beyond the reference (since 1.1): a function an older library (a
    system liberrgroup.so.1 of 1.0) lacks. The module still loads; only the
    methods that need it raise NotImplementedError (_need)."""
    try:
        return _prototype(name, restype, *argtypes)
    except AttributeError:
        return None


_eg_group_keep_errors = _optional("eg_group_keep_errors", c_int, c_void_p, c_size_t)
_eg_group_errors = _optional(
    "eg_group_errors", c_int, c_void_p, POINTER(c_void_p), c_size_t, POINTER(c_uint64)
)
_eg_group_skip_when_canceled = _optional("eg_group_skip_when_canceled", c_int, c_void_p)
_eg_group_canceled = _optional("eg_group_canceled", c_int, c_void_p)
_eg_group_skipped = _optional("eg_group_skipped", c_int64, c_void_p)
_eg_group_on_task_done = _optional(
    "eg_group_on_task_done", c_int, c_void_p, _TASK_DONE_FN, c_void_p
)
_eg_group_wait_timeout = _optional(
    "eg_group_wait_timeout", c_int, c_void_p, c_int64, POINTER(c_void_p)
)
_eg_group_idle = _optional("eg_group_idle", c_int, c_void_p)
_eg_group_cancel = _optional("eg_group_cancel", c_int, c_void_p, c_void_p)
_eg_group_start = _optional(
    "eg_group_start", c_int, c_void_p, _TASK_FN, c_void_p, POINTER(c_void_p)
)
_eg_task_ready = _optional("eg_task_ready", c_int, c_void_p)
_eg_group_resize_limit = _optional("eg_group_resize_limit", c_int, c_void_p, c_int)
del _prototype, _optional


def _need(function: Any, name: str) -> Any:
    if function is None:
        raise NotImplementedError(
            f"{name}: the loaded liberrgroup {library_version()} does not "
            "have it (it is new in 1.1)"
        )
    return function

_CANCELED_ERROR = _eg_error_canceled()
_DEADLINE_EXCEEDED_ERROR = _eg_error_deadline_exceeded()


def library_version() -> str:
    """The version of the loaded library, e.g. "1.0.0"."""
    return _eg_version_string().decode()


def _strerror(status: int) -> str:
    return _eg_strerror(status).decode()


def _raise_for_status(status: int, what: str) -> None:
    if status == EG_OK:
        return
    text = f"{what}: {_strerror(status)}"
    if status == EG_ENOMEM:
        raise MemoryError(text)
    if status == EG_EINVAL:
        raise ValueError(text)
    raise LibraryError(status, text)


# ---------------------------------------------------------------------------
# Registries: what C may refer to by id
# ---------------------------------------------------------------------------

_registry_lock = threading.Lock()
# Notified when _pending_tasks becomes empty (for the exit drain).
_no_pending_tasks = threading.Condition(_registry_lock)
_next_id = itertools.count(1)  # 0 would be NULL
# task id -> (group, fn, args, kwargs), plus the Ready for a task of
# Group.start: from just before the task is handed to the library until it
# has returned (or was not started); for a group whose task ends the
# library reports (Group._reports_ends), until that report. Holding the
# group keeps it alive, hence in _live_groups, while it has tasks.
_pending_tasks: dict = {}
# task id -> what fn returned, for a group that tracks completions: from
# the task's return until its report.
_task_values: dict = {}
# payload id -> exception object: until the library releases the payload.
_exceptions: dict = {}


def _new_id() -> int:
    with _registry_lock:
        return next(_next_id)


def _forget_task(task_id: int) -> None:
    with _registry_lock:
        entry = _pending_tasks.pop(task_id, None)
        if not _pending_tasks:
            _no_pending_tasks.notify_all()
    # `entry` (and maybe the last reference to its group, whose __del__
    # frees it: allowed from inside one of its tasks) goes here, unlocked.
    del entry


def _release_payload(payload: Optional[int], exceptions: dict = _exceptions) -> None:
    # Called by the library, on whichever thread drops the error's last
    # reference. Must never raise (nothing could report it).
    try:
        exceptions.pop(payload, None)
    except BaseException:  # pragma: no cover - interpreter teardown
        pass


_RELEASE_PAYLOAD = _RELEASE_FN(_release_payload)
_RELEASE_PAYLOAD_ADDRESS = ctypes.cast(_RELEASE_PAYLOAD, c_void_p).value

try:  # experimental (LIBERRGROUP_EXPERIMENTAL), used only if present
    _eg_error_payload_release = _lib.eg_error_payload_release
    _eg_error_payload_release.restype = c_void_p
    _eg_error_payload_release.argtypes = [c_void_p]
except AttributeError:  # pragma: no cover
    _eg_error_payload_release = None


def _wrap_exception(exc: BaseException) -> int:
    """A new library error carrying `exc`; returns its address (owned)."""
    payload = _new_id()
    _exceptions[payload] = exc
    try:
        message = f"{type(exc).__name__}: {exc}"
    except BaseException:
        message = type(exc).__name__
    encoded = message.encode("utf-8", "replace").replace(b"\0", b"?")
    # On ENOMEM the library calls the release callback at once and returns
    # eg_error_nomem(): the failure is still reported (as a MemoryError).
    return _eg_error_wrap(
        PYTHON_EXCEPTION_CODE, encoded, payload, _RELEASE_PAYLOAD
    )


def _is_python_error(error: int) -> bool:
    if _eg_error_payload_release is not None:
        return _eg_error_payload_release(error) == _RELEASE_PAYLOAD_ADDRESS
    return (
        _eg_error_code(error) == PYTHON_EXCEPTION_CODE
        and _eg_error_payload(error) in _exceptions
    )


def _exception_from_error(error: int) -> BaseException:
    """The Python exception for a library error (borrowed, not NULL)."""
    if _is_python_error(error):
        exc = _exceptions.get(_eg_error_payload(error))
        if exc is not None:
            return exc
    if error == _CANCELED_ERROR:
        return Canceled(_strerror(EG_ECANCELED))
    if error == _DEADLINE_EXCEEDED_ERROR:
        return DeadlineExceeded(_strerror(EG_EDEADLINE_EXCEEDED))
    code = _eg_error_code(error)
    message = (_eg_error_message(error) or b"").decode("utf-8", "replace")
    if code == EG_ENOMEM:
        return MemoryError(message)
    return LibraryError(code, message)


def _run_task(ctx: Optional[int], task_id: Optional[int]) -> Optional[int]:
    # The task trampoline of go/try_go: runs on a library thread with the
    # GIL taken by ctypes. Returns NULL or an owned eg_error; never raises
    # (ctypes would only print the exception and return NULL: a lost
    # failure).
    entry = _pending_tasks.get(task_id)
    if entry is None:  # pragma: no cover - cannot happen
        return _eg_error_new(EG_EINVAL, b"liberrgroup (Python): unknown task")
    group, fn, args, kwargs = entry
    del entry
    try:
        value = fn(*args, **kwargs)
        if group._results is not None:  # kept for its TaskResult
            _task_values[task_id] = value
        return None
    except BaseException as exc:  # a task's SystemExit too: it is its error
        try:
            return _wrap_exception(exc)
        except BaseException:  # pragma: no cover - out of memory
            return _eg_error_new(PYTHON_EXCEPTION_CODE, b"lost exception")
    finally:
        # A group with the task-done callback: that call, not this one,
        # forgets the task (it needs it, and it comes after this).
        reported = group._reports_ends
        del group
        if not reported:
            _forget_task(task_id)


def _run_started_task(ctx: Optional[int], task_id: Optional[int]) -> Optional[int]:
    # The trampoline of Group.start: as _run_task, with `ready` for fn. `ctx`
    # is the task's own context, freed by the library once this returns:
    # the Ready (and its Context) let go of it first. A started task is
    # reported and forgotten here, not by _task_done: the library's
    # task-done call for it carries the library's own argument, not this
    # id (1.1 as merged so far), so _task_done finds nothing to report.
    entry = _pending_tasks.get(task_id)
    if entry is None:  # pragma: no cover - cannot happen
        return _eg_error_new(EG_EINVAL, b"liberrgroup (Python): unknown task")
    group, fn, args, kwargs, ready = entry
    value = exc = None
    try:
        ready._open(ctx)
        value = fn(*args, ready=ready, **kwargs)
        return None
    except BaseException as raised:  # as in _run_task
        exc = raised
        try:
            return _wrap_exception(raised)
        except BaseException:  # pragma: no cover - out of memory
            return _eg_error_new(PYTHON_EXCEPTION_CODE, b"lost exception")
    finally:
        ready._close()
        try:
            if group._results is not None:
                group._report(TaskResult(entry, value, exc, skipped=False))
        finally:
            del group, ready, entry, exc, value
            _forget_task(task_id)


def _task_done(
    done_arg: Optional[int], task_id: Optional[int], status: int, error: Optional[int]
) -> None:
    # The task-done callback (eg_group_on_task_done) of every group that
    # tracks completions or skips: once per task the library started or
    # skipped, on the thread that ran or skipped it, before the task stops
    # counting as active (so a wait returns only after this). `error` is
    # borrowed for the call. Forgets the task; never raises.
    entry = _pending_tasks.get(task_id)
    try:
        if entry is not None and entry[0]._results is not None:
            value = _task_values.pop(task_id, None)
            if status == EG_ESKIPPED:
                result = TaskResult(entry, None, None, skipped=True)
            else:
                exc = _exception_from_error(error) if error else None
                result = TaskResult(entry, value, exc, skipped=False)
            entry[0]._report(result)
    except BaseException:  # pragma: no cover - out of memory
        pass
    finally:
        _forget_task(task_id)
        del entry


_RUN_TASK = _TASK_FN(_run_task)
_RUN_STARTED_TASK = _TASK_FN(_run_started_task)
_TASK_DONE = _TASK_DONE_FN(_task_done)


# ---------------------------------------------------------------------------
# Contexts
# ---------------------------------------------------------------------------


def _seconds_to_ns(seconds: float) -> int:
    return max(0, int(seconds * 1_000_000_000))


class Context:
    """A reference to a library context (Go's context.Context).

    Made by ``Context.with_cancel``, ``Context.with_timeout``,
    ``Context.background`` and ``Group.with_context``. ``close()`` (or the
    end of a ``with`` block) gives the reference back; it is given back on
    garbage collection otherwise. Closing does not cancel. A context that
    was done when it was closed still answers ``done()``, ``err()`` and
    ``cause()``, as Go's ``context.Cause(ctx)`` works after ``Wait``.
    """

    __slots__ = ("_ptr", "_owned", "_final", "__weakref__")

    def __init__(self, ptr: int, owned: bool) -> None:
        self._ptr = ptr
        self._owned = owned
        # (err, cause) once closed while done: final, they cannot change.
        self._final: Optional[Tuple[ContextError, BaseException]] = None

    # -- making contexts ---------------------------------------------------

    @classmethod
    def background(cls) -> "Context":
        """The library's background context: never done, no deadline."""
        return cls(_eg_context_background(), owned=False)

    @classmethod
    def with_cancel(cls, parent: Optional["Context"] = None) -> "Context":
        """A child of `parent` (default: the module's root) to ``cancel``."""
        out = c_void_p()
        status = _eg_context_with_cancel(_parent_ptr(parent), byref(out))
        _raise_for_status(status, "eg_context_with_cancel")
        return cls(out.value, owned=True)

    @classmethod
    def with_timeout(
        cls, seconds: float, parent: Optional["Context"] = None
    ) -> "Context":
        """A child canceled with DeadlineExceeded after `seconds`."""
        out = c_void_p()
        status = _eg_context_with_timeout(
            _parent_ptr(parent), _seconds_to_ns(seconds), byref(out)
        )
        _raise_for_status(status, "eg_context_with_timeout")
        return cls(out.value, owned=True)

    # -- queries -------------------------------------------------------------

    def _handle(self) -> int:
        if self._ptr is None:
            raise ValueError("context is closed")
        return self._ptr

    def done(self) -> bool:
        """True once the context is canceled (never blocks)."""
        if self._ptr is None and self._final is not None:
            return True
        return _eg_context_done(self._handle()) == 1

    def err(self) -> Optional[ContextError]:
        """None while not done, then a new Canceled or DeadlineExceeded."""
        if self._ptr is None and self._final is not None:
            err = self._final[0]
            return type(err)(str(err))
        status = _eg_context_err(self._handle())
        if status == 0:
            return None
        if status == EG_EDEADLINE_EXCEEDED:
            return DeadlineExceeded(_strerror(status))
        return Canceled(_strerror(status))

    def cause(self) -> Optional[BaseException]:
        """None while not done, then the cause of the first cancellation.

        A Python exception given as a cause (or raised by the group's first
        failing task) comes back as the very same object.
        """
        if self._ptr is None and self._final is not None:
            return self._final[1]
        error = _eg_context_cause(self._handle())
        if not error:
            return None
        return _exception_from_error(error)

    def deadline(self) -> Optional[int]:
        """The deadline in the library's monotonic nanoseconds, or None."""
        value = c_int64()
        if _eg_context_deadline(self._handle(), byref(value)) == 1:
            return value.value
        return None

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until done (True) or `timeout` seconds passed (False).

        Waiting without a timeout on a context that can never be done (the
        background context) raises ValueError.
        """
        ns = -1 if timeout is None else _seconds_to_ns(timeout)
        status = _eg_context_wait(self._handle(), ns)
        if status == EG_OK:
            return True
        if status == EG_ETIMEDOUT:
            return False
        _raise_for_status(status, "eg_context_wait")
        return False  # pragma: no cover

    def fd(self) -> int:
        """A descriptor that turns readable once done (for select/poll).

        Owned by the context: do not read, write or close it.
        """
        fd = _eg_context_fd(self._handle())
        if fd < 0:
            _raise_for_status(fd, "eg_context_fd")
        return fd

    def fileno(self) -> int:
        """``fd()``, so a context can be given to select() directly."""
        return self.fd()

    # -- cancellation --------------------------------------------------------

    def cancel(self, cause: Optional[BaseException] = None) -> None:
        """Cancels the context and its descendants (first call wins).

        `cause` (default: Canceled) is what ``cause()`` returns afterwards,
        the very object. Only contexts made by ``with_cancel`` or
        ``with_timeout`` can be canceled (ValueError otherwise), as in Go,
        where a group's context is canceled by the group alone.
        """
        error = None if cause is None else _wrap_exception(cause)
        try:
            status = _eg_context_cancel(self._handle(), error)
        finally:
            if error is not None:
                _eg_error_release(error)  # the context took its own reference
        _raise_for_status(status, "eg_context_cancel")

    # -- lifetime ------------------------------------------------------------

    def close(self) -> None:
        """Gives the reference back (idempotent). Does not cancel.

        If the context is done, its ``done()``, ``err()`` and ``cause()``
        stay readable (the cause is the very same object); every other
        method raises ValueError("context is closed").
        """
        if self._ptr is not None and self.done():
            self._final = (self.err(), self.cause())
        self._release()

    def _release(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr is not None and self._owned:
            _eg_context_release(ptr)

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if sys.is_finalizing():
            return  # leave it: no callback into a dying interpreter
        self._release()

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<liberrgroup.Context closed%s>" % (
                ", done" if self._final is not None else "")
        return f"<liberrgroup.Context done={self.done()}>"


def _parent_ptr(parent: Optional[Context]) -> int:
    return (_root_context if parent is None else parent)._handle()


# The module's root context: parent of every parent=None context, canceled
# at interpreter exit.
_root_context = Context.with_cancel(Context.background())


# ---------------------------------------------------------------------------
# Beyond the reference: what the extras hand out
# ---------------------------------------------------------------------------


class Ready:
    """What a task started by ``Group.start`` receives as ``ready=``.

    ``ready(value=None)`` tells the starter the task is ready: ``start``
    returns `value`. Callable from any thread; only the first call counts
    (it returns True, later ones and calls after the task returned return
    False and change nothing). ``ready.context`` is the task's own context
    (a child of the group's, canceled with it), usable until the task
    returns; closed after (``done()``, ``err()``, ``cause()`` stay
    readable if it was done then).
    """

    __slots__ = ("_lock", "_ptr", "_called", "_value", "context")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ptr: Optional[int] = None
        self._called = False
        self._value: Any = None
        self.context: Optional[Context] = None

    def _open(self, ctx: int) -> None:
        self._ptr = ctx
        self.context = Context(ctx, owned=False)

    def _close(self) -> None:
        # The library frees the context once the trampoline returns: no call
        # may use it after this (the lock orders it after any __call__).
        with self._lock:
            self._ptr = None
            if self.context is not None:
                self.context.close()

    def __call__(self, value: Any = None) -> bool:
        with self._lock:
            if self._ptr is None or self._called:
                return False
            self._called = True
            self._value = value  # read by start() once eg_task_ready woke it
            status = _eg_task_ready(self._ptr)
        if status < 0:  # pragma: no cover - the library refused its own context
            _raise_for_status(status, "eg_task_ready")
        return status == 1

    def __repr__(self) -> str:
        return f"<liberrgroup.Ready called={self._called}>"


class TaskResult:
    """One task's end, as ``Group.as_completed()`` yields it.

    ``fn``, ``args``, ``kwargs``: the task as given to go/try_go/start
    (without ``ready``). ``value``: what fn returned (None if it raised or
    was skipped). ``exception``: the very exception it raised, or None.
    ``skipped``: True for a task skip mode did not start (a task queued in
    worker mode when the group was canceled; it never ran). ``result()``
    returns ``value``, raises ``exception``, or TaskSkipped.
    """

    __slots__ = ("fn", "args", "kwargs", "value", "exception", "skipped")

    def __init__(
        self, entry: tuple, value: Any, exception: Optional[BaseException], skipped: bool
    ) -> None:
        self.fn, self.args, self.kwargs = entry[1:4]
        self.value = value
        self.exception = exception
        self.skipped = skipped

    def result(self) -> Any:
        if self.skipped:
            raise TaskSkipped(EG_ESKIPPED, _strerror(EG_ESKIPPED))
        if self.exception is not None:
            raise self.exception
        return self.value

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        if self.skipped:
            state = "skipped"
        elif self.exception is not None:
            state = f"raised {type(self.exception).__name__}"
        else:
            state = f"returned {self.value!r}"
        return f"<liberrgroup.TaskResult {name} {state}>"


# ---------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------

_live_groups: "weakref.WeakSet[Group]" = weakref.WeakSet()


class Group:
    """Go's errgroup.Group: run tasks, wait, get the first exception.

    ``Group()`` is Go's zero Group (no context, no limit). As a context
    manager, leaving the block waits for every task, closes the group and
    raises the first exception of a task (if the block itself raised, that
    exception propagates instead, after the wait). A group that keeps every
    error (``keep_errors``) raises them all instead, as one exception group.

    Beyond the reference (opt-in, library 1.1): ``keep_errors``/``errors``,
    ``skip_when_canceled``, ``track_completions``/``as_completed``,
    ``wait(timeout=...)``/``idle``, ``cancel``/``canceled``, ``start``,
    ``resize_limit``. A group that uses none of them behaves, and costs, as
    before.
    """

    __slots__ = (
        "_ptr",
        "_used",  # a task was handed to the library (opt-ins come before)
        "_reports_ends",  # the library's task-done callback is installed
        "_keeps_errors",  # keep_errors was called
        "_final_errors",  # (errors, dropped) snapshot taken by close()
        "_results",  # track_completions: deque of TaskResult, else None
        "_results_ready",  # Condition guarding _results and _outstanding
        "_outstanding",  # tracked tasks started whose result is not queued
        "__weakref__",
    )

    def __init__(self) -> None:
        out = c_void_p()
        _raise_for_status(_eg_group_new(byref(out)), "eg_group_new")
        self._adopt(out.value)

    def _adopt(self, ptr: int) -> None:
        self._ptr = ptr
        self._used = False
        self._reports_ends = False
        self._keeps_errors = False
        self._final_errors: Optional[Tuple[Optional[BaseException], int]] = None
        self._results: Optional[deque] = None
        self._results_ready: Optional[threading.Condition] = None
        self._outstanding = 0
        _live_groups.add(self)

    @classmethod
    def with_context(
        cls, parent: Optional[Context] = None
    ) -> Tuple["Group", Context]:
        """Go's WithContext: a group and its derived context.

        The context is canceled with the first task exception as its cause
        (``ctx.cause() is exc``), or with Canceled when ``wait`` returns.
        `parent` defaults to the module's root context.
        """
        group_out, ctx_out = c_void_p(), c_void_p()
        status = _eg_group_with_context(
            _parent_ptr(parent), byref(group_out), byref(ctx_out)
        )
        _raise_for_status(status, "eg_group_with_context")
        group = cls.__new__(cls)
        group._adopt(group_out.value)
        return group, Context(ctx_out.value, owned=True)

    def _handle(self) -> int:
        if self._ptr is None:
            raise ValueError("group is closed")
        return self._ptr

    def _start(
        self, starter: Any, trampoline: Any, started: Tuple[int, ...], entry: tuple
    ) -> int:
        """Registers the task, calls ``starter(group, trampoline, id)``;
        unregisters it unless the status is in `started` (then C owns the
        id until the task returns, or is reported)."""
        if not callable(entry[1]):
            raise TypeError(f"{entry[1]!r} is not callable")
        handle = self._handle()
        task_id = _new_id()
        self._used = True
        with _registry_lock:
            _pending_tasks[task_id] = entry
        tracked = self._results is not None
        if tracked:
            with self._results_ready:
                self._outstanding += 1
        status = None
        try:
            status = starter(handle, trampoline, task_id)
        finally:
            if status not in started:
                # Not started: C will never call it nor report it.
                _forget_task(task_id)
                if tracked:
                    with self._results_ready:
                        self._outstanding -= 1
                        self._results_ready.notify_all()
        return status

    def go(self, fn: Callable, *args: Any, **kwargs: Any) -> None:
        """Go's Go: runs ``fn(*args, **kwargs)`` on a library thread.

        Blocks while the group's limit is reached (the GIL is released).
        In skip mode raises TaskSkipped, starting nothing, once the group
        is canceled (also when the cancellation comes while it blocks).
        """
        status = self._start(
            _eg_group_go, _RUN_TASK, (EG_OK,), (self, fn, args, kwargs)
        )
        if status != EG_OK:
            _raise_for_start(status, "eg_group_go")

    def try_go(self, fn: Callable, *args: Any, **kwargs: Any) -> bool:
        """Go's TryGo: starts the task only if a slot is free right now.

        In skip mode raises TaskSkipped once the group is canceled (False
        keeps meaning "no free slot").
        """
        status = self._start(
            _eg_group_try_go, _RUN_TASK, (1,), (self, fn, args, kwargs)
        )
        if status == 1:
            return True
        if status == 0:
            return False
        _raise_for_start(status, "eg_group_try_go")
        return False  # pragma: no cover

    def set_limit(self, n: int) -> None:
        """Go's SetLimit: at most `n` tasks at once; negative: no limit.

        Raises LimitBusyError (with the reference's panic text) when a
        limit is set while tasks of the group are active. To change a limit
        while tasks run, use ``resize_limit``.
        """
        refusal = c_void_p()
        status = _eg_group_set_limit(self._handle(), int(n), byref(refusal))
        if status == EG_EBUSY and refusal.value:
            try:
                message = _eg_error_message(refusal.value).decode()
            finally:
                _eg_error_release(refusal.value)
            # The C library keeps the reference's word (its conformance
            # tests compare it); Python has tasks, not goroutines.
            raise LimitBusyError(EG_EBUSY, message.replace(" goroutines ", " tasks "))
        _raise_for_status(status, "eg_group_set_limit")

    def set_workers(self, n: int) -> None:
        """Worker mode (go-kratos' GOMAXPROCS): at most `n` tasks at once,
        and ``go`` never blocks; tasks beyond `n` wait in the group's queue.

        Only once, before the first task, and not with ``set_limit``:
        LibraryError (EG_EBUSY) otherwise; ValueError for n <= 0.
        """
        _raise_for_status(
            _eg_group_set_workers(self._handle(), int(n)), "eg_group_set_workers"
        )

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Go's Wait: waits for all tasks; raises the first exception.

        The exception is the very object the task raised. It is sticky:
        every later wait raises it again. Returns True (None before 1.1).

        With a `timeout` in seconds (since 1.1): returns False if tasks are
        still running when it passes; then nothing is canceled, the tasks
        keep running and you may wait again. Once every task has returned
        it does exactly what ``wait()`` does (cancels the context, raises
        the first exception, else returns True). Unlike ``wait()`` it does
        not run queued tasks on the calling thread. ``timeout=0`` polls.
        """
        if timeout is None:
            error = _eg_group_wait(self._handle())  # GIL released meanwhile
        else:
            wait_timeout = _need(_eg_group_wait_timeout, "eg_group_wait_timeout")
            result = c_void_p()
            status = wait_timeout(
                self._handle(), _seconds_to_ns(timeout), byref(result)
            )
            if status == EG_ETIMEDOUT:
                return False
            _raise_for_status(status, "eg_group_wait_timeout")
            error = result.value
        if error:
            raise _exception_from_error(error)
        return True

    # -- beyond the reference (since 1.1) ---------------------------------

    @property
    def idle(self) -> bool:
        """True if no task is active (a wait would return at once). Never
        blocks, cancels nothing."""
        status = _need(_eg_group_idle, "eg_group_idle")(self._handle())
        if status < 0:
            _raise_for_status(status, "eg_group_idle")
        return status == 1

    def cancel(self, cause: Optional[BaseException] = None) -> None:
        """Cancels the group without a task error (idempotent).

        The group's context (``with_context``) is canceled with `cause`
        (default: Canceled; ``ctx.cause()`` is the very object; the first
        cancellation wins), and the group counts as canceled
        (``canceled``, skip mode). No error is recorded: ``wait`` still
        raises nothing when every task succeeded.
        """
        group_cancel = _need(_eg_group_cancel, "eg_group_cancel")
        handle = self._handle()
        error = None if cause is None else _wrap_exception(cause)
        try:
            status = group_cancel(handle, error)
        finally:
            if error is not None:
                _eg_error_release(error)  # the context took its own reference
        _raise_for_status(status, "eg_group_cancel")

    @property
    def canceled(self) -> bool:
        """True once the group is canceled: a ``with_context`` group once
        its context is done (a task error, ``cancel``, the parent, the end
        of a wait); a ``Group()`` once a task raised or ``cancel`` was
        called."""
        status = _need(_eg_group_canceled, "eg_group_canceled")(self._handle())
        if status < 0:
            _raise_for_status(status, "eg_group_canceled")
        return status == 1

    def _report_task_ends(self) -> None:
        """Installs the module's task-done callback (once, before the first
        task): completions and skipped tasks are reported to _task_done."""
        if self._reports_ends:
            return
        if self._used:
            raise LibraryError(EG_EBUSY, "errgroup: only before the group's first task")
        on_task_done = _need(_eg_group_on_task_done, "eg_group_on_task_done")
        _raise_for_status(
            on_task_done(self._handle(), _TASK_DONE, None), "eg_group_on_task_done"
        )
        self._reports_ends = True

    def keep_errors(self, max_errors: int) -> None:
        """Keeps every exception the tasks raise (at most `max_errors`, in
        the order they were recorded; later ones are dropped and counted),
        not only the first. Once, before the first task.

        Then ``errors()`` gives them as an exception group, and leaving a
        ``with`` block raises that group instead of the first exception.
        ``wait()`` still raises the first (``errors().exceptions[0]``, the
        very same object). Memory: one pointer per kept error in the
        library (plus the exception object itself), up to `max_errors`.
        Errors accumulate across rounds of reuse.
        ValueError for max_errors < 1; LibraryError (EG_EBUSY) when called
        again or after the first task.
        """
        max_errors = int(max_errors)
        if max_errors < 1:
            raise ValueError("keep_errors: max_errors must be at least 1")
        keep = _need(_eg_group_keep_errors, "eg_group_keep_errors")
        _raise_for_status(keep(self._handle(), max_errors), "eg_group_keep_errors")
        self._keeps_errors = True

    def _kept_errors(self) -> Tuple[List[BaseException], int]:
        group_errors = _need(_eg_group_errors, "eg_group_errors")
        handle = self._handle()
        dropped = c_uint64()
        array = None
        capacity = 0
        while True:
            count = group_errors(handle, array, capacity, byref(dropped))
            if count < 0:
                _raise_for_status(count, "eg_group_errors")
            written = min(count, capacity)
            if count <= capacity:
                break
            # More than room for (new errors came meanwhile): give back the
            # references written and ask again with room for all.
            for i in range(written):
                _eg_error_release(array[i])
            capacity = count
            array = (c_void_p * capacity)()
        try:
            exceptions = [_exception_from_error(array[i]) for i in range(written)]
        finally:
            for i in range(written):  # owned references: each given back once
                _eg_error_release(array[i])
        return exceptions, dropped.value

    def errors(self) -> Optional[BaseExceptionGroup]:
        """None if no task has raised, else every kept exception (in record
        order, the first being what ``wait`` raises) as an ExceptionGroup
        (a BaseExceptionGroup if one is not an Exception, e.g. SystemExit).
        A snapshot: callable while tasks run, and after ``close()`` (what
        was kept then). ValueError unless ``keep_errors`` was called.
        """
        if self._ptr is None and self._final_errors is not None:
            return self._final_errors[0]
        if not self._keeps_errors:
            raise ValueError("errors: the group does not keep errors (keep_errors)")
        exceptions, dropped = self._kept_errors()
        return _exception_group(exceptions, dropped)

    @property
    def dropped_errors(self) -> int:
        """How many exceptions ``keep_errors`` did not keep (over
        max_errors, or out of memory)."""
        if self._ptr is None and self._final_errors is not None:
            return self._final_errors[1]
        if not self._keeps_errors:
            raise ValueError("dropped_errors: the group does not keep errors (keep_errors)")
        dropped = c_uint64()
        group_errors = _need(_eg_group_errors, "eg_group_errors")
        status = group_errors(self._handle(), None, 0, byref(dropped))
        if status < 0:
            _raise_for_status(status, "eg_group_errors")
        return dropped.value

    def skip_when_canceled(self) -> None:
        """Skip mode: once the group is canceled (see ``canceled``), no
        task starts. ``go``, ``try_go`` and ``start`` raise TaskSkipped
        instead (also a ``go`` blocked at the limit when the cancellation
        comes); tasks queued in worker mode are not started (an
        ``as_completed`` iterator reports them with ``skipped`` True).
        Running tasks are untouched. ``skipped`` counts them all. Once,
        before the first task; LibraryError (EG_EBUSY) otherwise.
        """
        skip = _need(_eg_group_skip_when_canceled, "eg_group_skip_when_canceled")
        # Queued tasks that are skipped never reach a trampoline: only the
        # task-done report tells this module to forget them.
        self._report_task_ends()
        _raise_for_status(skip(self._handle()), "eg_group_skip_when_canceled")

    @property
    def skipped(self) -> int:
        """How many tasks skip mode did not start (refused calls included)."""
        count = _need(_eg_group_skipped, "eg_group_skipped")(self._handle())
        if count < 0:
            _raise_for_status(count, "eg_group_skipped")
        return count

    def track_completions(self) -> None:
        """Queues each task's end for ``as_completed()``: the library
        reports every task started from now on (nested and worker-mode ones
        included) as it ends. Once, before the first task; LibraryError
        (EG_EBUSY) otherwise. The queue holds a TaskResult (with the task's
        return value and arguments) per ended task until an iterator takes
        it: drain it, or it grows by one per task.
        """
        if self._results is not None:
            raise LibraryError(EG_EBUSY, "errgroup: completions are already tracked")
        self._report_task_ends()
        self._results_ready = threading.Condition(threading.Lock())
        self._results = deque()

    def _report(self, result: TaskResult) -> None:
        with self._results_ready:
            self._results.append(result)
            self._outstanding -= 1
            self._results_ready.notify_all()

    def as_completed(self) -> Iterator[TaskResult]:
        """An iterator over the tasks' ends, in the order they ended: one
        TaskResult per task, each taken by one iterator only. It blocks
        (GIL released) while tasks are running and their results not yet
        in, and ends once every task started so far has been reported.
        Needs ``track_completions()`` before the first task (ValueError
        otherwise).

            g = Group()
            g.track_completions()
            for url in urls:
                g.go(fetch, url)
            for done in g.as_completed():
                print(done.args, done.exception or done.value)
        """
        if self._results is None:
            raise ValueError("as_completed: call track_completions() before the first task")
        return self._iterate_results()

    def _iterate_results(self) -> Iterator[TaskResult]:
        while True:
            with self._results_ready:
                self._results_ready.wait_for(
                    lambda: self._results or self._outstanding == 0
                )
                if not self._results:
                    return
                result = self._results.popleft()
            yield result

    def start(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Trio's ``nursery.start``: runs ``fn(*args, ready=ready,
        **kwargs)`` as ``go`` does (same limit), and blocks until the task
        calls ``ready(value)``; returns `value` (default None), while the
        task runs on. If fn returns without calling it: raises what fn
        raised (the group records it too, as for any task), else returns
        None. ``ready`` is a Ready (``ready.context`` is the task's own
        context). TaskSkipped in skip mode once canceled.

            port = g.start(serve, host)      # def serve(host, *, ready):
                                             #     sock = bind(host)
                                             #     ready(sock.getsockname()[1])
        """
        if "ready" in kwargs:
            raise TypeError("start: 'ready' is the keyword start passes to fn")
        group_start = _need(_eg_group_start, "eg_group_start")
        ready = Ready()
        task_error = c_void_p()
        status = self._start(
            lambda group, trampoline, task_id: group_start(
                group, trampoline, task_id, byref(task_error)
            ),
            _RUN_STARTED_TASK,
            (0, 1),
            (self, fn, args, kwargs, ready),
        )
        if status == 1:
            return ready._value
        if status == 0:
            if not task_error.value:
                return None
            try:
                exc = _exception_from_error(task_error.value)
            finally:
                _eg_error_release(task_error.value)  # our owned reference
            raise exc
        _raise_for_start(status, "eg_group_start")
        return None  # pragma: no cover

    def resize_limit(self, n: int) -> None:
        """Changes the limit while tasks run (thread-safe against go):
        raising it admits the oldest blocked ``go`` callers at once, in
        order; lowering it stops no task (new ones wait until fewer than
        `n` run); negative: no limit. On a group without a limit it is
        ``set_limit`` (LimitBusyError while tasks are active). ValueError
        in worker mode.
        """
        resize = _need(_eg_group_resize_limit, "eg_group_resize_limit")
        status = resize(self._handle(), int(n))
        if status == EG_EBUSY:
            raise LimitBusyError(
                EG_EBUSY,
                "errgroup: resize_limit: the group has no limit yet and tasks "
                "are active (set_limit's rule)",
            )
        _raise_for_status(status, "eg_group_resize_limit")

    # -- lifetime ------------------------------------------------------------

    def close(self) -> None:
        """Gives the group back (idempotent). Running tasks finish.

        A group that keeps errors keeps answering ``errors()`` and
        ``dropped_errors`` with what it had kept then.
        """
        if self._ptr is not None and self._keeps_errors:
            exceptions, dropped = self._kept_errors()
            self._final_errors = (_exception_group(exceptions, dropped), dropped)
        self._free()

    def _free(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            _live_groups.discard(self)
            _eg_group_free(ptr)

    def __enter__(self) -> "Group":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        try:
            self.wait()
        except BaseException:
            if exc_type is None:
                if self._keeps_errors:
                    self.close()  # the snapshot errors() keeps answering
                    kept = self.errors()
                    if kept is not None:
                        raise kept from None
                raise
            # The block's own exception wins; the group's stays reachable
            # only through wait(), which is gone with the group (and
            # errors(), for a group that keeps them).
        finally:
            self.close()
        return False

    def __del__(self) -> None:
        if sys.is_finalizing():
            return
        self._free()

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else "open"
        return f"<liberrgroup.Group {state}>"


def _raise_for_start(status: int, what: str) -> None:
    """A go/try_go/start status that is not a start."""
    if status == EG_ESKIPPED:
        raise TaskSkipped(status, _strerror(status))
    if status == EG_EAGAIN:
        raise RuntimeError(f"{what}: {_strerror(status)}")
    _raise_for_status(status, what)


def _exception_group(
    exceptions: List[BaseException], dropped: int
) -> Optional[BaseExceptionGroup]:
    if not exceptions:
        return None
    n = len(exceptions)
    message = f"errgroup: {n} task error{'s' if n != 1 else ''}"
    if dropped:
        message += f" ({dropped} more dropped)"
    # A BaseExceptionGroup of Exceptions only is an ExceptionGroup.
    return BaseExceptionGroup(message, exceptions)


# ---------------------------------------------------------------------------
# Interpreter exit
# ---------------------------------------------------------------------------


def _drain_at_exit() -> None:
    """Cancels the root context, waits for every live group, then for
    every task still registered (tasks of groups already closed).

    After this no library thread is running a task's Python code, and the
    errors that lost a race have been released (wait does that).
    """
    try:
        _root_context.cancel()
    except BaseException:
        pass
    for group in list(_live_groups):
        try:
            group.wait()
        except BaseException:
            pass
    # Tasks of groups closed before their tasks ended.
    with _no_pending_tasks:
        _no_pending_tasks.wait_for(lambda: not _pending_tasks)


atexit.register(_drain_at_exit)
