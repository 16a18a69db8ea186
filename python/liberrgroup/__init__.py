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
    c_void_p,
)
from typing import Any, Callable, Optional, Tuple

__all__ = [
    "Canceled",
    "Context",
    "ContextError",
    "DeadlineExceeded",
    "Group",
    "LibraryError",
    "LimitBusyError",
    "library_version",
    "EG_OK",
    "EG_EINVAL",
    "EG_ENOMEM",
    "EG_EAGAIN",
    "EG_EBUSY",
    "EG_ETIMEDOUT",
    "EG_ECANCELED",
    "EG_EDEADLINE_EXCEEDED",
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
del _prototype

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
# task id -> (group, fn, args, kwargs): from just before the task is handed
# to the library until it has returned (or was not started). Holding the
# group keeps it alive, hence in _live_groups, while it has tasks.
_pending_tasks: dict = {}
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
    # The one task trampoline: runs on a library thread with the GIL taken
    # by ctypes. Returns NULL or an owned eg_error; never raises (ctypes
    # would only print the exception and return NULL: a lost failure).
    entry = _pending_tasks.get(task_id)
    if entry is None:  # pragma: no cover - cannot happen
        return _eg_error_new(EG_EINVAL, b"liberrgroup (Python): unknown task")
    _group, fn, args, kwargs = entry
    del entry, _group
    try:
        fn(*args, **kwargs)
        return None
    except BaseException as exc:  # a task's SystemExit too: it is its error
        try:
            return _wrap_exception(exc)
        except BaseException:  # pragma: no cover - out of memory
            return _eg_error_new(PYTHON_EXCEPTION_CODE, b"lost exception")
    finally:
        _forget_task(task_id)


_RUN_TASK = _TASK_FN(_run_task)


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
# Groups
# ---------------------------------------------------------------------------

_live_groups: "weakref.WeakSet[Group]" = weakref.WeakSet()


class Group:
    """Go's errgroup.Group: run tasks, wait, get the first exception.

    ``Group()`` is Go's zero Group (no context, no limit). As a context
    manager, leaving the block waits for every task, closes the group and
    raises the first exception of a task (if the block itself raised, that
    exception propagates instead, after the wait).
    """

    __slots__ = ("_ptr", "__weakref__")

    def __init__(self) -> None:
        out = c_void_p()
        _raise_for_status(_eg_group_new(byref(out)), "eg_group_new")
        self._ptr = out.value
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
        group._ptr = group_out.value
        _live_groups.add(group)
        return group, Context(ctx_out.value, owned=True)

    def _handle(self) -> int:
        if self._ptr is None:
            raise ValueError("group is closed")
        return self._ptr

    def _start(
        self, starter: Any, started: int, fn: Callable, args: tuple, kwargs: dict
    ) -> int:
        """Registers the task, calls `starter`; unregisters it unless the
        status is `started` (then C owns the id until the task returns)."""
        if not callable(fn):
            raise TypeError(f"{fn!r} is not callable")
        handle = self._handle()
        task_id = _new_id()
        with _registry_lock:
            _pending_tasks[task_id] = (self, fn, args, kwargs)
        status = None
        try:
            status = starter(handle, _RUN_TASK, task_id)
        finally:
            if status != started:  # not started: C will never call it
                _forget_task(task_id)
        return status

    def go(self, fn: Callable, *args: Any, **kwargs: Any) -> None:
        """Go's Go: runs ``fn(*args, **kwargs)`` on a library thread.

        Blocks while the group's limit is reached (the GIL is released).
        """
        status = self._start(_eg_group_go, EG_OK, fn, args, kwargs)
        if status == EG_EAGAIN:
            raise RuntimeError(f"eg_group_go: {_strerror(status)}")
        _raise_for_status(status, "eg_group_go")

    def try_go(self, fn: Callable, *args: Any, **kwargs: Any) -> bool:
        """Go's TryGo: starts the task only if a slot is free right now."""
        status = self._start(_eg_group_try_go, 1, fn, args, kwargs)
        if status == 1:
            return True
        if status == 0:
            return False
        if status == EG_EAGAIN:
            raise RuntimeError(f"eg_group_try_go: {_strerror(status)}")
        _raise_for_status(status, "eg_group_try_go")
        return False  # pragma: no cover

    def set_limit(self, n: int) -> None:
        """Go's SetLimit: at most `n` tasks at once; negative: no limit.

        Raises LimitBusyError (with the reference's panic text) when a
        limit is set while tasks of the group are active.
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

    def wait(self) -> None:
        """Go's Wait: waits for all tasks; raises the first exception.

        The exception is the very object the task raised. It is sticky:
        every later wait raises it again.
        """
        error = _eg_group_wait(self._handle())  # GIL released meanwhile
        if error:
            raise _exception_from_error(error)

    def close(self) -> None:
        """Gives the group back (idempotent). Running tasks finish."""
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
                raise
            # The block's own exception wins; the group's stays reachable
            # only through wait(), which is gone with the group.
        finally:
            self.close()
        return False

    def __del__(self) -> None:
        if sys.is_finalizing():
            return
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else "open"
        return f"<liberrgroup.Group {state}>"


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
