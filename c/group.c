/* SPDX-License-Identifier: BSD-3-Clause */
#include "group.h"

#include <limits.h>
#include <stdio.h>

#include "context.h"
#include "errgroup_async.h"
#include "error.h"
#include "extras.h"
#include "platform.h"
#include "pool.h"
#include "start.h"
#include "tunables.h"
#include "workers.h"

/* ------------------------------------------------------------- lifetime */

static int group_new(eg_group **out) {
  eg_group *group = eg__alloc_lines(sizeof *group);
  if (group == NULL)
    return EG_ENOMEM;
  atomic_init(&group->state, 0);
  atomic_init(&group->limit_slots, 0);
  atomic_init(&group->first_error, NULL);
  group->ctx = eg_context_background();
  group->cancels = 0;
  atomic_init(&group->limit, NULL);
  atomic_init(&group->extras, NULL);
  pthread_mutex_init(&group->lock, NULL);
  eg__list_init(&group->retired);
  eg__list_init(&group->async_waits);
  atomic_init(&group->workers, 0);
  group->running = 0;
  eg__list_init(&group->queued);
  atomic_init(&group->used, 0);
  atomic_init(&group->canceled, 0);
  *out = group;
  return EG_OK;
}

static void destroy(eg_group *group) {
  eg_error_release(
      atomic_load_explicit(&group->first_error, memory_order_relaxed));
  if (group->cancels)
    eg_context_release(group->ctx);
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_relaxed);
  if (limit != NULL)
    eg__limit_free(limit);
  eg__list *link;
  while ((link = eg__list_pop_front(&group->retired)) != NULL)
    eg__limit_free(EG__LIST_ENTRY(link, eg_limit, retired_link));
  pthread_mutex_destroy(&group->lock);
  eg__extras_free(eg__extras_of(group));
  eg__free(group);
}

int eg_group_new(eg_group **out) {
  if (out == NULL)
    return EG_EINVAL;
  return group_new(out);
}

int eg_group_with_context(eg_context *parent, eg_group **group_out,
                          eg_context **ctx_out) {
  if (parent == NULL || group_out == NULL || ctx_out == NULL)
    return EG_EINVAL;
  eg_group *group;
  int rc = group_new(&group);
  if (rc != EG_OK)
    return rc;
  rc = eg__context_new(parent, EG_CONTEXT_GROUP, EG_NO_DEADLINE, &group->ctx);
  if (rc != EG_OK) {
    group->ctx = eg_context_background();
    destroy(group);
    return rc;
  }
  group->cancels = 1;
  *group_out = group;
  *ctx_out = eg_context_retain(group->ctx);
  return EG_OK;
}

static void leave_waiters(eg_group *group, eg_error *result);

void eg_group_free(eg_group *group) {
  if (group == NULL)
    return;
  eg__extras *extras = eg__extras_of(group);
  int unpin = extras != NULL && eg__extras_unhook(group, extras);
  /* acq_rel: if nobody is inside, we free, after all their writes. */
  if (atomic_fetch_or_explicit(&group->state, EG__GROUP_FREED,
                               memory_order_acq_rel) == 0)
    destroy(group);
  if (unpin)
    leave_waiters(group, NULL);
}

void eg__group_pin(eg_group *group) {
  /* Relaxed: as a waiter's registration in eg_group_wait. */
  atomic_fetch_add_explicit(&group->state, EG__GROUP_WAITER_ONE,
                            memory_order_relaxed);
}

void eg__group_unpin(eg_group *group) {
  leave_waiters(group, NULL);
}

/* ---------------------------------------------------------------- tasks */

