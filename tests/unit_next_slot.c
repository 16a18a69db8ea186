/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the per-thread next slots (c/next_slot.c), in C because the
 * internal headers use <stdatomic.h>. Time is passed in explicitly, so the
 * staleness rule is tested without sleeping. The pool is never started
 * here: nobody but these threads touches the slots.
 *
 * Runs every case in order and exits non-zero on the first failure.
 */
#define _GNU_SOURCE /* pthread barriers */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "next_slot.h"
#include "unit_check.h"

static int owner_a, owner_b;

static void run_nothing(void *owner, eg_task_fn fn, void *arg) {
  (void)owner;
  (void)fn;
  (void)arg;
}

static eg_job job_of(void *owner, void *arg) {
  eg_job job = {.run = run_nothing, .owner = owner, .fn = NULL, .arg = arg};
  return job;
}

/* ---- a thread that fills its slot, then does what it is told ---- */

enum { HOLD, TAKE_BACK, REFILL, EXIT };

typedef struct filler {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int ready;   /* the slot is filled */
  int command; /* HOLD until told otherwise */
  int done;    /* the command was carried out */
  int took;    /* TAKE_BACK: 1 if the job was still there */
  long fills;
} filler;

static void set_and_signal(filler *f, int *field, int value) {
  pthread_mutex_lock(&f->lock);
  *field = value;
  pthread_cond_broadcast(&f->changed);
  pthread_mutex_unlock(&f->lock);
}

static void wait_for(filler *f, int *field, int value) {
  pthread_mutex_lock(&f->lock);
  while (*field != value)
    pthread_cond_wait(&f->changed, &f->lock);
  pthread_mutex_unlock(&f->lock);
}

static void *filler_main(void *arg) {
  filler *f = arg;
  CHECK(eg__next_have_slot());
  eg_job job = job_of(&owner_a, (void *)++f->fills);
  CHECK(eg__next_try_put(&job));
  set_and_signal(f, &f->ready, 1);
  for (;;) {
    pthread_mutex_lock(&f->lock);
    while (f->command == HOLD)
      pthread_cond_wait(&f->changed, &f->lock);
    int command = f->command;
    f->command = HOLD;
    pthread_mutex_unlock(&f->lock);
    if (command == EXIT)
      return NULL; /* the job, if any, stays in the slot */
    eg_job out;
    int took = eg__next_take_own(&owner_a, &out);
    CHECK(!took || out.arg == (void *)f->fills);
    if (command == REFILL) {
      job = job_of(&owner_a, (void *)++f->fills);
      CHECK(eg__next_try_put(&job));
    }
    pthread_mutex_lock(&f->lock);
    f->took = took;
    f->done++;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
  }
}

static void filler_start(filler *f) {
  *f = (filler){.command = HOLD};
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->changed, NULL);
  CHECK(pthread_create(&f->thread, NULL, filler_main, f) == 0);
  wait_for(f, &f->ready, 1);
}

/* Tells the filler to do `command` and waits until it has. */
static void filler_do(filler *f, int command) {
  int done = f->done;
  set_and_signal(f, &f->command, command);
  if (command == EXIT) {
    pthread_join(f->thread, NULL);
    return;
  }
  wait_for(f, &f->done, done + 1);
}

/* ---- cases ---- */

static void owner_takes_back_only_its_own_groups_job(void) {
  CHECK(eg__next_have_slot());
  eg_job a = job_of(&owner_a, (void *)1), b = job_of(&owner_b, (void *)2);
  eg_job out;
  CHECK(!eg__next_take_own(NULL, &out)); /* empty */
  CHECK(eg__next_try_put(&a));
  CHECK(!eg__next_try_put(&b)); /* full: the caller queues b itself */
  CHECK(eg__next_pending() == 1);
  CHECK(!eg__next_take_own(&owner_b, &out)); /* another group's job */
  CHECK(eg__next_take_own(&owner_a, &out));
  CHECK(out.owner == &owner_a && out.arg == (void *)1 && out.run == a.run);
  CHECK(eg__next_pending() == 0);
  CHECK(eg__next_try_put(&b));
  CHECK(eg__next_take_own(NULL, &out) && out.arg == (void *)2);
}

static void moving_a_job_out_does_not_count_as_taking_it(void) {
  eg_job a = job_of(&owner_a, (void *)1), out;
  uint64_t taken = eg__next_taken();
  CHECK(eg__next_try_put(&a));
  CHECK(eg__next_move_out(&out) && out.arg == (void *)1);
  CHECK(eg__next_taken() == taken); /* it will be counted by the queue */
  CHECK(!eg__next_move_out(&out));  /* empty */
  CHECK(eg__next_try_put(&out));    /* put back, as after a failed push */
  CHECK(eg__next_taken() == taken);
  CHECK(eg__next_take_own(NULL, &out));
  CHECK(eg__next_taken() == taken + 1);
}

