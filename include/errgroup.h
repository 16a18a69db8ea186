/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * liberrgroup: the semantics of Go's golang.org/x/sync/errgroup, in C.
 *
 * A group runs tasks on threads of a process-wide pool, waits for all of
 * them, remembers the first error one of them returned, and (when made from
 * a context) cancels a derived context the moment that error is recorded.
 *
 * Conventions used throughout this header:
 *
 *  - Every exported name starts with `eg_` (functions, types) or `EG_`
 *    (macros, constants). All types are opaque; only pointers cross the ABI.
 *  - Functions that can fail return an `int` status: `EG_OK` (0) or one of
 *    the negative `EG_E*` codes below. `eg_strerror()` names each code.
 *  - NULL where a handle is required is answered with `EG_EINVAL`, never a
 *    crash. Functions that return a pointer document what NULL means.
 *  - "Owned" means the caller receives one reference and must give it back
 *    with the matching release function. "Borrowed" means the pointer stays
 *    valid for the documented lifetime and must not be released.
 *  - Unless a function says otherwise it is thread-safe: any thread may call
 *    it at any time on a handle it holds a reference to.
 *
 * Linux only (futex, eventfd). C11 or later; usable from C++.
 */
#ifndef EG_ERRGROUP_H
#define EG_ERRGROUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Export macro and version
 * ------------------------------------------------------------------------ */

#if defined(EG_STATIC_DEFINE)
#define EG_API
#elif defined(__GNUC__)
#define EG_API __attribute__((visibility("default")))
#else
#define EG_API
#endif

#define EG_VERSION_MAJOR 1
#define EG_VERSION_MINOR 0
#define EG_VERSION_PATCH 0
/** The header's version as one number: major * 10000 + minor * 100 + patch. */
#define EG_VERSION_NUMBER                                                      \
  (EG_VERSION_MAJOR * 10000 + EG_VERSION_MINOR * 100 + EG_VERSION_PATCH)
#define EG_VERSION_STRING "1.0.0"

/** The version of the library actually loaded, as EG_VERSION_NUMBER. */
EG_API int eg_version(void);
/** The same as a static string such as "1.0.0". Never NULL. */
EG_API const char *eg_version_string(void);

/* ---------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------ */

enum {
  EG_OK = 0,
  EG_EINVAL = -1,             /* a NULL handle or an out-of-range argument */
  EG_ENOMEM = -2,             /* an allocation failed; nothing was changed */
  EG_EAGAIN = -3,             /* no thread could be created to run the task */
  EG_EBUSY = -4,              /* refused: the object is still in use */
  EG_ETIMEDOUT = -5,          /* a timed wait ended before the event */
  EG_ECANCELED = -6,          /* context canceled (Go's context.Canceled) */
  EG_EDEADLINE_EXCEEDED = -7, /* context deadline exceeded */
  EG_EDEADLK = -8, /* refused: the call could never return (since 1.1) */
  EG_ESKIPPED = -9 /* a task was not started: the group was canceled (since
                      1.1) */
};

/**
 * A static description of a status code. For EG_ECANCELED and
 * EG_EDEADLINE_EXCEEDED it is Go's exact text ("context canceled",
 * "context deadline exceeded"). Unknown codes give "unknown error".
 */
EG_API const char *eg_strerror(int status);

/* ---------------------------------------------------------------------------
 * Errors: the values tasks return
 *
 * An eg_error is an immutable, reference-counted error value. A task
 * reports failure by returning one; the group keeps the first one recorded
 * and hands back that very object (pointer identity) from eg_group_wait()
 * and as the cause of the group's context. Errors that lose the race are
 * released by the library.
 *
 * A few errors are static (never freed, retain/release do nothing):
 * eg_error_canceled(), eg_error_deadline_exceeded(), eg_error_nomem().
 * ------------------------------------------------------------------------ */

typedef struct eg_error eg_error;

/**
 * Makes an error with an integer code of the caller's choosing and a copy
 * of `message` (NULL is taken as ""). Owned: release with eg_error_release.
 * Never returns NULL: if memory runs out it returns eg_error_nomem(), so a
 * task that fails to build its error still reports a failure.
 */
EG_API eg_error *eg_error_new(int code, const char *message);

/**
 * Wraps a foreign payload (a Go error handle, a Python exception, ...) so it
 * can travel through a group unchanged. `release_payload`, if not NULL, is
 * called exactly once with `payload` when the last reference goes, on
 * whichever thread drops it. Owned; never NULL. If memory runs out,
 * `release_payload(payload)` is called at once and eg_error_nomem() is
 * returned.
 */
EG_API eg_error *eg_error_wrap(int code, const char *message, void *payload,
                               void (*release_payload)(void *payload));

