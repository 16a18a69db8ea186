/* SPDX-License-Identifier: BSD-3-Clause */
/* After-functions: callbacks that run once after a context is done. */
#ifndef EG_AFTER_FUNC_H
#define EG_AFTER_FUNC_H

#include <stdatomic.h>

#include "errgroup.h"
#include "list.h"

struct eg_after_func {
  /* PENDING, then STARTED or STOPPED, by one compare-and-swap. */
  atomic_int state;
  /* One for the context's list (then the job that runs it), one for the
   * caller's handle if there is one. */
  atomic_int refs;
  void (*fn)(void *arg);
  void *arg;
  int inline_run;  /* run by the canceling thread: see eg__after_func_inline */
  eg_context *ctx; /* owned until fn has run or been stopped */
  /* In ctx->after_funcs while ctx is not done (under ctx's lock), then in
   * the list of the cancel that took it, or unlinked. */
  eg__list link;
};

/*
 * Runs each after-function of `list` (of eg_after_func.link), detached from
 * a done context, on pool threads (or on this thread, when the pool cannot
 * take them, or for one registered by eg__after_func_inline), and leaves
 * the list empty. The caller holds no lock.
 */
void eg__after_funcs_fire(eg__list *list);

/*
 * eg_context_after_func for the library's own use: fn runs on the thread
 * that makes ctx done, once that cancel holds no lock (or on this thread,
 * at once, if ctx is done already), never on the pool, so that no job is
 * left queued when the cancel returns (eg_pool_shutdown). fn must be short
 * and never block.
 */
int eg__after_func_inline(eg_context *ctx, void (*fn)(void *arg), void *arg,
                          eg_after_func **handle);

#endif /* EG_AFTER_FUNC_H */