/* Keeps `error` if it is the group's first; returns 1 if so. */
int eg__group_record_first(eg_group *group, eg_error *error) {
  eg_error *expected = NULL;
  /* acq_rel: publishes the error to waiters (who also synchronise through
   * the state word) and to a concurrent loser's comparison. */
  if (!atomic_compare_exchange_strong_explicit(&group->first_error, &expected,
                                               error, memory_order_acq_rel,
                                               memory_order_acquire)) {
    eg_error_release(error); /* lost the race: the group keeps the first */
    return 0;
  }
  if (group->cancels)
    eg__context_cancel(group->ctx, EG_ECANCELED, error);
  return 1;
}

int eg__group_record_error(eg_group *group, eg_error *error) {
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL)
    return eg__extras_record_error(group, extras, error);
  return eg__group_record_first(group, error);
}

static void complete_async_waits(eg_group *group);

/*
 * Counts one task out, decrementing the count by one; if that reaches zero
 * while asynchronous waits are queued, the same atomic step registers this
 * thread as a waiter, so the group stays alive while it completes them.
 * Returns the new state (without that pin).
 */
static uint64_t count_out(eg_group *group, int *pinned) {
  uint64_t old = atomic_load_explicit(&group->state, memory_order_relaxed);
  uint64_t next;
  do {
    next = old - EG__GROUP_ACTIVE_ONE;
    *pinned = active_of(next) == 0 && (next & EG__GROUP_ASYNC_WAITS);
    if (*pinned)
      next += EG__GROUP_WAITER_ONE;
    /* acq_rel: release publishes the task's writes (its error) to waiters;
     * acquire lets the party that frees see everybody's. */
  } while (!atomic_compare_exchange_weak_explicit(
      &group->state, &old, next, memory_order_acq_rel, memory_order_relaxed));
  return *pinned ? next - EG__GROUP_WAITER_ONE : next;
}

/* The innermost group whose task runs on this thread (thread-local: only
 * this thread reads or writes it), or NULL. */
static EG__THREAD_LOCAL eg__group_running *innermost;

/*
 * The last task was counted out with asynchronous waits queued: completes
 * them. The finishing task's frame, this thread's innermost if it is of
 * `group`, is hidden meanwhile: that task no longer counts, so a wait for
 * the group from a `done` callback (or a context callback) would return at
 * once and must not be refused with EG_EDEADLK. No other frame of `group`
 * can be on this thread: its task would still be active.
 */
static void complete_idle(eg_group *group) {
  eg__group_running *saved = innermost;
  if (saved != NULL && saved->group == group)
    innermost = saved->outer;
  complete_async_waits(group);
  leave_waiters(group, NULL);
  innermost = saved;
}

/*
 * A task has returned (or failed to start): give its slot back to the limit
 * in force now, as the reference does (if a caller waits for it, count that
 * caller's task in before this one leaves, then admit it), then count this
 * task out. After the decrement the group may be freed by somebody else, so
 * only the value the decrement returned is used, unless this thread pinned
 * it to complete asynchronous waits.
 *
 * If `may_chain` and the slot went to a blocked go caller, this thread
 * takes over that caller's task: it is stored in *task and *arg and 1
 * returned (the caller returns at once, its task counted and started). That
 * saves a queue round trip per task at a limit; only a pool worker's own
 * job may chain (a thread that is helping inside go or wait must not run
 * other tasks before it returns). `ends_job`: the caller is the group's
 * pool job, which, unless it chains, counts as complete before the count
 * out may release a waiter (so a shutdown after the wait finds it done).
 */
