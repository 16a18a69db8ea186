/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every tunable number of the library, in one place. Each says why it has
 * the value it has; the relations between them are checked below.
 */
#ifndef EG_TUNABLES_H
#define EG_TUNABLES_H

/* ---- the pool (pool.c) ---- */

/* The monitor's shortest tick, used while it finds blocked workers or adds
 * threads: the delay before a task stuck behind workers blocked where the
 * library cannot see (a read, a poll) gets a thread. Go's sysmon starts at
 * 20 us too; shorter ticks would cost the monitor more CPU than a wake. */
#define EG__MONITOR_TICK_MIN_NS 20000
/* Its longest tick while threads exist: each quiet tick doubles the tick up
 * to this. A push that finds every worker busy pokes a monitor whose tick
 * has grown (EG__MONITOR_POKE_NS), at most once per timed tick, so this
 * bounds how late the monitor notices a worker that blocks while no push,
 * or only pushes after a fruitless poke, happen. */
#define EG__MONITOR_TICK_MAX_NS 1000000
/* A tick at least this long is "slow": a push that cannot wake a worker
 * wakes the monitor to look now if its last tick saw no job queued (one
 * futex wake, at most once per timed tick). Four doublings: a monitor that
 * just acted is never poked. */
#define EG__MONITOR_POKE_NS (16 * EG__MONITOR_TICK_MIN_NS)
/* With nothing queued for this long, the monitor sleeps until a push. */
#define EG__MONITOR_QUIET_NS 50000000
/* A worker inside a task whose CPU clock advanced by less than 1/8 of the
 * wall time since the last look may be blocked (a computing thread gets at
 * least that share unless the machine is overloaded 8 times); it counts as
 * blocked if the kernel also shows it asleep, not waiting for a CPU. */
#define EG__BLOCKED_CPU_SHARE 8
/* A worker marked blocked has its CPU clock read again (to unmark it if its
 * task computes again) only this often, not at every tick: each read is a
 * system call of about a microsecond, and a burst of blocking tasks leaves
 * hundreds marked, which at the shortest tick would take a whole CPU. A
 * task that computes after it blocked is then counted blocked for at most
 * this long: one thread too many on the CPUs meanwhile. */
#define EG__BLOCKED_RECHECK_NS 1000000
/* Queued jobs that make no progress while every runnable worker computes
 * get one more thread after this long, and each further one after twice the
 * previous wait until the queue empties: only for liveness (a task may spin
 * until a later task of its group runs), so CPU-bound work grows the pool by
 * a few threads (log2 of its duration over this), not one per task. Longer
 * than the gap between two completions of a CPU-bound fan-out of tasks of a
 * few milliseconds. */
#define EG__LIVENESS_NS 10000000
/* The wait for a liveness thread stops doubling here: a group whose tasks
 * spin for each other still gets a thread a second. */
#define EG__LIVENESS_MAX_NS 1000000000
/* Most threads the monitor adds in one tick. Blocked workers found on
 * consecutive ticks are each replaced by 1, 2, 4, ... threads: work that
 * blocks tends to keep blocking, so a fan-out of blocking tasks gets its
 * threads in log2(tasks) ticks. 1 << EG__MAX_ADD_SHIFT at most. */
#define EG__MAX_ADD_SHIFT 8
/* How long an idle worker spins before it parks: longer than a wake of a
 * parked thread costs (tens of microseconds), so a steady stream of jobs
 * never pays for one. */
#define EG__WORKER_SPIN_NS 50000
/* While workers count as asleep in tasks, a spinning worker yields its CPU
 * this often (sched_yield: a no-op when nothing else wants it): a spin must
 * not hold a CPU from threads that are runnable and still counted asleep.
 * With none counted asleep it does not yield (a submitter sharing its CPU
 * waits up to EG__WORKER_SPIN_NS, as before the yield existed).
 * 1,000 tasks woken at once from eg_context_wait by a cancellation took
 * half as long again to get back while one worker after another spun. */
#define EG__WORKER_YIELD_NS 5000
/* Looks at the queue a worker makes before it counts itself as spinning. */
#define EG__WORKER_LOOKS 64
/* How long a parked worker above the CPU count waits before it exits.
 * Workers are woken newest-parked first, so those parked longest do time out
 * and a grown pool shrinks while work trickles in. */
#define EG__WORKER_IDLE_NS 2000000000LL
/* A parker that sees a job claimed but not yet published (its producer was
 * preempted between the two steps) sleeps this long and looks again instead
 * of spinning on it: the producer is off its CPU for a scheduler slice
 * (milliseconds), and it wakes a worker itself once it publishes. */
#define EG__UNPUBLISHED_NS 100000
/* The default thread cap: half of RLIMIT_NPROC (the rest is the program's),
 * and one thread per this many bytes of physical memory (a blocked thread
 * costs its touched stack, its kernel stack and its task struct: tens of
 * KiB; this leaves room for tasks that touch ten times that), never fewer
 * than EG__MIN_THREAD_CAP. */
#define EG__THREAD_MEMORY_BYTES (512 * 1024)
/* Enough for dozens of blocked tasks per CPU even where RLIMIT_NPROC or
 * memory is tiny (a container); below that, errgroup code deadlocks. */
#define EG__MIN_THREAD_CAP 64

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

/* ---- kept errors (extras.c) ---- */

/* Room for the first errors eg_group_keep_errors allocates at once (or
 * max_errors, if smaller): the first error must never need an allocation,
 * and a few failures are the common case of a failing group; beyond that
 * the array doubles. */
#define EG__KEPT_ERRORS_FIRST 4

/* ---- relations ---- */

_Static_assert((EG__RING_SIZE & (EG__RING_SIZE - 1)) == 0,
               "the ring is indexed with a mask");
_Static_assert(EG__NEXT_SLOTS <= 256, "a slot index fits in 8 bits");
_Static_assert(EG__NEXT_STALE_NS < EG__WORKER_SPIN_NS,
               "a spinning worker lives long enough to see a job go stale");
_Static_assert(EG__WORKER_SPIN_NS < EG__MONITOR_TICK_MAX_NS,
               "spinning is cheaper than waiting for the monitor");
_Static_assert(EG__MONITOR_TICK_MIN_NS < EG__MONITOR_POKE_NS &&
                   EG__MONITOR_POKE_NS <= EG__MONITOR_TICK_MAX_NS,
               "the poke threshold lies inside the tick's range");
_Static_assert(EG__LIVENESS_NS < EG__LIVENESS_MAX_NS,
               "the liveness wait doubles from its start to its ceiling");
_Static_assert(EG__MONITOR_TICK_MAX_NS < EG__LIVENESS_NS,
               "the monitor looks several times before a liveness thread");
_Static_assert(EG__WORKER_YIELD_NS < EG__WORKER_SPIN_NS,
               "a spinner yields several times before it parks");
_Static_assert(EG__MONITOR_TICK_MAX_NS < EG__MONITOR_QUIET_NS,
               "the monitor ticks at its slowest before it sleeps");
_Static_assert(EG__UNPUBLISHED_NS < EG__WORKER_IDLE_NS,
               "a parker rechecks a stalled cell before it would retire");
_Static_assert(EG__BLOCKED_RECHECK_NS >= 16 * EG__MONITOR_TICK_MIN_NS,
               "a marked worker costs a clock read on few short ticks");
_Static_assert(EG__BLOCKED_CPU_SHARE >= 2, "a half-busy thread computes");
_Static_assert(EG__KEPT_ERRORS_FIRST >= 1, "the first error has its place");

#endif /* EG_TUNABLES_H */
