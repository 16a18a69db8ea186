/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C conformance runner: reads errgroup scenario files (compat/README.md)
 * and runs them on liberrgroup directly, printing the same canonical
 * transcript as the Go runner (compat/runner). Linked with the library's
 * sources built with EG_TESTING (for eg_testing_blocked_go_callers).
 *
 * Usage: eg_compat_runner FILE...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errgroup.h"
#include "testing.h"

#define HEADER "errgroup-scenario 1"
#define MAX_WORDS 8 /* arguments of a step */
#define MAX_LINE_WORDS 256
#define NAME_LEN 64

/* ------------------------------------------------------------ utilities */

static void *xmalloc(size_t n) {
  void *p = calloc(1, n);
  if (p == NULL) {
    fprintf(stderr, "eg_compat_runner: out of memory\n");
    exit(3);
  }
  return p;
}

static char *xstrdup(const char *s) {
  char *p = xmalloc(strlen(s) + 1);
  memcpy(p, s, strlen(s) + 1);
  return p;
}

static char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *out = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(out, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return out;
}

static int64_t timeout_ns = 5000000000LL;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec abs_time(int64_t at_ns) {
  struct timespec ts = {.tv_sec = at_ns / 1000000000LL,
                        .tv_nsec = at_ns % 1000000000LL};
  return ts;
}

/* A polling pause: used only while polling a condition, never to order. */
static void poll_pause(void) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000};
  nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------- scenario */

enum kind { KIND_MAIN, KIND_TASK, KIND_CALLER, KIND_AFTER_FUNC };

typedef struct step {
  char verb[NAME_LEN];
  int nargs;
  char args[MAX_WORDS][NAME_LEN];
  int line;
} step;

typedef struct flow {
  char name[NAME_LEN];
  enum kind kind;
  step *steps;
  int nsteps, capsteps;
  /* run time */
  char **records;
  int nrecords, caprecords;
  atomic_int claimed;  /* handed to go/try-go: a task runs at most once */
  atomic_int launched; /* go/try-go returned having started it; or started */
  atomic_int started, finished, abandoned, in_go;
  atomic_int go_epoch; /* the limit epoch when it entered eg_group_go */
  atomic_int frozen, thaw;
  pthread_t thread;
  atomic_int tid;
  eg_after_func *after_handle;
  int after_state; /* 0 none, 1 registered, 2 stopped */
  struct run *run;
  /* extras: the context the task received (set on its own thread before
   * its steps run); for a task of start-task, its own (is_started), and
   * the flow that started it (no longer inside go once the task runs). */
  eg_context *task_ctx;
  int is_started;
  struct flow *starter;
} flow;

typedef struct scenario {
  char name[256];
  char group[16];
  char parent[32];
  int sides; /* a "sides" line: a set of SIDE_ bits; 0: every side */
  flow **flows;
  int nflows, capflows;
} scenario;

static flow *find_flow(scenario *sc, const char *name) {
  for (int i = 0; i < sc->nflows; i++)
    if (strcmp(sc->flows[i]->name, name) == 0)
      return sc->flows[i];
  return NULL;
}

