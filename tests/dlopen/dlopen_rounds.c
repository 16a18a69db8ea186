/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loads and unloads liberrgroup.so.1 at run time, several rounds:
 *
 *   dlopen -> resolve every public function -> run groups, contexts and
 *   errors through the function pointers -> dlclose -> again.
 *
 * The pool keeps its threads between rounds, so from the second round on
 * the library is opened while threads started by the previous round are
 * still parked inside it. The library is linked with -z nodelete: dlclose
 * leaves it mapped (checked below with RTLD_NOLOAD), so those threads never
 * run unmapped code. One round also shuts the pool down before dlclose, and
 * the next round must restart it.
 *
 * The table of public functions below is checked against the version
 * script (every name, in its version node, nothing missing or extra), and
 * each function is resolved both with dlsym and with dlvsym under its node.
 * The pointers are typed from the header's own prototypes (__typeof__), so
 * a signature change in the header changes the test's calls too.
 *
 * This program does not link liberrgroup: it only includes the headers.
 *
 * Usage: errgroup_dlopen LIBRARY VERSION_SCRIPT
 *   LIBRARY         "liberrgroup.so.1" (found through LD_LIBRARY_PATH) or a
 *                   path to the library
 *   VERSION_SCRIPT  c/errgroup.map
 */
#define _GNU_SOURCE /* dlvsym */

#include "errgroup.h"
#include "errgroup_async.h"

#include <dlfcn.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------
 * The public functions and their version nodes
 * ------------------------------------------------------------------------ */

#define EG_STABLE_NODE "LIBERRGROUP_1.0"
#define EG_STABLE_1_1_NODE "LIBERRGROUP_1.1"
#define EG_EXPERIMENTAL_NODE "LIBERRGROUP_EXPERIMENTAL"

/* X(name, node) for every EG_API function of include/errgroup.h and
 * include/errgroup_async.h. */
