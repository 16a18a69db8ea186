/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scatter_gather: one request handler gathers a user's data from several
 * sources at once under one deadline: the display name from a name service
 * over HTTP (libcurl) and two fields from an in-memory store that answers
 * after a simulated latency. The errgroup's first error cancels the rest.
 *
 *   scatter_gather --names=URL [--deadline=MS] [--store-latency=MS] USER
 *
 * The name comes from GET URL/users/USER. With every source in time it
 * prints every result and exits 0; otherwise it prints what arrived, marks
 * the rest missing, prints the first error ("context deadline exceeded"
 * when the deadline came first) and exits 1.
 *
 * The Go original (errgroup's ExampleGroup_parallel, with a deadline):
 *
 *   ctx, cancel := context.WithTimeout(ctx, deadline)
 *   defer cancel()
 *   g, ctx := errgroup.WithContext(ctx)
 *   results := make([]Result, len(sources))
 *   for i, source := range sources {
 *       g.Go(func() error {
 *           result, err := source(ctx, user)
 *           if err == nil { results[i] = result }   // its own slot
 *           return err
 *       })
 *   }
 *   err := g.Wait()              // results are read only after Wait
 *
 * Each task writes only its own slot of `results`; main reads them after
 * eg_group_wait, which orders every task's writes before its return.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errgroup.h"
#include "fetch.h"

enum { APP_ERROR = 1, VALUE_MAX = 256 };

/* What a task hands back: written by that task alone. */
struct result {
  const char *field;
  char value[VALUE_MAX];
  int ok;
  int64_t elapsed_ms;
};

struct request {
  const char *user;
  const char *names_url;
  int64_t store_latency_ns;
  int64_t start_ns;
};

struct source {
  const struct request *req;
  struct result *slot;
};

/* The in-memory store: user, email, plan. */
static const char *const store[][3] = {
    {"alice", "alice@example.org", "team"},
    {"bob", "bob@example.org", "free"},
};

static int64_t since_ms(const struct request *req) {
  return (eg_now_ns() - req->start_ns) / 1000000;
}

static eg_error *fetch_name(eg_context *ctx, void *arg) {
  struct source *src = arg;
  char url[512];
  snprintf(url, sizeof url, "%s/users/%s", src->req->names_url, src->req->user);
  eg_error *err = http_get(ctx, "name service", url, src->slot->value,
                           sizeof src->slot->value);
  src->slot->ok = err == NULL;
  src->slot->elapsed_ms = since_ms(src->req);
  return err;
}

/* A store lookup: the simulated latency ends early if ctx is done. */
static eg_error *lookup(eg_context *ctx, struct source *src, int column) {
  if (eg_context_wait(ctx, src->req->store_latency_ns) == EG_OK) {
    src->slot->elapsed_ms = since_ms(src->req);
    return eg_error_retain(eg_context_cause(ctx));
  }
  src->slot->elapsed_ms = since_ms(src->req);
  for (size_t i = 0; i < sizeof store / sizeof store[0]; i++) {
    if (strcmp(store[i][0], src->req->user) == 0) {
      snprintf(src->slot->value, sizeof src->slot->value, "%s",
               store[i][column]);
      src->slot->ok = 1;
      return NULL;
    }
  }
  char text[VALUE_MAX + 32];
  snprintf(text, sizeof text, "store: no user %s", src->req->user);
  return eg_error_new(APP_ERROR, text);
}

static eg_error *lookup_email(eg_context *ctx, void *arg) {
  return lookup(ctx, arg, 1);
}

static eg_error *lookup_plan(eg_context *ctx, void *arg) {
  return lookup(ctx, arg, 2);
}

static int usage(void) {
  fprintf(stderr, "usage: scatter_gather --names=URL [--deadline=MS] "
                  "[--store-latency=MS] USER\n");
  return 2;
}

static int parse_ms(const char *text, int64_t *ns) {
  char *end;
  long ms = strtol(text, &end, 10);
  if (*end != '\0' || end == text || ms < 0)
    return -1;
  *ns = (int64_t)ms * 1000000;
  return 0;
}

/* The handler: scatter, wait, gather. Returns the exit status. */
static int handle(const struct request *req, int64_t deadline_ns) {
  eg_context *deadline, *ctx;
  eg_group *group;
  if (eg_context_with_timeout(eg_context_background(), deadline_ns,
                              &deadline) != EG_OK)
    return 1;
  if (eg_group_with_context(deadline, &group, &ctx) != EG_OK) {
    eg_context_release(deadline);
    return 1;
  }
  struct result results[3] = {
      {.field = "name"}, {.field = "email"}, {.field = "plan"}};
  struct source sources[3];
  eg_task_fn fns[3] = {fetch_name, lookup_email, lookup_plan};
  int not_started = 0;
  for (int i = 0; i < 3; i++) {
    sources[i] = (struct source){req, &results[i]};
    int status = eg_group_go(group, fns[i], &sources[i]);
    if (status != EG_OK) { /* not started: its slot stays missing */
      fprintf(stderr, "scatter_gather: %s: %s\n", results[i].field,
              eg_strerror(status));
      not_started = 1;
    }
  }
  eg_error *err = eg_group_wait(group);

  for (int i = 0; i < 3; i++) {
    if (results[i].ok)
      printf("%s: %s (%lld ms)\n", results[i].field, results[i].value,
             (long long)results[i].elapsed_ms);
    else
      printf("%s: missing (ended after %lld ms)\n", results[i].field,
             (long long)results[i].elapsed_ms);
  }
  int exit_status = not_started; /* a missing field is a failure */
  if (err != NULL) {
    fprintf(stderr, "scatter_gather: %s\n", eg_error_message(err));
    exit_status = 1;
  }
  eg_group_free(group);
  eg_context_release(ctx);
  eg_context_release(deadline);
  return exit_status;
}

int main(int argc, char **argv) {
  struct request req = {.store_latency_ns = 50 * 1000000};
  int64_t deadline_ns = 1000 * 1000000;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--names=", 8) == 0)
      req.names_url = argv[i] + 8;
    else if (strncmp(argv[i], "--deadline=", 11) == 0) {
      if (parse_ms(argv[i] + 11, &deadline_ns) != 0)
        return usage();
    } else if (strncmp(argv[i], "--store-latency=", 16) == 0) {
      if (parse_ms(argv[i] + 16, &req.store_latency_ns) != 0)
        return usage();
    } else if (argv[i][0] != '-' && req.user == NULL)
      req.user = argv[i];
    else
      return usage();
  }
  if (req.names_url == NULL || req.user == NULL)
    return usage();
  /* Not thread-safe: before any task runs. */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return 1;
  req.start_ns = eg_now_ns();
  int status = handle(&req, deadline_ns);
  curl_global_cleanup();
  return status;
}