static flow *add_flow(scenario *sc, const char *name, enum kind kind) {
  if (sc->nflows == sc->capflows) {
    sc->capflows = sc->capflows ? 2 * sc->capflows : 16;
    flow **grown = xmalloc(sizeof *grown * (size_t)sc->capflows);
    if (sc->nflows)
      memcpy(grown, sc->flows, sizeof *grown * (size_t)sc->nflows);
    free(sc->flows);
    sc->flows = grown;
  }
  flow *f = xmalloc(sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", name);
  f->kind = kind;
  sc->flows[sc->nflows++] = f;
  return f;
}

static int valid_name(const char *s) {
  if (*s == '\0' || strlen(s) >= NAME_LEN)
    return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

static int is_error_name(const char *s) {
  return strcmp(s, "nil") != 0 && strcmp(s, "Canceled") != 0 &&
         strcmp(s, "DeadlineExceeded") != 0 && valid_name(s);
}

/* The sides of the suite (compat/README.md); this runner is "c". */
enum { SIDE_REFERENCE = 1, SIDE_GO_PACKAGE = 2, SIDE_C = 4, SIDE_GO_ON_C = 8 };
static const char *const side_names[] = {"reference", "go-package", "c",
                                         "go-on-c"};

static int runs_on(const scenario *sc, int side) {
  return sc->sides == 0 || (sc->sides & side) != 0;
}

/* extras: a step the reference has no counterpart of (compat/README.md,
 * "Extras"), allowed only in a scenario whose sides leave the reference out. */
typedef struct verb_spec {
  const char *verb;
  int min, max, task_only, extras;
} verb_spec;

static const verb_spec verbs[] = {
    {"go", 1, 1, 0, 0},
    {"try-go", 1, 1, 0, 0},
    {"wait", 0, 0, 0, 0},
    {"limit", 1, 1, 0, 0},
    {"signal", 1, 1, 0, 0},
    {"wait-for", 1, 1, 0, 0},
    {"wait-ctx-done", 0, 0, 0, 0},
    {"ctx", 0, 0, 0, 0},
    {"parent", 0, 0, 0, 0},
    {"deadline", 0, 0, 0, 0},
    {"cancel-parent", 0, 1, 0, 0},
    {"log", 1, 1, 0, 0},
    {"start", 1, 1, 0, 0},
    {"join", 1, 1, 0, 0},
    {"expect-blocked", 1, 1, 0, 0},
    {"abandon", 1, 1, 0, 0},
    {"after-func", 1, 1, 0, 0},
    {"after-func-stop", 1, 1, 0, 0},
    {"freeze", 1, 1, 0, 0},
    {"thaw", 1, 1, 0, 0},
    {"settle", 0, 0, 0, 0},
    {"return", 1, 1, 1, 0},
    /* extras */
    {"cancel", 0, 1, 0, 1},
    {"canceled", 0, 0, 0, 1},
    {"keep-errors", 1, 1, 0, 1},
    {"errors", 0, 0, 0, 1},
    {"skip-when-canceled", 0, 0, 0, 1},
    {"go-or-skip", 1, 1, 0, 1},
    {"try-go-or-skip", 1, 1, 0, 1},
    {"skipped", 0, 0, 0, 1},
    {"on-task-done", 0, 0, 0, 1},
    {"wait-timeout", 1, 1, 0, 1},
    {"idle", 0, 0, 0, 1},
    {"start-task", 1, 1, 0, 1},
    {"ready", 0, 0, 1, 1},
    {"task-ctx", 0, 0, 1, 1},
    {"wait-task-ctx-done", 0, 0, 1, 1},
    {"resize-limit", 1, 1, 0, 1},
};

/* Steps whose argument names an error made once per scenario. */
static int is_error_verb(const char *verb) {
  return !strcmp(verb, "return") || !strcmp(verb, "cancel-parent") ||
         !strcmp(verb, "cancel");
}

static const verb_spec *find_verb(const char *verb) {
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(verbs[i].verb, verb) == 0)
      return &verbs[i];
  return NULL;
}

static char parse_error[512];

#define FAIL(...)                                                              \
  do {                                                                         \
    char msg_[400];                                                            \
    snprintf(msg_, sizeof msg_, __VA_ARGS__);                                  \
    snprintf(parse_error, sizeof parse_error, "%s:%d: %s", path, line_no,      \
             msg_);                                                            \
    goto fail;                                                                 \
  } while (0)

static int is_integer(const char *s) {
  if (*s == '-' || *s == '+')
    s++;
  if (*s == '\0')
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

static scenario *parse_scenario(const char *path) {
  FILE *file = fopen(path, "r");
  int line_no = 0;
  if (file == NULL) {
    snprintf(parse_error, sizeof parse_error, "%s: %s", path, strerror(errno));
    return NULL;
  }
  scenario *sc = xmalloc(sizeof *sc);
  snprintf(sc->group, sizeof sc->group, "zero");
  snprintf(sc->parent, sizeof sc->parent, "background");
  int saw_header = 0;
  flow *current = NULL;
  char buf[4096];
  while (fgets(buf, sizeof buf, file) != NULL) {
    line_no++;
    char *hash = strchr(buf, '#');
    if (hash != NULL)
      *hash = '\0';
    char *words[MAX_LINE_WORDS];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(buf, " \t\r\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\r\n", &save)) {
      if (n == MAX_LINE_WORDS)
        FAIL("too many words on a line");
      words[n++] = w;
    }
    if (n == 0)
      continue;
    if (!saw_header) {
      if (!(n == 2 && strcmp(words[0], "errgroup-scenario") == 0 &&
            strcmp(words[1], "1") == 0))
        FAIL("first line must be \"%s\"", HEADER);
      saw_header = 1;
      continue;
    }
    if (current == NULL) {
      if (strcmp(words[0], "name") == 0) {
        sc->name[0] = '\0';
        for (int i = 1; i < n; i++) {
          size_t len = strlen(sc->name);
          snprintf(sc->name + len, sizeof sc->name - len, "%s%s",
                   i > 1 ? " " : "", words[i]);
        }
      } else if (strcmp(words[0], "covers") == 0) {
        /* informational */
      } else if (strcmp(words[0], "group") == 0) {
        if (n != 2 ||
            (strcmp(words[1], "zero") != 0 && strcmp(words[1], "context") != 0))
          FAIL("group must be zero or context");
        snprintf(sc->group, sizeof sc->group, "%s", words[1]);
      } else if (strcmp(words[0], "parent") == 0) {
        if (n != 2)
          FAIL("parent takes one word");
        static const char *parents[] = {"background", "cancelable",
                                        "deadline-past", "deadline-soon",
                                        "deadline-far"};
        int ok = 0;
        for (size_t i = 0; i < 5; i++)
          ok |= strcmp(words[1], parents[i]) == 0;
        if (!ok)
          FAIL("unknown parent \"%s\"", words[1]);
        snprintf(sc->parent, sizeof sc->parent, "%s", words[1]);
      } else if (strcmp(words[0], "sides") == 0) {
        if (sc->sides != 0 || n < 2)
          FAIL("sides: one line naming the sides (reference go-package "
               "go-on-c c)");
        for (int i = 1; i < n; i++) {
          int bit = 0;
          for (int k = 0; k < 4; k++)
            if (strcmp(words[i], side_names[k]) == 0)
              bit = 1 << k;
          if (bit == 0 || (sc->sides & bit) != 0)
            FAIL("sides: unknown or repeated side \"%s\"", words[i]);
          sc->sides |= bit;
        }
      } else if (strcmp(words[0], "main") == 0 ||
                 strcmp(words[0], "task") == 0 ||
                 strcmp(words[0], "caller") == 0) {
        enum kind kind = strcmp(words[0], "main") == 0   ? KIND_MAIN
                         : strcmp(words[0], "task") == 0 ? KIND_TASK
                                                         : KIND_CALLER;
        const char *name = "main";
        if (kind == KIND_MAIN) {
          if (n != 1)
            FAIL("main takes no name");
        } else {
          if (n != 2 || !valid_name(words[1]) ||
              strcmp(words[1], "main") == 0 || strcmp(words[1], "order") == 0 ||
              strcmp(words[1], "task-done") == 0)
            FAIL("%s needs one valid name", words[0]);
          name = words[1];
        }
        if (find_flow(sc, name) != NULL)
          FAIL("flow \"%s\" declared twice", name);
        current = add_flow(sc, name, kind);
      } else {
        FAIL("unknown header \"%s\"", words[0]);
      }
      continue;
    }
    if (strcmp(words[0], "end") == 0 && n == 1) {
      current = NULL;
      continue;
    }
    const verb_spec *spec = find_verb(words[0]);
    if (spec == NULL)
      FAIL("unknown step \"%s\"", words[0]);
    if (n - 1 < spec->min || n - 1 > spec->max)
      FAIL("%s takes %d..%d arguments", words[0], spec->min, spec->max);
    if (spec->task_only && current->kind != KIND_TASK)
      FAIL("%s is only allowed in a task", words[0]);
    if (spec->extras && runs_on(sc, SIDE_REFERENCE))
      FAIL("%s is an extras step (the reference has no counterpart): the "
           "scenario needs a line \"sides c go-package\" before its blocks",
           words[0]);
    for (int i = 1; i < n; i++)
      if (!valid_name(words[i]))
        FAIL("bad argument \"%s\"", words[i]);
    if ((!strcmp(words[0], "limit") || !strcmp(words[0], "keep-errors") ||
         !strcmp(words[0], "resize-limit")) &&
        !is_integer(words[1]))
      FAIL("%s needs an integer", words[0]);
    if (!strcmp(words[0], "wait-timeout") && !is_integer(words[1]) &&
        strcmp(words[1], "long") != 0)
      FAIL("wait-timeout needs milliseconds (an integer, -1: forever) or "
           "long");
    if (current->nsteps == current->capsteps) {
      current->capsteps = current->capsteps ? 2 * current->capsteps : 8;
      step *grown = xmalloc(sizeof *grown * (size_t)current->capsteps);
      if (current->nsteps)
        memcpy(grown, current->steps, sizeof *grown * (size_t)current->nsteps);
      free(current->steps);
      current->steps = grown;
    }
    step *s = &current->steps[current->nsteps++];
    snprintf(s->verb, sizeof s->verb, "%s", words[0]);
    s->nargs = n - 1;
    for (int i = 1; i < n; i++)
      snprintf(s->args[i - 1], NAME_LEN, "%s", words[i]);
    s->line = line_no;
  }
  fclose(file);
  file = NULL;
  if (!saw_header)
    FAIL("empty file");
  if (current != NULL)
    FAIL("block \"%s\" has no end", current->name);
  if (find_flow(sc, "main") == NULL)
    FAIL("no main block");
  if (sc->name[0] == '\0')
    FAIL("no name");
  if (strcmp(sc->group, "zero") == 0 && strcmp(sc->parent, "background") != 0)
    FAIL("parent needs group context");
  if (!runs_on(sc, SIDE_C)) {
    char list[64] = "";
    for (int k = 0; k < 4; k++)
      if (sc->sides & (1 << k))
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 list[0] ? " " : "", side_names[k]);
    snprintf(parse_error, sizeof parse_error,
             "%s: not run on the c side: the scenario runs on sides %s only",
             path, list);
    return NULL;
  }
  int declared = sc->nflows;
  for (int i = 0; i < declared; i++) {
    flow *f = sc->flows[i];
    for (int j = 0; j < f->nsteps; j++) {
      step *s = &f->steps[j];
      line_no = s->line;
      const char *a = s->args[0];
      flow *target = s->nargs > 0 ? find_flow(sc, a) : NULL;
      if (!strcmp(s->verb, "go") || !strcmp(s->verb, "try-go") ||
          !strcmp(s->verb, "go-or-skip") ||
          !strcmp(s->verb, "try-go-or-skip") ||
          !strcmp(s->verb, "start-task")) {
        if (target == NULL || target->kind != KIND_TASK)
          FAIL("%s: no task \"%s\"", s->verb, a);
      } else if (!strcmp(s->verb, "start") || !strcmp(s->verb, "join")) {
        if (target == NULL || target->kind != KIND_CALLER)
          FAIL("%s: no caller \"%s\"", s->verb, a);
      } else if (!strcmp(s->verb, "expect-blocked") ||
                 !strcmp(s->verb, "abandon") || !strcmp(s->verb, "freeze") ||
                 !strcmp(s->verb, "thaw")) {
        if (target == NULL || target->kind == KIND_AFTER_FUNC)
          FAIL("%s: no flow \"%s\"", s->verb, a);
      } else if (is_error_verb(s->verb)) {
        if (s->nargs == 1 && strcmp(a, "nil") != 0 && !is_error_name(a))
          FAIL("%s: bad error name \"%s\"", s->verb, a);
      } else if (!strcmp(s->verb, "after-func")) {
        if (target == NULL)
          add_flow(sc, a, KIND_AFTER_FUNC);
        else if (target->kind != KIND_AFTER_FUNC)
          FAIL("after-func name \"%s\" is already a flow", a);
      }
    }
  }
  return sc;
fail:
  if (file != NULL)
    fclose(file);
  return NULL; /* the partial scenario is leaked: the run is failing */
}

