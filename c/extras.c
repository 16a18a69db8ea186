/* SPDX-License-Identifier: BSD-3-Clause */
/* The opt-in extras beyond the reference (errgroup.h, since 1.1). */
#include "extras.h"

#include <limits.h>
#include <string.h>

#include "after_func.h"
#include "context.h"
#include "limit.h"
#include "platform.h"
#include "tunables.h"

/* ---------------------------------------------------------------- setup */

void eg__extras_free(eg__extras *extras) {
  if (extras == NULL)
    return;
  for (size_t i = 0; i < extras->count; i++)
    eg_error_release(extras->errors[i]);
  eg__free(extras->errors);
  pthread_mutex_destroy(&extras->errors_lock);
  eg__free(extras);
}

/*
 * Called with the group's lock held by every opt-in call: the group's
 * extras, allocated on first use, in *out. EG_EBUSY once the group has had
 * a task (the hot paths read the extras without a lock, relying on their
 * being set before), EG_ENOMEM.
 */
static int extras_for_setup(eg_group *group, eg__extras **out) {
  if (atomic_load_explicit(&group->used, memory_order_relaxed))
    return EG_EBUSY;
  eg__extras *extras = eg__extras_of(group);
  if (extras == NULL) {
    extras = eg__alloc(sizeof *extras);
    if (extras == NULL)
      return EG_ENOMEM;
    *extras = (eg__extras){.errors = NULL};
    atomic_init(&extras->skipped, 0);
    pthread_mutex_init(&extras->errors_lock, NULL);
    /* Relaxed: see eg__extras_of. */
    atomic_store_explicit(&group->extras, extras, memory_order_relaxed);
  }
  *out = extras;
  return EG_OK;
}

/* ------------------------------------------------------ every error (1) */

int eg_group_keep_errors(eg_group *group, size_t max_errors) {
  if (group == NULL || max_errors == 0)
    return EG_EINVAL;
  if (max_errors > INT_MAX)
    max_errors = INT_MAX; /* eg_group_errors returns the count as an int */
  size_t first =
      max_errors < EG__KEPT_ERRORS_FIRST ? max_errors : EG__KEPT_ERRORS_FIRST;
  /* Allocated before locking; the first error always has its place. */
  eg_error **errors = eg__alloc(first * sizeof *errors);
  if (errors == NULL)
    return EG_ENOMEM;
  pthread_mutex_lock(&group->lock);
  eg__extras *extras;
  int rc = extras_for_setup(group, &extras);
  if (rc == EG_OK && extras->max_errors != 0)
    rc = EG_EBUSY;
  if (rc == EG_OK) {
    extras->errors = errors;
    extras->capacity = first;
    extras->max_errors = max_errors;
  }
  pthread_mutex_unlock(&group->lock);
  if (rc != EG_OK)
    eg__free(errors);
  return rc;
}

/* Called with errors_lock held: room for one more error, growing the array
 * (doubling, up to max_errors) if need be. 0 if there is none. It allocates
 * under the lock, which only serialises the recording of errors (rare by
 * assumption, see errgroup.h) and guards nothing else. */
static int room_for_one(eg__extras *extras) {
  if (extras->count < extras->capacity)
    return 1;
  if (extras->capacity == extras->max_errors)
    return 0;
  size_t grown = extras->capacity * 2;
  if (grown > extras->max_errors)
    grown = extras->max_errors;
  eg_error **errors = eg__alloc(grown * sizeof *errors);
  if (errors == NULL)
    return 0;
  memcpy(errors, extras->errors, extras->count * sizeof *errors);
  eg__free(extras->errors);
  extras->errors = errors;
  extras->capacity = grown;
  return 1;
}

/*
 * With kept errors, the exchange that makes an error the first happens
 * under errors_lock too, so the record order is the lock's order and the
 * first error is errors[0] (it always has room: see keep_errors). The array
 * holds a reference of its own to that one, the group's first_error the
 * task's.
 */
static int record_kept(eg_group *group, eg__extras *extras, eg_error *error) {
  pthread_mutex_lock(&extras->errors_lock);
  eg_error *expected = NULL;
  /* acq_rel: as in eg__group_record_first. */
  int first = atomic_compare_exchange_strong_explicit(
      &group->first_error, &expected, error, memory_order_acq_rel,
      memory_order_acquire);
  int kept = room_for_one(extras);
  if (kept)
    extras->errors[extras->count++] = first ? eg_error_retain(error) : error;
  else
    extras->dropped++;
  pthread_mutex_unlock(&extras->errors_lock);
  if (!kept && !first)
    eg_error_release(error);
  if (first && group->cancels)
    eg__context_cancel(group->ctx, EG_ECANCELED, error);
  return first;
}

static void sweep(eg_group *group);

int eg__extras_record_error(eg_group *group, eg__extras *extras,
                            eg_error *error) {
  int first = extras->max_errors != 0 ? record_kept(group, extras, error)
                                      : eg__group_record_first(group, error);
  if (first && extras->skip)
    sweep(group); /* the group is canceled now */
  return first;
}

int eg_group_errors(eg_group *group, eg_error **errors, size_t capacity,
                    uint64_t *dropped) {
  if (group == NULL || (errors == NULL && capacity > 0))
    return EG_EINVAL;
  eg__extras *extras = eg__extras_of(group);
  if (extras == NULL || extras->max_errors == 0)
    return EG_EINVAL;
  pthread_mutex_lock(&extras->errors_lock);
  size_t count = extras->count;
  for (size_t i = 0; i < count && i < capacity; i++)
    errors[i] = eg_error_retain(extras->errors[i]);
  if (dropped != NULL)
    *dropped = extras->dropped;
  pthread_mutex_unlock(&extras->errors_lock);
  return (int)count; /* at most max_errors <= INT_MAX */
}

