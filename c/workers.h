/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker mode (go-kratos v1's GOMAXPROCS(n)): at most n tasks of a group run
 * at once, go never blocks, and the other tasks wait in a FIFO inside the
 * group. Queued tasks count as active, so wait returns only after all ran.
 */
#ifndef EG_WORKERS_H
#define EG_WORKERS_H

#include "errgroup_async.h"
#include "group.h"

/* 1 if the group is in worker mode. */
static inline int eg__workers_enabled(eg_group *group) {
  /* Relaxed: set once before the group's first task (misuse otherwise). */
  return atomic_load_explicit(&group->workers, memory_order_relaxed) != 0;
}

/* eg_group_go in worker mode: starts or queues; never blocks. */
int eg__workers_go(eg_group *group, eg_task_fn fn, void *arg);

/* eg_group_try_go in worker mode: 1 only if a worker is free right now. */
int eg__workers_try_go(eg_group *group, eg_task_fn fn, void *arg);

/*
 * eg_group_admit in worker mode: the task counts as active at once; returns
 * 1 if a worker is free now, else 0, and admitted(arg) is called when one
 * frees (its slot passes to the task). EG_ENOMEM: nothing counted.
 */
int eg__workers_admit(eg_group *group, eg_notify_fn admitted, void *arg);

/*
 * For a waiter: if a worker slot is free while tasks are queued (only after
 * the pool failed to start one), runs them on this thread, or notifies the
 * external admission found at the head. 1 if it did.
 */
int eg__workers_help(eg_group *group);

/* eg_group_try_admit in worker mode: 1 if a worker was free (counted). */
int eg__workers_try_admit(eg_group *group);

/* An external task admitted in worker mode returned: its slot passes on.
 * Called before the task is counted out. */
void eg__workers_external_done(eg_group *group);

#endif /* EG_WORKERS_H */