/* ------------------------------------------------------------------ run */

/* One lock and one condition for events, flow completion and records. */
static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t big_cond;

typedef struct named_error {
  char name[NAME_LEN];
  eg_error *error;
} named_error;

typedef struct run {
  scenario *sc;
  eg_group *group;
  eg_context *ctx;    /* the group's; NULL for a zero group */
  eg_context *parent; /* NULL for a zero group */
  int parent_cancelable;
  atomic_int limit_epoch; /* bumped by every limit change */
  named_error *errors;
  int nerrors;
  char (*events)[NAME_LEN];
  int nevents, capevents;
  char **order;
  int norder, caporder;
  char **done_log; /* extras: the task-done log, under big_lock */
  int ndone, capdone;
} run;

/* Appends text (owned) to a list of lines, under big_lock. */
static void append_line(char ***lines, int *n, int *cap, char *text) {
  pthread_mutex_lock(&big_lock);
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 8;
    char **grown = xmalloc(sizeof *grown * (size_t)*cap);
    if (*n)
      memcpy(grown, *lines, sizeof *grown * (size_t)*n);
    free(*lines);
    *lines = grown;
  }
  (*lines)[(*n)++] = text;
  pthread_mutex_unlock(&big_lock);
}

static void record(flow *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(text, (size_t)n + 1, fmt, ap);
  va_end(ap);
  append_line(&f->records, &f->nrecords, &f->caprecords, text);
}

static eg_error *error_named(run *r, const char *name) {
  for (int i = 0; i < r->nerrors; i++)
    if (strcmp(r->errors[i].name, name) == 0)
      return r->errors[i].error;
  return NULL;
}

