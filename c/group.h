/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal view of eg_group, shared by group.c and workers.c. */
#ifndef EG_GROUP_H
#define EG_GROUP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "errgroup.h"
#include "errgroup_async.h"
#include "limit.h"
#include "list.h"
#include "queue.h"

/*
 * The group's state word, changed only by atomic read-modify-writes:
 *   bits 32..63  active tasks (admitted, not yet returned)
 *   bits  3..31  threads inside eg_group_wait, plus pending asynchronous
 *                waits
 *   bit   2      asynchronous waits are queued (set and cleared under lock)
 *   bit   1      some waiter sleeps on the futex (cleared by the last
 *                waiter to leave)
 *   bit   0      eg_group_free was called
 * Keeping them in one word lets the last party out, and only it, free the
 * group, and lets a finishing task decide with the value its own decrement
 * returned, without touching the group again afterwards (unless waiters,
 * who keep it alive, need it).
 */
#define EG__GROUP_FREED ((uint64_t)1)
#define EG__GROUP_SLEEPING ((uint64_t)2)
#define EG__GROUP_ASYNC_WAITS ((uint64_t)4)
#define EG__GROUP_WAITER_ONE ((uint64_t)8)
#define EG__GROUP_WAITERS_MASK (((uint64_t)1 << 32) - EG__GROUP_WAITER_ONE)
#define EG__GROUP_ACTIVE_ONE ((uint64_t)1 << 32)

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the futex word is the high half of the state: little-endian only"
#endif

struct eg_group {
  _Alignas(EG_CACHE_LINE) _Atomic uint64_t state;
  /* The current limit's count of slots (see eg_limit.slots), next to
   * `state`. */
  _Atomic uint64_t limit_slots;
  /* Set once, by the first failing task; never changes after. */
  _Alignas(EG_CACHE_LINE) _Atomic(eg_error *) first_error;
  eg_context *ctx; /* the group's own (owned) or the background context */
  int cancels;     /* made by eg_group_with_context */
  _Atomic(eg_limit *) limit; /* NULL: no limit */
  /* NULL unless an opt-in extra is used (extras.h); set before the first
   * task, in this line, which go and a finishing task touch anyway. */
  _Atomic(struct eg__extras *) extras;
  pthread_mutex_t lock; /* serialises set_limit; guards the two below */
  /* Replaced limits (eg_limit.retired_link), oldest first, freed with the
   * group or reused: a go racing set_limit may still be using one. */
  eg__list retired;
  eg__list async_waits; /* pending eg_group_wait_async calls, oldest first */
  /* Worker mode (workers.c): 0, or at most this many tasks run at once
   * and the others wait in the queue below. Set once, before any task. */
  atomic_int workers;
  int running;     /* under lock: tasks holding a worker */
  eg__list queued; /* under lock: tasks waiting for a worker, oldest first */
  atomic_int used; /* a task was ever started */
  /* eg_group_cancel was called (extras.c); set once, never cleared. */
  atomic_int canceled;
};

struct async_wait {
  eg__list link;
  eg_wait_fn done;
  void *arg;
};

static inline unsigned active_of(uint64_t state) {
  return (unsigned)(state >> 32);
}

/* The futex word: the active count, high half of `state`. */
static inline atomic_uint *active_word(eg_group *group) {
  return (atomic_uint *)((char *)&group->state + 4);
}

/* Holds the group alive as a waiter does (extras.c's skip hook), and lets
 * it go (the last one out frees a freed group). */
void eg__group_pin(eg_group *group);
void eg__group_unpin(eg_group *group);

/* Counts one more task active. */
void eg__group_count_in(eg_group *group);

/* Keeps `error` (owned) if it is the group's first error; returns 1 if so,
 * else releases it and returns 0. Kept errors and skip mode included. */
int eg__group_record_error(eg_group *group, eg_error *error);

/* The same for a group without extras (the reference's part only). */
int eg__group_record_first(eg_group *group, eg_error *error);

/* A counted task has returned or failed to start: see group.c. After this
 * call the group may have been freed. */
void eg__group_task_done(eg_group *group);

/* The same for the last task of the group's pool job (or of a waiter that
 * runs the job's tasks itself): the job counts as complete first (see
 * eg__pool_job_returning). */
void eg__group_job_done(eg_group *group);

/*
 * The groups whose tasks are running on this thread, innermost first: a
 * thread inside eg_group_wait (or go at a limit of one) runs tasks of the
 * group it waits for, possibly inside a task of another group. Every task
 * runs between eg__group_enter and eg__group_leave on a frame of its own
 * caller's stack.
 */
typedef struct eg__group_running {
  eg_group *group;
  struct eg__group_running *outer;
} eg__group_running;

void eg__group_enter(eg__group_running *frame, eg_group *group);
void eg__group_leave(eg__group_running *frame);

/* 1 if a task of `group` is running on this thread (anywhere down its
 * stack): waiting for the group here could then never return. */
int eg__group_runs_here(const eg_group *group);

#endif /* EG_GROUP_H */
