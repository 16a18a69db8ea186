/* SPDX-License-Identifier: BSD-3-Clause */
/* The C member of goscatter's group: see store.c. */
#ifndef GOSCATTER_STORE_H
#define GOSCATTER_STORE_H

#include <stdint.h>

/* One lookup's result slot: written by its C task alone, read by Go only
 * after the group's Wait. */
struct store_result {
  char value[256];
  int ok;
  long long elapsed_ms;
};

/* The request the lookups share (read-only while they run). */
struct store_request {
  char user[64];
  int64_t latency_ns; /* the simulated latency */
  int64_t start_ns;   /* eg_now_ns() when the handler began */
};

/* One lookup: column 1 (email) or 2 (plan) of the user's row. */
struct store_lookup {
  const struct store_request *req;
  int column;
  struct store_result result;
};

/* Starts `lookup` on `group` (an eg_group *: the Go group's CHandle). The
 * lookup, in C memory, stays valid until the group's Wait has returned.
 * Returns eg_group_go's status. */
int start_store_lookup(void *group, struct store_lookup *lookup);

#endif
