/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C member of golifecycle's group: a background worker written in C
 * (a stand-in for a C library's own event loop) started on the Go group's
 * C handle. It sleeps in poll() on the group's context descriptor, so it
 * stops as soon as a Go error, a signal or the other side cancels the
 * group, and prints why (the cause: a Go error's text). Told to, it fails
 * after a while, and its C error stops the Go servers.
 */
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>

#include "errgroup.h"

static eg_error *c_worker(eg_context *ctx, void *arg) {
  long fail_after_ms = (long)(intptr_t)arg;
  int fd = eg_context_fd(ctx);
  if (fd < 0)
    return eg_error_new(fd, eg_strerror(fd));
  struct pollfd done = {.fd = fd, .events = POLLIN};
  int timeout = fail_after_ms < 0 ? -1 : (int)fail_after_ms;
  int ready;
  while ((ready = poll(&done, 1, timeout)) < 0 && errno == EINTR)
    ;
  if (ready == 0) {
    char text[64];
    snprintf(text, sizeof text, "C worker: failed after %ld ms", fail_after_ms);
    return eg_error_new(1, text);
  }
  printf("lifecycle: C worker stopped: %s\n",
         eg_error_message(eg_context_cause(ctx)));
  fflush(stdout);
  return NULL;
}

int start_c_worker(void *group, long fail_after_ms) {
  return eg_group_go((eg_group *)group, c_worker,
                     (void *)(intptr_t)fail_after_ms);
}
