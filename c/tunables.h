/*
 * Every tunable number of the library, in one place. Each says why it has
 * the value it has; the relations between them are checked below.
 */
#ifndef EG_TUNABLES_H
#define EG_TUNABLES_H

/* ---- the pool (pool.c) ---- */

/* A monitor tick: the longest a stalled queue goes unnoticed. */
#define EG__MONITOR_TICK_NS 1000000
/* Quiet ticks after which the monitor sleeps until the next push. */
#define EG__MONITOR_QUIET_TICKS 50
/* How long an idle worker spins before it parks: longer than a wake of a
 * parked thread costs (tens of microseconds), so a steady stream of jobs
 * never pays for one. */
#define EG__WORKER_SPIN_NS 50000
/* Looks at the queue a worker makes before it counts itself as spinning. */
#define EG__WORKER_LOOKS 64
/* How long a parked worker above the minimum waits before it exits. */
#define EG__WORKER_IDLE_NS 2000000000LL
/* Most threads the monitor adds in one tick (they double per stalled tick):
 * 1 << EG__MAX_SPAWN_SHIFT. */
#define EG__MAX_SPAWN_SHIFT 8

/* ---- the run queue (queue.c) ---- */

/* Ring cells; a power of two. Pushes beyond it go to the overflow list. */
#define EG__RING_SIZE 16384u

/* ---- next slots (next_slot.c) ---- */

/* Threads that can own a next slot; the others use the shared queue. */
#define EG__NEXT_SLOTS 256
/* A job younger than this is left to the thread that submitted it. */
#define EG__NEXT_STALE_NS 2000
/* A thread whose lookup found no free slot tries again after this many
 * submissions. */
#define EG__NEXT_LOOKUP_RETRY 1024

/* ---- waits (group.c, limit.c) ---- */

/* How long eg_group_wait spins before it sleeps on the futex. */
#define EG__WAIT_SPIN_NS 20000
/* How long a blocked acquirer spins for its hand-off before it sleeps. */
#define EG__ACQUIRE_SPIN_NS 20000

/* ---- relations ---- */

_Static_assert((EG__RING_SIZE & (EG__RING_SIZE - 1)) == 0,
               "the ring is indexed with a mask");
_Static_assert(EG__NEXT_SLOTS <= 256, "a slot index fits in 8 bits");
_Static_assert(EG__NEXT_STALE_NS < EG__WORKER_SPIN_NS,
               "a spinning worker lives long enough to see a job go stale");
_Static_assert(EG__WORKER_SPIN_NS < EG__MONITOR_TICK_NS,
               "spinning is cheaper than waiting for the monitor");

#endif /* EG_TUNABLES_H */
