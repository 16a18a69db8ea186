/* SPDX-License-Identifier: BSD-3-Clause */
/* Smoke test of an installed liberrgroup: headers, linking, behaviour. */
#include <errgroup.h>

#include <stdio.h>
#include <string.h>

enum { NTASKS = 8 };

static eg_error *task(eg_context *ctx, void *arg) {
  int *slot = arg;
  (void)ctx;
  *slot = 1; /* each task owns its slot; eg_group_wait publishes it */
  return NULL;
}

static eg_error *failing_task(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return eg_error_new(42, "boom");
}

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "consumer: check failed: %s (line %d)\n", #cond,         \
              __LINE__);                                                       \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(void) {
  int done[NTASKS] = {0};
  eg_group *group = NULL;
  eg_context *ctx = NULL;

  CHECK(eg_version() == EG_VERSION_NUMBER);
  CHECK(strcmp(eg_version_string(), EG_VERSION_STRING) == 0);
  CHECK(strcmp(eg_strerror(EG_ECANCELED), "context canceled") == 0);

  CHECK(eg_group_with_context(eg_context_background(), &group, &ctx) == EG_OK);
  for (int i = 0; i < NTASKS; i++) {
    CHECK(eg_group_go(group, task, &done[i]) == EG_OK);
  }
  CHECK(eg_group_go(group, failing_task, NULL) == EG_OK);

  eg_error *err = eg_group_wait(group);
  CHECK(err != NULL);
  CHECK(eg_error_code(err) == 42);
  CHECK(strcmp(eg_error_message(err), "boom") == 0);
  CHECK(eg_context_done(ctx) == 1);
  CHECK(eg_context_cause(ctx) == err);
  for (int i = 0; i < NTASKS; i++) {
    CHECK(done[i] == 1);
  }

  eg_group_free(group);
  eg_context_release(ctx);
  (void)eg_pool_shutdown(); /* may be EG_EBUSY while workers wind down */
  printf("consumer: OK (liberrgroup %s)\n", eg_version_string());
  return 0;
}