#define EG_PUBLIC_FUNCTIONS(X)                                                 \
  X(eg_version, EG_STABLE_NODE)                                                \
  X(eg_version_string, EG_STABLE_NODE)                                         \
  X(eg_strerror, EG_STABLE_NODE)                                               \
  X(eg_error_new, EG_STABLE_NODE)                                              \
  X(eg_error_wrap, EG_STABLE_NODE)                                             \
  X(eg_error_retain, EG_STABLE_NODE)                                           \
  X(eg_error_release, EG_STABLE_NODE)                                          \
  X(eg_error_code, EG_STABLE_NODE)                                             \
  X(eg_error_message, EG_STABLE_NODE)                                          \
  X(eg_error_payload, EG_STABLE_NODE)                                          \
  X(eg_error_canceled, EG_STABLE_NODE)                                         \
  X(eg_error_deadline_exceeded, EG_STABLE_NODE)                                \
  X(eg_error_nomem, EG_STABLE_NODE)                                            \
  X(eg_context_background, EG_STABLE_NODE)                                     \
  X(eg_context_with_cancel, EG_STABLE_NODE)                                    \
  X(eg_context_with_deadline, EG_STABLE_NODE)                                  \
  X(eg_context_with_timeout, EG_STABLE_NODE)                                   \
  X(eg_context_retain, EG_STABLE_NODE)                                         \
  X(eg_context_release, EG_STABLE_NODE)                                        \
  X(eg_context_cancel, EG_STABLE_NODE)                                         \
  X(eg_context_done, EG_STABLE_NODE)                                           \
  X(eg_context_wait, EG_STABLE_NODE)                                           \
  X(eg_context_err, EG_STABLE_NODE)                                            \
  X(eg_context_cause, EG_STABLE_NODE)                                          \
  X(eg_context_deadline, EG_STABLE_NODE)                                       \
  X(eg_context_fd, EG_STABLE_NODE)                                             \
  X(eg_context_after_func, EG_STABLE_NODE)                                     \
  X(eg_after_func_stop, EG_STABLE_NODE)                                        \
  X(eg_now_ns, EG_STABLE_NODE)                                                 \
  X(eg_group_new, EG_STABLE_NODE)                                              \
  X(eg_group_with_context, EG_STABLE_NODE)                                     \
  X(eg_group_go, EG_STABLE_NODE)                                               \
  X(eg_group_try_go, EG_STABLE_NODE)                                           \
  X(eg_group_set_limit, EG_STABLE_NODE)                                        \
  X(eg_group_set_workers, EG_STABLE_NODE)                                      \
  X(eg_group_wait, EG_STABLE_NODE)                                             \
  X(eg_group_free, EG_STABLE_NODE)                                             \
  X(eg_pool_set_stack_size, EG_STABLE_NODE)                                    \
  X(eg_pool_shutdown, EG_STABLE_NODE)                                          \
  X(eg_pool_set_max_threads, EG_STABLE_1_1_NODE)                               \
  X(eg_pool_threads, EG_STABLE_1_1_NODE)                                       \
  X(eg_group_cancel, EG_STABLE_1_1_NODE)                                       \
  X(eg_group_canceled, EG_STABLE_1_1_NODE)                                     \
  X(eg_group_keep_errors, EG_STABLE_1_1_NODE)                                  \
  X(eg_group_errors, EG_STABLE_1_1_NODE)                                       \
  X(eg_group_on_task_done, EG_STABLE_1_1_NODE)                                 \
  X(eg_group_skip_when_canceled, EG_STABLE_1_1_NODE)                           \
  X(eg_group_skipped, EG_STABLE_1_1_NODE)                                      \
  X(eg_group_wait_timeout, EG_STABLE_1_1_NODE)                                 \
  X(eg_group_wait_deadline, EG_STABLE_1_1_NODE)                                \
  X(eg_group_idle, EG_STABLE_1_1_NODE)                                         \
  X(eg_group_resize_limit, EG_STABLE_1_1_NODE)                                 \
  X(eg_group_start, EG_STABLE_1_1_NODE)                                        \
  X(eg_task_ready, EG_STABLE_1_1_NODE)                                         \
  X(eg_group_admit, EG_EXPERIMENTAL_NODE)                                      \
  X(eg_group_try_admit, EG_EXPERIMENTAL_NODE)                                  \
  X(eg_group_external_done, EG_EXPERIMENTAL_NODE)                              \
  X(eg_group_external_record, EG_EXPERIMENTAL_NODE)                            \
  X(eg_group_wait_async, EG_EXPERIMENTAL_NODE)                                 \
  X(eg_error_payload_release, EG_EXPERIMENTAL_NODE)                            \
  X(eg_pool_blocking_begin, EG_EXPERIMENTAL_NODE)                              \
  X(eg_pool_blocking_end, EG_EXPERIMENTAL_NODE)

/* One typed pointer per function, typed by the header's prototype. The
 * __typeof__ operand is not evaluated: nothing here references the
 * library's symbols at link time. */
struct eg_api {
#define EG_API_FIELD(name, node) __typeof__(name) *name;
  EG_PUBLIC_FUNCTIONS(EG_API_FIELD)
#undef EG_API_FIELD
};

struct public_function {
  const char *name;
  const char *node;
  size_t offset; /* of its pointer in struct eg_api */
};

static const struct public_function public_functions[] = {
#define EG_API_ENTRY(name, node) {#name, node, offsetof(struct eg_api, name)},
    EG_PUBLIC_FUNCTIONS(EG_API_ENTRY)
#undef EG_API_ENTRY
};

enum {
  PUBLIC_FUNCTION_COUNT =
      sizeof(public_functions) / sizeof(public_functions[0]),
  ROUNDS = 5,
  ROUND_THAT_SHUTS_THE_POOL_DOWN = 2,
  TASKS_PER_GROUP = 16,
  WAITING_TASKS = 4
};

static int failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "dlopen_rounds: %s:%d: check failed: %s\n", __FILE__,    \
              __LINE__, #cond);                                                \
      failures++;                                                              \
      return 1;                                                                \
    }                                                                          \
  } while (0)

