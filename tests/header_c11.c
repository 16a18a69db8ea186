/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that the public header (and the test hooks header) are clean ISO
 * C11: this file is compiled with -std=c11 -pedantic -Wall -Wextra -Werror.
 * It also runs as a tiny test that the library links and answers from C.
 */
#include "errgroup.h"
#include "errgroup_async.h"
#include "testing.h"

#include <stdio.h>
#include <string.h>

static eg_error *noop_task(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return NULL;
}

int main(void) {
  eg_group *group = NULL;
  eg_error *err;

  if (eg_version() != EG_VERSION_NUMBER) {
    fprintf(stderr, "eg_version() = %d, want %d\n", eg_version(),
            EG_VERSION_NUMBER);
    return 1;
  }
  if (strcmp(eg_version_string(), EG_VERSION_STRING) != 0) {
    fprintf(stderr, "eg_version_string() = %s\n", eg_version_string());
    return 1;
  }
  if (eg_group_new(&group) != EG_OK) return 1;
  if (eg_group_go(group, noop_task, NULL) != EG_OK) return 1;
  err = eg_group_wait(group);
  eg_group_free(group);
  if (err != NULL) return 1;
  return 0;
}