/** Adds a reference and returns `error` (NULL gives NULL). */
EG_API eg_error *eg_error_retain(eg_error *error);
/** Drops a reference; the last one frees the error. NULL is ignored. */
EG_API void eg_error_release(eg_error *error);

/** The code given at creation; EG_EINVAL for NULL. */
EG_API int eg_error_code(const eg_error *error);
/** The message; borrowed for the error's lifetime. "" for NULL. */
EG_API const char *eg_error_message(const eg_error *error);
/** The payload given to eg_error_wrap, else NULL. Borrowed. */
EG_API void *eg_error_payload(const eg_error *error);

/** Go's context.Canceled: code EG_ECANCELED, "context canceled". Static. */
EG_API eg_error *eg_error_canceled(void);
/** Go's context.DeadlineExceeded: EG_EDEADLINE_EXCEEDED. Static. */
EG_API eg_error *eg_error_deadline_exceeded(void);
/** What constructors return when memory runs out: EG_ENOMEM. Static. */
EG_API eg_error *eg_error_nomem(void);

/* ---------------------------------------------------------------------------
 * Contexts: cancellation, cause and deadlines (Go's context package)
 *
 * A context is reference counted. Cancellation flows from a parent to all
 * its descendants (with the parent's cause), never upward. The first
 * cancellation wins: later ones change nothing, the cause included.
 * Deadlines use the monotonic clock, in nanoseconds (eg_now_ns()).
 * A tree may be of any depth and width, memory permitting: cancelling and
 * freeing work from a list, not by recursion, and hold one context's lock
 * at a time.
 * ------------------------------------------------------------------------ */

typedef struct eg_context eg_context;

/** The root context: never canceled, no deadline. Static, never NULL. */
EG_API eg_context *eg_context_background(void);

/**
 * Makes a cancelable child of `parent` (Go's WithCancelCause). If the parent
 * is already done the child is born canceled with the parent's cause.
 * On success *out is owned. Errors: EG_EINVAL, EG_ENOMEM.
 */
EG_API int eg_context_with_cancel(eg_context *parent, eg_context **out);

/**
 * Like eg_context_with_cancel, and the child is canceled with
 * eg_error_deadline_exceeded() when eg_now_ns() reaches `deadline_ns`. A
 * child's deadline is never later than its parent's: if the parent's is
 * earlier, the child simply inherits it. A deadline in the past cancels at
 * once. Errors: EG_EINVAL, EG_ENOMEM, EG_EAGAIN (the timer thread could not
 * be started).
 */
EG_API int eg_context_with_deadline(eg_context *parent, int64_t deadline_ns,
                                    eg_context **out);

/** eg_context_with_deadline(parent, eg_now_ns() + timeout_ns, out). */
EG_API int eg_context_with_timeout(eg_context *parent, int64_t timeout_ns,
                                   eg_context **out);

/** Adds a reference and returns `ctx` (NULL gives NULL). */
EG_API eg_context *eg_context_retain(eg_context *ctx);

/**
 * Drops a reference. The last one frees the context, stops its deadline
 * timer and closes its fd. Every child holds a reference to its parent, so
 * a parent lives as long as any of its children (the last release of a long
 * chain frees it, level by level). Releasing does not cancel.
 * NULL and the background context are ignored.
 */
EG_API void eg_context_release(eg_context *ctx);

/**
 * Cancels `ctx` and all its descendants (Go's CancelCauseFunc). `cause` may
 * be NULL, meaning eg_error_canceled(); otherwise the context takes its own
 * reference, the caller keeps its one. Does nothing (and returns EG_OK) if
 * the context is already done. Returns once `ctx` and every descendant are
 * done, also when another thread canceled `ctx` or part of its tree first.
 * Only contexts made by eg_context_with_cancel/_deadline/_timeout may be
 * canceled this way: the background context and a group's context give
 * EG_EINVAL (a group cancels its own context, as in Go).
 */
EG_API int eg_context_cancel(eg_context *ctx, eg_error *cause);

/** 1 if `ctx` is done, 0 if not (and for NULL). Never blocks. */
EG_API int eg_context_done(eg_context *ctx);

/**
 * Blocks until `ctx` is done or `timeout_ns` nanoseconds have passed; a
 * negative timeout waits forever. Returns EG_OK when done, EG_ETIMEDOUT,
 * or EG_EINVAL. Waiting on the background context with no timeout is
 * refused with EG_EINVAL: it would never return.
 */
EG_API int eg_context_wait(eg_context *ctx, int64_t timeout_ns);

/**
 * Go's ctx.Err(): 0 while not done, then EG_ECANCELED or
 * EG_EDEADLINE_EXCEEDED (eg_strerror gives Go's text). EG_EINVAL for NULL.
 */
