/* SPDX-License-Identifier: BSD-3-Clause */
/* The C member of golifecycle's group: see worker.c. */
#ifndef GOLIFECYCLE_WORKER_H
#define GOLIFECYCLE_WORKER_H

/* Starts the C worker on `group` (an eg_group *, the Go group's CHandle).
 * fail_after_ms < 0: it never fails. Returns eg_group_go's status. */
int start_c_worker(void *group, long fail_after_ms);

#endif
