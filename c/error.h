/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal view of eg_error, shared by the modules that make static errors. */
#ifndef EG_ERROR_H
#define EG_ERROR_H

#include <stdatomic.h>

#include "errgroup.h"

struct eg_error {
  /* References; static errors have is_static set and never count. */
  atomic_int refs;
  int is_static;
  int code;
  const char *message;
  void *payload;
  void (*release_payload)(void *payload);
};

/* The static error eg_group_wait(NULL) returns. */
eg_error *eg__error_invalid(void);

/* The static error eg_group_wait returns when called from a task of its own
 * group (EG_EDEADLK). */
eg_error *eg__error_deadlock(void);

#endif /* EG_ERROR_H */
