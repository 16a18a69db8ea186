#define _GNU_SOURCE
#include "context.h"

#include <limits.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "after_func.h"
#include "platform.h"
#include "timer.h"

static eg_context background = {
    .kind = EG_CONTEXT_BACKGROUND,
    .deadline = EG_NO_DEADLINE,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
    .timer_slot = SIZE_MAX,
};

eg_context *eg_context_background(void) {
  return &background;
}

/* ------------------------------------------------------------ references */

eg_context *eg_context_retain(eg_context *ctx) {
  /* Relaxed: taking a reference needs no ordering. */
  if (ctx != NULL && ctx->kind != EG_CONTEXT_BACKGROUND)
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
  return ctx;
}

int eg__context_try_retain(eg_context *ctx) {
  int refs = atomic_load_explicit(&ctx->refs, memory_order_relaxed);
  while (refs > 0) {
    if (atomic_compare_exchange_weak_explicit(&ctx->refs, &refs, refs + 1,
                                              memory_order_relaxed,
                                              memory_order_relaxed))
      return 1;
  }
  return 0;
}

/* Called with parent->lock held. */
static void unlink_child(eg_context *parent, eg_context *child) {
  if (child->prev_sibling != NULL)
    child->prev_sibling->next_sibling = child->next_sibling;
  else
    parent->first_child = child->next_sibling;
  if (child->next_sibling != NULL)
    child->next_sibling->prev_sibling = child->prev_sibling;
  child->prev_sibling = child->next_sibling = NULL;
  child->linked = 0;
}

static void unlink_from_parent(eg_context *ctx) {
  eg_context *parent = ctx->parent;
  if (parent == NULL || parent->kind == EG_CONTEXT_BACKGROUND)
    return;
  pthread_mutex_lock(&parent->lock);
  if (ctx->linked)
    unlink_child(parent, ctx);
  pthread_mutex_unlock(&parent->lock);
}

/*
 * Children and after-functions hold references, so a context whose count
 * reached zero has neither; only its parent's list and the timer may still
 * point at it, and both are detached here under their own locks.
 */
static void destroy(eg_context *ctx) {
  unlink_from_parent(ctx);
  if (ctx->timed)
    eg__timer_remove(ctx);
  eg_error_release(ctx->cause);
  if (ctx->fd >= 0)
    close(ctx->fd);
  pthread_mutex_destroy(&ctx->lock);
  eg_context *parent = ctx->parent;
  eg__free(ctx);
  eg_context_release(parent);
}

void eg_context_release(eg_context *ctx) {
  if (ctx == NULL || ctx->kind == EG_CONTEXT_BACKGROUND)
    return;
  /* acq_rel: every use by other holders happens before the free (a release
   * decrement plus an acquire fence would do, but ThreadSanitizer does not
   * model fences). */
  if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
    return;
  destroy(ctx);
}

/* ---------------------------------------------------------- cancellation */

static void signal_fd(int fd) {
  uint64_t one = 1;
  if (write(fd, &one, sizeof one) < 0) {
    /* The counter cannot overflow from one write per context. */
  }
}

/*
 * Marks ctx and its descendants done, parent first, holding each lock while
 * visiting the children (lock order: parent before child). After-functions
 * are collected into *fire, to run once every lock is released. Returns 0 if
 * ctx was already done.
 */
static int cancel_tree(eg_context *ctx, int err, eg_error *cause,
                       struct eg_after_func **fire) {
  pthread_mutex_lock(&ctx->lock);
  if (atomic_load_explicit(&ctx->done, memory_order_relaxed)) {
    pthread_mutex_unlock(&ctx->lock);
    return 0;
  }
  ctx->err = err;
  ctx->cause = eg_error_retain(cause);
  /* Release: readers that see done see err and cause. */
  atomic_store_explicit(&ctx->done, 1, memory_order_release);
  eg__futex_wake(&ctx->done, INT_MAX);
  if (ctx->fd >= 0)
    signal_fd(ctx->fd);
  while (ctx->after_funcs != NULL) {
    struct eg_after_func *node = ctx->after_funcs;
    ctx->after_funcs = node->next;
    node->linked = 0;
    node->prev = NULL;
    node->next = *fire;
    *fire = node;
  }
  while (ctx->first_child != NULL) {
    eg_context *child = ctx->first_child;
    unlink_child(ctx, child);
    cancel_tree(child, err, cause, fire);
  }
  if (ctx->timed)
    eg__timer_remove(ctx);
  pthread_mutex_unlock(&ctx->lock);
  return 1;
}

void eg__context_cancel(eg_context *ctx, int err, eg_error *cause) {
  if (cause == NULL)
    cause = eg_error_canceled();
  struct eg_after_func *fire = NULL;
  if (!cancel_tree(ctx, err, cause, &fire))
    return;
  unlink_from_parent(ctx);
  eg__after_funcs_fire(fire);
}

int eg_context_cancel(eg_context *ctx, eg_error *cause) {
  if (ctx == NULL || ctx->kind != EG_CONTEXT_CANCELABLE)
    return EG_EINVAL;
  eg__context_cancel(ctx, EG_ECANCELED, cause);
  return EG_OK;
}

/* -------------------------------------------------------------- creation */

