/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal view of eg_context, shared by context.c, timer.c, after_func.c. */
#ifndef EG_CONTEXT_H
#define EG_CONTEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "errgroup.h"
#include "list.h"

#define EG_NO_DEADLINE INT64_MAX

enum eg_context_kind {
  EG_CONTEXT_BACKGROUND, /* static, never done */
  EG_CONTEXT_CANCELABLE, /* eg_context_with_cancel/_deadline/_timeout */
  EG_CONTEXT_GROUP       /* a group's own: only the group cancels it */
};

/* The bits of eg_context.done. */
enum {
  /* Set once, with release, after err and cause are written and the fd is
   * signalled; they never change after. */
  EG__CONTEXT_DONE = 1,
  /* Set once every descendant is done too: a cancel that finds a context
   * another cancel marked waits for this before it returns. */
  EG__CONTEXT_COMPLETE = 2,
  /* Somebody sleeps (or is about to) on the word: whoever sets DONE or
   * COMPLETE must wake it. Cleared when DONE is set, as every sleeper
   * until then waited for DONE. */
  EG__CONTEXT_WAITERS = 4,
  /* Set with DONE if the context has an fd, cleared once the canceller has
   * written it: whoever sees both writes the fd itself (see
   * eg_context_done), so the fd is readable once done is seen, and never
   * before. */
  EG__CONTEXT_FD_PENDING = 8,
};

struct eg_context {
  atomic_int refs;
  enum eg_context_kind kind;
  eg_context *parent; /* owned reference; NULL for background */
  /* The effective deadline (the earlier of its own and the parent's);
   * immutable after creation. */
  int64_t deadline;

  /* EG__CONTEXT_* bits: the futex word of eg_context_wait. */
  atomic_uint done;
  int err;         /* EG_ECANCELED or EG_EDEADLINE_EXCEEDED once done */
  eg_error *cause; /* owned once done */

  pthread_mutex_t lock; /* guards everything below; see eg__context_lock */
  int fd;               /* eventfd, or -1 until eg_context_fd */
  eg__list children;    /* weak: a child that is being freed unlinks itself */
  /* In the parent's `children` while the parent is not done (under the
   * parent's lock); once the parent is done, in the private work list of
   * the cancel that took it (which holds a reference), or unlinked. */
  eg__list sibling;
  eg__list after_funcs; /* of eg_after_func.link, until done */

  /* eg_group_start (start.c): set once at creation for the context of a
   * started task, which alone may be given to eg_task_ready; `starter` is
   * the start waiting for the task to be ready, NULL once it was told (and
   * for every other context), under `lock`. */
  int started_task;
  void *starter;

  /* Set once before the timer is armed: only such contexts are ever in
   * the timer heap, so the others skip the timer's lock. */
  int timed;
  /* Position in the timer heap, guarded by the timer's lock. */
  size_t timer_slot;
};

/*
 * Every holder of a context's lock goes through these, which also enter
 * the fork gate: fork() waits until no thread holds a context lock (none is
 * held for long, and none while user code runs), so that the child inherits
 * every context in a consistent state. Never nested.
 */
void eg__context_lock(eg_context *ctx);
void eg__context_unlock(eg_context *ctx);

/*
 * Makes a child of `parent` of the given kind (not background) whose own
 * deadline is `deadline` (EG_NO_DEADLINE for none). Arms no timer.
 */
int eg__context_new(eg_context *parent, enum eg_context_kind kind,
                    int64_t deadline, eg_context **out);

/*
 * Cancels `ctx` and its descendants with `err` and `cause` (borrowed; the
 * context takes its own reference; NULL means eg_error_canceled()). The
 * first cancellation wins. Returns once ctx and every descendant are done,
 * also when another thread canceled part of the tree first. Iterative: any
 * depth works, and at most one context lock is held at a time. Runs no
 * user code under any lock.
 */
void eg__context_cancel(eg_context *ctx, int err, eg_error *cause);

/* A reference if the context is still alive (refs > 0), else 0: for the
 * timer, which holds contexts without owning them. */
int eg__context_try_retain(eg_context *ctx);

#endif /* EG_CONTEXT_H */
