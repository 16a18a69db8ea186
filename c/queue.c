/* SPDX-License-Identifier: BSD-3-Clause */
#include "queue.h"

#include "platform.h"

#define RING_MASK (EG__RING_SIZE - 1)

void eg__queue_init(eg_queue *queue) {
  for (size_t i = 0; i < EG__RING_SIZE; i++)
    atomic_init(&queue->ring[i].sequence, i);
  atomic_init(&queue->push_position, 0);
  atomic_init(&queue->pop_position, 0);
  atomic_init(&queue->overflow_length, 0);
  atomic_init(&queue->overflow_taken, 0);
  queue->taken_base = 0;
  pthread_mutex_init(&queue->overflow_lock, NULL);
  eg__list_init(&queue->overflow);
}

void eg__queue_reset_after_fork(eg_queue *queue) {
  size_t popped = atomic_load(&queue->pop_position);
  size_t pushed = atomic_load(&queue->push_position);
  /* Relaxed: only the forking thread exists. Each cell once, by the position it
   * serves from `popped` on. A cell that holds a job (published or not) becomes
   * free for its next lap; an empty one must be free for this lap, unless a
   * consumer of the previous lap claimed it and did not live to free it. */
  for (size_t k = 0; k < EG__RING_SIZE; k++) {
    size_t position = popped + k;
    size_t free_turn = position < pushed ? position + EG__RING_SIZE : position;
    eg_ring_slot *slot = &queue->ring[position & RING_MASK];
    if (atomic_load_explicit(&slot->sequence, memory_order_relaxed) !=
        free_turn)
      atomic_store_explicit(&slot->sequence, free_turn, memory_order_relaxed);
  }
  atomic_store(&queue->pop_position, pushed);
  queue->taken_base = pushed;
  atomic_store(&queue->overflow_length, 0);
  atomic_store(&queue->overflow_taken, 0);
  pthread_mutex_init(&queue->overflow_lock, NULL);
  eg__list_init(&queue->overflow); /* its nodes are leaked, as their jobs */
}

static void slot_store(eg_ring_slot *slot, const eg_job *job) {
  atomic_store_explicit(&slot->owner, job->owner, memory_order_relaxed);
  atomic_store_explicit(&slot->fn, job->fn, memory_order_relaxed);
  atomic_store_explicit(&slot->arg, job->arg, memory_order_relaxed);
  atomic_store_explicit(&slot->run, job->run, memory_order_relaxed);
}

static void slot_load(eg_ring_slot *slot, eg_job *job) {
  job->owner = atomic_load_explicit(&slot->owner, memory_order_relaxed);
  job->fn = atomic_load_explicit(&slot->fn, memory_order_relaxed);
  job->arg = atomic_load_explicit(&slot->arg, memory_order_relaxed);
  job->run = atomic_load_explicit(&slot->run, memory_order_relaxed);
}

/* Returns 1 if the job went into the ring, 0 if the ring is full. */
static int ring_push(eg_queue *queue, const eg_job *job) {
  size_t position =
      atomic_load_explicit(&queue->push_position, memory_order_relaxed);
  for (;;) {
    eg_ring_slot *slot = &queue->ring[position & RING_MASK];
    /* Acquire: the consumer that freed this slot is done reading it. */
    size_t sequence =
        atomic_load_explicit(&slot->sequence, memory_order_acquire);
    intptr_t turn = (intptr_t)sequence - (intptr_t)position;
    if (turn == 0) {
      /* seq_cst: the claim is the "push" half of the pool's
       * push-then-check-sleepers / announce-sleep-then-check-queue
       * handshake (see pool.c). */
      if (atomic_compare_exchange_weak_explicit(
              &queue->push_position, &position, position + 1,
              memory_order_seq_cst, memory_order_relaxed)) {
        slot_store(slot, job);
        /* Release: publishes the job's fields to the consumer. */
        atomic_store_explicit(&slot->sequence, position + 1,
                              memory_order_release);
        return 1;
      }
    } else if (turn < 0) {
      return 0; /* the slot still holds a job from one lap ago: full */
    } else {
      position =
          atomic_load_explicit(&queue->push_position, memory_order_relaxed);
    }
  }
}

