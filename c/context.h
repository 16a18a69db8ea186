/* Internal view of eg_context, shared by context.c, timer.c, after_func.c. */
#ifndef EG_CONTEXT_H
#define EG_CONTEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "errgroup.h"

#define EG_NO_DEADLINE INT64_MAX

enum eg_context_kind {
  EG_CONTEXT_BACKGROUND, /* static, never done */
  EG_CONTEXT_CANCELABLE, /* eg_context_with_cancel/_deadline/_timeout */
  EG_CONTEXT_GROUP       /* a group's own: only the group cancels it */
};

struct eg_context {
  atomic_int refs;
  enum eg_context_kind kind;
  eg_context *parent; /* owned reference; NULL for background */
  /* The effective deadline (the earlier of its own and the parent's);
   * immutable after creation. */
  int64_t deadline;

  /* 0 until done, then 1: the futex word of eg_context_wait. Set with
   * release after err and cause are written; they never change after. */
  atomic_uint done;
  int err;         /* EG_ECANCELED or EG_EDEADLINE_EXCEEDED once done */
  eg_error *cause; /* owned once done */

  pthread_mutex_t lock; /* guards everything below */
  int fd;               /* eventfd, or -1 until eg_context_fd */
  eg_context *first_child;
  /* Links in the parent's child list, guarded by the parent's lock. */
  eg_context *prev_sibling, *next_sibling;
  int linked; /* in the parent's child list */
  struct eg_after_func *after_funcs;

  /* Set once before the timer is armed: only such contexts are ever in
   * the timer heap, so the others skip the timer's lock. */
  int timed;
  /* Position in the timer heap, guarded by the timer's lock. */
  size_t timer_slot;
};

/*
 * Makes a child of `parent` of the given kind (not background) whose own
 * deadline is `deadline` (EG_NO_DEADLINE for none). Arms no timer.
 */
int eg__context_new(eg_context *parent, enum eg_context_kind kind,
                    int64_t deadline, eg_context **out);

/*
 * Cancels `ctx` and its descendants with `err` and `cause` (borrowed; the
 * context takes its own reference; NULL means eg_error_canceled()). The
 * first cancellation wins. Runs no user code under any lock.
 */
void eg__context_cancel(eg_context *ctx, int err, eg_error *cause);

/* A reference if the context is still alive (refs > 0), else 0: for the
 * timer, which holds contexts without owning them. */
int eg__context_try_retain(eg_context *ctx);

#endif /* EG_CONTEXT_H */
