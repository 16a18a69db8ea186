/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One HTTP server of the lifecycle example: GNU libmicrohttpd driven from
 * the calling thread (external polling), listening on 127.0.0.1 only.
 *
 * server_run() is the whole life of a server as one errgroup task: it
 * listens, serves until the group's context is done, then stops gracefully
 * under a stop context with a timeout (go-kratos's Start and Stop of one
 * server, on the one thread that drives its daemon).
 */
#ifndef LIFECYCLE_SERVER_H
#define LIFECYCLE_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "errgroup.h"

struct MHD_Daemon;

struct server {
  /* Set by the caller before server_run. */
  const char *name;
  int port;        /* 0: an ephemeral port, printed once listening */
  int64_t stop_ns; /* the stop timeout */
  bool hang_stop;  /* a job that never finishes holds up the stop */

  /* Owned by the task that runs the server. */
  struct MHD_Daemon *daemon;
  int epoll_fd;        /* the daemon's one descriptor (MHD_USE_EPOLL) */
  bool fail_requested; /* set by GET /fail, on the serving thread */
};

/*
 * Listens, tells eg_task_ready(ctx) (the task was started with
 * eg_group_start), serves until `ctx` is done or the server fails, then
 * stops.
 * Returns NULL after a graceful stop; else an owned error: the listen
 * failed, /fail was requested, or the stop timeout ended the stop
 * (code EG_EDEADLINE_EXCEEDED).
 */
eg_error *server_run(struct server *srv, eg_context *ctx);

#endif
