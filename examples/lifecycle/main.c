/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lifecycle: an application with two (or more) HTTP servers and a signal
 * watcher in one errgroup, stopped together: go-kratos's App.Run in C.
 *
 *   lifecycle [--stop-timeout=MS] [--hang-stop=NAME] NAME=PORT...
 *
 * Each NAME=PORT is a server on 127.0.0.1:PORT (0: an ephemeral port; the
 * port is printed). GET / answers, GET /fail makes that server fail.
 * --hang-stop=NAME gives that server a job that never finishes, so its
 * graceful stop only ends at the stop timeout (default 10000 ms, as
 * go-kratos).
 *
 * Exit status, as App.Run's error: 0 after SIGINT or SIGTERM (the group's
 * error is then context.Canceled, which is no error); 1 and the first error
 * printed when a server fails or a stop outlives the stop timeout.
 *
 * The go-kratos original (kratos/app.go, Run), abridged:
 *
 *   eg, ctx := errgroup.WithContext(appCtx)
 *   wg := sync.WaitGroup{}
 *   for _, srv := range servers {
 *       eg.Go(func() error {                 // stop
 *           <-ctx.Done()
 *           stopCtx, cancel := context.WithTimeout(octx, stopTimeout)
 *           defer cancel()
 *           return srv.Stop(stopCtx)
 *       })
 *       wg.Add(1)
 *       eg.Go(func() error { wg.Done(); return srv.Start(octx) })
 *   }
 *   wg.Wait()                                // every Start has begun
 *   signal.Notify(c, syscall.SIGTERM, ...)
 *   eg.Go(func() error {
 *       select {
 *       case <-ctx.Done(): return nil
 *       case <-c:          return a.Stop()   // cancels appCtx
 *       }
 *   })
 *   if err := eg.Wait(); err != nil && !errors.Is(err, context.Canceled) {
 *       return err
 *   }
 *   return nil
 *
 * A libmicrohttpd daemon in external polling mode is driven by one thread,
 * so a server's Start and Stop are one task here (server_run): it serves
 * until the group's context is done, then stops under the stop timeout.
 * Where go-kratos counts Starts that have begun with a WaitGroup, each
 * server here is started with eg_group_start, which returns once the
 * server listens (eg_task_ready) or has failed: the signal watcher is
 * registered only once every server listens.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "errgroup.h"
#include "server.h"

enum { MAX_SERVERS = 8 };

struct app {
  eg_context *app_ctx; /* a.ctx: canceled by a.Stop() on a signal */
  struct server servers[MAX_SERVERS];
  int n_servers;
  sigset_t signals; /* SIGINT, SIGTERM: blocked in every thread */
};

/* A started task: `ctx` is its own (eg_group_start), which server_run
 * marks ready once the server listens. */
static eg_error *run_server(eg_context *ctx, void *arg) {
  return server_run(arg, ctx);
}

/*
 * The signal watcher. The signals have been blocked since main began, so
 * one that arrived before this task exists is pending and read here.
 */
static eg_error *watch_signals(eg_context *ctx, void *arg) {
  struct app *app = arg;
  int sig_fd = signalfd(-1, &app->signals, SFD_CLOEXEC);
  int ctx_fd = eg_context_fd(ctx);
  if (sig_fd < 0 || ctx_fd < 0) {
    if (sig_fd >= 0)
      close(sig_fd);
    return eg_error_new(1, "signal watcher: no signalfd or context fd");
  }
  struct pollfd fds[2] = {{.fd = sig_fd, .events = POLLIN},
                          {.fd = ctx_fd, .events = POLLIN}};
  while (poll(fds, 2, -1) < 0 && errno == EINTR)
    ;
  if (fds[0].revents & POLLIN) {
    struct signalfd_siginfo info;
    if (read(sig_fd, &info, sizeof info) == (ssize_t)sizeof info)
      printf("lifecycle: SIG%s received, stopping\n",
             sigabbrev_np((int)info.ssi_signo));
    eg_context_cancel(app->app_ctx, NULL); /* a.Stop() */
  }
  close(sig_fd);
  return NULL;
}