static int finish_task(eg_group *group, int may_chain, int ends_job,
                       eg_task_fn *task, void **arg) {
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_acquire);
  eg_limit_waiter *next = limit != NULL ? eg__limit_release(limit) : NULL;
  int chained = 0;
  if (next != NULL) {
    atomic_fetch_add_explicit(&group->state, EG__GROUP_ACTIVE_ONE,
                              memory_order_relaxed);
    chained = may_chain && eg__limit_waiter_task(next, task, arg);
    eg__limit_grant(next, chained);
  }
  if (ends_job && !chained)
    eg__pool_job_returning(group);
  int pinned;
  uint64_t state = count_out(group, &pinned);
  if (active_of(state) != 0)
    return chained;
  if (state & EG__GROUP_WAITERS_MASK) {
    /* May reach a group a waiter has just freed: a futex wake on such an
     * address is harmless (at worst a spurious wake, which every futex
     * user tolerates), the same contract as POSIX semaphores. */
    if (state & EG__GROUP_SLEEPING)
      eg__futex_wake(active_word(group), INT_MAX);
    if (pinned)
      complete_idle(group);
  } else if (state == EG__GROUP_FREED) {
    destroy(group);
  }
  return chained;
}

void eg__group_task_done(eg_group *group) {
  eg_task_fn task;
  void *arg;
  finish_task(group, 0, 0, &task, &arg);
}

void eg__group_job_done(eg_group *group) {
  eg_task_fn task;
  void *arg;
  finish_task(group, 0, 1, &task, &arg);
}

void eg__group_enter(eg__group_running *frame, eg_group *group) {
  frame->group = group;
  frame->outer = innermost;
  innermost = frame;
}

void eg__group_leave(eg__group_running *frame) {
  innermost = frame->outer;
}

int eg__group_runs_here(const eg_group *group) {
  for (const eg__group_running *frame = innermost; frame != NULL;
       frame = frame->outer)
    if (frame->group == group)
      return 1;
  return 0;
}

/* run_task for a group with extras, out of line so that the plain loop
 * keeps its shape: runs, records and reports each task, and the chained
 * ones. The callback gets the task's reported argument, taken before the
 * task runs (start.h). In skip mode a blocked go caller's task is not
 * taken over: once admitted, the caller itself checks whether to skip
 * it. */
static __attribute__((noinline)) void
run_with_extras(eg_group *group, eg__extras *extras, eg_task_fn fn, void *arg) {
  int may_chain = eg__pool_may_chain() && !extras->skip;
  eg__group_running frame;
  eg__group_enter(&frame, group);
  do {
    void *reported = eg__start_task_arg(fn, arg);
    eg__extras_task_done(group, extras, reported, fn(group->ctx, arg));
  } while (finish_task(group, may_chain, 1, &fn, &arg));
  eg__group_leave(&frame);
}

/* The extras are read before the task runs (see run_with_extras): set
 * before the group's first task, they never change after. The expect
 * keeps the plain loop at its instruction count: without it, gcc keeps the
 * first error's expected NULL in one more callee-saved register. */
static void run_task(void *owner, eg_task_fn fn, void *arg) {
  eg_group *group = owner;
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL) {
    run_with_extras(group, extras, fn, arg);
    return;
  }
  int may_chain = eg__pool_may_chain();
  eg__group_running frame;
  eg__group_enter(&frame, group);
  do {
    eg_error *error = fn(group->ctx, arg);
    if (__builtin_expect(error != NULL, 0))
      eg__group_record_first(group, error);
  } while (finish_task(group, may_chain, 1, &fn, &arg));
  eg__group_leave(&frame);
}

/* Hands an admitted, counted task to the pool; undoes the count on failure. */
static int submit_task(eg_group *group, eg_task_fn fn, void *arg) {
  eg_job job = {.run = run_task, .owner = group, .fn = fn, .arg = arg};
  int rc = eg__pool_submit_next(&job);
  if (rc != EG_OK)
    eg__group_task_done(group);
  return rc;
}

void eg__group_count_in(eg_group *group) {
  /* Relaxed: the task's hand-off (queue or caller) orders this before the
   * task's own decrement. The `used` flag is written once. */
  atomic_fetch_add_explicit(&group->state, EG__GROUP_ACTIVE_ONE,
                            memory_order_relaxed);
  if (!atomic_load_explicit(&group->used, memory_order_relaxed))
    atomic_store_explicit(&group->used, 1, memory_order_relaxed);
}

