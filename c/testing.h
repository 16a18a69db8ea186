/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-only hooks, all implemented in c/testing.c. Compiled in only when the
 * library is built with EG_TESTING defined (the `errgroup_testing` static
 * library that the tests link, and the conformance suite's C runner); never
 * part of the shared library or its ABI.
 */
#ifndef EG_TESTING_H
#define EG_TESTING_H

#include "errgroup.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fault injection. `n` counts the library's own allocations (or thread
 * creations) from this call on, 0 being the very next one.
 *   _after(n): the n-th fails and every one after it fails too (memory or
 *              threads have run out for good);
 *   _once(n):  only the n-th fails and the rest succeed (SQLite's
 *              "transient" mode), which reaches the cleanup of a failure
 *              that happens after an earlier allocation succeeded.
 * Either one with -1 switches injection off; each call replaces the
 * previous setting of its kind.
 */
void eg_testing_fail_alloc_after(long n);
void eg_testing_fail_alloc_once(long n);
void eg_testing_fail_thread_create_after(long n);
void eg_testing_fail_thread_create_once(long n);

/* Number of requests queued on `group`'s current limit: threads blocked in
 * eg_group_go and pending eg_group_admit calls (0 for no limit). For FIFO
 * tests. */
int eg_testing_blocked_go_callers(eg_group *group);

/* Number of tasks (and admissions) waiting for a worker in `group`'s
 * worker-mode queue (eg_group_set_workers). */
int eg_testing_queued_tasks(eg_group *group);

/* Number of threads inside eg_group_wait on `group`, plus its pending
 * asynchronous waits. */
int eg_testing_group_waiters(eg_group *group);

/* Number of pool worker threads alive right now. */
int eg_testing_pool_threads(void);

/* Pool workers parked now, workers counted asleep inside a task now, and
 * how many times a parked worker was woken since the process started. */
void eg_testing_pool_counts(int *idle, int *blocked, uint64_t *wakes);

#ifdef __cplusplus
}
#endif

#endif /* EG_TESTING_H */
