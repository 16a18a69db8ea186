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
  eg_context *ctx; /* owned until fn has run or been stopped */
  /* In ctx->after_funcs while ctx is not done (under ctx's lock), then in
   * the list of the cancel that took it, or unlinked. */
  eg__list link;
};

/*
 * Runs each after-function of `list` (of eg_after_func.link), detached from
 * a done context, on pool threads (or on this thread, when the pool cannot
 * take them), and leaves the list empty. The caller holds no lock.
 */
void eg__after_funcs_fire(eg__list *list);

#endif /* EG_AFTER_FUNC_H */