/* ---------------------------------------------------------------------------
 * The version script: every global symbol with its node
 * ------------------------------------------------------------------------ */

struct map_symbol {
  char name[64];
  char node[64];
};

static struct map_symbol map_symbols[128];
static int map_symbol_count;

static char *read_whole_file(const char *path) {
  FILE *file = fopen(path, "rb");
  char *text = NULL;
  long size;
  if (file == NULL)
    return NULL;
  if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 &&
      fseek(file, 0, SEEK_SET) == 0 &&
      (text = malloc((size_t)size + 1)) != NULL) {
    size_t got = fread(text, 1, (size_t)size, file);
    text[got] = '\0';
  }
  fclose(file);
  return text;
}

/* Splits the script into words (names, "*", node names with dots) and the
 * punctuation { } ; : , skipping C comments. Returns the next token's
 * length (0 at the end); *cursor moves past it. */
static size_t next_map_token(const char **cursor, const char **token) {
  const char *p = *cursor;
  size_t length;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      p++;
    if (p[0] == '/' && p[1] == '*') {
      const char *end = strstr(p + 2, "*/");
      p = end != NULL ? end + 2 : p + strlen(p);
      continue;
    }
    break;
  }
  *token = p;
  if (*p == '\0') {
    length = 0;
  } else if (strchr("{};:", *p) != NULL) {
    length = 1;
  } else {
    length = strcspn(p, " \t\r\n{};:");
  }
  *cursor = p + length;
  return length;
}

/* Fills map_symbols from the global: sections of every node. */
static int parse_version_script(const char *path) {
  char *text = read_whole_file(path);
  const char *cursor = text;
  const char *token;
  size_t length;
  char node[64] = "";
  char previous[64] = "";
  int depth = 0, in_global = 0;

  if (text == NULL) {
    fprintf(stderr, "dlopen_rounds: cannot read %s\n", path);
    return -1;
  }
  while ((length = next_map_token(&cursor, &token)) != 0) {
    if (length >= sizeof(previous)) {
      free(text);
      return -1;
    }
    if (*token == '{') {
      depth++;
      snprintf(node, sizeof(node), "%s", previous);
      in_global = 0;
    } else if (*token == '}') {
      depth--;
      in_global = 0;
    } else if (*token == ':') {
      in_global = strcmp(previous, "global") == 0;
    } else if (*token == ';') {
      if (depth == 1 && in_global && previous[0] != '\0') {
        if (map_symbol_count ==
            (int)(sizeof(map_symbols) / sizeof(map_symbols[0]))) {
          free(text);
          return -1;
        }
        snprintf(map_symbols[map_symbol_count].name,
                 sizeof(map_symbols[0].name), "%s", previous);
        snprintf(map_symbols[map_symbol_count].node,
                 sizeof(map_symbols[0].node), "%s", node);
        map_symbol_count++;
      }
    }
    if (strchr("{};:", *token) != NULL) {
      previous[0] = '\0';
    } else {
      memcpy(previous, token, length);
      previous[length] = '\0';
    }
  }
  free(text);
  return depth == 0 ? 0 : -1;
}

/* The table above and the version script must list the same functions in
 * the same nodes. */
