/* SPDX-License-Identifier: BSD-3-Clause */
#include "limit.h"

#include <stdatomic.h>

#include "errgroup.h"
#include "notify.h"
#include "platform.h"
#include "pool.h"
#include "tunables.h"

/* A blocked waiter's state, also its futex word. STARTED: granted, and the
 * releaser runs the waiter's task itself. SKIPPED: refused, not granted
 * (eg__limit_skip_blocked). */
enum { WAITING, GRANTED, SLEEPING, STARTED, SKIPPED };

/*
 * A request for a slot, on the limit's queue through notice.link. A blocked
 * caller's lives on its stack, has no notice.fn, is woken through `state`
 * and carries the task it wants to start (`task`, `arg`); an asynchronous
 * one is allocated, and its notice (the start of the allocation, as
 * eg__notify requires) says whom to tell.
 */
struct eg_limit_waiter {
  eg__notice notice;
  atomic_uint state;
  eg_task_fn task;
  void *arg;
};

static eg_limit_waiter *waiter_of(eg__list *link) {
  return EG__LIST_ENTRY(link, eg_limit_waiter, notice.link);
}

static int is_async(const eg_limit_waiter *waiter) {
  return waiter->notice.fn != NULL;
}

/* ---- the slots word ---- */

#define QUEUED_ONE ((uint64_t)1 << 32)

static unsigned used_of(uint64_t slots) {
  return (unsigned)slots;
}
static unsigned queued_of(uint64_t slots) {
  return (unsigned)(slots >> 32);
}

/* Relaxed: the capacity changes while no task is active, by a set_limit
 * that a go must not race, or under the lock, by eg__limit_resize: a
 * lock-free reader racing a resize acts on the old capacity or the new, as
 * if it ran just before or after it; whoever queues rereads it under the
 * lock. */
static int capacity_of(eg_limit *limit) {
  return atomic_load_explicit(&limit->capacity, memory_order_relaxed);
}

eg_limit *eg__limit_new(int capacity, _Atomic uint64_t *slots) {
  eg_limit *limit = eg__alloc_lines(sizeof *limit);
  if (limit == NULL)
    return NULL;
  limit->slots = slots;
  atomic_init(&limit->capacity, capacity);
  limit->retired = 0;
  limit->skipping = 0;
  pthread_mutex_init(&limit->lock, NULL);
  eg__list_init(&limit->waiters);
  eg__list_init(&limit->retired_link);
  return limit;
}

void eg__limit_retire(eg_limit *limit) {
  pthread_mutex_lock(&limit->lock);
  limit->retired = 1;
  pthread_mutex_unlock(&limit->lock);
}

/*
 * Asynchronous requests still queued will never be admitted (their group is
 * gone; a Go caller on a limit of 0 stays blocked forever in the reference
 * too): drop them. Blocked threads are another matter: their frames point
 * into the limit, so it is kept for them.
 */
int eg__limit_reusable(eg_limit *limit) {
  pthread_mutex_lock(&limit->lock);
  int reusable = limit->retired && eg__list_empty(&limit->waiters);
  pthread_mutex_unlock(&limit->lock);
  return reusable;
}

void eg__limit_reuse(eg_limit *limit, int capacity) {
  pthread_mutex_lock(&limit->lock);
  limit->retired = 0;
  /* Relaxed: racing readers may see either capacity (see limit.h). */
  atomic_store_explicit(&limit->capacity, capacity, memory_order_relaxed);
  pthread_mutex_unlock(&limit->lock);
}

int eg__limit_free(eg_limit *limit) {
  pthread_mutex_lock(&limit->lock);
  int blocked = 0;
  eg__list *link = limit->waiters.next;
  while (link != &limit->waiters) {
    eg_limit_waiter *waiter = waiter_of(link);
    link = link->next;
    if (is_async(waiter)) {
      eg__list_remove(&waiter->notice.link);
      eg__free(waiter);
    } else {
      blocked++;
    }
  }
  pthread_mutex_unlock(&limit->lock);
  if (blocked > 0)
    return 0;
  pthread_mutex_destroy(&limit->lock);
  eg__free(limit);
  return 1;
}

