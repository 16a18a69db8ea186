/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pool's run queue: a bounded lock-free multi-producer multi-consumer
 * ring (Dmitry Vyukov's design: each slot carries a sequence number that
 * says whose turn it is) with a mutex-protected overflow list behind it,
 * so pushing only fails when memory runs out.
 *
 * Order: first in, first out while the ring has room. Once the overflow list
 * holds jobs, new jobs go there too and are taken only after the ring is
 * empty, so no job is overtaken forever.
 */
#ifndef EG_QUEUE_H
#define EG_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "errgroup.h"
#include "list.h"
#include "platform.h"
#include "tunables.h"

/* One unit of work: run(owner, fn, arg). */
typedef struct eg_job {
  void (*run)(void *owner, eg_task_fn fn, void *arg);
  void *owner;
  eg_task_fn fn;
  void *arg;
} eg_job;

typedef struct eg_queue eg_queue;

/* Initialises the process-wide queue storage. */
void eg__queue_init(eg_queue *queue);

/* Appends a job. 0, or EG_ENOMEM when the overflow list cannot grow. */
int eg__queue_push(eg_queue *queue, const eg_job *job);

/* Takes the oldest job into *out. Returns 1, or 0 if none was available. */
int eg__queue_pop(eg_queue *queue, eg_job *out);

/*
 * Takes the oldest job only if its owner is `owner` (a waiter helping its
 * own group). Returns 1 or 0.
 */
int eg__queue_pop_owned(eg_queue *queue, const void *owner, eg_job *out);

/* Jobs pushed and not yet taken (a snapshot: may be stale at once),
 * including one whose producer has claimed its cell but not yet written it. */
size_t eg__queue_length(eg_queue *queue);

/*
 * 1 if a pop could take a job now: the oldest ring cell is published, or
 * the overflow list holds one. Unlike eg__queue_length, a cell claimed by a
 * producer that has not yet published it does not count. seq_cst loads: the
 * "check queue" half of the pool's sleep handshake.
 */
int eg__queue_ready(eg_queue *queue);

/*
 * In a child after fork(): drops every queued job, including cells that a
 * producer or consumer of the parent left half done. Writes only the cells
 * that need it (a fork child pays a page copy for each page it writes).
 */
void eg__queue_reset_after_fork(eg_queue *queue);

/* A counter that grows by one for every job taken: progress for the
 * starvation monitor. */
size_t eg__queue_taken(eg_queue *queue);

/* ---- layout, exposed only so that the pool can embed the queue ---- */

typedef struct eg_ring_slot {
  /* Vyukov's turn counter: == position when free for the producer at
   * `position`, == position + 1 when it holds that producer's job. */
  atomic_size_t sequence;
  /* The job's fields are atomics (relaxed) only because a helping waiter
   * may read a slot speculatively before its claim fails; the sequence
   * number's acquire/release orders them. */
  _Atomic(void *) owner;
  _Atomic(eg_task_fn) fn;
  _Atomic(void *) arg;
  void (*_Atomic run)(void *owner, eg_task_fn fn, void *arg);
  char padding[EG_CACHE_LINE - 5 * sizeof(void *)];
} eg_ring_slot;

typedef struct eg_overflow_node {
  eg__list link;
  eg_job job;
} eg_overflow_node;

struct eg_queue {
  _Alignas(EG_CACHE_LINE) atomic_size_t push_position;
  _Alignas(EG_CACHE_LINE) atomic_size_t pop_position;
  /* Jobs in the overflow list, and jobs ever taken from it. */
  _Alignas(EG_CACHE_LINE) atomic_size_t overflow_length;
  atomic_size_t overflow_taken;
  /* pop_position where the count of taken jobs starts (a fork child's
   * count starts at zero). */
  size_t taken_base;
  pthread_mutex_t overflow_lock;
  eg__list overflow; /* of eg_overflow_node, oldest first */
  _Alignas(EG_CACHE_LINE) eg_ring_slot ring[EG__RING_SIZE];
};

#endif /* EG_QUEUE_H */
