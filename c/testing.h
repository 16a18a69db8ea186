/*
 * Test-only hooks. Compiled in only when the library is built with
 * EG_TESTING defined (the `errgroup_testing` static library that the tests
 * link); never part of the shared library or its ABI.
 */
#ifndef EG_TESTING_H
#define EG_TESTING_H

#include "errgroup.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fault injection. `n` counts the library's own allocations (or thread
 * creations) from this call on: the n-th one (0 = the very next) fails and
 * every one after it fails too, until the hook is reset with -1.
 */
void eg_testing_fail_alloc_after(long n);
void eg_testing_fail_thread_create_after(long n);

/* Number of threads currently blocked in eg_group_go waiting for a slot of
 * `group`'s current limit (0 for no limit). For FIFO tests. */
int eg_testing_blocked_go_callers(eg_group *group);

/* Number of pool worker threads alive right now. */
int eg_testing_pool_threads(void);

/* Pool workers parked now, workers counted asleep inside a task now, and
 * how many times a parked worker was woken since the process started. */
void eg_testing_pool_counts(int *idle, int *blocked, uint64_t *wakes);

#ifdef __cplusplus
}
#endif

#endif /* EG_TESTING_H */
