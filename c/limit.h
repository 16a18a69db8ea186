/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A group's limit: a counting semaphore whose blocked acquirers are served
 * strictly first come, first served, with the slot handed straight from the
 * releaser to the oldest waiter (as a full Go channel hands its slot to the
 * oldest blocked sender), so a racing try-acquire never takes it.
 */
#ifndef EG_LIMIT_H
#define EG_LIMIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "errgroup.h"
#include "list.h"
#include "platform.h"

typedef struct eg_limit_waiter eg_limit_waiter;

typedef struct eg_limit {
  /*
   * Slots taken (bits 0..31) and requests queued (bits 32..63), in one word
   * so that a slot is taken or given back without the lock while nobody is
   * queued. Requests join the queue only under the lock. The word is the
   * group's (eg_group.limit_slots), in the cache line of its state word: a
   * go at a limit changes both, and so does a finishing task, so keeping
   * them together saves a cache line transfer between CPUs per task. A
   * replaced limit no longer uses its count: only the current limit is
   * acquired from and released to.
   */
  _Atomic uint64_t *slots;
  /* Changed only by eg__limit_reuse, under the lock; read without it
   * (relaxed) by a go that may race set_limit. */
  atomic_int capacity;
  eg__list retired_link; /* on the group's list of replaced limits */
  /* The queue, written by acquirers and releasers, in a line of its own. */
  _Alignas(EG_CACHE_LINE) pthread_mutex_t lock;
  eg__list waiters; /* eg_limit_waiter, oldest first */
  int retired;      /* under lock: replaced, see eg__limit_retire */
  int skipping;     /* under lock: see eg__limit_skip_blocked */
} eg_limit;

/*
 * A new limit of `capacity` >= 0 slots counted in `slots`, the group's word.
 * The group resets the word to zero before it installs the limit, which it
 * does only while no task is active. NULL when memory runs out.
 */
eg_limit *eg__limit_new(int capacity, _Atomic uint64_t *slots);

/*
 * Marks a limit replaced, before the group resets the word for the next one.
 * A go that still reaches it (it raced set_limit, which the API forbids)
 * then starts its task without touching the word instead of queueing
 * there: it escapes the limit, as documented, but cannot leave a phantom
 * queued request in the word that would block the new limit forever.
 * Callers already blocked on it stay blocked (as blocked Go senders on a
 * replaced semaphore channel do).
 */
void eg__limit_retire(eg_limit *limit);

/*
 * A replaced limit nobody is queued on may serve again as the current one,
 * so that set_limit does not allocate a limit per call and keep them all
 * until the group's end. eg__limit_reusable says whether `limit` is such
 * a one; once true it stays true, since a replaced limit queues nothing.
 * eg__limit_reuse gives it `capacity` slots and makes it current again:
 * call it after the group reset the slots word, before it publishes the
 * limit. A go racing set_limit that still holds the limit then simply acts
 * on the current one.
 */
int eg__limit_reusable(eg_limit *limit);
void eg__limit_reuse(eg_limit *limit, int capacity);

/* Frees a limit nobody is blocked on; returns 0 (and keeps it) otherwise.
 * Does not touch the slots word (a newer limit may be counting in it).
 * Only for the group's end: a go racing set_limit may still be using a
 * replaced limit, so the group keeps every limit it had until then. */
int eg__limit_free(eg_limit *limit);

/* Takes a slot only if one is free now and nobody waits. 1 if taken. */
int eg__limit_try_acquire(eg_limit *limit);

/* What eg__limit_acquire did. */
enum {
  EG_LIMIT_TOOK,    /* took a free slot: count the task in, start it */
  EG_LIMIT_HANDED,  /* a releaser handed its slot over and counted the task
                       in: start it */
  EG_LIMIT_STARTED, /* a releaser handed its slot over, counted the task in
                       and runs it: nothing left to do */
  EG_LIMIT_SKIPPED  /* eg__limit_skip_blocked refused it: start nothing */
};

/*
 * Takes a slot for `task`(`arg`), blocking first come, first served until
 * one is free. While it waits on a limit of one it runs queued jobs of
 * `owner` (its group) itself: see limit.c for why that is safe for one slot
 * and not for more.
 */
int eg__limit_acquire(eg_limit *limit, const void *owner, eg_task_fn task,
                      void *arg);

/*
 * Takes a free slot (returns 1), or queues the request behind the waiters
 * already there (returns 0): when its turn comes, the releaser counts the
 * task active and eg__limit_grant calls admitted(arg). EG_ENOMEM if the
 * request could not be queued. Never blocks.
 */
int eg__limit_acquire_async(eg_limit *limit, void (*admitted)(void *arg),
                            void *arg);

/*
 * Gives a slot back. If somebody waits, the slot passes straight to the
 * oldest waiter, which is returned: the caller must count its task active
 * and then call eg__limit_grant on it, with no lock held. Else returns NULL.
 */
eg_limit_waiter *eg__limit_release(eg_limit *limit);

/* If `waiter` is a blocked go caller, stores the task it wants to start
 * and returns 1 (the caller may then run it, see eg__limit_grant). */
int eg__limit_waiter_task(const eg_limit_waiter *waiter, eg_task_fn *task,
                          void **arg);

/*
 * Skip mode (eg_group_skip_when_canceled), once the group is canceled:
 * every go caller blocked on the limit leaves its queue and returns
 * EG_LIMIT_SKIPPED, and so does every later one that would block here.
 * Asynchronous requests stay queued (they are still admitted). Idempotent.
 */
void eg__limit_skip_blocked(eg_limit *limit);

/* Tells a waiter returned by eg__limit_release that it is admitted, and,
 * if `task_taken`, that its task is run by the releaser. An asynchronous
 * request is notified through eg__notify (notify.h). */
void eg__limit_grant(eg_limit_waiter *waiter, int task_taken);

/*
 * eg_group_resize_limit: gives the limit `capacity` slots (INT_MAX for no
 * limit) while tasks and callers use it. The oldest queued requests that
 * the new capacity leaves room for take their slots and move to
 * `admitted` (an empty list), oldest first, each counted active by
 * count_in(owner) before it leaves the queue (once it has, a release may
 * give its slot back and count its own task out). The caller then calls
 * eg__limit_grant_all with no lock held. A lowered capacity stops nothing:
 * released slots are given back, not handed on, until fewer than
 * `capacity` are taken.
 */
void eg__limit_resize(eg_limit *limit, int capacity,
                      void (*count_in)(void *owner), void *owner,
                      eg__list *admitted);

/* eg__limit_grant(waiter, 0) for every request on `admitted`, in order. */
void eg__limit_grant_all(eg__list *admitted);

#endif /* EG_LIMIT_H */
