/* SPDX-License-Identifier: BSD-3-Clause */
#include "workers.h"

#include "extras.h"
#include "notify.h"
#include "platform.h"
#include "pool.h"
#include "start.h"

/* A task waiting for a worker, on the group's `queued` list: 32 bytes (see
 * docs/PERFORMANCE.md). An external task's admission (eg_group_admit)
 * queues as fn = admit_external with arg pointing to its notice. */
struct queued_task {
  eg__list link;
  eg_task_fn fn;
  void *arg;
};

/* Never called: the marker of a queued external admission. */
static eg_error *admit_external(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return NULL;
}

/* Called with the lock held: the oldest queued task, or NULL. */
static struct queued_task *take_queued(eg_group *group) {
  eg__list *link = eg__list_pop_front(&group->queued);
  return link != NULL ? EG__LIST_ENTRY(link, struct queued_task, link) : NULL;
}

/*
 * A worker slot's task has returned: the slot passes to the oldest queued
 * task, which has been counted active since it was queued and so keeps the
 * group alive, or is freed. A queued external admission is notified here;
 * a queued pool task is returned for the caller to run. Else NULL.
 */
static struct queued_task *pass_slot(eg_group *group) {
  pthread_mutex_lock(&group->lock);
  struct queued_task *next = take_queued(group);
  if (next == NULL)
    group->running--;
  pthread_mutex_unlock(&group->lock);
  if (next == NULL || next->fn != admit_external)
    return next;
  eg__notice *notice = next->arg;
  eg__free(next);
  eg__notify(notice); /* frees the notice */
  return NULL;
}

/* run_one for a group with extras, out of line so that the plain path
 * keeps its shape. The callback gets the task's reported argument, taken
 * before the task runs (start.h); a skipped started task's starter is
 * told (it returns EG_ESKIPPED). */
static __attribute__((noinline)) void
run_one_with_extras(eg_group *group, eg__extras *extras, eg_task_fn fn,
                    void *arg, int queued) {
  void *reported = eg__start_task_arg(fn, arg);
  if (queued && eg__extras_skips_queued(group, extras, reported)) {
    eg__start_skipped(fn, arg);
    return;
  }
  eg__extras_task_done(group, extras, reported, fn(group->ctx, arg));
}

/* Runs one task on a worker slot; in skip mode a `queued` one (it waited in
 * the FIFO) is not started once the group is canceled, only reported. */
static void run_one(eg_group *group, eg_task_fn fn, void *arg, int queued) {
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL) {
    run_one_with_extras(group, extras, fn, arg, queued);
    return;
  }
  eg_error *error = fn(group->ctx, arg);
  if (error != NULL)
    eg__group_record_first(group, error);
}

/*
 * The pool job of a worker slot: runs its task, then keeps the slot and runs
 * the oldest queued task on the same thread, until the queue is empty. Each
 * task is counted out only after the slot passed on.
 */
static void work(eg_group *group, eg_task_fn fn, void *arg, int queued) {
  eg__group_running frame;
  eg__group_enter(&frame, group);
  for (;;) {
    run_one(group, fn, arg, queued);
    queued = 1;
    struct queued_task *next = pass_slot(group);
    if (next == NULL) {
      eg__group_job_done(group);
      break;
    }
    eg__group_task_done(group);
    fn = next->fn;
    arg = next->arg;
    eg__free(next);
  }
  eg__group_leave(&frame);
}

/* The pool job of a slot taken by a new task (go found a free worker). */
static void run_worker(void *owner, eg_task_fn fn, void *arg) {
  work(owner, fn, arg, 0);
}

/* The pool job of a slot passed to a task that waited in the FIFO. */
static void run_queued(void *owner, eg_task_fn fn, void *arg) {
  work(owner, fn, arg, 1);
}

/*
 * Starts a queued task that was handed a slot outside a worker job. go
 * accepted it, so it is never dropped: if the pool cannot take it (no pool
 * thread exists or can be made), it goes back to the head of the queue and
 * the slot is freed; a thread in eg_group_wait runs it (eg__workers_help).
 * It never runs here: this may be a go caller or a binding's thread.
 */
static void start_queued(eg_group *group, struct queued_task *task) {
  eg_job job = {
      .run = run_queued, .owner = group, .fn = task->fn, .arg = task->arg};
  if (eg__pool_submit(&job) == EG_OK) {
    eg__free(task);
    return;
  }
  pthread_mutex_lock(&group->lock);
  eg__list_push_front(&group->queued, &task->link);
  group->running--;
  pthread_mutex_unlock(&group->lock);
}