/* A slot may be taken: one is free and nobody is queued. */
static int free_in(eg_limit *limit, uint64_t slots) {
  return used_of(slots) < (unsigned)capacity_of(limit) && queued_of(slots) == 0;
}

/*
 * Takes a slot if one may be taken; 1 if taken. Lock-free. acq_rel: slot
 * changes are ordered with the hand-offs of the tasks that hold them.
 */
static int take_free_slot(eg_limit *limit) {
  uint64_t slots = atomic_load_explicit(limit->slots, memory_order_relaxed);
  while (free_in(limit, slots))
    if (atomic_compare_exchange_weak_explicit(limit->slots, &slots, slots + 1,
                                              memory_order_acq_rel,
                                              memory_order_relaxed))
      return 1;
  return 0;
}

/*
 * Called with the lock held: takes a slot (returns 1) or counts one more
 * queued request (returns 0), in one step, so a lock-free release either
 * sees the request queued or frees the slot before it is counted.
 */
static int take_slot_or_queue(eg_limit *limit) {
  uint64_t slots = atomic_load_explicit(limit->slots, memory_order_relaxed);
  for (;;) {
    int take = free_in(limit, slots);
    if (atomic_compare_exchange_weak_explicit(
            limit->slots, &slots, take ? slots + 1 : slots + QUEUED_ONE,
            memory_order_acq_rel, memory_order_relaxed))
      return take;
  }
}

/* Called with the lock held: the newest request joins the queue. */
static void enqueue(eg_limit *limit, eg_limit_waiter *waiter) {
  eg__list_push_back(&limit->waiters, &waiter->notice.link);
}

/* ---- acquiring ---- */

int eg__limit_try_acquire(eg_limit *limit) {
  return take_free_slot(limit);
}

/* Acquire: pairs with the releaser's exchange in eg__limit_grant. */
static unsigned state_of(eg_limit_waiter *self) {
  return atomic_load_explicit(&self->state, memory_order_acquire);
}

/*
 * Spins a while (a hand-off is usually quick), then sleeps until the state
 * leaves WAITING/SLEEPING. The releaser makes the wake syscall only for a
 * waiter that announced SLEEPING.
 *
 * With a single slot the caller may run the group's queued jobs meanwhile.
 * It is blocked until that slot's holder returns; the holder is the only
 * active task, so running it here changes nothing the caller could observe:
 * the caller would not be admitted any earlier, and a task that waits for
 * something the caller does after this go returns deadlocks with or without
 * the help. With two or more slots it would not be safe: another slot could
 * free while the caller is busy inside a task that waits for it.
 */
static unsigned wait_for_turn(eg_limit *limit, eg_limit_waiter *self,
                              int may_help, const void *owner) {
  eg_spin spin = EG_SPIN_INIT;
  unsigned state;
  while ((state = state_of(self)) == WAITING) {
    /* The capacity is reread: once a resize raised it, helping is no
     * longer safe (see above). */
    if (may_help && capacity_of(limit) == 1 && eg__pool_help(owner))
      continue;
    if (!eg__spin_on(&spin, EG__ACQUIRE_SPIN_NS)) {
      unsigned expected = WAITING;
      if (atomic_compare_exchange_strong(&self->state, &expected, SLEEPING))
        while (state_of(self) == SLEEPING) {
          eg__pool_block_begin();
          eg__futex_wait(&self->state, SLEEPING, -1);
          eg__pool_block_end();
        }
      return state_of(self);
    }
    eg__cpu_relax();
  }
  return state;
}

