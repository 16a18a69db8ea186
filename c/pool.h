/*
 * The process-wide thread pool that runs every task and after-function.
 *
 * Liveness: a job never waits forever behind blocked jobs. A monitor thread
 * watches the run queue; when jobs are queued and none was taken for a whole
 * tick, it adds threads (see docs/ARCHITECTURE.md for the bound).
 * Speed: idle workers spin briefly before parking, so a job submitted to a
 * busy pool starts without a syscall.
 */
#ifndef EG_POOL_H
#define EG_POOL_H

#include "queue.h"

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

/* The number of pool worker threads alive right now (for tests). */
int eg__pool_live_threads(void);

#endif /* EG_POOL_H */
