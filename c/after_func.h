/* After-functions: callbacks that run once after a context is done. */
#ifndef EG_AFTER_FUNC_H
#define EG_AFTER_FUNC_H

#include <stdatomic.h>

#include "errgroup.h"

struct eg_after_func {
  /* PENDING, then STARTED or STOPPED, by one compare-and-swap. */
  atomic_int state;
  /* One for the context's list (then the job that runs it), one for the
   * caller's handle if there is one. */
  atomic_int refs;
  void (*fn)(void *arg);
  void *arg;
  eg_context *ctx; /* owned until fn has run or been stopped */
  struct eg_after_func *next, *prev; /* in ctx's list, under ctx->lock */
  int linked;
};

/*
 * Runs each after-function of a list detached from a done context, on pool
 * threads (or on this thread, when the pool cannot take them). The caller
 * holds no lock.
 */
void eg__after_funcs_fire(struct eg_after_func *list);

#endif /* EG_AFTER_FUNC_H */