int eg_group_go(eg_group *group, eg_task_fn fn, void *arg) {
  if (group == NULL || fn == NULL)
    return EG_EINVAL;
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL && eg__extras_skips(group, extras))
    return EG_ESKIPPED;
  if (eg__workers_enabled(group))
    return eg__workers_go(group, fn, arg);
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_acquire);
  int admission =
      limit != NULL ? eg__limit_acquire(limit, group, fn, arg) : EG_LIMIT_TOOK;
  if (admission == EG_LIMIT_STARTED)
    return EG_OK; /* a releaser counted the task in and runs it */
  if (admission == EG_LIMIT_TOOK)
    eg__group_count_in(group); /* else the releaser counted it */
  else if (eg__extras_of(group) != NULL && eg__extras_refuses(group, admission))
    return EG_ESKIPPED; /* read again: nothing stays live across blocking */
  return submit_task(group, fn, arg);
}

int eg_group_try_go(eg_group *group, eg_task_fn fn, void *arg) {
  if (group == NULL || fn == NULL)
    return EG_EINVAL;
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL && eg__extras_skips(group, extras))
    return EG_ESKIPPED;
  if (eg__workers_enabled(group))
    return eg__workers_try_go(group, fn, arg);
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_acquire);
  if (limit != NULL && !eg__limit_try_acquire(limit))
    return 0;
  eg__group_count_in(group);
  int rc = submit_task(group, fn, arg);
  return rc == EG_OK ? 1 : rc;
}

/* ------------------------------------------------------- external tasks */

int eg_group_admit(eg_group *group, eg_notify_fn admitted, void *arg) {
  if (group == NULL || admitted == NULL)
    return EG_EINVAL;
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL && eg__extras_skips(group, extras))
    return EG_ESKIPPED;
  if (eg__workers_enabled(group))
    return eg__workers_admit(group, admitted, arg);
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_acquire);
  int rc = limit != NULL ? eg__limit_acquire_async(limit, admitted, arg) : 1;
  if (rc == 1)
    eg__group_count_in(group);
  return rc; /* 0: queued, the releaser counts it in and notifies */
}

int eg_group_try_admit(eg_group *group) {
  if (group == NULL)
    return EG_EINVAL;
  eg__extras *extras = eg__extras_of(group);
  if (extras != NULL && eg__extras_skips(group, extras))
    return EG_ESKIPPED;
  if (eg__workers_enabled(group))
    return eg__workers_try_admit(group);
  eg_limit *limit = atomic_load_explicit(&group->limit, memory_order_acquire);
  if (limit != NULL && !eg__limit_try_acquire(limit))
    return 0;
  eg__group_count_in(group);
  return 1;
}

int eg_group_external_record(eg_group *group, eg_error *error) {
  if (group == NULL) {
    eg_error_release(error);
    return EG_EINVAL;
  }
  return error != NULL ? eg__group_record_error(group, error) : 0;
}

int eg_group_external_done(eg_group *group, eg_error *error) {
  int recorded = eg_group_external_record(group, error);
  if (recorded < 0)
    return recorded;
  if (eg__workers_enabled(group))
    eg__workers_external_done(group);
  eg__group_task_done(group);
  return recorded;
}

/* ---------------------------------------------------------------- limit */

/*
 * Called with the lock held, before the group's limit changes. The old
 * limit is never freed before the group's end: a go racing this set_limit
 * (a misuse the header calls memory-safe) may have loaded it and be about
 * to use it, and nothing cheaper than a count on go's path could tell when
 * it is done. A later set_limit may make it current again instead of
 * allocating (reusable_limit), which keeps their number bounded.
 */
static void retire_limit(eg_group *group, eg_limit *old) {
  if (old != NULL) {
    eg__limit_retire(old);
    eg__list_push_back(&group->retired, &old->retired_link);
  }
}

