/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctest.h"

#include <stdio.h>
#include <stdlib.h>

ctest_task *ctest_task_new(void) {
  return calloc(1, sizeof(ctest_task));
}

void ctest_task_free(ctest_task *task) {
  free(task);
}

void ctest_set_fail_message(ctest_task *task, const char *message) {
  snprintf(task->fail_message, sizeof task->fail_message, "%s", message);
}

static eg_error *run(eg_context *ctx, void *arg) {
  ctest_task *task = arg;
  if (task->latch != NULL &&
      eg_context_wait(task->latch, task->timeout_ns) == EG_ETIMEDOUT)
    task->timed_out = 1;
  if (task->wait_for_cancel &&
      eg_context_wait(ctx, task->timeout_ns) == EG_ETIMEDOUT)
    task->timed_out = 1;
  task->ctx_err = eg_context_err(ctx);
  eg_error *cause = eg_context_cause(ctx);
  if (cause != NULL) {
    task->cause_code = eg_error_code(cause);
    snprintf(task->cause_message, sizeof task->cause_message, "%s",
             eg_error_message(cause));
  }
  if (task->fail_code != 0)
    return eg_error_new(task->fail_code, task->fail_message);
  return NULL;
}

int ctest_go(void *group, ctest_task *task) {
  return eg_group_go(group, run, task);
}

int ctest_try_go(void *group, ctest_task *task) {
  return eg_group_try_go(group, run, task);
}

int ctest_wait(void *group, char *message, int capacity) {
  eg_error *error = eg_group_wait(group);
  snprintf(message, (size_t)capacity, "%s", eg_error_message(error));
  return error != NULL ? eg_error_code(error) : 0;
}
