/* SPDX-License-Identifier: BSD-3-Clause */
/* See server.h. */
#define _GNU_SOURCE
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { APP_ERROR = 1 }; /* the code of this program's own errors */

static eg_error *errorf(int code, const char *fmt, const char *name,
                        const char *detail) {
  char text[256];
  snprintf(text, sizeof text, fmt, name, detail);
  return eg_error_new(code, text);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *body) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  if (resp == NULL)
    return MHD_NO;
  /* No keep-alive: a graceful stop then only waits for requests in flight,
   * not for idle connections (Go's Shutdown closes those itself). */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ret = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* Runs inside MHD_run, on the thread of server_run. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **state) {
  struct server *srv = cls;
  (void)method;
  (void)version;
  (void)upload;
  (void)upload_size;
  (void)state;
  char body[128];
  if (strcmp(url, "/fail") == 0) {
    srv->fail_requested = true;
    snprintf(body, sizeof body, "server %s: failing\n", srv->name);
    return reply(conn, MHD_HTTP_OK, body);
  }
  snprintf(body, sizeof body, "hello from server %s\n", srv->name);
  return reply(conn, MHD_HTTP_OK, body);
}

static eg_error *listen_on_loopback(struct server *srv) {
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)srv->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  /* No MHD_USE_INTERNAL_POLLING_THREAD: external polling, driven by us. */
  srv->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
                                 NULL, handle, srv, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_END);
  if (srv->daemon == NULL) {
    char port[16];
    snprintf(port, sizeof port, "%d", srv->port);
    return errorf(APP_ERROR, "server %s: cannot listen on 127.0.0.1:%s",
                  srv->name, port);
  }
  const union MHD_DaemonInfo *epoll =
      MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_EPOLL_FD);
  const union MHD_DaemonInfo *port =
      MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (epoll == NULL || port == NULL) {
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    return errorf(APP_ERROR, "server %s: %s", srv->name,
                  "libmicrohttpd gives no epoll descriptor or port");
  }
  srv->epoll_fd = epoll->epoll_fd;
  srv->port = port->port;
  printf("lifecycle: server %s listening on http://127.0.0.1:%d/\n", srv->name,
         srv->port);
  return NULL;
}

/*
 * Sleeps in poll() on the daemon's epoll descriptor and `wake_fd` (a
 * context's descriptor) until either is readable, or until the daemon's
 * own timeout, then lets the daemon do its work. No periodic wake-up:
 * the context's descriptor turning readable is what ends the wait.
 * Returns 1 if `wake_fd` is readable, 0 if not, -1 on a poll error.
 */
static int poll_once(struct server *srv, int wake_fd) {
  MHD_UNSIGNED_LONG_LONG ms;
  int timeout = -1;
  if (MHD_get_timeout(srv->daemon, &ms) == MHD_YES)
    timeout = ms > 60000 ? 60000 : (int)ms;
  struct pollfd fds[2] = {{.fd = srv->epoll_fd, .events = POLLIN},
                          {.fd = wake_fd, .events = POLLIN}};
  if (poll(fds, 2, timeout) < 0 && errno != EINTR)
    return -1;
  MHD_run(srv->daemon);
  return (fds[1].revents & POLLIN) != 0;
}

static eg_error *serve(struct server *srv, eg_context *ctx) {
  int ctx_fd = eg_context_fd(ctx);
  if (ctx_fd < 0)
    return eg_error_new(ctx_fd, eg_strerror(ctx_fd));
  for (;;) {
    int woken = poll_once(srv, ctx_fd);
    if (woken < 0)
      return errorf(APP_ERROR, "server %s: poll: %s", srv->name,
                    strerror(errno));
    if (srv->fail_requested)
      return errorf(APP_ERROR, "server %s: %s", srv->name,
                    "failure requested through /fail");
    if (woken)
      return NULL;
  }
}

static unsigned connections(struct server *srv) {
  return MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)
      ->num_connections;
}

/*
 * The graceful stop (go-kratos's Stop(stopCtx), net/http's Shutdown): no
 * new connections, requests in flight run to their end, unless the stop
 * context's timeout comes first.
 */
static eg_error *stop(struct server *srv) {
  eg_context *stop_ctx;
  int status =
      eg_context_with_timeout(eg_context_background(), srv->stop_ns, &stop_ctx);
  if (status != EG_OK)
    return eg_error_new(status, eg_strerror(status));
  int stop_fd = eg_context_fd(stop_ctx);
  if (stop_fd < 0) {
    eg_context_release(stop_ctx);
    return eg_error_new(stop_fd, eg_strerror(stop_fd));
  }
  MHD_socket listen_fd = MHD_quiesce_daemon(srv->daemon);
  if (listen_fd != MHD_INVALID_SOCKET)
    close(listen_fd);

  eg_error *err = NULL;
  while (connections(srv) > 0 || srv->hang_stop) {
    int expired = poll_once(srv, stop_fd);
    if (expired < 0) {
      err = errorf(APP_ERROR, "server %s: stop: poll: %s", srv->name,
                   strerror(errno));
      break;
    }
    if (expired) { /* the stop timeout: "context deadline exceeded" */
      err = errorf(EG_EDEADLINE_EXCEEDED, "server %s: stop: %s", srv->name,
                   eg_strerror(eg_context_err(stop_ctx)));
      break;
    }
  }
  MHD_stop_daemon(srv->daemon); /* closes what is still open */
  srv->daemon = NULL;
  eg_context_release(stop_ctx);
  if (err == NULL)
    printf("lifecycle: server %s stopped\n", srv->name);
  return err;
}

eg_error *server_run(struct server *srv, eg_context *ctx) {
  eg_error *err = listen_on_loopback(srv);
  if (err != NULL)
    return err;
  eg_task_ready(ctx); /* listening: the starter goes on */
  err = serve(srv, ctx);
  if (err != NULL) {
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    return err;
  }
  return stop(srv);
}