/* Prints an error by identity, never by text. */
static char *name_of(run *r, eg_error *error) {
  if (error == NULL)
    return xstrdup("nil");
  if (error == eg_error_canceled())
    return xstrdup("Canceled");
  if (error == eg_error_deadline_exceeded())
    return xstrdup("DeadlineExceeded");
  for (int i = 0; i < r->nerrors; i++)
    if (r->errors[i].error == error)
      return xstrdup(r->errors[i].name);
  return format("unknown(\"%s\")", eg_error_message(error));
}

static const char *ctx_err_name(int err) {
  switch (err) {
  case 0:
    return "nil";
  case EG_ECANCELED:
    return "canceled";
  case EG_EDEADLINE_EXCEEDED:
    return "deadline-exceeded";
  }
  return "unknown";
}

static char *describe_ctx(run *r, eg_context *ctx) {
  char *cause = name_of(r, eg_context_cause(ctx));
  char *out =
      format("err=%s cause=%s", ctx_err_name(eg_context_err(ctx)), cause);
  free(cause);
  return out;
}

/* Events: a set of names, under big_lock. */
static int event_is_set(run *r, const char *name) {
  for (int i = 0; i < r->nevents; i++)
    if (strcmp(r->events[i], name) == 0)
      return 1;
  return 0;
}

static void signal_event(run *r, const char *name) {
  pthread_mutex_lock(&big_lock);
  if (!event_is_set(r, name)) {
    if (r->nevents == r->capevents) {
      r->capevents = r->capevents ? 2 * r->capevents : 16;
      char(*grown)[NAME_LEN] = xmalloc(NAME_LEN * (size_t)r->capevents);
      if (r->nevents)
        memcpy(grown, r->events, NAME_LEN * (size_t)r->nevents);
      free(r->events);
      r->events = grown;
    }
    snprintf(r->events[r->nevents++], NAME_LEN, "%s", name);
    pthread_cond_broadcast(&big_cond);
  }
  pthread_mutex_unlock(&big_lock);
}

/* Waits under big_lock until pred(r, a) or the timeout; 1 if it holds. */
static int wait_until(int (*pred)(run *, const void *), run *r, const void *a) {
  struct timespec at = abs_time(now_ns() + timeout_ns);
  pthread_mutex_lock(&big_lock);
  int ok;
  while (!(ok = pred(r, a)))
    if (pthread_cond_timedwait(&big_cond, &big_lock, &at) == ETIMEDOUT) {
      ok = pred(r, a);
      break;
    }
  pthread_mutex_unlock(&big_lock);
  return ok;
}

static int pred_event(run *r, const void *a) {
  return event_is_set(r, a);
}

static int pred_finished(run *r, const void *a) {
  (void)r;
  return atomic_load(&((const flow *)a)->finished);
}

static void mark_finished(flow *f) {
  pthread_mutex_lock(&big_lock);
  atomic_store(&f->finished, 1);
  pthread_cond_broadcast(&big_cond);
  pthread_mutex_unlock(&big_lock);
}

/* The scheduling state letter of a thread ('R', 'S', ...), or 0. */
static char thread_state(int tid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  FILE *file = fopen(path, "r");
  if (file == NULL)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, file);
  fclose(file);
  buf[n] = '\0';
  char *paren = strrchr(buf, ')');
  return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

/*
 * A flow is blocked in go when it is inside eg_group_go, every flow that
 * entered eg_group_go under the current limit is counted by the library as
 * blocked on it (so it is one of them), and its thread sleeps. (Flows
 * blocked on a replaced limit stay blocked on it for good and are not
 * counted by the hook.)
 */
static int blocked_in_go(run *r, flow *f) {
  if (!atomic_load(&f->in_go) || atomic_load(&f->finished))
    return 0;
  int inside = 0, epoch = atomic_load(&r->limit_epoch);
  for (int i = 0; i < r->sc->nflows; i++)
    inside += atomic_load(&r->sc->flows[i]->in_go) &&
              atomic_load(&r->sc->flows[i]->go_epoch) == epoch;
  if (eg_testing_blocked_go_callers(r->group) != inside)
    return 0;
  return thread_state(atomic_load(&f->tid)) == 'S';
}

static int poll_until_blocked(run *r, flow *f) {
  int64_t until = now_ns() + timeout_ns;
  while (now_ns() < until) {
    if (blocked_in_go(r, f))
      return 1;
    poll_pause();
  }
  return 0;
}

/* ----------------------------------------------- freeze / thaw (hooks) */

static _Atomic(flow *) freezing;

static void on_freeze(int sig) {
  (void)sig;
  int saved = errno;
  flow *f = atomic_load(&freezing);
  atomic_store(&f->frozen, 1);
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, NULL, &mask);
  sigdelset(&mask, SIGUSR2);
  while (!atomic_load(&f->thaw))
    sigsuspend(&mask);
  atomic_store(&f->thaw, 0);
  atomic_store(&f->frozen, 0);
  errno = saved;
}

static void on_thaw(int sig) {
  (void)sig;
}

static void install_signal_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_freeze;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_thaw;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
}

static int poll_flag(atomic_int *flag, int want) {
  int64_t until = now_ns() + timeout_ns;
  while (atomic_load(flag) != want) {
    if (now_ns() > until)
      return 0;
    poll_pause();
  }
  return 1;
}

/* ---------------------------------------------------------------- flows */

static eg_error *run_flow(flow *f);

static eg_error *task_entry(eg_context *ctx, void *arg) {
  flow *t = arg;
  t->task_ctx = ctx;
  eg_error *error = run_flow(t);
  return error != NULL ? eg_error_retain(error) : NULL;
}

/* A task of start-task: its starter is past the limit once it runs. */
static eg_error *started_task_entry(eg_context *ctx, void *arg) {
  flow *t = arg;
  atomic_store(&t->starter->in_go, 0);
  return task_entry(ctx, t);
}

static void *caller_entry(void *arg) {
  run_flow(arg);
  return NULL;
}

