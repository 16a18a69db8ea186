/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-thread "next job" slots, after the `runnext` goroutine that Go's
 * scheduler keeps for each processor.
 *
 * A thread that starts a task and then waits for it (go then wait, or go at a
 * limit of one) runs that task itself sooner than any other CPU can: handing
 * a job to another CPU and hearing back from it crosses cache lines between
 * CPUs three times, 50 to 200 ns each on a virtual machine. So a group's task
 * goes into its submitting thread's slot if that is empty; the tasks the
 * thread starts while it is full go to the shared queue, so a fan-out pays
 * nothing for the slot. The thread takes the job back when it helps inside
 * wait or go, or, on a pool worker, when its current job returns. Another
 * thread takes a job from a slot only once it is stale: the same fill was
 * there at two of its scans at least EG__NEXT_STALE_NS apart. So a thread that
 * goes on with other work delays the job in its slot by a few microseconds,
 * and a job its thread never comes back for (it exited, or blocks) still
 * runs.
 *
 * A thread owns a slot from its first submission until it exits. There are
 * EG__NEXT_SLOTS; a thread that finds none free uses the shared queue only.
 */
#ifndef EG_NEXT_SLOT_H
#define EG_NEXT_SLOT_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"
#include "tunables.h"

/* A stealing thread's memory of what it saw at its previous scan. Start
 * from EG_NEXT_SCAN_INIT. */
typedef struct eg_next_scan {
  int64_t next_scan_ns;
  uint64_t seen[EG__NEXT_SLOTS];
} eg_next_scan;

#define EG_NEXT_SCAN_INIT                                                      \
  {                                                                            \
    0, {                                                                       \
      0                                                                        \
    }                                                                          \
  }

/* 1 if the calling thread has (or now obtains) a slot, else 0. */
int eg__next_have_slot(void);

/*
 * Takes the job from the calling thread's slot if it has a slot holding one
 * and, unless `owner` is NULL, the job belongs to `owner`. Returns 1 and
 * fills *out, else 0.
 */
int eg__next_take_own(const void *owner, eg_job *out);

/* Like eg__next_take_own(NULL, out), for a job that the caller then puts
 * in the shared queue (or back in the slot): it does not count as taken. */
int eg__next_move_out(eg_job *out);

/* Puts `job` in the calling thread's slot if the thread has a slot and it
 * is empty; returns 1 if so, else 0 (the caller queues the job itself). */
int eg__next_try_put(const eg_job *job);

/*
 * At most once per EG__NEXT_STALE_NS (`now_ns` is the caller's clock
 * reading): scans the other threads' slots and takes one stale job, if any,
 * into *out (returns 1). Remembers the fills it saw in `scan`.
 */
int eg__next_steal(eg_next_scan *scan, int64_t now_ns, eg_job *out);

/* Like eg__next_steal, but takes nothing: returns a token naming the first
 * job found stale by `scan`'s sightings (that slot and that very fill), or
 * 0 if none. */
uint64_t eg__next_find_stale(eg_next_scan *scan, int64_t now_ns);

/* Takes the job a token names into *out if it is still in its slot (the
 * same fill). 1 if taken. */
int eg__next_steal_token(uint64_t token, eg_job *out);

/* Jobs sitting in slots now (a snapshot). seq_cst: the "check queue" half
 * of the pool's sleep handshake, like eg__queue_length. */
size_t eg__next_pending(void);

/* Jobs ever taken from slots: progress for the starvation monitor. */
uint64_t eg__next_taken(void);

/* In a child after fork(): drops every job, frees every slot except the
 * calling (forking) thread's, and restarts eg__next_taken from zero. */
void eg__next_reset_after_fork(void);

#endif /* EG_NEXT_SLOT_H */
