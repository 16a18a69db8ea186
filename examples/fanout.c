/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fan out, fail, cancel: the errgroup pattern in C.
 *
 * A group made with a context runs N workers, at most LIMIT at a time. Each
 * worker copies its share of blocks and checks the group's context between
 * blocks. One worker fails with "disk full": the group records that error,
 * cancels the context with it as the cause, the other workers see the
 * context done and stop early, and eg_group_wait hands back that error.
 *
 * Go equivalent:
 *
 *   g, ctx := errgroup.WithContext(context.Background())
 *   g.SetLimit(LIMIT)
 *   for i := range N { g.Go(func() error { return copyShare(ctx, i) }) }
 *   err := g.Wait()   // the "disk full" error; context.Cause(ctx) == err
 */
#include <stdint.h>
#include <stdio.h>

#include "errgroup.h"

enum { N = 8, LIMIT = 3, BLOCKS = 10, FAILING_WORKER = 5, FAILING_BLOCK = 3 };

/* One worker's share of the job. */
static eg_error *copy_share(eg_context *ctx, void *arg) {
  const int id = (int)(intptr_t)arg;

  for (int block = 0; block < BLOCKS; block++) {
    /* Another worker failed (or the job is over): stop quietly. The group
     * already holds the first error; anything returned now is discarded. */
    if (eg_context_done(ctx))
      return NULL;

    if (id == FAILING_WORKER && block == FAILING_BLOCK)
      /* Owned error: its reference passes to the group. */
      return eg_error_new(42, "disk full");

    /* "Write one block": here just up to 1 ms of waiting, which ends at
     * once if the context is canceled meanwhile. */
    eg_context_wait(ctx, 1000 * 1000);
  }
  return NULL;
}

int main(void) {
  eg_group *group;
  eg_context *ctx;

  /* Both handles are owned: the group is freed with eg_group_free, the
   * context released with eg_context_release. */
  if (eg_group_with_context(eg_context_background(), &group, &ctx) != EG_OK)
    return 1;
  eg_group_set_limit(group, LIMIT, NULL); /* before any task starts */

  for (int i = 0; i < N; i++) {
    if (eg_context_done(ctx)) /* no point starting more work */
      break;
    /* Blocks while LIMIT workers are running. */
    if (eg_group_go(group, copy_share, (void *)(intptr_t)i) != EG_OK)
      break;
  }

  /* Waits for every started worker. The error is borrowed from the group:
   * valid until eg_group_free. */
  eg_error *err = eg_group_wait(group);
  if (err == NULL) {
    printf("no error?\n");
    return 1;
  }
  printf("wait: error %d: %s\n", eg_error_code(err), eg_error_message(err));

  /* The context was canceled with that very error as its cause (borrowed:
   * valid while we hold our reference to ctx). */
  eg_error *cause = eg_context_cause(ctx);
  printf("cause is the same error: %s\n", cause == err ? "yes" : "no");
  printf("ctx err: %s\n", eg_strerror(eg_context_err(ctx)));

  int ok = eg_error_code(err) == 42 && cause == err;

  eg_group_free(group);    /* err is no longer valid from here */
  eg_context_release(ctx); /* the context may outlive the group */
  return ok ? 0 : 1;
}