EG_API int eg_context_err(eg_context *ctx);

/**
 * Go's context.Cause(ctx): NULL while not done (and for NULL); then the cause
 * of the first cancellation (eg_error_canceled() when none was given,
 * eg_error_deadline_exceeded() for a deadline). Borrowed: valid as long as
 * the caller holds its reference to `ctx` (retain it to keep it longer).
 */
EG_API eg_error *eg_context_cause(eg_context *ctx);

/**
 * Go's ctx.Deadline(): 1 and *deadline_ns set if the context has a
 * deadline, 0 if not, EG_EINVAL for NULL arguments.
 */
EG_API int eg_context_deadline(eg_context *ctx, int64_t *deadline_ns);

/**
 * A file descriptor that becomes readable (and stays readable) once `ctx`
 * is done, for poll/epoll loops: readable exactly when done, so a thread
 * that has seen done (eg_context_done, eg_context_wait) finds it readable at
 * once, and one woken by it finds the context done. Created on first use
 * and owned by the context: do not read from it, write to it or close it;
 * it is closed when the context is freed. Returns the fd (>= 0), or EG_EINVAL,
 * or EG_ENOMEM when no descriptor could be made. After fork(), an fd made
 * before the fork is one descriptor shared by both processes: it becomes
 * readable when either process's copy of the context is done.
 */
EG_API int eg_context_fd(eg_context *ctx);

/** A registered after-function; see eg_context_after_func. */
typedef struct eg_after_func eg_after_func;

/**
 * Go's context.AfterFunc: arranges for fn(arg) to run once, on a pool
 * thread, after `ctx` is done (at once if it already is). It never runs
 * under a lock of the library. The registration keeps `ctx` alive until fn
 * has run or been stopped.
 * If `handle` is not NULL it receives an owned handle that must be given
 * back with eg_after_func_stop(); if NULL, fn cannot be stopped.
 * Errors: EG_EINVAL, EG_ENOMEM (nothing registered).
 */
EG_API int eg_context_after_func(eg_context *ctx, void (*fn)(void *arg),
                                 void *arg, eg_after_func **handle);

/**
 * Stops the after-function if it has not started, and gives the handle
 * back (it must not be used again). Returns 1 if this call stopped it (fn
 * will never run), 0 if fn had already been started, EG_EINVAL for NULL.
 */
EG_API int eg_after_func_stop(eg_after_func *handle);

/** The monotonic clock used for deadlines, in nanoseconds. */
EG_API int64_t eg_now_ns(void);

/* ---------------------------------------------------------------------------
 * Groups (golang.org/x/sync/errgroup)
 * ------------------------------------------------------------------------ */

typedef struct eg_group eg_group;

/**
 * A task: runs on a pool thread, receives the group's context (the
 * background context for a group made by eg_group_new) borrowed for the
 * duration of the call, and the `arg` given to go/try_go. It returns NULL
 * on success or an owned error, whose reference passes to the group.
 */
typedef eg_error *(*eg_task_fn)(eg_context *ctx, void *arg);

/**
 * Makes a group with no limit and no context: Go's zero Group. On success
 * *out is owned (free it with eg_group_free). EG_EINVAL, EG_ENOMEM.
 */
EG_API int eg_group_new(eg_group **out);

/**
 * Go's WithContext: makes a group and a cancelable context derived from
 * `parent`. The context is canceled with the first task error as its cause,
 * or, when eg_group_wait returns, with that error (eg_error_canceled() if
 * there was none). On success *group_out and *ctx_out are both owned; the
 * context may outlive the group. EG_EINVAL, EG_ENOMEM.
 */
EG_API int eg_group_with_context(eg_context *parent, eg_group **group_out,
                                 eg_context **ctx_out);

/**
 * Go's Go: starts fn(ctx, arg) on a pool thread. If a limit is set and
 * reached, blocks until a slot frees; waiting callers are admitted first
 * come, first served, and a freed slot goes straight to the oldest of them.
 * While blocked on a limit of one, the caller may run the group's queued
 * task itself: it holds the only slot, so the caller could not return
 * before it finishes anyway. Like Go's scheduler, which runs a new goroutine
 * next on the same CPU, the calling thread keeps one started task for itself
 * (the first it started while it had none) and runs it when it next waits
 * in eg_group_wait or at a limit of one; an idle pool thread takes it once
 * it has waited 2 to 4 microseconds, so it starts that much later when the
 * caller does not come back for it. With no limit the task never waits behind
 * other tasks of any group: every started task can run at the same time as
 * every other. May be called from inside a task of the same group (nested
 * spawning) and after eg_group_wait returned (reuse). Returns EG_OK when the
 * task was started, else fn will never run: EG_EINVAL (NULL group or fn),
 * EG_ENOMEM, EG_EAGAIN (the pool has no thread and none could be created),
 * EG_ESKIPPED (skip mode, see eg_group_skip_when_canceled; since 1.1). Once
 * the pool has threads, failures to create more are absorbed: the task is
 * queued and runs on an existing thread, and the pool keeps trying to add
 * threads.
 */