/* Called with the lock held: the most recently replaced limit if it can
 * serve again (eg__limit_reusable), else NULL. Looking at that one only is
 * enough to keep a loop of set_limit calls from piling limits up. */
static eg_limit *reusable_limit(eg_group *group) {
  eg__list *newest = group->retired.prev;
  if (newest == &group->retired)
    return NULL;
  eg_limit *limit = EG__LIST_ENTRY(newest, eg_limit, retired_link);
  return eg__limit_reusable(limit) ? limit : NULL;
}

static eg_error *limit_refusal(unsigned active) {
  char text[96];
  snprintf(text, sizeof text,
           "errgroup: modify limit while %u goroutines in the group are "
           "still active",
           active);
  return eg_error_new(EG_EBUSY, text);
}

/* eg_group_set_limit's body, with the lock held. */
static int set_limit_locked(eg_group *group, int limit, eg_error **refusal) {
  int rc = EG_OK;
  if (eg__workers_enabled(group)) {
    rc = EG_EINVAL;
  } else if (limit < 0) {
    retire_limit(group,
                 atomic_load_explicit(&group->limit, memory_order_relaxed));
    /* Release: pairs with go's acquire load of the limit. */
    atomic_store_explicit(&group->limit, NULL, memory_order_release);
  } else {
    unsigned active = active_of(atomic_load(&group->state));
    eg_limit *reused = reusable_limit(group);
    eg_limit *fresh = NULL;
    if (active != 0) {
      rc = EG_EBUSY;
      if (refusal != NULL)
        *refusal = limit_refusal(active);
    } else if (reused == NULL &&
               (fresh = eg__limit_new(limit, &group->limit_slots)) == NULL) {
      rc = EG_ENOMEM;
    } else {
      retire_limit(group,
                   atomic_load_explicit(&group->limit, memory_order_relaxed));
      /* Relaxed: the release store of the limit below publishes it. */
      atomic_store_explicit(&group->limit_slots, 0, memory_order_relaxed);
      if (reused != NULL) {
        eg__list_remove(&reused->retired_link);
        eg__limit_reuse(reused, limit);
        fresh = reused;
      }
      atomic_store_explicit(&group->limit, fresh, memory_order_release);
    }
  }
  return rc;
}

int eg_group_set_limit(eg_group *group, int limit, eg_error **refusal) {
  if (refusal != NULL)
    *refusal = NULL;
  if (group == NULL)
    return EG_EINVAL;
  pthread_mutex_lock(&group->lock);
  int rc = set_limit_locked(group, limit, refusal);
  pthread_mutex_unlock(&group->lock);
  return rc;
}

/* eg__limit_resize's count_in: one admitted request is counted active. */
static void count_in_admitted(void *group) {
  eg__group_count_in(group);
}

/*
 * The current limit takes the new capacity in place (a negative one: so
 * many slots that nobody ever queues), so go callers racing this call act
 * on it before or after. The requests it admits are counted active before
 * they leave the limit's queue, as a releaser counts the next task in
 * before its own leaves (finish_task), so a wait never sees the group idle
 * in between; they are told in order after the locks are released (an
 * admission runs user code). Without a limit: set_limit, which refuses
 * while tasks are active.
 */
int eg_group_resize_limit(eg_group *group, int limit) {
  if (group == NULL)
    return EG_EINVAL;
  eg__list admitted;
  eg__list_init(&admitted);
  int rc = EG_OK;
  pthread_mutex_lock(&group->lock);
  /* Relaxed: set_limit, the only writer, holds the lock too. */
  eg_limit *current = atomic_load_explicit(&group->limit, memory_order_relaxed);
  if (eg__workers_enabled(group)) {
    rc = EG_EINVAL;
  } else if (current == NULL) {
    rc = set_limit_locked(group, limit, NULL);
  } else {
    eg__limit_resize(current, limit < 0 ? INT_MAX : limit, count_in_admitted,
                     group, &admitted);
  }
  pthread_mutex_unlock(&group->lock);
  eg__limit_grant_all(&admitted);
  return rc;
}

