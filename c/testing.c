/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test hooks of c/testing.h and the fault-injection switch behind
 * eg__fault_injected (platform.h). Built only with EG_TESTING (the tests'
 * errgroup_testing library and the conformance suite's C runner); in every
 * other build this file is empty and the hook in platform.h a constant 0.
 */
#ifdef EG_TESTING
#include "testing.h"

#include <stdatomic.h>

#include "group.h"
#include "limit.h"
#include "list.h"
#include "platform.h"
#include "pool.h"

/* ---------------------------------------------------------------- faults */

/*
 * One switch per kind: `countdown` operations still succeed before the
 * failing one (-1: off); `once`: only that one fails, then the switch turns
 * itself off. Relaxed: only the count matters, and a test sets the switch
 * before the calls it means to fail.
 */
struct fault_switch {
  atomic_long countdown;
  atomic_int once;
};

static struct fault_switch switches[] = {
    [EG__FAULT_ALLOC] = {-1, 0},
    [EG__FAULT_THREAD] = {-1, 0},
};

static void set_switch(int kind, long n, int once) {
  atomic_store_explicit(&switches[kind].countdown, -1, memory_order_relaxed);
  atomic_store_explicit(&switches[kind].once, once, memory_order_relaxed);
  atomic_store_explicit(&switches[kind].countdown, n < 0 ? -1 : n,
                        memory_order_relaxed);
}

void eg_testing_fail_alloc_after(long n) {
  set_switch(EG__FAULT_ALLOC, n, 0);
}
void eg_testing_fail_alloc_once(long n) {
  set_switch(EG__FAULT_ALLOC, n, 1);
}
void eg_testing_fail_thread_create_after(long n) {
  set_switch(EG__FAULT_THREAD, n, 0);
}
void eg_testing_fail_thread_create_once(long n) {
  set_switch(EG__FAULT_THREAD, n, 1);
}

int eg__fault_injected(int kind) {
  struct fault_switch *sw = &switches[kind];
  long left = atomic_load_explicit(&sw->countdown, memory_order_relaxed);
  for (;;) {
    if (left < 0)
      return 0;
    /* Counting down to 0 lets this call pass; at 0, a "once" switch turns
     * off (exactly one caller wins that exchange) and an "after" one stays. */
    long next = left > 0 ? left - 1 : -1;
    if (left == 0 && !atomic_load_explicit(&sw->once, memory_order_relaxed))
      return 1;
    if (atomic_compare_exchange_weak_explicit(&sw->countdown, &left, next,
                                              memory_order_relaxed,
                                              memory_order_relaxed))
      return left == 0;
  }
}

/* ------------------------------------------------------------ inspection */

int eg_testing_blocked_go_callers(eg_group *group) {
  eg_limit *limit = atomic_load(&group->limit);
  if (limit == NULL)
    return 0;
  int queued = 0;
  pthread_mutex_lock(&limit->lock);
  EG__LIST_FOREACH(link, &limit->waiters) {
    (void)link;
    queued++;
  }
  pthread_mutex_unlock(&limit->lock);
  return queued;
}

int eg_testing_queued_tasks(eg_group *group) {
  int queued = 0;
  pthread_mutex_lock(&group->lock);
  EG__LIST_FOREACH(link, &group->queued) {
    (void)link;
    queued++;
  }
  pthread_mutex_unlock(&group->lock);
  return queued;
}

int eg_testing_group_waiters(eg_group *group) {
  uint64_t state = atomic_load(&group->state);
  return (int)((state & EG__GROUP_WAITERS_MASK) / EG__GROUP_WAITER_ONE);
}

int eg_testing_pool_threads(void) {
  return eg__pool_live_threads();
}

void eg_testing_pool_counts(int *idle, int *blocked, uint64_t *wakes) {
  eg__pool_counts(idle, blocked, wakes);
}
#endif /* EG_TESTING */