EG_API int eg_group_go(eg_group *group, eg_task_fn fn, void *arg);

/**
 * Go's TryGo: starts the task only if a slot is free right now (always, with
 * no limit) and no go caller is already waiting for one. Never blocks.
 * Returns 1 if started, 0 if not (fn will never run), or a negative status
 * as eg_group_go (fn will never run either), EG_ESKIPPED included.
 */
EG_API int eg_group_try_go(eg_group *group, eg_task_fn fn, void *arg);

/**
 * Go's SetLimit: at most `limit` tasks of the group run at once; a negative
 * limit removes it (allowed at any time; tasks already running finish
 * normally); 0 lets nothing start.
 * Setting a limit >= 0 while any task of the group is active is refused
 * with EG_EBUSY and changes nothing. If `refusal` is not NULL it then
 * receives an owned error (code EG_EBUSY) whose message is the reference's
 * exact panic text, "errgroup: modify limit while N goroutines in the group
 * are still active" (or eg_error_nomem() if that error could not be made);
 * on success it is set to NULL.
 * Like the reference, this must not run concurrently with go, try_go or
 * admissions on the same group (in Go that is a data race): the outcome is
 * memory-safe and the new limit keeps working, but tasks started during the
 * call may escape the limit. (For that, a replaced limit is not freed
 * before the group, but reused by a later set_limit.)
 * Divergence: the reference does not refuse when the active tasks were
 * started without a limit (they then block when they finish); we do.
 * Go callers blocked on a previous limit stay blocked on it for good, as in
 * the reference: nothing gives that limit's slots back any more.
 * Returns EG_OK, EG_EINVAL, EG_EBUSY or EG_ENOMEM.
 */
EG_API int eg_group_set_limit(eg_group *group, int limit, eg_error **refusal);

/**
 * Worker mode, as go-kratos v1's errgroup.GOMAXPROCS(n): from now on at most
 * `workers` tasks of the group run at once and eg_group_go never blocks:
 * tasks beyond that wait in an unbounded first-in, first-out queue inside
 * the group (about 48 bytes each) and start as running ones return, on the
 * thread that freed the slot. Queued tasks count as active: eg_group_wait
 * returns only after every one of them has run. (go-kratos starts queued
 * tasks only once Wait is called; starting them as soon as a slot frees is
 * strictly earlier.) eg_group_try_go starts a task only if a worker is free
 * now. Must be called once, before the group's first task, and not together
 * with eg_group_set_limit. A queued task the pool cannot start (no thread
 * exists or can be made) stays queued and is run by a thread waiting in
 * eg_group_wait.
 * Returns EG_OK, EG_EINVAL (NULL group, workers <= 0), or EG_EBUSY (already
 * in worker mode, a limit was set, or a task was ever started). In worker
 * mode eg_group_set_limit gives EG_EINVAL; eg_group_admit counts an
 * external task active at once and queues it in the same FIFO.
 */
EG_API int eg_group_set_workers(eg_group *group, int workers);

/**
 * Go's Wait: blocks until every started task (including nested ones) has
 * returned, then cancels the group's context with the first recorded error
 * as cause (eg_error_canceled() if none), then returns that error. The
 * first error is sticky: later rounds return it again. Several threads may
 * wait at once; all get the same result. While waiting, the caller may run
 * queued tasks of this group itself, so a task may run on the waiting
 * thread (with its stack), not only on a pool thread. Errors that lost the
 * race have been released by the time wait returns.
 * Returns NULL for success, else the first error, borrowed until the group
 * is freed (retain it to keep it longer). If eg_group_free was called while
 * this wait was in progress (the free then happens as the wait leaves), the
 * error stays valid after the group is gone, until the calling thread next
 * calls eg_group_wait, eg_group_wait_async, eg_group_wait_timeout or
 * eg_group_wait_deadline (on any group, whatever it returns), or exits
 * (for a wait made by a task that an outer wait of this thread ran: until
 * that outer wait returns); retain it before then to keep it. For a NULL
 * group it returns a static error with code EG_EINVAL.
 * A task that waits for its own group could never return (it counts as
 * active until it does; Go hangs there): such a call, made by a task of
 * `group` running on the calling thread, including one of its tasks run by
 * this thread while it waits for another group inside that task, returns at
 * once a static error with code EG_EDEADLK, records nothing and cancels
 * nothing. Cycles across threads (a task of A waits for B while a task of B,
 * on another thread, waits for A) are not detected and hang, as in Go.
 */