/* ----------------------------------------------------------------- wait */

/* Blocks until no task is active, running queued tasks of the group on this
 * thread meanwhile. The caller is counted as a waiter. */
static void wait_until_idle(eg_group *group) {
  eg_spin spin = EG_SPIN_INIT;
  for (;;) {
    /* Acquire: pairs with the finishers' decrements, so every task's
     * error is visible once the count reads zero. */
    uint64_t state = atomic_load_explicit(&group->state, memory_order_acquire);
    if (active_of(state) == 0)
      return;
    if (eg__pool_help(group) ||
        (eg__workers_enabled(group) && eg__workers_help(group))) {
      eg__spin_restart(&spin);
      continue;
    }
    if (eg__spin_on(&spin, EG__WAIT_SPIN_NS)) {
      eg__cpu_relax();
      continue;
    }
    /* Announce the sleep, then re-read: a finisher that decremented to zero
     * before the announcement is seen here; one after it sees
     * EG__GROUP_SLEEPING. */
    state = atomic_fetch_or_explicit(&group->state, EG__GROUP_SLEEPING,
                                     memory_order_acq_rel);
    if (active_of(state) == 0)
      return;
    eg__pool_block_begin();
    eg__futex_wait(active_word(group), active_of(state), -1);
    eg__pool_block_end();
    eg__spin_restart(&spin);
  }
}

/*
 * A wait's result outlives its group when eg_group_free ran during the
 * wait (errgroup.h): the waiter takes a reference before it leaves, and
 * this thread holds it until its next wait or its exit. Thread-local, so
 * no other thread touches it; the key only releases it at thread exit.
 */
static EG__THREAD_LOCAL eg_error *kept_result;
static pthread_key_t kept_result_key;
static pthread_once_t kept_result_once = PTHREAD_ONCE_INIT;
static int kept_result_key_made;

static void release_at_exit(void *error) {
  eg_error_release(error);
}

static void make_kept_result_key(void) {
  kept_result_key_made =
      pthread_key_create(&kept_result_key, release_at_exit) == 0;
}

/* Holds `error` (a reference the caller took) for this thread. Without a
 * key (pthread_key_create failed) it is released at the next wait only.
 * One already kept here came from a wait nested in this one (inside a task
 * this wait ran on the thread, which has returned): it expires now. */
static void keep_result(eg_error *error) {
  eg_error_release(kept_result);
  kept_result = error;
  pthread_once(&kept_result_once, make_kept_result_key);
  if (kept_result_key_made)
    pthread_setspecific(kept_result_key, error);
}

/* At the start of every wait: the previous kept result expires. */
static void drop_kept_result(void) {
  if (kept_result == NULL)
    return;
  eg_error_release(kept_result);
  kept_result = NULL;
  if (kept_result_key_made)
    pthread_setspecific(kept_result_key, NULL);
}

/*
 * Leaves the waiters; the last one clears EG__GROUP_SLEEPING. Frees the
 * group if it was freed meanwhile and nobody else is inside. If the group
 * was freed, `result` (the leaving wait's) is retained first, while this
 * thread still keeps the group alive, and kept for the thread: the freed
 * bit never clears, so a retry of the exchange never needs a second one.
 */
static void leave_waiters(eg_group *group, eg_error *result) {
  uint64_t state = atomic_load_explicit(&group->state, memory_order_relaxed);
  uint64_t next;
  int kept = 0;
  do {
    if ((state & EG__GROUP_FREED) && result != NULL && !kept) {
      eg_error_retain(result);
      kept = 1;
    }
    next = state - EG__GROUP_WAITER_ONE;
    if ((next & EG__GROUP_WAITERS_MASK) == 0)
      next &= ~EG__GROUP_SLEEPING;
  } while (!atomic_compare_exchange_weak_explicit(
      &group->state, &state, next, memory_order_acq_rel, memory_order_relaxed));
  if (next == EG__GROUP_FREED)
    destroy(group);
  if (kept)
    keep_result(result);
}