static int usage(void) {
  fprintf(stderr, "usage: lifecycle [--stop-timeout=MS] [--hang-stop=NAME] "
                  "NAME=PORT...\n");
  return 2;
}

static int parse_args(struct app *app, int argc, char **argv) {
  long stop_ms = 10000;
  const char *hang = NULL;
  for (int i = 1; i < argc; i++) {
    char *arg = argv[i], *end;
    if (strncmp(arg, "--stop-timeout=", 15) == 0) {
      stop_ms = strtol(arg + 15, &end, 10);
      if (*end != '\0' || stop_ms <= 0)
        return usage();
    } else if (strncmp(arg, "--hang-stop=", 12) == 0) {
      hang = arg + 12;
    } else {
      char *eq = strchr(arg, '=');
      if (eq == NULL || eq == arg || app->n_servers == MAX_SERVERS)
        return usage();
      long port = strtol(eq + 1, &end, 10);
      if (*end != '\0' || eq[1] == '\0' || port < 0 || port > 65535)
        return usage();
      *eq = '\0';
      app->servers[app->n_servers++] =
          (struct server){.name = arg, .port = (int)port};
    }
  }
  if (app->n_servers == 0)
    return usage();
  for (int i = 0; i < app->n_servers; i++) {
    app->servers[i].stop_ns = stop_ms * 1000000;
    app->servers[i].hang_stop =
        hang != NULL && strcmp(hang, app->servers[i].name) == 0;
  }
  return 0;
}

/* App.Run. Returns the exit status. */
static int run(struct app *app) {
  eg_group *group;
  eg_context *ctx;
  if (eg_context_with_cancel(eg_context_background(), &app->app_ctx) != EG_OK) {
    fprintf(stderr, "lifecycle: out of memory\n");
    return 1;
  }
  if (eg_group_with_context(app->app_ctx, &group, &ctx) != EG_OK) {
    eg_context_release(app->app_ctx);
    fprintf(stderr, "lifecycle: out of memory\n");
    return 1;
  }
  /* A task that did not start stops the others and fails the run: with no
   * signal watcher the blocked SIGTERM would never stop the servers. A
   * server that failed before it listened (eg_group_start returned 0) has
   * had its error recorded, which cancels the others; the rest are started
   * anyway, and stop at once. */
  int not_started = 0;
  for (int i = 0; i < app->n_servers; i++) {
    int start = eg_group_start(group, run_server, &app->servers[i], NULL);
    if (start < 0) {
      fprintf(stderr, "lifecycle: cannot start server %s: %s\n",
              app->servers[i].name, eg_strerror(start));
      not_started = 1;
    }
  }
  /* Every server listens (or failed): now the signals may stop them. */
  int go = eg_group_go(group, watch_signals, app);
  if (go != EG_OK) {
    fprintf(stderr, "lifecycle: cannot start the signal watcher: %s\n",
            eg_strerror(go));
    not_started = 1;
  }
  if (not_started)
    eg_context_cancel(app->app_ctx, NULL);
  printf("lifecycle: running %d servers; SIGINT or SIGTERM stops them\n",
         app->n_servers);

  eg_error *err = eg_group_wait(group);
  int status = not_started;
  if (err != NULL && eg_error_code(err) != EG_ECANCELED) {
    fprintf(stderr, "lifecycle: %s\n", eg_error_message(err));
    status = 1;
  } else if (!not_started) {
    printf("lifecycle: stopped\n");
  }
  eg_group_free(group);
  eg_context_release(ctx);
  eg_context_release(app->app_ctx);
  return status;
}

int main(int argc, char **argv) {
  static struct app app;
  setvbuf(stdout, NULL, _IOLBF, 0);
  int status = parse_args(&app, argc, argv);
  if (status != 0)
    return status;
  /* Before the first library call: the pool's threads inherit this mask,
   * so the signals reach the process only through the watcher's signalfd. */
  sigemptyset(&app.signals);
  sigaddset(&app.signals, SIGINT);
  sigaddset(&app.signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &app.signals, NULL);
  return run(&app);
}
