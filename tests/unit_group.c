/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of group internals (c/group.c): how many replaced limits a
 * group keeps, and what eg_group_wait's deadlock check sees: the
 * groups whose tasks run on this thread, innermost first. A task of A that
 * waits for B may run B's task on the same thread; a wait for A from inside
 * that task is then certain to hang, and must be seen. Built in C, for the
 * same reason as unit_next_slot.c. Exits non-zero on failure.
 */
#include <stdio.h>

#include "group.h"
#include "unit_check.h"

/* Replaced limits are kept until the group's end (a go racing set_limit may
 * hold one) but reused, so a loop of set_limit calls does not pile them up. */
static void replaced_limits_stay_few(void) {
  eg_group *g = NULL;
  CHECK(eg_group_new(&g) == EG_OK);
  for (int i = 0; i < 1000; ++i) {
    CHECK(eg_group_set_limit(g, -1, NULL) == EG_OK);
    CHECK(eg_group_set_limit(g, 2, NULL) == EG_OK);
    CHECK(eg_group_set_limit(g, 3, NULL) == EG_OK);
  }
  int kept = 0;
  EG__LIST_FOREACH(link, &g->retired) {
    (void)link;
    kept++;
  }
  CHECK(kept <= 2);
  eg_group_free(g);
}

static void waits_inside_tasks_of_the_group_are_seen(void) {
  eg_group *a = NULL, *b = NULL;
  CHECK(eg_group_new(&a) == EG_OK);
  CHECK(eg_group_new(&b) == EG_OK);
  CHECK(!eg__group_runs_here(a));

  eg__group_running outer, inner;
  eg__group_enter(&outer, a); /* a task of A runs here */
  CHECK(eg__group_runs_here(a));
  CHECK(!eg__group_runs_here(b));
  eg__group_enter(&inner, b);    /* ... and, inside it, one of B */
  CHECK(eg__group_runs_here(a)); /* the nested case */
  CHECK(eg__group_runs_here(b));
  CHECK(eg_error_code(eg_group_wait(a)) == EG_EDEADLK);
  eg__group_leave(&inner);
  CHECK(!eg__group_runs_here(b));
  CHECK(eg_group_wait(b) == NULL); /* B is idle: waiting for it is fine */
  eg__group_leave(&outer);
  CHECK(!eg__group_runs_here(a));
  CHECK(eg_group_wait(a) == NULL);

  eg_group_free(a);
  eg_group_free(b);
}

int main(void) {
  replaced_limits_stay_few();
  waits_inside_tasks_of_the_group_are_seen();
  printf("group: 2 cases passed\n");
  return 0;
}