/* What every wait does once no task is active: cancel the group's context
 * with the first error (plain "canceled" if none), then return that error. */
static eg_error *finish_wait(eg_group *group) {
  eg_error *error =
      atomic_load_explicit(&group->first_error, memory_order_acquire);
  if (group->cancels)
    eg__context_cancel(group->ctx, EG_ECANCELED, error);
  return error;
}

eg_error *eg_group_wait(eg_group *group) {
  drop_kept_result();
  if (group == NULL)
    return eg__error_invalid();
  if (eg__group_runs_here(group))
    return eg__error_deadlock(); /* this thread's own task could never end */
  atomic_fetch_add_explicit(&group->state, EG__GROUP_WAITER_ONE,
                            memory_order_relaxed);
  wait_until_idle(group);
  eg_error *error = finish_wait(group);
  leave_waiters(group, error);
  return error;
}

/* ----------------------------------------------------------- timed wait */

/*
 * Like wait_until_idle, until eg_now_ns() reaches `deadline` (< INT64_MAX),
 * and without running the group's queued tasks here (one could overrun the
 * deadline): the task this thread kept for itself goes to the queue first.
 * Returns 1 once no task is active, 0 on timeout. A timeout leaves the SLEEPING
 * bit set: the caller is still a waiter, and the last waiter to leave
 * (leave_waiters) clears it, so a finisher that saw it makes at worst one wake
 * nobody needed.
 */
static int wait_idle_until(eg_group *group, int64_t deadline) {
  eg_spin spin = EG_SPIN_INIT;
  for (int published = 0;; published = 1) {
    /* Acquire: as in wait_until_idle. */
    uint64_t state = atomic_load_explicit(&group->state, memory_order_acquire);
    if (active_of(state) == 0)
      return 1;
    if (!published)
      eg__pool_publish_next();
    int spinning = eg__spin_on(&spin, EG__WAIT_SPIN_NS);
    int64_t now = spin.now;
    if (eg__spin_read_clock(&spin) && now >= deadline)
      return 0;
    if (spinning) {
      eg__cpu_relax();
      continue;
    }
    /* As in wait_until_idle: announce, re-read, sleep. */
    state = atomic_fetch_or_explicit(&group->state, EG__GROUP_SLEEPING,
                                     memory_order_acq_rel);
    if (active_of(state) == 0)
      return 1;
    eg__pool_block_begin();
    eg__futex_wait(active_word(group), active_of(state), deadline - now);
    eg__pool_block_end();
    eg__spin_restart(&spin);
  }
}

/* eg_group_wait_deadline's body. INT64_MAX waits forever, as
 * eg_group_wait does, helping too: with no time to overrun, a queued task
 * the pool cannot start (worker mode, see eg__workers_help) runs here
 * rather than never. */
static int wait_deadline(eg_group *group, int64_t deadline, eg_error **result) {
  drop_kept_result();
  if (group == NULL || result == NULL)
    return EG_EINVAL;
  *result = NULL;
  int own = eg__group_runs_here(group);
  if (own && deadline == INT64_MAX)
    return EG_EDEADLK; /* this thread's own task could never end */
  atomic_fetch_add_explicit(&group->state, EG__GROUP_WAITER_ONE,
                            memory_order_relaxed);
  if (deadline == INT64_MAX) {
    wait_until_idle(group);
  } else if (!wait_idle_until(group, deadline)) {
    leave_waiters(group, NULL);
    return EG_ETIMEDOUT;
  }
  eg_error *error = finish_wait(group);
  leave_waiters(group, error);
  *result = error;
  return EG_OK;
}