static int check_table_against_version_script(const char *path) {
  int i, j, mismatches = 0;
  if (parse_version_script(path) != 0) {
    fprintf(stderr, "dlopen_rounds: cannot parse %s\n", path);
    return 1;
  }
  for (i = 0; i < PUBLIC_FUNCTION_COUNT; i++) {
    int found = 0;
    for (j = 0; j < map_symbol_count; j++) {
      if (strcmp(map_symbols[j].name, public_functions[i].name) == 0) {
        found = 1;
        if (strcmp(map_symbols[j].node, public_functions[i].node) != 0) {
          fprintf(stderr, "dlopen_rounds: %s is in %s in %s, %s here\n",
                  public_functions[i].name, map_symbols[j].node, path,
                  public_functions[i].node);
          mismatches++;
        }
      }
    }
    if (!found) {
      fprintf(stderr, "dlopen_rounds: %s is missing from %s\n",
              public_functions[i].name, path);
      mismatches++;
    }
  }
  for (j = 0; j < map_symbol_count; j++) {
    int found = 0;
    for (i = 0; i < PUBLIC_FUNCTION_COUNT; i++)
      found |= strcmp(map_symbols[j].name, public_functions[i].name) == 0;
    if (!found) {
      fprintf(stderr,
              "dlopen_rounds: %s (%s in %s) is not in this test's "
              "table: add it to EG_PUBLIC_FUNCTIONS\n",
              map_symbols[j].name, map_symbols[j].node, path);
      mismatches++;
    }
  }
  if (mismatches == 0)
    printf("version script: %d functions, all in the table, same nodes\n",
           map_symbol_count);
  return mismatches != 0;
}

/* ---------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */

/* Resolves every public function with dlsym and, under its version node,
 * with dlvsym; both must agree. */
static int resolve_api(void *handle, struct eg_api *api) {
  int i, missing = 0;
  for (i = 0; i < PUBLIC_FUNCTION_COUNT; i++) {
    const struct public_function *f = &public_functions[i];
    void *by_name = dlsym(handle, f->name);
    void *by_version = dlvsym(handle, f->name, f->node);
    if (by_name == NULL || by_version == NULL || by_name != by_version) {
      fprintf(stderr, "dlopen_rounds: %s@%s: dlsym %p, dlvsym %p (%s)\n",
              f->name, f->node, by_name, by_version, dlerror());
      missing++;
      continue;
    }
    /* ISO C has no cast from void * to a function pointer; POSIX guarantees
     * the representations match, so copy the bytes. */
    memcpy((char *)api + f->offset, &by_name, sizeof(by_name));
  }
  return missing;
}

/* ---------------------------------------------------------------------------
 * The work done in each round, through the function pointers only
 * ------------------------------------------------------------------------ */

static const struct eg_api *lib; /* the current round's functions */

static atomic_int tasks_run;
static atomic_int tasks_saw_cancellation;
static atomic_int payloads_released;
static int payload_token = 42;

static eg_error *count_task(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  atomic_fetch_add(&tasks_run, 1);
  return NULL;
}

/* Blocks until the group's context is canceled by the failing task. */
static eg_error *wait_for_cancellation_task(eg_context *ctx, void *arg) {
  (void)arg;
  if (lib->eg_context_wait(ctx, -1) == EG_OK &&
      lib->eg_context_err(ctx) == EG_ECANCELED)
    atomic_fetch_add(&tasks_saw_cancellation, 1);
  return NULL;
}

static void release_payload(void *payload) {
  if (payload == &payload_token)
    atomic_fetch_add(&payloads_released, 1);
}

static eg_error *failing_task(eg_context *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return lib->eg_error_wrap(7, "boom", &payload_token, release_payload);
}

/* An after-function: cancels the context it is given and drops the
 * reference it was given with it (a context must stay referenced while
 * eg_context_cancel runs on it, and the waiter may release its own
 * reference as soon as it wakes). The functions are read from `lib` before
 * the cancellation wakes the round's thread, which may then end the round
 * while this thread is still inside the library: the case -z nodelete is
 * about. */
static void cancel_context_after(void *arg) {
  int (*cancel)(eg_context *, eg_error *) = lib->eg_context_cancel;
  void (*release)(eg_context *) = lib->eg_context_release;
  cancel((eg_context *)arg, NULL);
  release((eg_context *)arg);
}

static int check_version(void) {
  CHECK(lib->eg_version() == EG_VERSION_NUMBER);
  CHECK(strcmp(lib->eg_version_string(), EG_VERSION_STRING) == 0);
  CHECK(strcmp(lib->eg_strerror(EG_ECANCELED), "context canceled") == 0);
  return 0;
}

