/* SPDX-License-Identifier: BSD-3-Clause */
#include "after_func.h"

#include "context.h"
#include "platform.h"
#include "pool.h"

enum { PENDING, STARTED, STOPPED };

static void node_release(struct eg_after_func *node) {
  /* acq_rel: the last holder sees every other holder's writes. */
  if (atomic_fetch_sub_explicit(&node->refs, 1, memory_order_acq_rel) == 1)
    eg__free(node);
}

/* The job: runs fn unless it was stopped first, then drops the list's
 * reference, which the job inherited. */
static void run_after_func(void *owner, eg_task_fn unused_fn, void *unused) {
  (void)unused_fn;
  (void)unused;
  struct eg_after_func *node = owner;
  int expected = PENDING;
  if (atomic_compare_exchange_strong(&node->state, &expected, STARTED)) {
    node->fn(node->arg);
    eg_context_release(node->ctx);
  }
  node_release(node);
}

void eg__after_funcs_fire(eg__list *list) {
  eg__list *link;
  /* Unlinked first: the job may free the node. */
  while ((link = eg__list_pop_front(list)) != NULL) {
    struct eg_after_func *node =
        EG__LIST_ENTRY(link, struct eg_after_func, link);
    eg_job job = {.run = run_after_func, .owner = node};
    if (node->inline_run || eg__pool_submit(&job) != EG_OK)
      run_after_func(node, NULL, NULL); /* no lock is held here */
  }
}

static int register_after_func(eg_context *ctx, void (*fn)(void *arg),
                               void *arg, int inline_run,
                               eg_after_func **handle) {
  if (handle != NULL)
    *handle = NULL;
  if (ctx == NULL || fn == NULL)
    return EG_EINVAL;
  struct eg_after_func *node = eg__alloc(sizeof *node);
  if (node == NULL)
    return EG_ENOMEM;
  atomic_init(&node->state, PENDING);
  atomic_init(&node->refs, handle != NULL ? 2 : 1);
  node->fn = fn;
  node->arg = arg;
  node->inline_run = inline_run;
  node->ctx = eg_context_retain(ctx);
  eg__list_init(&node->link);

  eg__context_lock(ctx);
  /* Relaxed: DONE is only set under the lock. */
  int done = (atomic_load_explicit(&ctx->done, memory_order_relaxed) &
              EG__CONTEXT_DONE) != 0;
  if (!done)
    eg__list_push_back(&ctx->after_funcs, &node->link);
  eg__context_unlock(ctx);
  if (handle != NULL)
    *handle = node;
  if (done) {
    eg__list now;
    eg__list_init(&now);
    eg__list_push_back(&now, &node->link);
    eg__after_funcs_fire(&now);
  }
  return EG_OK;
}

int eg_context_after_func(eg_context *ctx, void (*fn)(void *arg), void *arg,
                          eg_after_func **handle) {
  return register_after_func(ctx, fn, arg, 0, handle);
}

int eg__after_func_inline(eg_context *ctx, void (*fn)(void *arg), void *arg,
                          eg_after_func **handle) {
  return register_after_func(ctx, fn, arg, 1, handle);
}

int eg_after_func_stop(eg_after_func *node) {
  if (node == NULL)
    return EG_EINVAL;
  int expected = PENDING;
  int stopped =
      atomic_compare_exchange_strong(&node->state, &expected, STOPPED);
  if (stopped) {
    eg_context *ctx = node->ctx;
    eg__context_lock(ctx);
    /* Until ctx is done the node is in its list; after, the cancel has
     * taken it to a job (or it was fired at once). Relaxed: DONE is only
     * set under the lock. */
    int was_linked = !(atomic_load_explicit(&ctx->done, memory_order_relaxed) &
                       EG__CONTEXT_DONE);
    if (was_linked)
      eg__list_remove(&node->link);
    eg__context_unlock(ctx);
    if (was_linked)
      node_release(node); /* no job will ever hold the list's reference */
    eg_context_release(ctx);
  }
  node_release(node); /* the handle's reference */
  return stopped;
}