int eg_group_wait_deadline(eg_group *group, int64_t deadline_ns,
                           eg_error **result) {
  return wait_deadline(group, deadline_ns, result);
}

int eg_group_wait_timeout(eg_group *group, int64_t timeout_ns,
                          eg_error **result) {
  int64_t deadline = INT64_MAX;
  if (timeout_ns >= 0) {
    int64_t now = eg__now_ns();
    deadline = timeout_ns < INT64_MAX - now ? now + timeout_ns : INT64_MAX - 1;
  }
  return wait_deadline(group, deadline, result);
}

int eg_group_idle(eg_group *group) {
  if (group == NULL)
    return EG_EINVAL;
  /* Acquire: as in wait_until_idle, so a caller that sees 1 sees every
   * task's writes. */
  uint64_t state = atomic_load_explicit(&group->state, memory_order_acquire);
  return active_of(state) == 0;
}

/* Called with the lock held: no more queued asynchronous waits. */
static void clear_async_flag_if_empty(eg_group *group) {
  if (eg__list_empty(&group->async_waits))
    atomic_fetch_and_explicit(&group->state, ~EG__GROUP_ASYNC_WAITS,
                              memory_order_relaxed);
}

/* The count reached zero with asynchronous waits queued: complete them all.
 * Each is a waiter keeping the group alive until it leaves. */
static void complete_async_waits(eg_group *group) {
  eg__list list;
  eg__list_init(&list);
  pthread_mutex_lock(&group->lock);
  eg__list_splice(&group->async_waits, &list);
  clear_async_flag_if_empty(group);
  pthread_mutex_unlock(&group->lock);
  eg__list *link;
  while ((link = eg__list_pop_front(&list)) != NULL) {
    struct async_wait *wait = EG__LIST_ENTRY(link, struct async_wait, link);
    wait->done(wait->arg, finish_wait(group));
    eg__free(wait);
    leave_waiters(group, NULL);
  }
}

/*
 * Queues the wait under the lock with the flag set, then re-reads the count:
 * a finisher that reached zero before the flag was set did not see it, and
 * the wait completes in the caller instead (returns 1); one after it takes
 * the queue under the same lock (returns 0). The caller is a waiter.
 */
static int queue_async_wait(eg_group *group, eg_wait_fn done, void *arg) {
  struct async_wait *wait = eg__alloc(sizeof *wait);
  if (wait == NULL)
    return EG_ENOMEM;
  wait->done = done;
  wait->arg = arg;
  pthread_mutex_lock(&group->lock);
  uint64_t state = atomic_fetch_or_explicit(
      &group->state, EG__GROUP_ASYNC_WAITS, memory_order_acq_rel);
  int idle = active_of(state) == 0;
  if (!idle)
    eg__list_push_back(&group->async_waits, &wait->link);
  else
    clear_async_flag_if_empty(group);
  pthread_mutex_unlock(&group->lock);
  if (idle)
    eg__free(wait);
  return idle;
}

/*
 * Registers as a waiter first, as eg_group_wait does, so that an
 * eg_group_free during the call is deferred until it leaves and the result
 * is kept for this thread (errgroup.h). A queued wait stays registered
 * until its `done` has returned (complete_async_waits).
 */
int eg_group_wait_async(eg_group *group, eg_wait_fn done, void *arg,
                        eg_error **result) {
  drop_kept_result();
  if (group == NULL || done == NULL || result == NULL)
    return EG_EINVAL;
  *result = NULL;
  /* Acquire: as in wait_until_idle. */
  uint64_t state = atomic_fetch_add_explicit(
      &group->state, EG__GROUP_WAITER_ONE, memory_order_acquire);
  int rc = active_of(state) == 0 ? 1 : queue_async_wait(group, done, arg);
  if (rc == 0)
    return 0;
  if (rc == 1)
    *result = finish_wait(group);
  leave_waiters(group, *result);
  return rc;
}
