#include "workers.h"

#include "platform.h"
#include "pool.h"

/* A task waiting for a worker: 24 bytes (see docs/PERFORMANCE.md). */
struct queued_task {
  struct queued_task *next;
  eg_task_fn fn;
  void *arg;
};

/* Called with the lock held. */
static struct queued_task *take_queued(eg_group *group) {
  struct queued_task *task = group->queued_oldest;
  if (task != NULL) {
    group->queued_oldest = task->next;
    if (group->queued_oldest == NULL)
      group->queued_newest = NULL;
  }
  return task;
}

/*
 * The pool job of a worker slot: runs its task, then keeps the slot and runs
 * the oldest queued task on the same thread, until the queue is empty. Each
 * task is counted out only after the next one was taken (and so is still
 * counted), so the group stays alive until the slot's last task is done.
 */
static void run_worker(void *owner, eg_task_fn fn, void *arg) {
  eg_group *group = owner;
  for (;;) {
    eg_error *error = fn(group->ctx, arg);
    if (error != NULL)
      eg__group_record_error(group, error);
    pthread_mutex_lock(&group->lock);
    struct queued_task *next = take_queued(group);
    if (next == NULL)
      group->running--;
    pthread_mutex_unlock(&group->lock);
    eg__group_task_done(group);
    if (next == NULL)
      return;
    fn = next->fn;
    arg = next->arg;
    eg__free(next);
  }
}

/* Starts a counted task on a worker slot the caller holds. */
static int start_worker(eg_group *group, eg_task_fn fn, void *arg) {
  eg_job job = {.run = run_worker, .owner = group, .fn = fn, .arg = arg};
  int rc = eg__pool_submit(&job);
  if (rc != EG_OK) {
    pthread_mutex_lock(&group->lock);
    group->running--;
    pthread_mutex_unlock(&group->lock);
    eg__group_task_done(group);
  }
  return rc;
}

int eg__workers_go(eg_group *group, eg_task_fn fn, void *arg) {
  /* Allocated before locking, so no allocation happens under the lock. */
  struct queued_task *task = eg__alloc(sizeof *task);
  eg__group_count_in(group);
  pthread_mutex_lock(&group->lock);
  int start = group->running < atomic_load(&group->workers);
  if (start) {
    group->running++;
  } else if (task != NULL) {
    task->next = NULL;
    task->fn = fn;
    task->arg = arg;
    if (group->queued_newest != NULL)
      group->queued_newest->next = task;
    else
      group->queued_oldest = task;
    group->queued_newest = task;
  }
  pthread_mutex_unlock(&group->lock);
  if (start) {
    eg__free(task);
    return start_worker(group, fn, arg);
  }
  if (task == NULL) {
    eg__group_task_done(group); /* counted in above; never queued */
    return EG_ENOMEM;
  }
  return EG_OK;
}

int eg__workers_try_go(eg_group *group, eg_task_fn fn, void *arg) {
  pthread_mutex_lock(&group->lock);
  int start = group->running < atomic_load(&group->workers);
  if (start)
    group->running++;
  pthread_mutex_unlock(&group->lock);
  if (!start)
    return 0;
  eg__group_count_in(group);
  int rc = start_worker(group, fn, arg);
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
