/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of eg_group_resize_limit (c/group.c, c/limit.c) at the one
 * moment no public call can reach: right after the raise took a queued
 * request off the limit's queue with its slot. A task of the limit that
 * returns then finds nobody queued and gives its slot back; the group must
 * already count the admitted request active, as a releaser's hand-off
 * does (finish_task counts the next task in before its own leaves), or a
 * wait returns (and may free the group) before that request's task.
 *
 * This executable defines pthread_mutex_unlock itself, which the static and
 * dynamic linkers prefer to the C library's (or a sanitizer's), and passes
 * every call on to the next definition. Armed on the resizing thread with
 * the limit's lock, it makes the slot holder return right after that lock
 * is let go inside the resize. In C, for the same reason as unit_next_slot.c.
 * Exits non-zero on failure.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "errgroup_async.h"
#include "group.h"
#include "unit_check.h"

static int (*real_unlock)(pthread_mutex_t *);

/* Before main, so before any thread that may unlock a mutex. */
__attribute__((constructor)) static void find_real_unlock(void) {
  *(void **)&real_unlock = dlsym(RTLD_NEXT, "pthread_mutex_unlock");
}

/* Armed by the test on its own thread: the lock to act after, the group. */
static _Thread_local pthread_mutex_t *act_after; /* NULL: disarmed */
static _Thread_local eg_group *act_on;
static int idle_in_window = -1;

int pthread_mutex_unlock(pthread_mutex_t *mutex) {
  int rc = real_unlock(mutex);
  if (mutex == act_after) {
    act_after = NULL;
    /* The external task holding the limit's one old slot returns now. */
    CHECK(eg_group_external_done(act_on, NULL) == 0);
    idle_in_window = eg_group_idle(act_on);
  }
  return rc;
}

static void note_admitted(void *arg) {
  *(int *)arg = 1;
}

static void a_raise_counts_the_admitted_request_before_a_release(void) {
  eg_group *g = NULL;
  CHECK(eg_group_new(&g) == EG_OK);
  CHECK(eg_group_set_limit(g, 1, NULL) == EG_OK);
  CHECK(eg_group_try_admit(g) == 1); /* holds the one slot */
  int admitted = 0;
  CHECK(eg_group_admit(g, note_admitted, &admitted) == 0); /* queued */
  act_on = g;
  act_after = &atomic_load(&g->limit)->lock;
  CHECK(eg_group_resize_limit(g, 2) == EG_OK);
  CHECK(act_after == NULL);   /* the window was reached */
  CHECK(idle_in_window == 0); /* the admitted request was counted */
  CHECK(admitted == 1);
  CHECK(eg_group_idle(g) == 0);
  CHECK(eg_group_external_done(g, NULL) == 0);
  CHECK(eg_group_idle(g) == 1);
  CHECK(eg_group_wait(g) == NULL);
  eg_group_free(g);
}

int main(void) {
  a_raise_counts_the_admitted_request_before_a_release();
  printf("resize_limit: 1 case passed\n");
  return 0;
}