int eg__limit_acquire(eg_limit *limit, const void *owner, eg_task_fn task,
                      void *arg) {
  if (take_free_slot(limit))
    return EG_LIMIT_TOOK;
  eg_limit_waiter self = {.notice = {.fn = NULL}, .task = task, .arg = arg};
  atomic_init(&self.state, WAITING);
  /* Queued first, then helping (wait_for_turn): a caller that ran the slot
   * holder before queueing would lose its place to later callers and its
   * slot to a racing try_go. */
  int may_help = capacity_of(limit) == 1;
  if (!may_help)
    eg__pool_publish_next(); /* we will block without helping */
  pthread_mutex_lock(&limit->lock);
  if (limit->skipping) {
    pthread_mutex_unlock(&limit->lock);
    return EG_LIMIT_SKIPPED;
  }
  if (limit->retired || take_slot_or_queue(limit)) {
    pthread_mutex_unlock(&limit->lock);
    return EG_LIMIT_TOOK;
  }
  enqueue(limit, &self);
  pthread_mutex_unlock(&limit->lock);
  unsigned state = wait_for_turn(limit, &self, may_help, owner);
  if (state == SKIPPED)
    return EG_LIMIT_SKIPPED;
  return state == STARTED ? EG_LIMIT_STARTED : EG_LIMIT_HANDED;
}

int eg__limit_acquire_async(eg_limit *limit, void (*admitted)(void *arg),
                            void *arg) {
  if (take_free_slot(limit))
    return 1;
  /* Allocated before locking, so no allocation happens under the lock. */
  eg_limit_waiter *waiter = eg__alloc(sizeof *waiter);
  if (waiter == NULL)
    return take_free_slot(limit) ? 1 : EG_ENOMEM;
  atomic_init(&waiter->state, WAITING);
  waiter->notice.fn = admitted;
  waiter->notice.arg = arg;
  pthread_mutex_lock(&limit->lock);
  int taken = limit->retired || take_slot_or_queue(limit);
  if (!taken)
    enqueue(limit, waiter); /* the grant frees it */
  pthread_mutex_unlock(&limit->lock);
  if (taken)
    eg__free(waiter);
  return taken;
}

/* ---- skipping ---- */

/* Wakes a blocked caller with `state` (GRANTED, STARTED or SKIPPED). The
 * exchange is the last access to its memory: see eg__limit_grant. */
static void wake_blocked(eg_limit_waiter *waiter, unsigned state) {
  /* acq_rel: publishes the outcome and reads whether the waiter sleeps. */
  if (atomic_exchange_explicit(&waiter->state, state, memory_order_acq_rel) ==
      SLEEPING)
    eg__futex_wake(&waiter->state, 1);
}

/* Blocked callers leave the queue under the lock, each taking its queued
 * count with it (so no releaser hands them a slot), and are woken after. */
void eg__limit_skip_blocked(eg_limit *limit) {
  eg__list refused;
  eg__list_init(&refused);
  pthread_mutex_lock(&limit->lock);
  limit->skipping = 1;
  eg__list *link = limit->waiters.next;
  while (link != &limit->waiters) {
    eg_limit_waiter *waiter = waiter_of(link);
    link = link->next;
    if (!is_async(waiter)) {
      eg__list_remove(&waiter->notice.link);
      eg__list_push_back(&refused, &waiter->notice.link);
      /* acq_rel: as the hand-off's decrement in eg__limit_release. */
      atomic_fetch_sub_explicit(limit->slots, QUEUED_ONE, memory_order_acq_rel);
    }
  }
  pthread_mutex_unlock(&limit->lock);
  while ((link = eg__list_pop_front(&refused)) != NULL)
    wake_blocked(waiter_of(link), SKIPPED);
}

/* ---- releasing ---- */

/* Gives a slot back without the lock while nobody is queued. 1 if done
 * (or if no slot was taken at all: a misuse, ignored), 0 if somebody is. */
static int give_back_unqueued(eg_limit *limit) {
  uint64_t slots = atomic_load_explicit(limit->slots, memory_order_relaxed);
  while (queued_of(slots) == 0) {
    if (used_of(slots) == 0)
      return 1;
    if (atomic_compare_exchange_weak_explicit(limit->slots, &slots, slots - 1,
                                              memory_order_acq_rel,
                                              memory_order_relaxed))
      return 1;
  }
  return 0;
}