EG_API eg_error *eg_group_wait(eg_group *group);

/**
 * Gives the group back. If tasks are still active, or threads are inside
 * eg_group_wait, eg_group_wait_async or a timed wait (eg_group_wait_timeout,
 * eg_group_wait_deadline), the free is deferred until the last
 * of them leaves (see eg_group_wait for the error it returns); tasks
 * already running may still start nested tasks on it. The caller must not
 * use `group` afterwards. Its context reference, if any, is separate.
 * NULL is ignored.
 */
EG_API void eg_group_free(eg_group *group);

/* ---------------------------------------------------------------------------
 * Beyond the reference (since 1.1)
 *
 * Opt-in extras the reference does not have. A group that uses none of
 * them behaves exactly as described above and pays nothing for them.
 *
 * "Canceled", for a group: one made by eg_group_with_context is canceled
 * once its context is done (a task error, eg_group_cancel, the parent's
 * cancellation or deadline, or the end of a wait); one made by
 * eg_group_new once a task error has been recorded or eg_group_cancel was
 * called. Either way it stays canceled for good, also across reuse.
 * ------------------------------------------------------------------------ */

/**
 * Cancels the group without recording an error: cancels the group's
 * context (if it has one) with `cause` as its cause (NULL means
 * eg_error_canceled(); borrowed: the context takes its own reference, the
 * caller keeps its own) and marks the group canceled. No task error is
 * recorded: eg_group_wait still returns NULL when every task succeeded,
 * and the context's cause stays `cause` (the first cancellation wins, so
 * a context already canceled keeps its cause, and a later task error
 * becomes neither the cause nor, in skip mode, starts anything).
 * Running tasks are not stopped (they see their context done); in skip
 * mode (eg_group_skip_when_canceled) nothing starts any more.
 * Idempotent; thread-safe, also from inside a task of the group.
 * Returns EG_OK, or EG_EINVAL for a NULL group. Since 1.1.
 */
EG_API int eg_group_cancel(eg_group *group, eg_error *cause);

/**
 * 1 if the group is canceled (see the top of this section), 0 if not,
 * EG_EINVAL for NULL. Works in every mode, not only with skipping. A
 * snapshot: it may become 1 right after it returned 0, never the reverse.
 * Thread-safe; never blocks. Since 1.1.
 */
EG_API int eg_group_canceled(eg_group *group);

/**
 * Keeps every error, not only the first: from now on the group keeps each
 * error its tasks return (pool tasks and external ones), in the order they
 * were recorded, up to `max_errors` of them (values above INT_MAX count as
 * INT_MAX); later ones are released at once and counted as dropped, and
 * so is an error that could not be kept because memory ran out. errors[0]
 * is always the group's first error, the very pointer eg_group_wait returns
 * (and the cause of the group's context, unless that context was done
 * before: eg_group_cancel, the parent, an earlier wait). Memory: one
 * pointer per kept error, grown on demand (doubling) up to `max_errors`,
 * freed with the group; the kept errors accumulate across rounds of reuse.
 * Recording an error then takes a lock: errors are expected to be rare.
 * Must be called once, before the group's first task (go, try_go or an
 * admission), and not concurrently with one or with any other call on the
 * group (the extras are published to other threads by the tasks' hand-off).
 * Returns EG_OK, EG_EINVAL (NULL group, max_errors == 0), EG_EBUSY (called
 * again, or after the group's first task) or EG_ENOMEM (nothing changed).
 * Since 1.1.
 */
EG_API int eg_group_keep_errors(eg_group *group, size_t max_errors);

/**
 * A snapshot of the kept errors (see eg_group_keep_errors), callable at any
 * time, also while tasks run. Writes the first min(kept, capacity) of them,
 * in record order, to errors[0..]: each an owned reference the caller must
 * release. If `dropped` is not NULL it receives how many errors were
 * dropped. Returns how many errors are kept (which may exceed `capacity`:
 * call again with a larger array to get them all), or EG_EINVAL for a NULL
 * group, errors == NULL with capacity > 0, or a group that does not keep
 * errors. Thread-safe. Since 1.1.
 */
EG_API int eg_group_errors(eg_group *group, eg_error **errors, size_t capacity,
                           uint64_t *dropped);

