/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state of the opt-in extras (errgroup.h, "Beyond the reference"),
 * shared by group.c, workers.c and extras.c. A group that uses none has no
 * such state: the first opt-in call allocates it, before the group's first
 * task, and the group's paths test one pointer (eg__extras_of).
 */
#ifndef EG_EXTRAS_H
#define EG_EXTRAS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "group.h"

typedef struct eg__extras {
  /* Set under the group's lock before its first task, read-only after. */
  size_t max_errors;    /* 0: errors are not kept */
  eg_task_done_fn done; /* NULL: no per-task callback */
  void *done_arg;
  int skip; /* skip mode */
  /* Skip mode with a context: sweeps when the context is done, holding the
   * group as a waiter meanwhile (see eg_group_skip_when_canceled). Given
   * back by eg_group_free. */
  eg_after_func *hook;
  _Atomic int64_t skipped; /* tasks skip mode did not start */
  /* The kept errors (owned references), in record order; errors[0] is the
   * group's first error. All of it guarded by errors_lock. */
  pthread_mutex_t errors_lock;
  eg_error **errors;
  size_t count, capacity;
  uint64_t dropped;
} eg__extras;

/* The group's extras, or NULL. Relaxed: set only before the group's first
 * task, and every task's hand-off (the pool's queue, a caller's admission)
 * orders that before the paths that read it. */
static inline eg__extras *eg__extras_of(eg_group *group) {
  return atomic_load_explicit(&group->extras, memory_order_relaxed);
}

/* eg__group_record_error for a group with extras. */
int eg__extras_record_error(eg_group *group, eg__extras *extras,
                            eg_error *error);

/* The same with a task-done callback: records, then reports. */
void eg__extras_report_done(eg_group *group, eg__extras *extras, void *arg,
                            eg_error *error);

/* A task of a group with extras returned `error` (NULL or owned): records
 * it and calls the task-done callback, if any, with `arg`. */
static inline void eg__extras_task_done(eg_group *group, eg__extras *extras,
                                        void *arg, eg_error *error) {
  if (extras->done != NULL)
    eg__extras_report_done(group, extras, arg, error);
  else if (error != NULL)
    eg__extras_record_error(group, extras, error);
}

/* The same, in skip mode only. */
int eg__extras_skips_canceled(eg_group *group, eg__extras *extras);

/* In skip mode, if the group is canceled: counts one task skipped and
 * returns 1 (its go call then returns EG_ESKIPPED). Else 0. */
static inline int eg__extras_skips(eg_group *group, eg__extras *extras) {
  return extras->skip && eg__extras_skips_canceled(group, extras);
}

/* The same for a task queued in worker mode: if skipped, it is also
 * reported to the task-done callback (which gets `arg`). */
int eg__extras_skips_queued(eg_group *group, eg__extras *extras, void *arg);

/* A go caller blocked at the limit got `admission` (EG_LIMIT_HANDED or
 * EG_LIMIT_SKIPPED): 1 if it must return EG_ESKIPPED (counted skipped),
 * refused by the sweep, or handed a slot after the group was canceled
 * (which is then given back). 0: start the task. */
int eg__extras_refuses(eg_group *group, int admission);

/* eg_group_free: gives the skip mode's hook back; returns 1 if the caller
 * must drop the hook's pin on the group (the hook will never run). */
int eg__extras_unhook(eg_group *group, eg__extras *extras);

/* Frees the extras with their group. */
void eg__extras_free(eg__extras *extras);

#endif /* EG_EXTRAS_H */
