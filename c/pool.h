/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process-wide thread pool that runs every task and after-function.
 *
 * Liveness: a job never waits forever behind blocked jobs. Workers blocked
 * in the library's own waits say so (eg__pool_block_begin); a monitor
 * thread finds the others by their CPU clocks and adds threads for them
 * (see docs/ARCHITECTURE.md for the bounds and the thread cap).
 * Speed: idle workers spin briefly before parking, so a job submitted to a
 * busy pool starts without a syscall.
 */
#ifndef EG_POOL_H
#define EG_POOL_H

#include <stdint.h>

#include "queue.h"

/* Initialises the pool without starting it, registering its fork handlers:
 * for code whose own fork handlers must come after them (context.c). */
void eg__pool_init(void);

/*
 * Queues a job, starting the pool first if needed. Returns EG_OK (the job
 * will run exactly once), EG_ENOMEM or EG_EAGAIN (it will never run).
 */
int eg__pool_submit(const eg_job *job);

/*
 * Like eg__pool_submit, for a job the calling thread may well wait for
 * soon: it goes into the thread's next slot (next_slot.h), where the thread
 * itself finds it first when it helps; other threads take it only once it is
 * stale. Used for group tasks.
 */
int eg__pool_submit_next(const eg_job *job);

/*
 * Moves the job in the calling thread's next slot, if any, to the queue:
 * for a thread about to block without helping (go at a limit of two or
 * more), so that the job is not left waiting to become stale.
 */
void eg__pool_publish_next(void);

/*
 * Runs, on the calling thread, the job in its next slot if it belongs to
 * `owner`, else the oldest queued job if it does. Returns 1 if a job ran,
 * else 0. Used by waiters to help.
 */
int eg__pool_help(const void *owner);

/*
 * 1 on a pool worker running a job of its own, 0 elsewhere and while a
 * worker runs a job inside eg__pool_help (it is then inside go or wait and
 * must return before it runs other tasks).
 */
int eg__pool_may_chain(void);

/*
 * Around a sleep of the library's own (a futex wait in eg_context_wait,
 * eg_group_wait, a go parked at a limit): on a pool worker, the worker does
 * not count as runnable until eg__pool_block_end, so queued work gets
 * another worker at once. A thread-local test and nothing else on other
 * threads. Pairs nest (a library wait inside a task's
 * eg_pool_blocking_begin hint): the outermost one counts.
 */
void eg__pool_block_begin(void);
void eg__pool_block_end(void);

/*
 * Called by a job of `owner` (a group) about to count its last task out,
 * which may release the group's waiters: the job counts as complete now,
 * not when it returns, so eg_pool_shutdown right after eg_group_wait does
 * not find it running. A no-op unless the calling thread runs a pool job of
 * `owner` (also one inside eg__pool_help) that is not yet counted.
 */
void eg__pool_job_returning(const void *owner);

/* Pool worker threads alive now (for tests and eg_pool_threads). */
int eg__pool_live_threads(void);

/* Parked workers now, workers counted asleep in a task now, and parked
 * workers ever woken (for tests). */
void eg__pool_counts(int *idle, int *blocked, uint64_t *wakes);

#endif /* EG_POOL_H */
