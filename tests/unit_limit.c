/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of a group's limit (c/limit.c) that need its internals: what a
 * go that reaches a replaced limit does to the group's slots word. In C,
 * for the same reason as unit_next_slot.c. Exits non-zero on failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "errgroup.h"
#include "limit.h"
#include "unit_check.h"

static int owner;

static eg_error *no_task(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return NULL;
}

static void never_admitted(void *arg) {
  (void)arg;
  CHECK(!"a retired limit queued an admission");
}

/* A go racing set_limit (an API misuse) reaches the replaced limit after the
 * group reset its word for the new one. It must not queue there: a queued
 * request counted in the word, with nobody in the new limit's queue, would
 * keep the new limit's slots from ever being given back. */
static void go_on_a_replaced_limit_leaves_the_word_alone(void) {
  _Atomic uint64_t word = 0;
  eg_limit *replaced = eg__limit_new(0, &word); /* nothing may start */
  CHECK(replaced != NULL);
  eg__limit_retire(replaced);
  /* Would block forever on a current limit of 0; escapes instead. */
  CHECK(eg__limit_acquire(replaced, &owner, no_task, NULL) == EG_LIMIT_TOOK);
  CHECK(eg__limit_acquire_async(replaced, never_admitted, NULL) == 1);
  CHECK(atomic_load(&word) == 0);
  CHECK(eg__list_empty(&replaced->waiters));

  eg_limit *current = eg__limit_new(1, &word);
  CHECK(current != NULL);
  CHECK(eg__limit_try_acquire(current));
  CHECK(!eg__limit_try_acquire(current));
  CHECK(eg__limit_release(current) == NULL); /* nobody queued */
  CHECK(eg__limit_try_acquire(current));     /* the slot came back */
  CHECK(eg__limit_release(current) == NULL);
  CHECK(eg__limit_free(current));
  CHECK(eg__limit_free(replaced));
}

int main(void) {
  go_on_a_replaced_limit_leaves_the_word_alone();
  printf("limit: 1 case passed\n");
  return 0;
}