static void thief_takes_a_job_only_once_stale(void) {
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  eg_job out;
  const int64_t t0 = 1000000;
  uint64_t taken = eg__next_taken();
  filler f;
  filler_start(&f);
  CHECK(!eg__next_steal(&scan, t0, &out)); /* first sighting */
  CHECK(!eg__next_steal(&scan, t0 + EG__NEXT_STALE_NS - 1, &out)); /* early */
  CHECK(eg__next_steal(&scan, t0 + EG__NEXT_STALE_NS, &out));
  CHECK(out.owner == &owner_a && out.arg == (void *)1);
  CHECK(eg__next_taken() == taken + 1);
  filler_do(&f, TAKE_BACK);
  CHECK(!f.took); /* stolen: its owner no longer finds it */
  filler_do(&f, EXIT);
}

static void refilled_slot_is_not_stale(void) {
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  eg_job out;
  const int64_t t0 = 1000000;
  filler f;
  filler_start(&f);
  CHECK(!eg__next_steal(&scan, t0, &out)); /* sees fill 1 */
  filler_do(&f, REFILL);                   /* owner ran it; fill 2 now */
  CHECK(f.took);
  CHECK(!eg__next_steal(&scan, t0 + EG__NEXT_STALE_NS, &out)); /* new fill */
  CHECK(eg__next_steal(&scan, t0 + 2 * EG__NEXT_STALE_NS, &out));
  CHECK(out.arg == (void *)2);
  filler_do(&f, EXIT);
}

static void a_token_names_one_stale_fill(void) {
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  eg_job out;
  const int64_t t0 = 1000000;
  filler f;
  filler_start(&f);
  CHECK(eg__next_find_stale(&scan, t0) == 0); /* first sighting */
  uint64_t token = eg__next_find_stale(&scan, t0 + EG__NEXT_STALE_NS);
  CHECK(token != 0);
  CHECK(eg__next_pending() >= 1); /* finding takes nothing */
  filler_do(&f, REFILL);          /* the owner ran fill 1; fill 2 now */
  CHECK(f.took);
  CHECK(!eg__next_steal_token(token, &out)); /* names fill 1 only */
  token = eg__next_find_stale(&scan, t0 + 2 * EG__NEXT_STALE_NS);
  CHECK(token == 0); /* fill 2 seen once */
  token = eg__next_find_stale(&scan, t0 + 3 * EG__NEXT_STALE_NS);
  CHECK(token != 0);
  CHECK(eg__next_steal_token(token, &out) && out.arg == (void *)2);
  CHECK(!eg__next_steal_token(token, &out)); /* once */
  filler_do(&f, EXIT);
}

static void job_of_an_exited_thread_is_stolen(void) {
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  eg_job out;
  size_t pending = eg__next_pending();
  filler f;
  filler_start(&f);
  filler_do(&f, EXIT);
  CHECK(eg__next_pending() == pending + 1);
  CHECK(!eg__next_steal(&scan, 0, &out));
  CHECK(eg__next_steal(&scan, EG__NEXT_STALE_NS, &out));
  CHECK(out.arg == (void *)1);
  CHECK(eg__next_pending() == pending);
}

/* ---- the table: more threads than slots ---- */

#define CROWD (EG__NEXT_SLOTS + 8)

static pthread_barrier_t all_looked, may_exit;
static int got_slot[CROWD];

static void *crowd_main(void *arg) {
  int *out = arg;
  *out = eg__next_have_slot();
  pthread_barrier_wait(&all_looked);
  pthread_barrier_wait(&may_exit);
  return NULL;
}

static void *one_lookup(void *arg) {
  *(int *)arg = eg__next_have_slot();
  return NULL;
}

static void slots_run_out_and_come_back_at_thread_exit(void) {
  pthread_t threads[CROWD];
  pthread_barrier_init(&all_looked, NULL, CROWD + 1);
  pthread_barrier_init(&may_exit, NULL, CROWD + 1);
  for (int i = 0; i < CROWD; i++)
    CHECK(pthread_create(&threads[i], NULL, crowd_main, &got_slot[i]) == 0);
  pthread_barrier_wait(&all_looked);
  int with_slot = 0;
  for (int i = 0; i < CROWD; i++)
    with_slot += got_slot[i];
  /* The main thread holds one slot; exited threads gave theirs back. */
  CHECK(with_slot == EG__NEXT_SLOTS - 1);
  pthread_barrier_wait(&may_exit);
  for (int i = 0; i < CROWD; i++)
    pthread_join(threads[i], NULL);
  int got = 0;
  pthread_t late;
  CHECK(pthread_create(&late, NULL, one_lookup, &got) == 0);
  pthread_join(late, NULL);
  CHECK(got == 1);
}

int main(void) {
  owner_takes_back_only_its_own_groups_job();
  moving_a_job_out_does_not_count_as_taking_it();
  thief_takes_a_job_only_once_stale();
  refilled_slot_is_not_stale();
  a_token_names_one_stale_fill();
  job_of_an_exited_thread_is_stolen();
  slots_run_out_and_come_back_at_thread_exit();
  printf("next slots: 7 cases passed\n");
  return 0;
}
