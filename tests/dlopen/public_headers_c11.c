/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that both public headers, included alone, compile as strict ISO
 * C11 (-std=c11 -pedantic -Wall -Wextra -Werror; built as part of every
 * build, see CMakeLists.txt), in either order and twice (include guards).
 */
#include "errgroup.h"
#include "errgroup_async.h"

_Static_assert(EG_VERSION_NUMBER == EG_VERSION_MAJOR * 10000 +
                                        EG_VERSION_MINOR * 100 +
                                        EG_VERSION_PATCH,
               "EG_VERSION_NUMBER is made of its parts");

int errgroup_public_headers_c11_marker(void);
int errgroup_public_headers_c11_marker(void) {
  eg_task_fn task = 0;
  eg_notify_fn notify = 0;
  return (task == 0) + (notify == 0);
}
