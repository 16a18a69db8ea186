/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * liberrgroup, experimental: asynchronous admission and waiting, for
 * language bindings whose tasks run on their own runtime (goroutines, an
 * event loop) rather than on the library's pool.
 *
 * A binding admits a task (taking a slot of the group's limit and counting
 * the task as active), runs it however it likes, and reports its end with
 * eg_group_external_done. Neither admission nor waiting ever blocks the
 * calling thread: when it would, the library calls a notification function
 * later instead. External tasks and pool tasks share one group: the same
 * count, limit queue, first error and context.
 *
 * EXPERIMENTAL: these functions are exported under their own version node
 * (LIBERRGROUP_EXPERIMENTAL) and may change in a minor release. Everything
 * in errgroup.h stays stable.
 */
#ifndef EG_ERRGROUP_ASYNC_H
#define EG_ERRGROUP_ASYNC_H

#include "errgroup.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A notification: called once, with the `arg` given at registration. */
typedef void (*eg_notify_fn)(void *arg);

/* A payload release function, as given to eg_error_wrap. */
typedef void (*eg_payload_release_fn)(void *payload);

/**
 * Admits one external task, as eg_group_go does before it starts one, but
 * runs nothing: the caller runs the task itself and must then call
 * eg_group_external_done exactly once.
 * Returns 1 if the task was admitted at once (`admitted` is not called).
 * If the limit is reached it returns 0 and queues the request behind
 * earlier go callers, first come first served; `admitted(arg)` is then
 * called exactly once, on the thread that freed the slot (a pool thread, or
 * a thread inside eg_group_external_done), after the task has been counted
 * active. It must not block. If that thread is itself inside an admission
 * notification (one that called eg_group_external_done at once), the call
 * is made as soon as that notification returns instead, so notifications
 * never nest however many are queued. On a limit of 0 it is never called,
 * as a Go caller stays blocked forever. Never blocks.
 * A request still queued when its group is freed is dropped without a call
 * (it could only have been a caller blocked forever, on a limit of 0 or on
 * a limit replaced while it waited).
 * In worker mode (eg_group_set_workers) the task counts as active at once,
 * even while it waits for a worker in the group's FIFO, so waits include
 * it; 0 then means it waits, and `admitted` is called when a worker frees.
 * Errors: EG_EINVAL (NULL group or admitted), EG_ENOMEM (nothing queued),
 * EG_ESKIPPED (skip mode: the group is canceled; an admission queued before
 * that is still admitted).
 */
EG_API int eg_group_admit(eg_group *group, eg_notify_fn admitted, void *arg);

/**
 * eg_group_try_go without starting anything: 1 if a slot was free right now
 * and the task is admitted (counted active), 0 if not. EG_EINVAL for NULL,
 * EG_ESKIPPED in skip mode once the group is canceled.
 */
EG_API int eg_group_try_admit(eg_group *group);

/**
 * An external task has returned. `error` is NULL or an owned error whose
 * reference passes to the group, as a task's return value does. Returns 1
 * if this error became the group's first error (the group's context has
 * then been canceled with it as the cause), 0 otherwise, EG_EINVAL for a
 * NULL group. The task's slot is given back and it stops counting as
 * active; pending admissions and asynchronous waits may be notified from
 * inside this call.
 */
EG_API int eg_group_external_done(eg_group *group, eg_error *error);

/**
 * Records an external task's error as eg_group_external_done would, without
 * ending the task: it still counts as active (holds its slot, and waits
 * wait for it) until eg_group_external_done(group, NULL) ends it. For a
 * binding that must run code of its own between the two, such as a
 * per-task callback that must see the error recorded (kept, first, the
 * context canceled) before the task stops counting. `error` is NULL (does
 * nothing, returns 0) or an owned error whose reference passes to the
 * group. Returns 1 if it became the group's first error (the group's
 * context has then been canceled with it as the cause), 0 otherwise,
 * EG_EINVAL for a NULL group (the error is released). Call it at most once
 * per task, before that task's eg_group_external_done; pending admissions
 * are not notified from inside it (no slot is freed). Thread-safe.
 */
EG_API int eg_group_external_record(eg_group *group, eg_error *error);

/* Called when an asynchronous wait completes; `error` as eg_group_wait's. */
typedef void (*eg_wait_fn)(void *arg, eg_error *error);

/**
 * eg_group_wait without blocking. If no task is active it completes at once:
 * cancels the group's context as eg_group_wait does, stores the result in
 * *result (borrowed until the group is freed, or, if eg_group_free ran
 * during this call, until this thread's next wait, as for eg_group_wait)
 * and returns 1; `done` is not called. Otherwise it returns 0 and, when the
 * last active task returns, the library cancels the context and calls
 * done(arg, error) once, on that task's thread; `error` is borrowed for the
 * duration of the call (retain it to keep it). `done` must not block.
 * Freeing the group while a wait is pending is safe: the free is deferred
 * until `done` has returned. Unlike eg_group_wait it never refuses with
 * EG_EDEADLK: a task may wait for its own group this way, nothing blocks.
 * Errors: EG_EINVAL (NULL group, done or result), EG_ENOMEM.
 */
EG_API int eg_group_wait_async(eg_group *group, eg_wait_fn done, void *arg,
                               eg_error **result);

/**
 * The release function `error` was wrapped with (eg_error_wrap), or NULL.
 * Lets a binding recognise its own payloads among errors from other code
 * before it interprets eg_error_payload().
 */
EG_API eg_payload_release_fn eg_error_payload_release(const eg_error *error);

/**
 * A hint from a task about to block where the library cannot see it (a
 * read, a poll, a lock of its own), after Java's ForkJoinPool.managedBlock:
 * from eg_pool_blocking_begin to eg_pool_blocking_end the calling pool
 * thread does not count as runnable, so a queued task gets another thread
 * at once instead of when the pool's monitor notices the block (tens of
 * microseconds later). Pairs may nest and may contain the library's own
 * waits; each begin needs its end on the same thread (pairs a task leaves
 * open end when it returns). No-op on a thread
 * that is not a pool thread. Never fails, never blocks.
 */
EG_API void eg_pool_blocking_begin(void);

/**
 * Ends the innermost eg_pool_blocking_begin of the calling thread: the
 * thread counts as runnable again once no pair is open. No-op on a thread
 * that is not a pool thread, and for an end without a begin. Never fails,
 * never blocks.
 */
EG_API void eg_pool_blocking_end(void);

#ifdef __cplusplus
}
#endif

#endif /* EG_ERRGROUP_ASYNC_H */