static void after_func_entry(void *arg) {
  flow *af = arg;
  run *r = af->run;
  atomic_store(&af->tid, (int)syscall(SYS_gettid));
  atomic_store(&af->started, 1);
  char *d = describe_ctx(r, r->ctx);
  record(af, "ran ctx %s", d);
  free(d);
  mark_finished(af);
  signal_event(r, af->name);
}

static flow *claim_task(flow *f, const char *name) {
  flow *t = find_flow(f->run->sc, name);
  int expected = 0;
  if (!atomic_compare_exchange_strong(&t->claimed, &expected, 1)) {
    record(f, "%s: task already used", name);
    return NULL;
  }
  return t;
}

/* eg_group_go of task t by flow f, marked as inside go (blocked_in_go). */
static int go_task(flow *f, flow *t) {
  run *r = f->run;
  atomic_store(&f->go_epoch, atomic_load(&r->limit_epoch));
  atomic_store(&f->in_go, 1);
  int rc = eg_group_go(r->group, task_entry, t);
  atomic_store(&f->in_go, 0);
  return rc;
}

/* ------------------------------------------------------ extras (issue 14) */

/* Records "wait..." for a wait that returned `error` (eg_group_wait and the
 * timed waits print the same). */
static void record_wait(flow *f, const char *prefix, eg_error *error) {
  run *r = f->run;
  char *name = name_of(r, error);
  if (r->ctx == NULL)
    record(f, "%serr=%s", prefix, name);
  else
    record(f, "%serr=%s same-as-cause=%s", prefix, name,
           eg_context_cause(r->ctx) == error ? "yes" : "no");
  free(name);
}

/* errors: the kept errors by name, and the drop count. */
static void record_errors(flow *f) {
  run *r = f->run;
  eg_error *kept[64];
  uint64_t dropped = 0;
  int n = eg_group_errors(r->group, kept, 64, &dropped);
  if (n < 0) {
    record(f, "errors failed: %s", eg_strerror(n));
    return;
  }
  char *list = xstrdup("");
  for (int i = 0; i < n && i < 64; i++) {
    char *name = name_of(r, kept[i]);
    char *longer = format("%s%s%s", list, i ? " " : "", name);
    free(name);
    free(list);
    list = longer;
    eg_error_release(kept[i]);
  }
  record(f, "errors [%s%s] dropped=%llu", list, n > 64 ? " ..." : "",
         (unsigned long long)dropped);
  free(list);
}

/* The task-done callback: logs the task's end (the task still counts as
 * active: idle must be no), then signals the event done-<task>. */
static void on_task_done(void *done_arg, void *task_arg, int status,
                         eg_error *error) {
  run *r = done_arg;
  flow *t = NULL;
  for (int i = 0; i < r->sc->nflows; i++)
    if (r->sc->flows[i] == task_arg && r->sc->flows[i]->kind == KIND_TASK)
      t = task_arg;
  char *line;
  if (t == NULL) {
    char *name = name_of(r, error);
    append_line(&r->done_log, &r->ndone, &r->capdone,
                format("unknown task_arg %p err=%s", task_arg, name));
    free(name);
    return;
  }
  if (status == EG_ESKIPPED) {
    line = format("%s skipped", t->name);
  } else {
    char *name = name_of(r, error);
    int idle = eg_group_idle(r->group);
    line = status == EG_OK
               ? format("%s err=%s idle=%s", t->name, name,
                        idle == 1 ? "yes" : "no")
               : format("%s status=%s", t->name, eg_strerror(status));
    free(name);
  }
  append_line(&r->done_log, &r->ndone, &r->capdone, line);
  char event[NAME_LEN + 8];
  snprintf(event, sizeof event, "done-%s", t->name);
  signal_event(r, event);
}

/*
 * The extras steps (compat/README.md, "Extras"): liberrgroup's API beyond
 * the reference. Returns 1 when the flow ends, 0 to go on, -1 for a verb
 * that is not one of them.
 */
