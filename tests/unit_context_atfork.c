/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fork() handlers of the application that use contexts: pthread_atfork
 * handlers registered before the library's (here: before the first
 * context) run while the library's fork gate is closed (prepare handlers
 * run after the library's, parent and child handlers before). The forking
 * thread itself must still pass the gate, or it waits for itself for ever.
 *
 * Its own executable: the registration order is the point, so no context
 * may exist before main registers its handlers. No deadline is armed, so
 * the process has one thread when it forks.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errgroup.h"
#include "unit_check.h"

static eg_context *parent;
static int prepared, parented;

/* A child of a non-background context made, cancelled and freed: every
 * context operation that takes a lock. */
static int use_contexts(void) {
  eg_context *ctx;
  if (eg_context_with_cancel(parent, &ctx) != EG_OK)
    return 0;
  int ok = eg_context_cancel(ctx, NULL) == EG_OK && eg_context_done(ctx);
  eg_context_release(ctx);
  return ok;
}

static void prepare(void) {
  prepared = use_contexts();
}

static void in_parent(void) {
  parented = use_contexts();
}

static void in_child(void) {
  if (!use_contexts())
    _exit(3);
}

int main(void) {
  /* A hang is the failure: end it instead of waiting for ctest's timeout
   * (generous: the fork and six context operations take microseconds). */
  alarm(30);
  CHECK(pthread_atfork(prepare, in_parent, in_child) == 0);
  CHECK(eg_context_with_cancel(eg_context_background(), &parent) == EG_OK);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    _exit(use_contexts() ? 0 : 4);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(prepared && parented);
  CHECK(use_contexts());
  eg_context_release(parent);
  return 0;
}
