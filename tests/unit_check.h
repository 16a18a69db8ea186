/* SPDX-License-Identifier: BSD-3-Clause */
/* The one assertion of the C unit tests (unit_*.c): prints the failed
 * condition with its place and exits non-zero. */
#ifndef EG_UNIT_CHECK_H
#define EG_UNIT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#endif /* EG_UNIT_CHECK_H */