/* A plain group: every task runs, wait reports success. */
static int run_plain_group(void) {
  eg_group *group = NULL;
  int i;
  atomic_store(&tasks_run, 0);
  CHECK(lib->eg_group_new(&group) == EG_OK);
  for (i = 0; i < TASKS_PER_GROUP; i++)
    CHECK(lib->eg_group_go(group, count_task, NULL) == EG_OK);
  CHECK(lib->eg_group_try_go(group, count_task, NULL) == 1);
  CHECK(lib->eg_group_wait(group) == NULL);
  CHECK(atomic_load(&tasks_run) == TASKS_PER_GROUP + 1);
  /* A limit while idle is accepted; the group is reusable. */
  CHECK(lib->eg_group_set_limit(group, 1, NULL) == EG_OK);
  CHECK(lib->eg_group_go(group, count_task, NULL) == EG_OK);
  CHECK(lib->eg_group_wait(group) == NULL);
  CHECK(atomic_load(&tasks_run) == TASKS_PER_GROUP + 2);
  lib->eg_group_free(group);
  return 0;
}

/* A group with a context: one task fails, the others are waiting for the
 * cancellation it causes; wait returns that very error. */
static int run_failing_group(void) {
  eg_group *group = NULL;
  eg_context *ctx = NULL;
  eg_error *first;
  int i;
  atomic_store(&tasks_saw_cancellation, 0);
  atomic_store(&payloads_released, 0);
  CHECK(lib->eg_group_with_context(lib->eg_context_background(), &group,
                                   &ctx) == EG_OK);
  for (i = 0; i < WAITING_TASKS; i++)
    CHECK(lib->eg_group_go(group, wait_for_cancellation_task, NULL) == EG_OK);
  CHECK(lib->eg_group_go(group, failing_task, NULL) == EG_OK);
  first = lib->eg_group_wait(group);
  CHECK(first != NULL);
  CHECK(lib->eg_error_code(first) == 7);
  CHECK(strcmp(lib->eg_error_message(first), "boom") == 0);
  CHECK(lib->eg_error_payload(first) == &payload_token);
  CHECK(lib->eg_error_payload_release(first) == release_payload);
  CHECK(lib->eg_context_cause(ctx) == first);
  CHECK(atomic_load(&tasks_saw_cancellation) == WAITING_TASKS);
  CHECK(atomic_load(&payloads_released) == 0);
  lib->eg_group_free(group);
  lib->eg_context_release(ctx); /* the last reference to the error */
  CHECK(atomic_load(&payloads_released) == 1);
  return 0;
}

/* A group made from an already canceled context: its context is born
 * canceled with the parent's cause, and tasks see it. */
static int run_group_under_canceled_context(void) {
  eg_context *parent = NULL, *ctx = NULL;
  eg_group *group = NULL;
  eg_error *cause = lib->eg_error_new(3, "stopped by the test");
  struct pollfd ready;
  atomic_store(&tasks_saw_cancellation, 0);
  CHECK(lib->eg_context_with_cancel(lib->eg_context_background(), &parent) ==
        EG_OK);
  CHECK(lib->eg_context_cancel(parent, cause) == EG_OK);
  lib->eg_error_release(cause); /* the context holds its own reference */
  CHECK(lib->eg_group_with_context(parent, &group, &ctx) == EG_OK);
  CHECK(lib->eg_context_done(ctx) == 1);
  CHECK(lib->eg_context_err(ctx) == EG_ECANCELED);
  CHECK(lib->eg_context_cause(ctx) == lib->eg_context_cause(parent));
  CHECK(lib->eg_group_go(group, wait_for_cancellation_task, NULL) == EG_OK);
  CHECK(lib->eg_group_wait(group) == NULL);
  CHECK(atomic_load(&tasks_saw_cancellation) == 1);
  ready.fd = lib->eg_context_fd(ctx);
  ready.events = POLLIN;
  ready.revents = 0;
  CHECK(ready.fd >= 0);
  CHECK(poll(&ready, 1, 0) == 1 && (ready.revents & POLLIN));
  lib->eg_group_free(group);
  lib->eg_context_release(ctx);
  lib->eg_context_release(parent);
  return 0;
}

