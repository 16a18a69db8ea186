/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of c/queue.c: what a parker may sleep on (eg__queue_ready), and
 * the fork child's reset of a ring that producers and consumers of the
 * parent left half done. Single-threaded: the half-done states are made by
 * hand, as a thread that vanished in fork() leaves them. */
#include "queue.h"

#include "unit_check.h"

static eg_queue queue; /* 1 MiB: not on the stack */

static eg_error *nothing(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return NULL;
}

static void run_nothing(void *owner, eg_task_fn fn, void *arg) {
  (void)owner;
  (void)fn;
  (void)arg;
}

static eg_job job_of(int tag) {
  eg_job job = {.run = run_nothing,
                .owner = NULL,
                .fn = nothing,
                .arg = (void *)(intptr_t)tag};
  return job;
}

/* A producer that claimed the next cell and was stopped before publishing
 * it: the ring counts it, but nothing can be taken. */
static void claim_without_publishing(void) {
  atomic_fetch_add(&queue.push_position, 1);
}

static void test_unpublished_cell_is_not_ready(void) {
  eg__queue_init(&queue);
  CHECK(!eg__queue_ready(&queue));
  eg_job job = job_of(1), out;
  CHECK(eg__queue_push(&queue, &job) == 0);
  CHECK(eg__queue_ready(&queue));
  CHECK(eg__queue_pop(&queue, &out) && out.arg == job.arg);
  claim_without_publishing();
  CHECK(eg__queue_length(&queue) == 1);
  CHECK(!eg__queue_ready(&queue)); /* a parker sleeps on this */
  CHECK(!eg__queue_pop(&queue, &out));
}

static void test_fork_reset_drops_everything_and_restarts_counts(void) {
  eg__queue_init(&queue);
  eg_job job = job_of(2), out;
  /* Some laps, so positions are not cell indexes. */
  for (unsigned i = 0; i < 3 * EG__RING_SIZE + 5; i++) {
    CHECK(eg__queue_push(&queue, &job) == 0);
    CHECK(eg__queue_pop(&queue, &out));
  }
  /* A consumer that claimed a cell and vanished before freeing it. */
  CHECK(eg__queue_push(&queue, &job) == 0);
  size_t popped = atomic_load(&queue.pop_position);
  atomic_store(&queue.pop_position, popped + 1);
  /* Jobs left queued, and a producer that vanished mid-push. */
  for (int i = 0; i < 10; i++)
    CHECK(eg__queue_push(&queue, &job) == 0);
  claim_without_publishing();
  eg__queue_reset_after_fork(&queue);
  CHECK(eg__queue_length(&queue) == 0);
  CHECK(eg__queue_taken(&queue) == 0);
  CHECK(!eg__queue_ready(&queue));
  /* Every cell works again, a whole lap and more, with no overflow. */
  for (unsigned i = 0; i < EG__RING_SIZE; i++)
    CHECK(eg__queue_push(&queue, &job) == 0);
  CHECK(atomic_load(&queue.overflow_length) == 0);
  for (unsigned i = 0; i < EG__RING_SIZE; i++)
    CHECK(eg__queue_pop(&queue, &out) && out.arg == job.arg);
  CHECK(!eg__queue_pop(&queue, &out));
  CHECK(eg__queue_taken(&queue) == EG__RING_SIZE);
}

static void test_overflow_keeps_order(void) {
  eg__queue_init(&queue);
  for (unsigned i = 0; i < EG__RING_SIZE + 100; i++) {
    eg_job job = job_of((int)i);
    CHECK(eg__queue_push(&queue, &job) == 0);
  }
  CHECK(atomic_load(&queue.overflow_length) == 100);
  eg_job out;
  for (unsigned i = 0; i < EG__RING_SIZE + 100; i++)
    CHECK(eg__queue_pop(&queue, &out) && out.arg == (void *)(intptr_t)i);
  CHECK(!eg__queue_pop(&queue, &out));
  CHECK(eg__list_empty(&queue.overflow));
}

int main(void) {
  test_unpublished_cell_is_not_ready();
  test_fork_reset_drops_everything_and_restarts_counts();
  test_overflow_keeps_order();
  return 0;
}
