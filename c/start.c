/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eg_group_start and eg_task_ready (errgroup.h, "Beyond the reference"):
 * a task started through eg_group_go, with a context of its own that knows
 * the starter waiting for it, until the task says it is ready or returns.
 */
#include <stdatomic.h>

#include "context.h"
#include "errgroup.h"
#include "group.h"
#include "platform.h"
#include "pool.h"
#include "start.h"
#include "tunables.h"

/* A starter's state, also its futex word. SKIPPED: skip mode never started
 * the task (eg__start_skipped). */
enum { WAITING, SLEEPING, READY, RETURNED, SKIPPED };

/* On the starter's stack, reachable through the task's context
 * (eg_context.starter) until the one who tells it takes it away. */
typedef struct starter {
  atomic_uint state;
  eg_error *error; /* RETURNED: an owned reference to the task's error */
} starter;

/* The task's argument, freed by the task. */
typedef struct started {
  eg_task_fn fn;
  void *arg;
  eg_context *ctx; /* owned: the task's own context */
} started;

/* Takes the waiting starter off `ctx`, under its lock, so that exactly one
 * caller (the first eg_task_ready, or the task's return) gets it. */
static starter *take_starter(eg_context *ctx) {
  eg__context_lock(ctx);
  starter *waiting = ctx->starter;
  ctx->starter = NULL;
  eg__context_unlock(ctx);
  return waiting;
}

/*
 * acq_rel: publishes `error` and reads whether the starter sleeps. The
 * exchange is the last access to the starter's frame, which may be gone
 * as soon as it reads the outcome; the wake only passes the address to the
 * kernel (at worst a spurious wake, as in eg__limit_grant).
 */
static void tell(starter *waiting, unsigned outcome) {
  if (atomic_exchange_explicit(&waiting->state, outcome,
                               memory_order_acq_rel) == SLEEPING)
    eg__futex_wake(&waiting->state, 1);
}

int eg_task_ready(eg_context *ctx) {
  /* started_task is immutable; the background context's is 0. */
  if (ctx == NULL || !ctx->started_task)
    return EG_EINVAL;
  starter *waiting = take_starter(ctx);
  if (waiting == NULL)
    return 0;
  tell(waiting, READY);
  return 1;
}

/* The task's end, run or not: its context is canceled (its children with
 * it) and released, and the record freed. */
static void free_started(started *task) {
  eg__context_cancel(task->ctx, EG_ECANCELED, NULL);
  eg_context_release(task->ctx);
  eg__free(task);
}

/* The task as the group runs it: the caller's function with its own
 * context. */
static eg_error *run_started(eg_context *group_ctx, void *arg) {
  (void)group_ctx; /* the task's own context descends from it */
  started *task = arg;
  eg_error *error = task->fn(task->ctx, task->arg);
  starter *waiting = take_starter(task->ctx);
  if (waiting != NULL) {
    waiting->error = eg_error_retain(error);
    tell(waiting, RETURNED);
  }
  free_started(task);
  return error;
}

void *eg__start_task_arg(eg_task_fn fn, void *arg) {
  return fn == run_started ? ((started *)arg)->arg : arg;
}

/* fn never ran, so nobody else saw the context: the starter is still on
 * it. */
void eg__start_skipped(eg_task_fn fn, void *arg) {
  if (fn != run_started)
    return;
  started *task = arg;
  tell(take_starter(task->ctx), SKIPPED);
  free_started(task);
}

/* Spins a while, then sleeps until told; a pool thread counts as blocked
 * meanwhile. Returns READY, RETURNED or SKIPPED. */
static unsigned wait_until_told(starter *self) {
  eg_spin spin = EG_SPIN_INIT;
  for (;;) {
    /* Acquire: pairs with tell's exchange (the error). */
    unsigned state = atomic_load_explicit(&self->state, memory_order_acquire);
    if (state != WAITING && state != SLEEPING)
      return state;
    if (state == WAITING && eg__spin_on(&spin, EG__ACQUIRE_SPIN_NS)) {
      eg__cpu_relax();
      continue;
    }
    unsigned expected = WAITING;
    /* Acquire on failure: the outcome may have come meanwhile. */
    if (state == SLEEPING || atomic_compare_exchange_strong_explicit(
                                 &self->state, &expected, SLEEPING,
                                 memory_order_acq_rel, memory_order_acquire)) {
      eg__pool_block_begin();
      eg__futex_wait(&self->state, SLEEPING, -1);
      eg__pool_block_end();
    }
  }
}

/*
 * The context is made and linked to the starter before eg_group_go hands
 * the task over (which orders those writes before the task reads them).
 * The starter never runs the task itself: it would have to run it to its
 * end, not only until it is ready. So the task this thread kept for itself
 * (eg_group_go's) goes to the queue before the starter blocks.
 */
int eg_group_start(eg_group *group, eg_task_fn fn, void *arg,
                   eg_error **task_error) {
  if (task_error != NULL)
    *task_error = NULL;
  if (group == NULL || fn == NULL)
    return EG_EINVAL;
  started *task = eg__alloc(sizeof *task);
  if (task == NULL)
    return EG_ENOMEM;
  int rc = eg__context_new(group->ctx, EG_CONTEXT_CANCELABLE, EG_NO_DEADLINE,
                           &task->ctx);
  if (rc != EG_OK) {
    eg__free(task);
    return rc;
  }
  starter self = {.error = NULL};
  atomic_init(&self.state, WAITING);
  task->fn = fn;
  task->arg = arg;
  task->ctx->started_task = 1;
  task->ctx->starter = &self;
  rc = eg_group_go(group, run_started, task);
  if (rc != EG_OK) { /* never ran: nobody else saw the context */
    eg_context_release(task->ctx);
    eg__free(task);
    return rc;
  }
  eg__pool_publish_next();
  unsigned outcome = wait_until_told(&self);
  if (outcome == READY)
    return 1;
  if (outcome == SKIPPED)
    return EG_ESKIPPED; /* queued in worker mode, then skipped */
  if (task_error != NULL)
    *task_error = self.error;
  else
    eg_error_release(self.error);
  return 0;
}
