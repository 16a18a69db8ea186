/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of the waiters bit of a context's done word: cancelling a tree
 * makes a FUTEX_WAKE system call only for contexts somebody sleeps on.
 *
 * The library makes its futex calls through syscall(2) (c/platform.c); this
 * executable defines syscall itself, which the dynamic linker prefers to
 * libc's, counts the wakes the calling thread makes, and passes every call
 * on to libc's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "context.h"
#include "errgroup.h"
#include "unit_check.h"

static _Thread_local long futex_wakes;
static long (*real_syscall)(long, ...);

/* Before main, so before any thread that may call syscall. */
__attribute__((constructor)) static void find_real_syscall(void) {
  *(void **)&real_syscall = dlsym(RTLD_NEXT, "syscall");
}

long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (int i = 0; i < 6; i++)
    a[i] = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_futex && (a[1] & FUTEX_CMD_MASK) == FUTEX_WAKE)
    futex_wakes++;
  return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

enum { CHILDREN = 100000 };

static eg_context *children[CHILDREN];

static eg_context *new_tree(void) {
  eg_context *root = NULL;
  CHECK(eg_context_with_cancel(eg_context_background(), &root) == EG_OK);
  for (int i = 0; i < CHILDREN; i++)
    CHECK(eg_context_with_cancel(root, &children[i]) == EG_OK);
  return root;
}

static void free_tree(eg_context *root) {
  for (int i = 0; i < CHILDREN; i++)
    eg_context_release(children[i]);
  eg_context_release(root);
}

/* Nobody waits: the whole cancel makes no wake at all (it made one per
 * context, 100,001 here, before the waiters bit). */
static void test_no_waiter_no_wake(void) {
  eg_context *root = new_tree();
  long before = futex_wakes;
  CHECK(eg_context_cancel(root, NULL) == EG_OK);
  long wakes = futex_wakes - before;
  if (wakes != 0)
    fprintf(stderr, "futex wakes for %d children: %ld\n", CHILDREN, wakes);
  CHECK(wakes == 0);
  CHECK(eg_context_done(children[CHILDREN - 1]));
  free_tree(root);
}

static void *wait_on(void *ctx) {
  CHECK(eg_context_wait(ctx, -1) == EG_OK);
  return NULL;
}

/* A waiter that announced itself (the bit is set) is woken: exactly one
 * wake for it, none for the other children. */
static void test_one_waiter_one_wake(void) {
  eg_context *root = new_tree();
  eg_context *watched = children[CHILDREN / 2];
  pthread_t waiter;
  CHECK(pthread_create(&waiter, NULL, wait_on, watched) == 0);
  while (!(atomic_load(&watched->done) & EG__CONTEXT_WAITERS)) {
  }
  long before = futex_wakes;
  CHECK(eg_context_cancel(root, NULL) == EG_OK);
  long wakes = futex_wakes - before;
  CHECK(wakes == 1);
  CHECK(pthread_join(waiter, NULL) == 0);
  free_tree(root);
}

/* A timed wait that gave up leaves the bit set; that costs one wake, still
 * never one per context. */
static void test_timed_out_waiter(void) {
  eg_context *root = new_tree();
  CHECK(eg_context_wait(children[0], 1000) == EG_ETIMEDOUT);
  long before = futex_wakes;
  CHECK(eg_context_cancel(root, NULL) == EG_OK);
  CHECK(futex_wakes - before <= 1);
  free_tree(root);
}

int main(void) {
  test_no_waiter_no_wake();
  test_one_waiter_one_wake();
  test_timed_out_waiter();
  return 0;
}