static int extras_step(flow *f, step *s) {
  run *r = f->run;
  const char *a = s->args[0];
  const char *v = s->verb;
  if (!strcmp(v, "cancel")) {
    int rc =
        eg_group_cancel(r->group, s->nargs == 0 ? NULL : error_named(r, a));
    if (rc != EG_OK)
      record(f, "cancel failed: %s", eg_strerror(rc));
    else if (s->nargs == 0)
      record(f, "cancel");
    else
      record(f, "cancel %s", a);
  } else if (!strcmp(v, "canceled")) {
    int rc = eg_group_canceled(r->group);
    if (rc < 0)
      record(f, "canceled failed: %s", eg_strerror(rc));
    else
      record(f, "canceled %s", rc ? "yes" : "no");
  } else if (!strcmp(v, "idle")) {
    int rc = eg_group_idle(r->group);
    if (rc < 0)
      record(f, "idle failed: %s", eg_strerror(rc));
    else
      record(f, "idle %s", rc ? "yes" : "no");
  } else if (!strcmp(v, "wait-timeout")) {
    int is_long = !strcmp(a, "long");
    int64_t ns = is_long        ? timeout_ns
                 : atoll(a) < 0 ? -1
                                : atoll(a) * 1000000LL;
    eg_error *result = NULL;
    int rc = eg_group_wait_timeout(r->group, ns, &result);
    char *prefix = format("wait-timeout %s -> ", a);
    if (rc == EG_OK)
      record_wait(f, prefix, result);
    else if (rc == EG_ETIMEDOUT && is_long)
      record(f, "wait-timeout long: TIMEOUT");
    else if (rc == EG_ETIMEDOUT)
      record(f, "%stimed-out", prefix);
    else
      record(f, "%sfailed: %s", prefix, eg_strerror(rc));
    free(prefix);
    if (rc == EG_ETIMEDOUT && is_long)
      return 1;
  } else if (!strcmp(v, "keep-errors")) {
    long long n = atoll(a);
    int rc = n < 0 ? EG_EINVAL : eg_group_keep_errors(r->group, (size_t)n);
    record(f, "keep-errors %lld -> %s", n, rc == EG_OK ? "ok" : "refused");
  } else if (!strcmp(v, "errors")) {
    record_errors(f);
  } else if (!strcmp(v, "resize-limit")) {
    int n = atoi(a);
    int rc = eg_group_resize_limit(r->group, n);
    if (rc == EG_OK || rc == EG_EBUSY)
      record(f, "resize-limit %d -> %s", n, rc == EG_OK ? "ok" : "refused");
    else
      record(f, "resize-limit %d -> failed: %s", n, eg_strerror(rc));
  } else if (!strcmp(v, "skip-when-canceled")) {
    int rc = eg_group_skip_when_canceled(r->group);
    record(f, "skip-when-canceled -> %s", rc == EG_OK ? "ok" : "refused");
  } else if (!strcmp(v, "skipped")) {
    int64_t n = eg_group_skipped(r->group);
    if (n < 0)
      record(f, "skipped failed: %s", eg_strerror((int)n));
    else
      record(f, "skipped %lld", (long long)n);
  } else if (!strcmp(v, "go-or-skip")) {
    flow *t = claim_task(f, a);
    if (t == NULL)
      return 0;
    int rc = go_task(f, t);
    if (rc == EG_OK)
      atomic_store(&t->launched, 1);
    if (rc == EG_OK || rc == EG_ESKIPPED)
      record(f, "go-or-skip %s -> %s", a, rc == EG_OK ? "started" : "skipped");
    else
      record(f, "go-or-skip %s failed: %s", a, eg_strerror(rc));
  } else if (!strcmp(v, "try-go-or-skip")) {
    flow *t = claim_task(f, a);
    if (t == NULL)
      return 0;
    int rc = eg_group_try_go(r->group, task_entry, t);
    if (rc == 1)
      atomic_store(&t->launched, 1);
    else if (rc == 0)
      atomic_store(&t->claimed, 0);
    if (rc == 1 || rc == 0 || rc == EG_ESKIPPED)
      record(f, "try-go-or-skip %s -> %s", a,
             rc == 1   ? "true"
             : rc == 0 ? "false"
                       : "skipped");
    else
      record(f, "try-go-or-skip %s failed: %s", a, eg_strerror(rc));
  } else if (!strcmp(v, "start-task")) {
    flow *t = claim_task(f, a);
    if (t == NULL)
      return 0;
    t->is_started = 1;
    t->starter = f;
    atomic_store(&t->launched, 1);
    atomic_store(&f->go_epoch, atomic_load(&r->limit_epoch));
    atomic_store(&f->in_go, 1);
    eg_error *task_error = NULL;
    int rc = eg_group_start(r->group, started_task_entry, t, &task_error);
    atomic_store(&f->in_go, 0);
    if (rc < 0)
      atomic_store(&t->launched, 0);
    if (rc == 1) {
      record(f, "start-task %s -> ready", a);
    } else if (rc == 0) {
      char *name = name_of(r, task_error);
      record(f, "start-task %s -> returned err=%s", a, name);
      free(name);
    } else if (rc == EG_ESKIPPED) {
      record(f, "start-task %s -> skipped", a);
    } else {
      record(f, "start-task %s failed: %s", a, eg_strerror(rc));
    }
    eg_error_release(task_error);
  } else if (!strcmp(v, "ready")) {
    int rc = eg_task_ready(f->task_ctx);
    if (rc >= 0 && f->is_started)
      record(f, "ready");
    else if (rc == EG_EINVAL && !f->is_started)
      record(f, "ready: not a started task");
    else
      record(f, "ready -> unexpected %d", rc);
  } else if (!strcmp(v, "task-ctx")) {
    eg_context *ctx = f->is_started ? f->task_ctx : r->ctx;
    if (ctx == NULL) {
      record(f, "task-ctx none");
    } else {
      char *d = describe_ctx(r, ctx);
      record(f, "task-ctx %s", d);
      free(d);
    }
  } else if (!strcmp(v, "wait-task-ctx-done")) {
    eg_context *ctx = f->is_started ? f->task_ctx : r->ctx;
    if (ctx == NULL) {
      record(f, "wait-task-ctx-done: no context");
    } else if (eg_context_wait(ctx, timeout_ns) != EG_OK) {
      record(f, "wait-task-ctx-done: TIMEOUT");
      return 1;
    }
  } else if (!strcmp(v, "on-task-done")) {
    int rc = eg_group_on_task_done(r->group, on_task_done, r);
    record(f, "on-task-done -> %s", rc == EG_OK ? "ok" : "refused");
  } else {
    return -1;
  }
  return 0;
}

