/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The in-memory store of goscatter, in C: each lookup is a C task started
 * on the Go group's C handle. Its simulated latency is a wait on the
 * group's context, so a Go error (the name service failing, the deadline)
 * ends it at once; a user missing from the store is a C error that cancels
 * the Go HTTP request in flight.
 */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "errgroup.h"

static const char *const store[][3] = {
    {"alice", "alice@example.org", "team"},
    {"bob", "bob@example.org", "free"},
};

static long long since_ms(const struct store_request *req) {
  return (long long)((eg_now_ns() - req->start_ns) / 1000000);
}

static eg_error *lookup(eg_context *ctx, void *arg) {
  struct store_lookup *l = arg;
  if (eg_context_wait(ctx, l->req->latency_ns) == EG_OK) {
    l->result.elapsed_ms = since_ms(l->req);
    return eg_error_retain(eg_context_cause(ctx));
  }
  l->result.elapsed_ms = since_ms(l->req);
  for (size_t i = 0; i < sizeof store / sizeof store[0]; i++) {
    if (strcmp(store[i][0], l->req->user) == 0) {
      snprintf(l->result.value, sizeof l->result.value, "%s",
               store[i][l->column]);
      l->result.ok = 1;
      return NULL;
    }
  }
  char text[128];
  snprintf(text, sizeof text, "store: no user %s", l->req->user);
  return eg_error_new(1, text);
}

int start_store_lookup(void *group, struct store_lookup *l) {
  return eg_group_go((eg_group *)group, lookup, l);
}
