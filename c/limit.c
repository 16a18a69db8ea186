#include "limit.h"

#include <stdatomic.h>

#include "platform.h"
#include "pool.h"

/* How long an acquirer spins for its hand-off before it sleeps. */
#define ACQUIRE_SPIN_NS 20000

/* A waiter's state, also its futex word. */
enum { WAITING, GRANTED, SLEEPING };

struct eg_limit_waiter {
  eg_limit_waiter *next;
  atomic_uint state;
};

eg_limit *eg__limit_new(int capacity) {
  eg_limit *limit = eg__alloc(sizeof *limit);
  if (limit == NULL)
    return NULL;
  atomic_init(&limit->free_hint, capacity);
  pthread_mutex_init(&limit->lock, NULL);
  limit->capacity = capacity;
  limit->used = 0;
  limit->blocked = 0;
  limit->oldest = limit->newest = NULL;
  limit->next_retired = NULL;
  return limit;
}

int eg__limit_free(eg_limit *limit) {
  pthread_mutex_lock(&limit->lock);
  int blocked = limit->blocked;
  pthread_mutex_unlock(&limit->lock);
  if (blocked > 0)
    return 0; /* they wait forever, as in the reference: keep their memory */
  pthread_mutex_destroy(&limit->lock);
  eg__free(limit);
  return 1;
}

/* Called with the lock held. */
static void take_slot(eg_limit *limit) {
  limit->used++;
  atomic_store_explicit(&limit->free_hint, limit->capacity - limit->used,
                        memory_order_relaxed);
}

static int granted(eg_limit_waiter *self) {
  /* Acquire: pairs with the releaser's exchange. */
  return atomic_load_explicit(&self->state, memory_order_acquire) == GRANTED;
}

/*
 * Spins a while (a hand-off is usually quick), then sleeps. The releaser
 * makes the wake syscall only for a waiter that announced SLEEPING.
 *
 * With a single slot the caller may run the group's queued jobs meanwhile.
 * It is blocked until that slot's holder returns; the holder is the only
 * active task, so running it here changes nothing the caller could observe:
 * the caller would not be admitted any earlier, and a task that waits for
 * something the caller does after this go returns deadlocks with or without
 * the help. With two or more slots it would not be safe: another slot could
 * free while the caller is busy inside a task that waits for it.
 */
static void wait_for_grant(eg_limit_waiter *self, int may_help,
                           const void *owner) {
  int64_t until = eg__now_ns() + ACQUIRE_SPIN_NS;
  for (unsigned i = 1; !granted(self); i++) {
    if (may_help && eg__pool_help(owner))
      continue;
    if ((i % 64) == 0 && eg__now_ns() > until) {
      unsigned expected = WAITING;
      if (atomic_compare_exchange_strong(&self->state, &expected, SLEEPING))
        while (!granted(self))
          eg__futex_wait(&self->state, SLEEPING, -1);
      return;
    }
    eg__cpu_relax();
  }
}

void eg__limit_acquire(eg_limit *limit, const void *owner) {
  pthread_mutex_lock(&limit->lock);
  if (limit->used < limit->capacity && limit->oldest == NULL) {
    take_slot(limit);
    pthread_mutex_unlock(&limit->lock);
    return;
  }
  eg_limit_waiter self = {.next = NULL};
  atomic_init(&self.state, WAITING);
  if (limit->newest != NULL)
    limit->newest->next = &self;
  else
    limit->oldest = &self;
  limit->newest = &self;
  limit->blocked++;
  pthread_mutex_unlock(&limit->lock);

  wait_for_grant(&self, limit->capacity == 1, owner);
}

int eg__limit_try_acquire(eg_limit *limit) {
  /* Relaxed: a stale zero refuses a slot freed a moment ago, which a racing
   * try-acquire may always see; a stale positive value is re-checked under
   * the lock. A caller ordered after the release (through the group's wait)
   * sees the fresh value. */
  if (atomic_load_explicit(&limit->free_hint, memory_order_relaxed) <= 0)
    return 0;
  pthread_mutex_lock(&limit->lock);
  int taken = limit->used < limit->capacity && limit->oldest == NULL;
  if (taken)
    take_slot(limit);
  pthread_mutex_unlock(&limit->lock);
  return taken;
}

void eg__limit_release(eg_limit *limit) {
  pthread_mutex_lock(&limit->lock);
  eg_limit_waiter *oldest = limit->oldest;
  if (oldest != NULL) {
    /* Direct hand-off: `used` stays the same, the slot changes owner. */
    limit->oldest = oldest->next;
    if (limit->oldest == NULL)
      limit->newest = NULL;
    limit->blocked--;
    /* acq_rel: publishes the grant and reads whether the waiter sleeps.
     * The exchange is our last access to the waiter's memory: once it
     * reads GRANTED the waiter may return and its frame be reused. The
     * wake below only passes the address to the kernel; reaching a reused
     * address at worst wakes some futex waiter spuriously, which every
     * futex user tolerates (the contract of POSIX semaphores). */
    if (atomic_exchange_explicit(&oldest->state, GRANTED,
                                 memory_order_acq_rel) == SLEEPING)
      eg__futex_wake(&oldest->state, 1);
  } else if (limit->used > 0) {
    limit->used--;
    atomic_store_explicit(&limit->free_hint, limit->capacity - limit->used,
                          memory_order_relaxed);
  }
  pthread_mutex_unlock(&limit->lock);
}

int eg__limit_blocked(eg_limit *limit) {
  pthread_mutex_lock(&limit->lock);
  int blocked = limit->blocked;
  pthread_mutex_unlock(&limit->lock);
  return blocked;
}