/**
 * Skip mode: once the group is canceled (see the top of this section),
 * start nothing more. eg_group_go and eg_group_try_go then start nothing
 * and return EG_ESKIPPED; go callers blocked at the group's limit when the
 * cancellation comes are woken and return EG_ESKIPPED; tasks waiting in
 * worker mode's queue (eg_group_set_workers) are not started when their
 * turn comes: each is reported to the task-done callback with status
 * EG_ESKIPPED (see eg_group_on_task_done), on the thread that skipped it,
 * and stops counting as active. Their go call returned EG_OK, so that
 * callback is the only place that learns which `arg` will never reach its
 * task: without one, whatever the task would have released leaks. Every
 * task skip mode did not start is counted (eg_group_skipped); none is
 * lost, and a wait returns as soon as the running tasks have. Running
 * tasks are untouched (they see their context done). eg_group_admit and
 * eg_group_try_admit return EG_ESKIPPED once the group is canceled; an
 * admission already queued then is still admitted (its notification
 * runs): a binding checks eg_group_canceled itself. A go call racing the
 * cancellation may still start its task.
 * For a group made by eg_group_with_context, the parent's cancellation or
 * deadline is seen through an internal after-function on the group's
 * context (registered here, given back by eg_group_free); it runs inside
 * the cancellation, on the thread that makes the context done (the
 * deadline timer's, for a deadline), never on the pool: go callers blocked
 * at the limit are woken before that cancel call returns, and no job is
 * left behind (eg_pool_shutdown after the wait is not refused for it).
 * Must be called before the group's first task, and not concurrently with
 * one or with any other call on the group; calling it again changes
 * nothing. Returns EG_OK, EG_EINVAL (NULL group), EG_EBUSY (after the
 * group's first task) or EG_ENOMEM. Since 1.1.
 */
EG_API int eg_group_skip_when_canceled(eg_group *group);

/**
 * How many tasks skip mode did not start so far (refused go, try_go and
 * admission calls included); 0 for a group not in skip mode; EG_EINVAL for
 * NULL. A snapshot; thread-safe. Since 1.1.
 */
EG_API int64_t eg_group_skipped(eg_group *group);

/**
 * A per-task completion callback (see eg_group_on_task_done): `done_arg` as
 * registered, `task_arg` the `arg` given to go/try_go/start, `status` EG_OK
 * for a task that ran or EG_ESKIPPED for one skip mode did not start, and
 * `error` what the task returned (NULL for success or a skipped task),
 * borrowed for the call (retain it to keep it).
 */
typedef void (*eg_task_done_fn)(void *done_arg, void *task_arg, int status,
                                eg_error *error);

/**
 * Per-task completion: from now on done(done_arg, task_arg, status, error)
 * is called once for every task started by eg_group_go, eg_group_try_go
 * or eg_group_start (with the `arg` given to it; nested and worker-mode
 * tasks included; not for external tasks, whose binding knows when they
 * end), on the thread that ran it, after the task
 * returned and its error was recorded (so a kept error is already in
 * eg_group_errors and the context already canceled by a first error), and
 * before the task stops counting as active: a wait returns only after every
 * call has returned. `status` is EG_OK and `error` what the task returned
 * (NULL or borrowed for the call). A task skip mode did not start (see
 * eg_group_skip_when_canceled) is reported with EG_ESKIPPED and a NULL
 * error, on the thread that skipped it; a go/try_go call that was refused
 * gets no call (its caller got EG_ESKIPPED). `done` runs as part of the
 * task: it must not block for long, it may start tasks of the group, and
 * waiting for the group from it is refused with EG_EDEADLK. With a limit
 * the task still holds its slot during the call, as it would in its own
 * body: an eg_group_go from `done` blocks until another slot frees (with
 * a limit of 1 it never returns); eg_group_try_go does not block.
 * Why a callback rather than a completion queue: C has no channel to hand
 * out; a callback costs nothing when unused, allocates nothing per task and
 * needs no bound, and a queue (a Go channel, a Python iterator, a mutex and
 * a list) is a few lines on top of it.
 * Must be called once, before the group's first task, and not concurrently
 * with one or with any other call on the group. Returns EG_OK, EG_EINVAL
 * (NULL group or done), EG_EBUSY (already set, or after the group's first
 * task) or EG_ENOMEM. Since 1.1.
 */
EG_API int eg_group_on_task_done(eg_group *group, eg_task_done_fn done,
                                 void *done_arg);