/* ------------------------------------------------- per-task completion */

int eg_group_on_task_done(eg_group *group, eg_task_done_fn done,
                          void *done_arg) {
  if (group == NULL || done == NULL)
    return EG_EINVAL;
  pthread_mutex_lock(&group->lock);
  eg__extras *extras;
  int rc = extras_for_setup(group, &extras);
  if (rc == EG_OK && extras->done != NULL)
    rc = EG_EBUSY;
  if (rc == EG_OK) {
    extras->done = done;
    extras->done_arg = done_arg;
  }
  pthread_mutex_unlock(&group->lock);
  return rc;
}

/* The error is recorded first; the callback borrows it through a reference
 * of its own, as recording may release it (a lost race, a dropped one). */
void eg__extras_report_done(eg_group *group, eg__extras *extras, void *arg,
                            eg_error *error) {
  eg_error_retain(error);
  if (error != NULL)
    eg__extras_record_error(group, extras, error);
  extras->done(extras->done_arg, arg, EG_OK, error);
  eg_error_release(error);
}

/* ----------------------------------------------- cancel without error */

int eg_group_cancel(eg_group *group, eg_error *cause) {
  if (group == NULL)
    return EG_EINVAL;
  /* Release: pairs with eg_group_canceled's acquire load. */
  atomic_store_explicit(&group->canceled, 1, memory_order_release);
  if (group->cancels)
    eg__context_cancel(group->ctx, EG_ECANCELED, cause);
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL && extras->skip)
    sweep(group);
  return EG_OK;
}

/* See the top of errgroup.h's "Beyond the reference". */
static int is_canceled(eg_group *group) {
  if (group->cancels)
    return eg_context_done(group->ctx);
  /* Acquire: pairs with the release of the first error's exchange and of
   * eg_group_cancel's store. */
  return atomic_load_explicit(&group->first_error, memory_order_acquire) !=
             NULL ||
         atomic_load_explicit(&group->canceled, memory_order_acquire);
}

int eg_group_canceled(eg_group *group) {
  if (group == NULL)
    return EG_EINVAL;
  return is_canceled(group);
}

/* --------------------------------------------- skip once canceled (2) */

/*
 * The group is canceled: go callers blocked at its limit are refused.
 * (Tasks queued in worker mode are skipped as their turn comes: see
 * run_one in workers.c.) Idempotent; called by every source of
 * cancellation that the group sees itself, and for a group with a
 * context by the hook on it, which also covers the parent's cancellation
 * and deadline.
 */
static void sweep(eg_group *group) {
  /* Acquire: pairs with set_limit's release store. */
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_acquire);
  if (limit != NULL)
    eg__limit_skip_blocked(limit);
}

/* The hook's after-function: it holds the group (pinned) until it ran. */
static void swept_on_done(void *arg) {
  eg_group *group = arg;
  sweep(group);
  eg__group_unpin(group);
}

int eg_group_skip_when_canceled(eg_group *group) {
  if (group == NULL)
    return EG_EINVAL;
  pthread_mutex_lock(&group->lock);
  eg__extras *extras;
  int rc = extras_for_setup(group, &extras);
  if (rc == EG_OK && !extras->skip && group->cancels) {
    /* No lock of the context or the limit is ever held while taking the
     * group's lock, so registering under it is safe; the after-function
     * runs at once, on this thread, if the context is done already. It
     * runs inside the cancel, not on the pool: it is short, never blocks,
     * and leaves no job behind (eg_pool_shutdown after a wait). */
    eg__group_pin(group);
    rc = eg__after_func_inline(group->ctx, swept_on_done, group, &extras->hook);
    if (rc != EG_OK)
      eg__group_unpin(group);
  }
  if (rc == EG_OK)
    extras->skip = 1;
  pthread_mutex_unlock(&group->lock);
  return rc;
}

int eg__extras_unhook(eg_group *group, eg__extras *extras) {
  if (extras->hook == NULL)
    return 0;
  int stopped = eg_after_func_stop(extras->hook) == 1;
  extras->hook = NULL;
  if (stopped && is_canceled(group))
    sweep(group); /* the hook was stopped before it could */
  return stopped;
}

int eg__extras_skips_canceled(eg_group *group, eg__extras *extras) {
  if (!is_canceled(group))
    return 0;
  /* Relaxed: a statistic, read by eg_group_skipped. */
  atomic_fetch_add_explicit(&extras->skipped, 1, memory_order_relaxed);
  return 1;
}

int eg__extras_refuses(eg_group *group, int admission) {
  eg__extras *extras = eg__extras_of(group);
  if (admission == EG_LIMIT_SKIPPED) {
    atomic_fetch_add_explicit(&extras->skipped, 1, memory_order_relaxed);
    return 1;
  }
  if (!eg__extras_skips(group, extras))
    return 0;
  /* Canceled while blocked, before the sweep refused this caller: the
   * releaser counted the task in; give its slot and count back. */
  eg__group_task_done(group);
  return 1;
}

int eg__extras_skips_queued(eg_group *group, eg__extras *extras, void *arg) {
  if (!eg__extras_skips(group, extras))
    return 0;
  if (extras->done != NULL)
    extras->done(extras->done_arg, arg, EG_ESKIPPED, NULL);
  return 1;
}

int64_t eg_group_skipped(eg_group *group) {
  if (group == NULL)
    return EG_EINVAL;
  eg__extras *extras = eg__extras_of(group);
  if (extras == NULL)
    return 0;
  /* Relaxed: a snapshot of a statistic. */
  return atomic_load_explicit(&extras->skipped, memory_order_relaxed);
}
