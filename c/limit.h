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

typedef struct eg_limit_waiter eg_limit_waiter;

typedef struct eg_limit {
  /* capacity - used, written under the lock, read without it by
   * try-acquire to refuse quickly when no slot is free. */
  atomic_int free_hint;
  pthread_mutex_t lock; /* guards everything below */
  int capacity;
  int used;
  int blocked; /* waiters in the queue */
  eg_limit_waiter *oldest, *newest;
  struct eg_limit *next_retired; /* the group's list of replaced limits */
} eg_limit;

/* A new limit of `capacity` >= 0 slots, or NULL when memory runs out. */
eg_limit *eg__limit_new(int capacity);

/* Frees a limit nobody is blocked on; returns 0 (and keeps it) otherwise. */
int eg__limit_free(eg_limit *limit);

/*
 * Takes a slot, blocking first come, first served until one is free. While
 * it waits on a limit of one it runs queued jobs of `owner` (its group)
 * itself: see limit.c for why that is safe for one slot and not for more.
 */
void eg__limit_acquire(eg_limit *limit, const void *owner);

/* Takes a slot only if one is free now and nobody waits. 1 if taken. */
int eg__limit_try_acquire(eg_limit *limit);

/* Gives a slot back: to the oldest waiter if any, else to the pool. */
void eg__limit_release(eg_limit *limit);

/* Threads blocked in eg__limit_acquire (for tests). */
int eg__limit_blocked(eg_limit *limit);

#endif /* EG_LIMIT_H */