/* Runs one step; returns 1 when the flow ends (*ret is its result). */
static int do_step(flow *f, step *s, eg_error **ret) {
  run *r = f->run;
  const char *a = s->args[0];
  const char *v = s->verb;
  if (!strcmp(v, "go")) {
    flow *t = claim_task(f, a);
    if (t == NULL)
      return 0;
    int rc = go_task(f, t);
    if (rc != EG_OK) {
      record(f, "go %s failed: %s", a, eg_strerror(rc));
    } else {
      atomic_store(&t->launched, 1);
      record(f, "go %s", a);
    }
  } else if (!strcmp(v, "try-go")) {
    flow *t = claim_task(f, a);
    if (t == NULL)
      return 0;
    int rc = eg_group_try_go(r->group, task_entry, t);
    if (rc == 1)
      atomic_store(&t->launched, 1);
    else
      atomic_store(&t->claimed, 0);
    if (rc < 0)
      record(f, "try-go %s failed: %s", a, eg_strerror(rc));
    else
      record(f, "try-go %s -> %s", a, rc == 1 ? "true" : "false");
  } else if (!strcmp(v, "wait")) {
    record_wait(f, "wait ", eg_group_wait(r->group));
  } else if (!strcmp(v, "limit")) {
    int n = atoi(a);
    eg_error *refusal = NULL;
    int rc = eg_group_set_limit(r->group, n, &refusal);
    if (rc == EG_OK)
      atomic_fetch_add(&r->limit_epoch, 1);
    if (rc == EG_OK)
      record(f, "limit %d -> ok", n);
    else if (rc == EG_EBUSY && refusal != NULL)
      record(f, "limit %d -> refused: %s", n, eg_error_message(refusal));
    else
      record(f, "limit %d -> failed: %s", n, eg_strerror(rc));
    eg_error_release(refusal);
  } else if (!strcmp(v, "signal")) {
    signal_event(r, a);
  } else if (!strcmp(v, "wait-for")) {
    if (!wait_until(pred_event, r, a)) {
      record(f, "wait-for %s: TIMEOUT", a);
      return 1;
    }
  } else if (!strcmp(v, "wait-ctx-done")) {
    if (r->ctx == NULL) {
      record(f, "wait-ctx-done: no context");
    } else if (eg_context_wait(r->ctx, timeout_ns) != EG_OK) {
      record(f, "wait-ctx-done: TIMEOUT");
      return 1;
    }
  } else if (!strcmp(v, "ctx") || !strcmp(v, "parent")) {
    eg_context *ctx = !strcmp(v, "ctx") ? r->ctx : r->parent;
    if (ctx == NULL) {
      record(f, "%s none", v);
    } else {
      char *d = describe_ctx(r, ctx);
      record(f, "%s %s", v, d);
      free(d);
    }
  } else if (!strcmp(v, "deadline")) {
    int64_t d = 0, pd = 0;
    if (r->ctx == NULL) {
      record(f, "deadline none");
    } else {
      int has = eg_context_deadline(r->ctx, &d);
      int parent_has = eg_context_deadline(r->parent, &pd);
      if (!has && !parent_has)
        record(f, "deadline none");
      else if (has == 1 && parent_has == 1 && d == pd)
        record(f, "deadline same-as-parent");
      else
        record(f, "deadline differs");
    }
  } else if (!strcmp(v, "cancel-parent")) {
    if (!r->parent_cancelable)
      record(f, "cancel-parent: parent is not cancelable");
    else
      eg_context_cancel(r->parent, s->nargs == 0 ? NULL : error_named(r, a));
  } else if (!strcmp(v, "log")) {
    append_line(&r->order, &r->norder, &r->caporder, xstrdup(a));
  } else if (!strcmp(v, "start")) {
    flow *c = find_flow(r->sc, a);
    int expected = 0;
    if (!atomic_compare_exchange_strong(&c->launched, &expected, 1)) {
      record(f, "start %s: already started", a);
      return 0;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (pthread_create(&thread, &attr, caller_entry, c) != 0) {
      fprintf(stderr, "eg_compat_runner: pthread_create failed\n");
      exit(3);
    }
    pthread_attr_destroy(&attr);
  } else if (!strcmp(v, "join")) {
    if (!wait_until(pred_finished, r, find_flow(r->sc, a))) {
      record(f, "join %s: TIMEOUT", a);
      return 1;
    }
  } else if (!strcmp(v, "expect-blocked")) {
    if (poll_until_blocked(r, find_flow(r->sc, a))) {
      record(f, "%s blocked in go", a);
    } else {
      record(f, "expect-blocked %s: TIMEOUT", a);
      return 1;
    }
  } else if (!strcmp(v, "abandon")) {
    atomic_store(&find_flow(r->sc, a)->abandoned, 1);
  } else if (!strcmp(v, "after-func")) {
    if (r->ctx == NULL) {
      record(f, "after-func %s: no context", a);
      return 0;
    }
    flow *af = find_flow(r->sc, a);
    int expected = 0;
    if (!atomic_compare_exchange_strong(&af->launched, &expected, 1)) {
      record(f, "after-func %s: already registered", a);
      return 0;
    }
    pthread_mutex_lock(&big_lock);
    af->after_state = 1;
    pthread_mutex_unlock(&big_lock);
    int rc =
        eg_context_after_func(r->ctx, after_func_entry, af, &af->after_handle);
    if (rc != EG_OK)
      record(f, "after-func %s failed: %s", a, eg_strerror(rc));
  } else if (!strcmp(v, "after-func-stop")) {
    flow *af = find_flow(r->sc, a);
    if (af == NULL || af->kind != KIND_AFTER_FUNC || af->after_handle == NULL) {
      record(f, "after-func-stop %s: not registered", a);
      return 0;
    }
    int stopped = eg_after_func_stop(af->after_handle);
    af->after_handle = NULL;
    if (stopped == 1) {
      pthread_mutex_lock(&big_lock);
      af->after_state = 2;
      pthread_mutex_unlock(&big_lock);
      record(f, "after-func-stop %s -> stopped", a);
    } else {
      record(f, "after-func-stop %s -> not-stopped", a);
    }
  } else if (!strcmp(v, "freeze")) {
    /* Stops the flow's thread in a signal handler while it sleeps (so it
     * holds no lock of the library), until thaw. */
    flow *target = find_flow(r->sc, a);
    int64_t until = now_ns() + timeout_ns;
    while (!(atomic_load(&target->started) &&
             thread_state(atomic_load(&target->tid)) == 'S')) {
      if (now_ns() > until) {
        record(f, "freeze %s: TIMEOUT", a);
        return 1;
      }
      poll_pause();
    }
    atomic_store(&freezing, target);
    pthread_kill(target->thread, SIGUSR1);
    if (!poll_flag(&target->frozen, 1)) {
      record(f, "freeze %s: TIMEOUT", a);
      return 1;
    }
  } else if (!strcmp(v, "thaw")) {
    flow *target = find_flow(r->sc, a);
    atomic_store(&target->thaw, 1);
    pthread_kill(target->thread, SIGUSR2);
    if (!poll_flag(&target->frozen, 0)) {
      record(f, "thaw %s: TIMEOUT", a);
      return 1;
    }
  } else if (!strcmp(v, "settle")) {
    /* Until the library counts no go caller as blocked on the limit: the
     * freed slot was handed over (or, were it broken, released) under the
     * limit's lock, so what try-go sees next no longer depends on timing. */
    int64_t until = now_ns() + timeout_ns;
    while (eg_testing_blocked_go_callers(r->group) != 0) {
      if (now_ns() > until) {
        record(f, "settle: TIMEOUT");
        return 1;
      }
      poll_pause();
    }
  } else if (!strcmp(v, "return")) {
    record(f, "return %s", a);
    *ret = strcmp(a, "nil") == 0 ? NULL : error_named(r, a);
    return 1;
  } else {
    int rc = extras_step(f, s);
    if (rc >= 0)
      return rc;
    record(f, "internal: unknown step %s", v);
  }
  return 0;
}

static eg_error *run_flow(flow *f) {
  atomic_store(&f->tid, (int)syscall(SYS_gettid));
  f->thread = pthread_self();
  atomic_store(&f->started, 1);
  if (f->kind == KIND_TASK)
    record(f, "started");
  eg_error *ret = NULL;
  int i;
  for (i = 0; i < f->nsteps; i++)
    if (do_step(f, &f->steps[i], &ret))
      break;
  if (i == f->nsteps && f->kind == KIND_TASK)
    record(f, "return nil");
  mark_finished(f);
  return ret;
}

/* --------------------------------------------------------- one scenario */

static int pred_all_done(run *r, const void *a) {
  (void)a;
  for (int i = 0; i < r->sc->nflows; i++) {
    flow *f = r->sc->flows[i];
    if (f->kind == KIND_AFTER_FUNC) {
      if (f->after_state == 1 && eg_context_done(r->ctx) &&
          !atomic_load(&f->finished))
        return 0;
    } else if (atomic_load(&f->launched) && !atomic_load(&f->abandoned) &&
               !atomic_load(&f->finished)) {
      return 0;
    }
  }
  return 1;
}

static void add_error(run *r, const char *name) {
  if (!is_error_name(name) || error_named(r, name) != NULL)
    return;
  r->errors = realloc(r->errors, sizeof *r->errors * (size_t)(r->nerrors + 1));
  if (r->errors == NULL)
    exit(3);
  snprintf(r->errors[r->nerrors].name, NAME_LEN, "%s", name);
  r->errors[r->nerrors].error = eg_error_new(0, name);
  r->nerrors++;
}

static void print_flow(flow *f) {
  if (f->kind != KIND_MAIN && !atomic_load(&f->started)) {
    printf("%s: %s\n", f->name,
           f->kind == KIND_AFTER_FUNC ? "never ran" : "never started");
    return;
  }
  for (int i = 0; i < f->nrecords; i++)
    printf("%s: %s\n", f->name, f->records[i]);
  if (atomic_load(&f->abandoned))
    printf("%s: abandoned\n", f->name);
  else if (!atomic_load(&f->finished))
    printf("%s: unfinished\n", f->name);
}

static void run_scenario(scenario *sc) {
  run *r = xmalloc(sizeof *r);
  r->sc = sc;
  for (int i = 0; i < sc->nflows; i++) {
    flow *f = sc->flows[i];
    f->run = r;
    for (int j = 0; j < f->nsteps; j++)
      if (is_error_verb(f->steps[j].verb))
        for (int k = 0; k < f->steps[j].nargs; k++)
          add_error(r, f->steps[j].args[k]);
  }
  if (!strcmp(sc->group, "zero")) {
    if (eg_group_new(&r->group) != EG_OK)
      exit(3);
  } else {
    int rc = EG_OK;
    eg_context *bg = eg_context_background();
    if (!strcmp(sc->parent, "background")) {
      r->parent = bg;
    } else if (!strcmp(sc->parent, "cancelable")) {
      rc = eg_context_with_cancel(bg, &r->parent);
      r->parent_cancelable = 1;
    } else if (!strcmp(sc->parent, "deadline-past")) {
      rc = eg_context_with_deadline(bg, eg_now_ns() - 1000000000LL, &r->parent);
    } else if (!strcmp(sc->parent, "deadline-soon")) {
      rc = eg_context_with_timeout(bg, 20000000LL, &r->parent);
    } else {
      rc = eg_context_with_timeout(bg, 3600LL * 1000000000LL, &r->parent);
    }
    if (rc != EG_OK || eg_group_with_context(r->parent, &r->group, &r->ctx))
      exit(3);
  }
  flow *main_flow = find_flow(sc, "main");
  atomic_store(&main_flow->launched, 1);
  run_flow(main_flow);
  int clean = wait_until(pred_all_done, r, NULL);

  printf("scenario %s\n", sc->name);
  pthread_mutex_lock(&big_lock);
  print_flow(main_flow);
  for (int i = 0; i < sc->nflows; i++)
    if (sc->flows[i] != main_flow)
      print_flow(sc->flows[i]);
  for (int i = 0; i < r->ndone; i++)
    printf("task-done: %s\n", r->done_log[i]);
  if (r->norder > 0) {
    printf("order:");
    for (int i = 0; i < r->norder; i++)
      printf(" %s", r->order[i]);
    printf("\n");
  }
  for (int i = 0; i < sc->nflows; i++)
    clean &= !atomic_load(&sc->flows[i]->abandoned);
  pthread_mutex_unlock(&big_lock);
  fflush(stdout);
  /* Give the group and contexts back when nothing can still use them; with
   * abandoned or unfinished flows everything is kept (they may wake up).
   * The scenario's own memory is small and kept either way. */
  if (clean) {
    eg_group_free(r->group);
    eg_context_release(r->ctx);
    eg_context_release(r->parent);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: eg_compat_runner FILE...\n");
    return 2;
  }
  const char *env = getenv("EG_COMPAT_TIMEOUT_MS");
  if (env != NULL && atoi(env) > 0)
    timeout_ns = (int64_t)atoi(env) * 1000000LL;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&big_cond, &attr);
  pthread_condattr_destroy(&attr);
  install_signal_handlers();
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  int status = 0;
  for (int i = 1; i < argc; i++) {
    printf("### %s\n", argv[i]);
    scenario *sc = parse_scenario(argv[i]);
    if (sc == NULL) {
      printf("parse error: %s\n", parse_error);
      fprintf(stderr, "eg_compat_runner: %s\n", parse_error);
      status = 1;
    } else {
      run_scenario(sc);
    }
    printf("### end\n");
    fflush(stdout);
  }
  return status;
}
