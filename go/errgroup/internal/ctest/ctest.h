/* SPDX-License-Identifier: BSD-3-Clause */
/* C tasks for the tests of package errgroup: what C code does with a Go
 * group's C handle. */
#ifndef EG_GO_CTEST_H
#define EG_GO_CTEST_H

#include <stdint.h>

#include "errgroup.h"

typedef struct ctest_task {
  /* Set by Go before the task starts. */
  eg_context *latch;  /* if not NULL, wait until it is done first */
  int wait_for_cancel; /* then wait until the group's context is done */
  int64_t timeout_ns;  /* bound of each wait (fails instead of hangs) */
  int fail_code;       /* non-zero: return eg_error_new(fail_code, ...) */
  char fail_message[128];
  /* Set by the task before it returns, read by Go after Wait. */
  int timed_out;
  int ctx_err;
  int cause_code;
  char cause_message[256];
} ctest_task;

ctest_task *ctest_task_new(void);
void ctest_task_free(ctest_task *task);
/* Copies message into task->fail_message (truncated). */
void ctest_set_fail_message(ctest_task *task, const char *message);
int ctest_go(void *group, ctest_task *task);
int ctest_try_go(void *group, ctest_task *task);
/* eg_group_wait from C: its code and message, or 0 and "" for success. */
int ctest_wait(void *group, char *message, int capacity);

#endif