/* A deadline, and an after-function that runs on a pool thread. */
static int run_deadline_and_after_func(void) {
  eg_context *short_lived = NULL, *signalled = NULL;
  int64_t deadline = 0;
  CHECK(lib->eg_context_with_timeout(lib->eg_context_background(), 1000000,
                                     &short_lived) == EG_OK);
  CHECK(lib->eg_context_deadline(short_lived, &deadline) == 1);
  CHECK(lib->eg_context_with_cancel(lib->eg_context_background(), &signalled) ==
        EG_OK);
  /* When short_lived expires, the after-function cancels signalled. */
  CHECK(lib->eg_context_after_func(short_lived, cancel_context_after,
                                   lib->eg_context_retain(signalled),
                                   NULL) == EG_OK);
  CHECK(lib->eg_context_wait(signalled, -1) == EG_OK);
  CHECK(lib->eg_context_err(short_lived) == EG_EDEADLINE_EXCEEDED);
  CHECK(lib->eg_context_cause(short_lived) ==
        lib->eg_error_deadline_exceeded());
  CHECK(lib->eg_now_ns() >= deadline);
  lib->eg_context_release(short_lived);
  lib->eg_context_release(signalled);
  return 0;
}

/* eg_pool_shutdown refuses while a task or after-function is still on its
 * way out of a pool thread; wait (bounded) until it has left. */
static int shut_the_pool_down(void) {
  int64_t give_up = lib->eg_now_ns() + (int64_t)10 * 1000000000;
  int status;
  const struct timespec pause = {0, 1000000};
  while ((status = lib->eg_pool_shutdown()) == EG_EBUSY &&
         lib->eg_now_ns() < give_up)
    nanosleep(&pause, NULL);
  CHECK(status == EG_OK);
  return 0;
}

static int run_round(const char *library, int round,
                     struct eg_api *first_round_api) {
  struct eg_api api;
  void *handle, *still_loaded;

  handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    fprintf(stderr, "dlopen_rounds: dlopen(%s): %s\n", library, dlerror());
    failures++;
    return 1;
  }
  memset(&api, 0, sizeof(api));
  CHECK(resolve_api(handle, &api) == 0);
  if (round == 0)
    *first_round_api = api;
  /* -z nodelete: the library never left, so nothing moved. */
  CHECK(memcmp(&api, first_round_api, sizeof(api)) == 0);
  lib = &api;

  if (check_version() || run_plain_group() || run_failing_group() ||
      run_group_under_canceled_context() || run_deadline_and_after_func())
    return 1;
  if (round == ROUND_THAT_SHUTS_THE_POOL_DOWN && shut_the_pool_down())
    return 1;

  lib = NULL;
  CHECK(dlclose(handle) == 0);
  /* Still mapped after its last dlclose: that is what -z nodelete does. */
  still_loaded = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
  CHECK(still_loaded != NULL);
  CHECK(dlclose(still_loaded) == 0);
  printf("round %d: %d functions resolved, groups, contexts and errors OK\n",
         round, PUBLIC_FUNCTION_COUNT);
  return 0;
}

int main(int argc, char **argv) {
  struct eg_api first_round_api;
  int round;

  if (argc != 3) {
    fprintf(stderr, "usage: %s LIBRARY VERSION_SCRIPT\n", argv[0]);
    return 2;
  }
  if (check_table_against_version_script(argv[2]) != 0)
    return 1;
  /* This program must not have the library loaded before it asks for it. */
  if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) != NULL) {
    fprintf(stderr, "dlopen_rounds: %s was loaded before dlopen\n", argv[1]);
    return 1;
  }
  memset(&first_round_api, 0, sizeof(first_round_api));
  for (round = 0; round < ROUNDS && failures == 0; round++)
    run_round(argv[1], round, &first_round_api);
  if (failures != 0)
    return 1;
  printf("dlopen_rounds: %d rounds OK\n", ROUNDS);
  return 0;
}