/**
 * eg_group_wait with a bound: blocks until no task of the group is active
 * or `timeout_ns` nanoseconds have passed; a negative timeout waits
 * forever. Returns EG_OK once no task is active: *result is then exactly
 * what eg_group_wait would return, with the same effects (the group's
 * context is canceled) and the same borrow rules (eg_group_free during the
 * wait included). Returns EG_ETIMEDOUT when the time passes first:
 * *result is NULL, nothing is canceled or recorded, the tasks keep running
 * and the caller may wait again. Unlike eg_group_wait, a wait with a bound
 * never runs the group's queued tasks on the calling thread (one could
 * overrun the time); a pool thread that waits here counts as blocked, so
 * the pool adds a thread for queued work meanwhile. A wait without a bound
 * waits exactly as eg_group_wait does, running queued tasks too (so a
 * worker-mode task the pool cannot start runs, see eg_group_set_workers).
 * Any number of timed and untimed waits
 * may run at once. Called from a task of the group (see eg_group_wait):
 * EG_EDEADLK with a negative timeout, nothing recorded or canceled; with a
 * bound it just times out. EG_EINVAL for a NULL group or result.
 * Thread-safe. Since 1.1.
 */
EG_API int eg_group_wait_timeout(eg_group *group, int64_t timeout_ns,
                                 eg_error **result);

/**
 * eg_group_wait_timeout with an absolute deadline on the eg_now_ns() clock:
 * a deadline already passed still returns EG_OK if no task is active, else
 * EG_ETIMEDOUT at once; INT64_MAX waits forever (and gives EG_EDEADLK from
 * a task of the group). Same results, effects and errors. Since 1.1.
 */
EG_API int eg_group_wait_deadline(eg_group *group, int64_t deadline_ns,
                                  eg_error **result);

/**
 * 1 if no task of the group is active (a wait would return at once), 0 if
 * some are, EG_EINVAL for NULL. A snapshot: never blocks, cancels nothing,
 * records nothing. A 1 means every task that returned before has had its
 * error recorded. Thread-safe. Since 1.1.
 */
EG_API int eg_group_idle(eg_group *group);

/**
 * Changes the group's limit while tasks run (no peer has this; unlike
 * eg_group_set_limit it may race eg_group_go, eg_group_try_go and
 * admissions). Raising it admits the oldest blocked go callers and queued
 * eg_group_admit requests at once, in their order, as many as the new
 * limit leaves room for: each is counted active before this call returns
 * (the go caller then starts its task and returns; an admission's
 * notification runs on this thread, with no lock of the library held).
 * Lowering it stops no task: new admissions wait until fewer than `limit`
 * tasks of the limit run. A negative limit means no limit: every blocked
 * caller is admitted at once and later calls never block (the limit can be
 * given a bound again later). First come, first served holds throughout: a
 * slot a blocked caller is owed is never taken by eg_group_try_go, nor by a
 * later go caller. A go caller blocked at a limit of one may be running a
 * queued task of the group (see eg_group_go) when a raise admits it: it
 * returns once that task has returned.
 * If the group has no limit (none was set, or set_limit removed it): the
 * same as eg_group_set_limit, so EG_EBUSY while a task is active, and, as
 * for set_limit, a go, try_go or admission racing that call may escape the
 * new limit (the race is memory-safe; the limit holds again once the
 * group's tasks have returned): give the group its first limit before its
 * tasks start, with set_limit or this call.
 * eg_group_set_limit keeps its reference behaviour, also after this call.
 * Returns EG_OK, EG_EINVAL (NULL group, worker mode), EG_EBUSY, EG_ENOMEM
 * (the last two only without a limit). Thread-safe. Since 1.1.
 */
EG_API int eg_group_resize_limit(eg_group *group, int limit);

/**
 * Trio's nursery.start: starts fn as eg_group_go does (same admission, so
 * it may block at the limit, and the same errors), and blocks until the
 * task says it is ready or returns. fn receives a context of its own
 * instead of the group's: a cancelable child of the group's context (of
 * the background context for a group made by eg_group_new), so it is
 * canceled with it; the library cancels and releases it after fn returns
 * (retain it to keep it longer; it is then done). fn may cancel it itself.
 * `arg` is passed to fn as with eg_group_go.
 * Returns 1 once fn (or any thread it gave the context to) called
 * eg_task_ready with that context; the task goes on running in the group.
 * Returns 0 if fn returned without calling it: *task_error then receives
 * an owned reference to what fn returned (NULL for success), and the group
 * records that error as usual too. `task_error` may be NULL (the reference
 * is then released). A negative status means fn never ran: EG_EINVAL (NULL
 * group or fn), EG_ENOMEM, EG_EAGAIN, or EG_ESKIPPED (the group skips
 * tasks once canceled, see eg_group_skip_when_canceled; also for a task
 * that waited in worker mode's queue and was skipped there: the task-done
 * callback, if any, then got `arg` with EG_ESKIPPED before this returns).
 * In worker mode the task waits in the queue like any other: a task of
 * the group that starts one waits until a worker frees, so if every
 * worker is held by such a starter none ever returns (as nested go calls
 * at a full limit).
 * The starting thread never runs fn itself (eg_group_go's task of its own
 * goes to the queue), and a pool thread that starts counts as blocked
 * while it waits, so the pool adds a thread for queued work meanwhile.
 * Called from a task of the group, it waits as any nested eg_group_go at
 * the limit would, then for the started task. In worker mode the task may
 * wait in the group's queue first, like any other: one the pool cannot
 * start (no thread exists or can be made) runs only once a thread waits
 * in eg_group_wait (see eg_group_set_workers), so until then this call
 * does not return. Thread-safe. Since 1.1.
 */