/* Called with the lock held: more slots are taken than the capacity (only
 * after eg__limit_resize lowered it). Relaxed: while requests are queued
 * the word only changes under the lock; if none are, the caller gives its
 * slot back either way. */
static int over_capacity(eg_limit *limit) {
  uint64_t slots = atomic_load_explicit(limit->slots, memory_order_relaxed);
  return used_of(slots) > (unsigned)capacity_of(limit);
}

eg_limit_waiter *eg__limit_release(eg_limit *limit) {
  if (give_back_unqueued(limit))
    return NULL;
  eg_limit_waiter *oldest = NULL;
  pthread_mutex_lock(&limit->lock);
  if (over_capacity(limit)) {
    /* A resize lowered the limit below the slots taken: the slot is given
     * back, not handed on (we hold it, so the count is not zero). */
    atomic_fetch_sub_explicit(limit->slots, 1, memory_order_acq_rel);
    pthread_mutex_unlock(&limit->lock);
    return NULL;
  }
  eg__list *link = eg__list_pop_front(&limit->waiters);
  if (link == NULL) {
    /* Another releaser took the last queued request meanwhile; none can
     * join while we hold the lock. */
    give_back_unqueued(limit);
  } else {
    /* Direct hand-off: the slot changes owner, the taken count stays. */
    oldest = waiter_of(link);
    atomic_fetch_sub_explicit(limit->slots, QUEUED_ONE, memory_order_acq_rel);
  }
  pthread_mutex_unlock(&limit->lock);
  return oldest;
}

int eg__limit_waiter_task(const eg_limit_waiter *waiter, eg_task_fn *task,
                          void **arg) {
  if (is_async(waiter))
    return 0;
  *task = waiter->task;
  *arg = waiter->arg;
  return 1;
}

void eg__limit_grant(eg_limit_waiter *waiter, int task_taken) {
  if (is_async(waiter)) {
    eg__notify(&waiter->notice); /* frees the waiter */
    return;
  }
  /* The exchange is our last access to the waiter's memory: once it reads
   * GRANTED the waiter may return and its frame be reused. The wake only
   * passes the address to the kernel; reaching a reused address at worst
   * wakes some futex waiter spuriously, which every futex user tolerates
   * (the contract of POSIX semaphores). */
  wake_blocked(waiter, task_taken ? STARTED : GRANTED);
}

/* ---- resizing ---- */

/*
 * Under the lock, so that no request queues or is handed a slot meanwhile:
 * the new capacity, then as many of the oldest requests as it leaves slots
 * free, each counted in first, then taking its slot and leaving the queue
 * in one step (the word only changes under the lock while requests are
 * queued, so a racing try-acquire, which needs an empty queue, never takes
 * one first). Counted first because a release that then finds nobody
 * queued gives its slot back without the lock, and counts its task out.
 */
void eg__limit_resize(eg_limit *limit, int capacity,
                      void (*count_in)(void *owner), void *owner,
                      eg__list *admitted) {
  pthread_mutex_lock(&limit->lock);
  /* Relaxed: see capacity_of. */
  atomic_store_explicit(&limit->capacity, capacity, memory_order_relaxed);
  for (;;) {
    uint64_t slots = atomic_load_explicit(limit->slots, memory_order_relaxed);
    if (queued_of(slots) == 0 || used_of(slots) >= (unsigned)capacity)
      break;
    eg__list *link = eg__list_pop_front(&limit->waiters);
    count_in(owner);
    /* acq_rel: as for a hand-off in eg__limit_release; the release also
     * orders the count above before a lock-free release that reads this. */
    atomic_fetch_add_explicit(limit->slots, 1 - QUEUED_ONE,
                              memory_order_acq_rel);
    eg__list_push_back(admitted, link);
  }
  pthread_mutex_unlock(&limit->lock);
}

void eg__limit_grant_all(eg__list *admitted) {
  eg__list *link;
  while ((link = eg__list_pop_front(admitted)) != NULL)
    eg__limit_grant(waiter_of(link), 0);
}