/* Takes from the ring; with `owner` set, only a job of that owner. */
static int ring_pop(eg_queue *queue, const void *owner, eg_job *out) {
  size_t position =
      atomic_load_explicit(&queue->pop_position, memory_order_relaxed);
  for (;;) {
    eg_ring_slot *slot = &queue->ring[position & RING_MASK];
    /* Acquire: pairs with the producer's release of the sequence. */
    size_t sequence =
        atomic_load_explicit(&slot->sequence, memory_order_acquire);
    intptr_t turn = (intptr_t)sequence - (intptr_t)(position + 1);
    if (turn == 0) {
      /* Read before claiming: the claim below validates what was read. */
      slot_load(slot, out);
      if (owner != NULL && out->owner != owner)
        return 0;
      if (atomic_compare_exchange_weak_explicit(
              &queue->pop_position, &position, position + 1,
              memory_order_relaxed, memory_order_relaxed)) {
        /* Release: we are done with the slot; the producer one lap ahead
         * may reuse it. */
        atomic_store_explicit(&slot->sequence, position + EG__RING_SIZE,
                              memory_order_release);
        return 1;
      }
    } else if (turn < 0) {
      return 0; /* empty (or the producer has not published yet) */
    } else {
      position =
          atomic_load_explicit(&queue->pop_position, memory_order_relaxed);
    }
  }
}

static int overflow_push(eg_queue *queue, const eg_job *job) {
  eg_overflow_node *node = eg__alloc(sizeof *node);
  if (node == NULL)
    return EG_ENOMEM;
  node->job = *job;
  pthread_mutex_lock(&queue->overflow_lock);
  eg__list_push_back(&queue->overflow, &node->link);
  /* seq_cst for the same handshake as ring_push's claim. */
  atomic_fetch_add_explicit(&queue->overflow_length, 1, memory_order_seq_cst);
  pthread_mutex_unlock(&queue->overflow_lock);
  return 0;
}

static int overflow_pop(eg_queue *queue, const void *owner, eg_job *out) {
  eg_overflow_node *node = NULL;
  pthread_mutex_lock(&queue->overflow_lock);
  eg__list *first = eg__list_first(&queue->overflow);
  if (first != NULL)
    node = EG__LIST_ENTRY(first, eg_overflow_node, link);
  if (node != NULL && (owner == NULL || node->job.owner == owner)) {
    eg__list_remove(&node->link);
    atomic_fetch_sub_explicit(&queue->overflow_length, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&queue->overflow_taken, 1, memory_order_relaxed);
  } else {
    node = NULL;
  }
  pthread_mutex_unlock(&queue->overflow_lock);
  if (node == NULL)
    return 0;
  *out = node->job;
  eg__free(node);
  return 1;
}

int eg__queue_push(eg_queue *queue, const eg_job *job) {
  /* Relaxed: a stale zero only lets this job into the ring ahead of older
   * overflow jobs, which the ring drains before them anyway. */
  if (atomic_load_explicit(&queue->overflow_length, memory_order_relaxed) ==
          0 &&
      ring_push(queue, job))
    return 0;
  return overflow_push(queue, job);
}

static int queue_take(eg_queue *queue, const void *owner, eg_job *out) {
  if (ring_pop(queue, owner, out))
    return 1;
  if (atomic_load_explicit(&queue->overflow_length, memory_order_relaxed) == 0)
    return 0;
  return overflow_pop(queue, owner, out);
}

int eg__queue_pop(eg_queue *queue, eg_job *out) {
  return queue_take(queue, NULL, out);
}

int eg__queue_pop_owned(eg_queue *queue, const void *owner, eg_job *out) {
  return queue_take(queue, owner, out);
}

size_t eg__queue_length(eg_queue *queue) {
  /* seq_cst loads: the "check queue" half of the pool's sleep handshake. */
  /* Popped first: pushes only grow, so pushed >= popped below. */
  size_t popped = atomic_load(&queue->pop_position);
  size_t pushed = atomic_load(&queue->push_position);
  return pushed - popped + atomic_load(&queue->overflow_length);
}

int eg__queue_ready(eg_queue *queue) {
  size_t popped = atomic_load(&queue->pop_position);
  eg_ring_slot *slot = &queue->ring[popped & RING_MASK];
  return atomic_load(&slot->sequence) == popped + 1 ||
         atomic_load(&queue->overflow_length) > 0;
}

size_t eg__queue_taken(eg_queue *queue) {
  return atomic_load_explicit(&queue->pop_position, memory_order_acquire) +
         atomic_load_explicit(&queue->overflow_taken, memory_order_acquire) -
         queue->taken_base;
}