EG_API int eg_group_start(eg_group *group, eg_task_fn fn, void *arg,
                          eg_error **task_error);

/**
 * Tells the eg_group_start waiting for the task that received `ctx` that
 * the task is ready: the first call wakes it and returns 1, later ones (and
 * calls after the task returned, with a context it retained) do nothing
 * and return 0. Any thread may call it. EG_EINVAL for NULL or a context
 * that is not a started task's own (the group's, the background, one made
 * by eg_context_with_cancel, ...). Since 1.1.
 */
EG_API int eg_task_ready(eg_context *ctx);

/* ---------------------------------------------------------------------------
 * The process-wide thread pool
 *
 * fork(): the child of a process using the library may use it at once; a
 * new pool starts on first use. Only the forking thread exists in the
 * child, so tasks that were queued or running are gone there: a group that
 * had active tasks at the fork never becomes idle in the child, and a group
 * another thread was using at the fork must not be used in the child.
 * Contexts are the exception: fork() waits until no other thread is inside
 * a context operation (they are short and run no user code; cancelling a
 * large tree is the longest), so the child inherits every context in a
 * consistent state, canceled wholly or not at all, and may use any of them.
 * The application's own pthread_atfork handlers may make, cancel and free
 * contexts, but not arm deadlines, nor cancel or free a tree with a
 * deadline or after-function in it (the timer's and the pool's locks are
 * held across the fork).
 * The child keeps every deadline armed before the fork: its deadline timer
 * is started again by the fork itself, so those deadlines fire on time in
 * the child (and so do the child's own, whatever other threads were doing),
 * and run the after-functions still registered then; those a cancellation
 * in the parent had already taken to run are gone, like queued tasks. The
 * parent is unaffected.
 * ------------------------------------------------------------------------ */

/**
 * Sets the stack size of pool threads created from now on. 0 restores the
 * default (that of pthread_attr_init). Sizes below PTHREAD_STACK_MIN give
 * EG_EINVAL. Note that a thread waiting in eg_group_wait (or in
 * eg_group_go on a limit of one) may run the group's tasks on its own stack.
 */
EG_API int eg_pool_set_stack_size(size_t bytes);

/**
 * Caps the number of pool threads. `max` >= 1, or 0 for the default: half
 * of the RLIMIT_NPROC soft limit, at most one thread per 512 KiB of physical
 * memory, at least 64. A lowered cap stops no thread: threads above it
 * exit once idle, down to the CPU count (the pool keeps that many parked
 * threads, as it does without a cap; a cap below the CPU count only stops
 * the pool from growing).
 *
 * At the cap the pool creates no more threads: queued tasks wait until a
 * pool thread returns from a task. That is the one guarantee that yields:
 * an unlimited group whose running tasks all wait for a task still queued
 * deadlocks once the cap is reached (below the cap every task can run at
 * the same time as every other). Nothing is lost and no call fails because
 * of the cap; eg_pool_threads reports how often it refused a thread.
 * EG_EINVAL for a negative `max`. Thread-safe. Since 1.1.
 */
EG_API int eg_pool_set_max_threads(int max);

/**
 * Returns the number of pool threads alive now. If `max_threads` is not
 * NULL it receives the cap in force; if `refused` is not NULL, the number
 * of threads the pool wanted and did not create because of the cap since
 * the process started (or since fork() in a child): a count that grows
 * means tasks waited for a thread. A snapshot; thread-safe. Since 1.1.
 */
EG_API int eg_pool_threads(int *max_threads, uint64_t *refused);

/**
 * Stops every pool thread and waits until all have exited. Refused with
 * EG_EBUSY while any task or after-function is queued or running (a task
 * that has returned, as after eg_group_wait, no longer counts: the call
 * then waits for its thread to finish the group's bookkeeping, such as the
 * callbacks of eg_group_wait_async, and exit). The pool restarts by itself
 * on the next use. No other thread may use the library while this call
 * runs. Not needed before exit or dlclose: the shared library is linked
 * with -z nodelete, so its code is never unmapped under its threads. The
 * deadline timer thread, once started, stays.
 */
EG_API int eg_pool_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* EG_ERRGROUP_H */