int eg__context_new(eg_context *parent, enum eg_context_kind kind,
                    int64_t deadline, eg_context **out) {
  eg_context *ctx = eg__alloc(sizeof *ctx);
  if (ctx == NULL)
    return EG_ENOMEM;
  atomic_init(&ctx->refs, 1);
  ctx->kind = kind;
  ctx->parent = eg_context_retain(parent);
  /* A child's deadline is never later than its parent's: if the parent's
   * is earlier, its own cancellation reaches the child in time. */
  ctx->timed = deadline < parent->deadline;
  ctx->deadline = ctx->timed ? deadline : parent->deadline;
  atomic_init(&ctx->done, 0);
  ctx->err = 0;
  ctx->cause = NULL;
  pthread_mutex_init(&ctx->lock, NULL);
  ctx->fd = -1;
  ctx->first_child = ctx->prev_sibling = ctx->next_sibling = NULL;
  ctx->linked = 0;
  ctx->after_funcs = NULL;
  ctx->timer_slot = SIZE_MAX;

  /* The background context never ends: its children need no link. */
  if (parent->kind != EG_CONTEXT_BACKGROUND) {
    pthread_mutex_lock(&parent->lock);
    int parent_done = atomic_load_explicit(&parent->done, memory_order_relaxed);
    if (!parent_done) {
      ctx->next_sibling = parent->first_child;
      if (parent->first_child != NULL)
        parent->first_child->prev_sibling = ctx;
      parent->first_child = ctx;
      ctx->linked = 1;
    }
    pthread_mutex_unlock(&parent->lock);
    /* A done parent's err and cause are immutable: read without its lock. */
    if (parent_done)
      eg__context_cancel(ctx, parent->err, parent->cause);
  }
  *out = ctx;
  return EG_OK;
}

int eg_context_with_cancel(eg_context *parent, eg_context **out) {
  if (parent == NULL || out == NULL)
    return EG_EINVAL;
  return eg__context_new(parent, EG_CONTEXT_CANCELABLE, EG_NO_DEADLINE, out);
}

int eg_context_with_deadline(eg_context *parent, int64_t deadline_ns,
                             eg_context **out) {
  if (parent == NULL || out == NULL)
    return EG_EINVAL;
  eg_context *ctx;
  int rc = eg__context_new(parent, EG_CONTEXT_CANCELABLE, deadline_ns, &ctx);
  if (rc != EG_OK)
    return rc;
  if (ctx->timed) {
    if (deadline_ns <= eg__now_ns()) {
      eg__context_cancel(ctx, EG_EDEADLINE_EXCEEDED,
                         eg_error_deadline_exceeded());
    } else if (!eg_context_done(ctx) && (rc = eg__timer_add(ctx)) != EG_OK) {
      eg_context_release(ctx);
      return rc;
    }
  }
  *out = ctx;
  return EG_OK;
}

int eg_context_with_timeout(eg_context *parent, int64_t timeout_ns,
                            eg_context **out) {
  int64_t now = eg__now_ns();
  int64_t deadline =
      timeout_ns > INT64_MAX - now ? EG_NO_DEADLINE - 1 : now + timeout_ns;
  return eg_context_with_deadline(parent, deadline, out);
}

/* ------------------------------------------------------------- observers */

int eg_context_done(eg_context *ctx) {
  /* Acquire: a caller that sees done may read err and cause. */
  return ctx != NULL &&
         atomic_load_explicit(&ctx->done, memory_order_acquire) != 0;
}

int eg_context_wait(eg_context *ctx, int64_t timeout_ns) {
  if (ctx == NULL)
    return EG_EINVAL;
  if (eg_context_done(ctx))
    return EG_OK;
  if (ctx->kind == EG_CONTEXT_BACKGROUND && timeout_ns < 0)
    return EG_EINVAL;
  int64_t now = eg__now_ns();
  int64_t until = timeout_ns < 0                 ? -1
                  : timeout_ns > INT64_MAX - now ? INT64_MAX
                                                 : now + timeout_ns;
  while (!eg_context_done(ctx)) {
    int64_t left = -1;
    if (until >= 0 && (left = until - eg__now_ns()) <= 0)
      return EG_ETIMEDOUT;
    eg__futex_wait(&ctx->done, 0, left);
  }
  return EG_OK;
}

int eg_context_err(eg_context *ctx) {
  if (ctx == NULL)
    return EG_EINVAL;
  return eg_context_done(ctx) ? ctx->err : 0;
}

eg_error *eg_context_cause(eg_context *ctx) {
  return eg_context_done(ctx) ? ctx->cause : NULL;
}

int eg_context_deadline(eg_context *ctx, int64_t *deadline_ns) {
  if (ctx == NULL || deadline_ns == NULL)
    return EG_EINVAL;
  if (ctx->deadline == EG_NO_DEADLINE)
    return 0;
  *deadline_ns = ctx->deadline;
  return 1;
}

int eg_context_fd(eg_context *ctx) {
  if (ctx == NULL)
    return EG_EINVAL;
  pthread_mutex_lock(&ctx->lock);
  if (ctx->fd < 0) {
    ctx->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* Under the lock, so cancel_tree either sees the fd or we see done. */
    if (ctx->fd >= 0 && atomic_load_explicit(&ctx->done, memory_order_relaxed))
      signal_fd(ctx->fd);
  }
  int fd = ctx->fd;
  pthread_mutex_unlock(&ctx->lock);
  return fd >= 0 ? fd : EG_ENOMEM;
}

int64_t eg_now_ns(void) {
  return eg__now_ns();
}
