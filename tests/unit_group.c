/*
 * Unit test of what eg_group_wait's deadlock check sees (c/group.c): the
 * groups whose tasks run on this thread, innermost first. A task of A that
 * waits for B may run B's task on the same thread; a wait for A from inside
 * that task is then certain to hang, and must be seen. Built in C, for the
 * same reason as unit_next_slot.c. Exits non-zero on failure.
 */
#include <stdio.h>

#include "group.h"
#include "unit_check.h"

int main(void) {
  eg_group *a = NULL, *b = NULL;
  CHECK(eg_group_new(&a) == EG_OK);
  CHECK(eg_group_new(&b) == EG_OK);
  CHECK(!eg__group_runs_here(a));

  eg__group_running outer, inner;
  eg__group_enter(&outer, a); /* a task of A runs here */
  CHECK(eg__group_runs_here(a));
  CHECK(!eg__group_runs_here(b));
  eg__group_enter(&inner, b); /* ... and, inside it, one of B */
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
  printf("group: 1 case passed\n");
  return 0;
}
