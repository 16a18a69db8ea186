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

void eg__after_funcs_fire(struct eg_after_func *list) {
  while (list != NULL) {
    struct eg_after_func *node = list;
    list = node->next; /* read first: the job may free the node */
    eg_job job = {.run = run_after_func, .owner = node};
    if (eg__pool_submit(&job) != EG_OK)
      run_after_func(node, NULL, NULL); /* no lock is held here */
  }
}

int eg_context_after_func(eg_context *ctx, void (*fn)(void *arg), void *arg,
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
  node->ctx = eg_context_retain(ctx);
  node->prev = node->next = NULL;
  node->linked = 0;

  pthread_mutex_lock(&ctx->lock);
  int done = atomic_load_explicit(&ctx->done, memory_order_relaxed);
  if (!done) {
    node->next = ctx->after_funcs;
    if (ctx->after_funcs != NULL)
      ctx->after_funcs->prev = node;
    ctx->after_funcs = node;
    node->linked = 1;
  }
  pthread_mutex_unlock(&ctx->lock);
  if (handle != NULL)
    *handle = node;
  if (done)
    eg__after_funcs_fire(node);
  return EG_OK;
}

int eg_after_func_stop(eg_after_func *node) {
  if (node == NULL)
    return EG_EINVAL;
  int expected = PENDING;
  int stopped =
      atomic_compare_exchange_strong(&node->state, &expected, STOPPED);
  if (stopped) {
    eg_context *ctx = node->ctx;
    pthread_mutex_lock(&ctx->lock);
    int was_linked = node->linked;
    if (was_linked) {
      if (node->prev != NULL)
        node->prev->next = node->next;
      else
        ctx->after_funcs = node->next;
      if (node->next != NULL)
        node->next->prev = node->prev;
      node->linked = 0;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (was_linked)
      node_release(node); /* no job will ever hold the list's reference */
    eg_context_release(ctx);
  }
  node_release(node); /* the handle's reference */
  return stopped;
}