int eg__workers_help(eg_group *group) {
  pthread_mutex_lock(&group->lock);
  struct queued_task *task = NULL;
  if (group->running < atomic_load(&group->workers)) {
    task = take_queued(group);
    if (task != NULL)
      group->running++;
  }
  pthread_mutex_unlock(&group->lock);
  if (task == NULL)
    return 0;
  eg_task_fn fn = task->fn;
  void *arg = task->arg;
  eg__free(task);
  if (fn == admit_external)
    eg__notify(arg); /* the external task holds the worker now (frees arg) */
  else
    work(group, fn, arg, 1);
  return 1;
}

/* Starts a new, counted task on a worker slot the caller holds. If the pool
 * cannot take it, the caller is told, the task is counted out and the slot
 * passes on. */
static int start_new(eg_group *group, eg_task_fn fn, void *arg) {
  eg_job job = {.run = run_worker, .owner = group, .fn = fn, .arg = arg};
  int rc = eg__pool_submit(&job);
  if (rc != EG_OK) {
    struct queued_task *next = pass_slot(group);
    eg__group_task_done(group);
    if (next != NULL)
      start_queued(group, next);
  }
  return rc;
}

/* Takes a free worker slot now and counts the task in: 1, else 0. */
static int take_free_worker(eg_group *group) {
  pthread_mutex_lock(&group->lock);
  int start = group->running < atomic_load(&group->workers);
  if (start)
    group->running++;
  pthread_mutex_unlock(&group->lock);
  if (start)
    eg__group_count_in(group);
  return start;
}

/* Counts a task in and takes a free worker (returns 1), or queues `task`
 * filled with fn and arg (returns 0), or gives EG_ENOMEM if `task` is NULL
 * (then nothing is counted). */
static int start_or_queue(eg_group *group, struct queued_task *task,
                          eg_task_fn fn, void *arg) {
  eg__group_count_in(group);
  pthread_mutex_lock(&group->lock);
  int start = group->running < atomic_load(&group->workers);
  if (start) {
    group->running++;
  } else if (task != NULL) {
    task->fn = fn;
    task->arg = arg;
    eg__list_push_back(&group->queued, &task->link);
  }
  pthread_mutex_unlock(&group->lock);
  if (!start && task == NULL) {
    eg__group_task_done(group); /* counted in above; never queued */
    return EG_ENOMEM;
  }
  return start;
}

int eg__workers_go(eg_group *group, eg_task_fn fn, void *arg) {
  /* Allocated before locking, so no allocation happens under the lock. */
  struct queued_task *task = eg__alloc(sizeof *task);
  int rc = start_or_queue(group, task, fn, arg);
  if (rc != 1)
    return rc; /* queued (EG_OK) or EG_ENOMEM */
  eg__free(task);
  return start_new(group, fn, arg);
}

/* Both allocations happen before anything is counted; if either fails,
 * both are given back and the request is refused (or admitted at once,
 * needing neither, if a worker is free). */
int eg__workers_admit(eg_group *group, eg_notify_fn admitted, void *arg) {
  struct queued_task *task = eg__alloc(sizeof *task);
  eg__notice *notice = eg__alloc(sizeof *notice);
  if (task == NULL || notice == NULL) {
    eg__free(task);
    eg__free(notice);
    task = NULL;
    notice = NULL;
  } else {
    notice->fn = admitted;
    notice->arg = arg;
  }
  int rc = start_or_queue(group, task, admit_external, notice);
  if (rc == 1) {
    eg__free(task);
    eg__free(notice);
  }
  return rc;
}

int eg__workers_try_admit(eg_group *group) {
  return take_free_worker(group);
}

void eg__workers_external_done(eg_group *group) {
  struct queued_task *next = pass_slot(group);
  if (next != NULL)
    start_queued(group, next);
}

int eg__workers_try_go(eg_group *group, eg_task_fn fn, void *arg) {
  if (!take_free_worker(group))
    return 0;
  int rc = start_new(group, fn, arg);
  return rc == EG_OK ? 1 : rc;
}

int eg_group_set_workers(eg_group *group, int workers) {
  if (group == NULL || workers <= 0)
    return EG_EINVAL;
  int rc = EG_OK;
  pthread_mutex_lock(&group->lock);
  if (atomic_load(&group->workers) != 0 ||
      atomic_load_explicit(&group->limit, memory_order_relaxed) != NULL ||
      atomic_load(&group->used))
    rc = EG_EBUSY;
  else
    atomic_store(&group->workers, workers);
  pthread_mutex_unlock(&group->lock);
  return rc;
}
