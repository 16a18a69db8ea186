/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include "context.h"

#include <limits.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "after_func.h"
#include "platform.h"
#include "pool.h"
#include "timer.h"

static eg_context background = {
    .kind = EG_CONTEXT_BACKGROUND,
    .deadline = EG_NO_DEADLINE,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
    .children = {&background.children, &background.children},
    .sibling = {&background.sibling, &background.sibling},
    .after_funcs = {&background.after_funcs, &background.after_funcs},
    .timer_slot = SIZE_MAX,
};

eg_context *eg_context_background(void) {
  return &background;
}

/* ------------------------------------------------------------- fork gate */

/*
 * The number of threads holding context locks (GATE_COUNT bits) and a bit
 * saying a fork() is pending. fork's prepare handler closes the gate, waits
 * until the count is zero and keeps the gate closed until the fork is over,
 * so no context lock is held in the child, where its holder would not
 * exist. A thread that finds the gate closed backs out and sleeps until it
 * opens (GATE_WAITERS: somebody sleeps).
 *
 * The count and the bit live in one word, and the modifications of one
 * atomic object are totally ordered: either the forker's fetch_or sees a
 * holder's increment (and waits for it), or the holder's fetch_add sees the
 * bit (and backs out). No fence is needed for that.
 */
enum {
  GATE_CLOSED = 1u << 31,
  GATE_WAITERS = 1u << 30,
  GATE_COUNT = GATE_WAITERS - 1,
};

static atomic_uint gate;
static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER; /* one fork */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
/* Set in the forking thread from the end of prepare_fork until the fork is
 * over: the application's fork handlers that run meanwhile (registered
 * before ours) may use contexts; that thread passes the closed gate, as
 * nothing it does there is still running when fork() copies the process. */
static _Thread_local int forking;

static void gate_leave(void) {
  /* Release: what the holder did (its unlock included) happens before the
   * fork that sees the count drop to zero. */
  unsigned was = atomic_fetch_sub_explicit(&gate, 1, memory_order_release);
  if ((was & GATE_CLOSED) && (was & GATE_COUNT) == 1)
    eg__futex_wake(&gate, INT_MAX); /* the forker; sleepers re-check */
}

static void gate_wait_open(void) {
  /* Relaxed: the gate guards no data of its own; gate_enter re-checks. */
  unsigned v = atomic_load_explicit(&gate, memory_order_relaxed);
  while (v & GATE_CLOSED) {
    if ((v & GATE_WAITERS) || atomic_compare_exchange_weak_explicit(
                                  &gate, &v, v | GATE_WAITERS,
                                  memory_order_relaxed, memory_order_relaxed)) {
      eg__futex_wait(&gate, v | GATE_WAITERS, -1);
      v = atomic_load_explicit(&gate, memory_order_relaxed);
    }
  }
}

static void register_fork_handlers(void);

/* Before any context lock is taken or any deadline armed (see gate_enter). */
static void ensure_fork_handlers(void) {
  pthread_once(&fork_once, register_fork_handlers);
}

/* Every context but the background one was made by eg__context_new, which
 * has registered the fork handlers. */
static void gate_enter(void) {
  /* Acquire: the lock taken next cannot move above the increment, which
   * the forker must see before it lets fork() go ahead. */
  while ((atomic_fetch_add_explicit(&gate, 1, memory_order_acquire) &
          GATE_CLOSED) &&
         !forking) {
    gate_leave();
    gate_wait_open();
  }
}

void eg__context_lock(eg_context *ctx) {
  if (ctx->kind == EG_CONTEXT_BACKGROUND)
    ensure_fork_handlers();
  gate_enter();
  pthread_mutex_lock(&ctx->lock);
}

void eg__context_unlock(eg_context *ctx) {
  pthread_mutex_unlock(&ctx->lock);
  gate_leave();
}

static void prepare_fork(void) {
  pthread_mutex_lock(&fork_lock);
  /* Acquire: pairs with gate_leave's release, as the load below. */
  unsigned v =
      atomic_fetch_or_explicit(&gate, GATE_CLOSED, memory_order_acquire);
  while (v & GATE_COUNT) {
    eg__futex_wait(&gate, v, -1);
    v = atomic_load_explicit(&gate, memory_order_acquire);
  }
  /* After the gate: a holder may wait for the timer's lock. */
  eg__timer_prepare_fork();
  forking = 1;
}

static void parent_after_fork(void) {
  forking = 0;
  eg__timer_parent_after_fork();
  /* Relaxed: reopening publishes nothing; sleepers re-check the word. */
  unsigned was = atomic_fetch_and_explicit(
      &gate, ~(unsigned)(GATE_CLOSED | GATE_WAITERS), memory_order_relaxed);
  if (was & GATE_WAITERS)
    eg__futex_wake(&gate, INT_MAX);
  pthread_mutex_unlock(&fork_lock);
}

/* Every holder and sleeper was another thread: none exists here. The timer
 * comes last, as it may start its thread again. */
static void child_after_fork(void) {
  forking = 0;
  atomic_store_explicit(&gate, 0, memory_order_relaxed);
  pthread_mutex_init(&fork_lock, NULL);
  eg__timer_child_after_fork();
}

/* After the pool's handlers (eg__pool_init registers them): prepare
 * handlers run in the reverse order of registration, so ours close the gate
 * before the pool's take its locks (a gate holder never waits for the pool);
 * child handlers run in order, so the pool is reset before the timer thread
 * we start may submit an after-function to it. */
static void register_fork_handlers(void) {
  eg__pool_init();
  pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
}

/* ------------------------------------------------------------ references */

eg_context *eg_context_retain(eg_context *ctx) {
  /* Relaxed: taking a reference needs no ordering. */
  if (ctx != NULL && ctx->kind != EG_CONTEXT_BACKGROUND)
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
  return ctx;
}

int eg__context_try_retain(eg_context *ctx) {
  int refs = atomic_load_explicit(&ctx->refs, memory_order_relaxed);
  while (refs > 0) {
    if (atomic_compare_exchange_weak_explicit(&ctx->refs, &refs, refs + 1,
                                              memory_order_relaxed,
                                              memory_order_relaxed))
      return 1;
  }
  return 0;
}

static int is_done(unsigned state) {
  return (state & EG__CONTEXT_DONE) != 0;
}

/*
 * Takes ctx out of its parent's children, unless the parent is done: then
 * the parent's cancel has taken it out (to its work list, or only unlinked
 * it if it was being freed), or it was never linked. The caller holds the
 * gate.
 */
static void unlink_from_parent(eg_context *ctx) {
  eg_context *parent = ctx->parent;
  if (parent == NULL || parent->kind == EG_CONTEXT_BACKGROUND)
    return;
  pthread_mutex_lock(&parent->lock);
  /* Relaxed: DONE is only set under this lock. */
  if (!is_done(atomic_load_explicit(&parent->done, memory_order_relaxed)))
    eg__list_remove(&ctx->sibling); /* harmless if already unlinked */
  pthread_mutex_unlock(&parent->lock);
}

/*
 * Frees ctx, whose count reached zero, and returns its parent, whose
 * reference the caller now holds. Children and after-functions hold
 * references, so ctx has neither; only its parent's list and the timer may
 * still point at it, and both are detached here under their own locks.
 */
static eg_context *destroy(eg_context *ctx) {
  /* A child of the background context is in no list: it needs no lock, so
   * no gate (one shared word less on the path of every such context). */
  if (ctx->parent->kind != EG_CONTEXT_BACKGROUND) {
    gate_enter();
    unlink_from_parent(ctx);
    gate_leave();
  }
  if (ctx->timed)
    eg__timer_remove(ctx);
  eg_error_release(ctx->cause);
  if (ctx->fd >= 0)
    close(ctx->fd);
  pthread_mutex_destroy(&ctx->lock);
  eg_context *parent = ctx->parent;
  eg__free(ctx);
  return parent;
}

void eg_context_release(eg_context *ctx) {
  /* acq_rel: every use by other holders happens before the free (a release
   * decrement plus an acquire fence would do, but ThreadSanitizer does not
   * model fences). A loop, one level at a time: freeing the last context
   * of a long chain frees the chain without recursion. */
  while (ctx != NULL && ctx->kind != EG_CONTEXT_BACKGROUND &&
         atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1)
    ctx = destroy(ctx);
}

/* ---------------------------------------------------------- cancellation */

/*
 * One cancellation. It visits the tree breadth first from a work list,
 * holding one context lock at a time: each context is marked done under
 * its lock, and its children move, each with a reference, to the list.
 */
struct cancel {
  int err;
  eg_error *cause; /* borrowed from the caller */
  eg__list todo;   /* contexts to visit */
  eg__list marked; /* contexts this cancel marked done */
  eg__list others; /* contexts another cancel had marked first */
  eg__list fire;   /* after-functions, run once no lock is held */
};

static void signal_fd(int fd) {
  uint64_t one = 1;
  if (write(fd, &one, sizeof one) < 0) {
    /* The counter cannot overflow from a few writes per context. */
  }
}

/* Under ctx's lock. A child whose count already reached zero is being
 * freed: it is only unlinked (its destroy() waits for this lock, then finds
 * the parent done and leaves the list alone). */
static void take_children(eg_context *ctx, struct cancel *c) {
  eg__list *node;
  while ((node = eg__list_pop_front(&ctx->children)) != NULL)
    if (eg__context_try_retain(EG__LIST_ENTRY(node, eg_context, sibling)))
      eg__list_push_back(&c->todo, node);
}

/*
 * Marks ctx done unless it already is: err, cause, then DONE under its
 * lock, which also moves its after-functions and children to the cancel;
 * the fd, the wake and the timer come after the lock. Returns 1 if this
 * call marked ctx. The caller holds the gate.
 */
static int mark(eg_context *ctx, struct cancel *c) {
  pthread_mutex_lock(&ctx->lock);
  /* Relaxed: DONE is only set under this lock. */
  if (is_done(atomic_load_explicit(&ctx->done, memory_order_relaxed))) {
    pthread_mutex_unlock(&ctx->lock);
    return 0;
  }
  ctx->err = c->err;
  ctx->cause = eg_error_retain(c->cause);
  unsigned now = EG__CONTEXT_DONE | (ctx->fd >= 0 ? EG__CONTEXT_FD_PENDING : 0);
  /* Release: whoever sees DONE sees err, cause and fd. The word held 0 or
   * WAITERS; the sleepers WAITERS stood for are woken below. */
  unsigned was =
      atomic_exchange_explicit(&ctx->done, now, memory_order_release);
  eg__list_splice(&ctx->after_funcs, &c->fire);
  take_children(ctx, c);
  pthread_mutex_unlock(&ctx->lock);
  if (now & EG__CONTEXT_FD_PENDING) {
    signal_fd(ctx->fd);
    /* Release: an observer that sees the bit cleared (eg_context_done's
     * acquire load) must find the counter written, or it would not write
     * it itself; one that still sees the bit only writes the fd once more. */
    atomic_fetch_and_explicit(&ctx->done, ~(unsigned)EG__CONTEXT_FD_PENDING,
                              memory_order_release);
  }
  if (was & EG__CONTEXT_WAITERS)
    eg__futex_wake(&ctx->done, INT_MAX);
  if (ctx->timed)
    eg__timer_remove(ctx);
  return 1;
}

static void visit_todo(struct cancel *c) {
  eg__list *node;
  while ((node = eg__list_pop_front(&c->todo)) != NULL) {
    eg_context *child = EG__LIST_ENTRY(node, eg_context, sibling);
    eg__list_push_back(mark(child, c) ? &c->marked : &c->others, node);
  }
}

static void set_complete(eg_context *ctx) {
  /* Release: a cancel that sees COMPLETE sees every descendant done. */
  unsigned was = atomic_fetch_or_explicit(&ctx->done, EG__CONTEXT_COMPLETE,
                                          memory_order_release);
  if (was & EG__CONTEXT_WAITERS)
    eg__futex_wake(&ctx->done, INT_MAX);
}

/* Sleeps until the cancel that marked ctx has marked its descendants. That
 * cancel started below every context this one holds, so waits never form a
 * cycle; it holds no lock while it is waited for, and it is inside the
 * gate already, so it needs nothing a pending fork holds. */
static void wait_complete(eg_context *ctx) {
  /* Acquire: pairs with set_complete. */
  unsigned v = atomic_load_explicit(&ctx->done, memory_order_acquire);
  while (!(v & EG__CONTEXT_COMPLETE)) {
    if ((v & EG__CONTEXT_WAITERS) ||
        atomic_compare_exchange_weak_explicit(
            &ctx->done, &v, v | EG__CONTEXT_WAITERS, memory_order_acquire,
            memory_order_acquire)) {
      eg__futex_wait(&ctx->done, v | EG__CONTEXT_WAITERS, -1);
      v = atomic_load_explicit(&ctx->done, memory_order_acquire);
    }
  }
}

static void release_all(eg__list *list) {
  eg__list *node;
  while ((node = eg__list_pop_front(list)) != NULL)
    eg_context_release(EG__LIST_ENTRY(node, eg_context, sibling));
}

/* Waits for the parts of the tree other cancels marked, then tells this
 * cancel's part it is complete. Inside the gate, so that no context is
 * ever done but not complete in the child of a fork. */
static void complete(eg_context *root, struct cancel *c) {
  EG__LIST_FOREACH(node, &c->others) {
    wait_complete(EG__LIST_ENTRY(node, eg_context, sibling));
  }
  set_complete(root);
  EG__LIST_FOREACH(node, &c->marked) {
    set_complete(EG__LIST_ENTRY(node, eg_context, sibling));
  }
}

void eg__context_cancel(eg_context *ctx, int err, eg_error *cause) {
  if (cause == NULL)
    cause = eg_error_canceled();
  struct cancel c = {.err = err, .cause = cause};
  eg__list_init(&c.todo);
  eg__list_init(&c.marked);
  eg__list_init(&c.others);
  eg__list_init(&c.fire);
  gate_enter();
  int marked = mark(ctx, &c);
  if (marked) {
    visit_todo(&c);
    unlink_from_parent(ctx);
    complete(ctx, &c);
  } else {
    wait_complete(ctx);
  }
  gate_leave();
  /* After the gate: a release may run an error's payload destructor, and
   * after-functions are user code. */
  release_all(&c.others);
  release_all(&c.marked);
  eg__after_funcs_fire(&c.fire);
}

int eg_context_cancel(eg_context *ctx, eg_error *cause) {
  if (ctx == NULL || ctx->kind != EG_CONTEXT_CANCELABLE)
    return EG_EINVAL;
  eg__context_cancel(ctx, EG_ECANCELED, cause);
  return EG_OK;
}

/* -------------------------------------------------------------- creation */

int eg__context_new(eg_context *parent, enum eg_context_kind kind,
                    int64_t deadline, eg_context **out) {
  ensure_fork_handlers();
  eg_context *ctx = eg__alloc(sizeof *ctx);
  if (ctx == NULL)
    return EG_ENOMEM;
  atomic_init(&ctx->refs, 1);
  ctx->kind = kind;
  ctx->parent = eg_context_retain(parent);
  /* A child's deadline is never later than its parent's: if the parent's
   * is earlier, its own cancellation reaches the child in time. */
  ctx->timed = deadline < parent->deadline;
  ctx->deadline = ctx->timed ? deadline : parent->deadline;
  atomic_init(&ctx->done, 0);
  ctx->err = 0;
  ctx->cause = NULL;
  pthread_mutex_init(&ctx->lock, NULL);
  ctx->fd = -1;
  eg__list_init(&ctx->children);
  eg__list_init(&ctx->sibling);
  eg__list_init(&ctx->after_funcs);
  ctx->timer_slot = SIZE_MAX;
  ctx->started_task = 0;
  ctx->starter = NULL;

  /* The background context never ends: its children need no link. */
  if (parent->kind != EG_CONTEXT_BACKGROUND) {
    eg__context_lock(parent);
    /* Relaxed: DONE is only set under the lock. */
    int parent_done =
        is_done(atomic_load_explicit(&parent->done, memory_order_relaxed));
    if (!parent_done)
      eg__list_push_back(&parent->children, &ctx->sibling);
    eg__context_unlock(parent);
    /* A done parent's err and cause are immutable: read without its lock. */
    if (parent_done)
      eg__context_cancel(ctx, parent->err, parent->cause);
  }
  *out = ctx;
  return EG_OK;
}

int eg_context_with_cancel(eg_context *parent, eg_context **out) {
  if (parent == NULL || out == NULL)
    return EG_EINVAL;
  return eg__context_new(parent, EG_CONTEXT_CANCELABLE, EG_NO_DEADLINE, out);
}

int eg_context_with_deadline(eg_context *parent, int64_t deadline_ns,
                             eg_context **out) {
  if (parent == NULL || out == NULL)
    return EG_EINVAL;
  eg_context *ctx;
  int rc = eg__context_new(parent, EG_CONTEXT_CANCELABLE, deadline_ns, &ctx);
  if (rc != EG_OK)
    return rc;
  if (ctx->timed) {
    if (deadline_ns <= eg__now_ns()) {
      eg__context_cancel(ctx, EG_EDEADLINE_EXCEEDED,
                         eg_error_deadline_exceeded());
    } else if (!eg_context_done(ctx) && (rc = eg__timer_add(ctx)) != EG_OK) {
      eg_context_release(ctx);
      return rc;
    }
  }
  *out = ctx;
  return EG_OK;
}

int eg_context_with_timeout(eg_context *parent, int64_t timeout_ns,
                            eg_context **out) {
  int64_t now = eg__now_ns();
  int64_t deadline =
      timeout_ns > INT64_MAX - now ? EG_NO_DEADLINE - 1 : now + timeout_ns;
  return eg_context_with_deadline(parent, deadline, out);
}

/* ------------------------------------------------------------- observers */

int eg_context_done(eg_context *ctx) {
  if (ctx == NULL)
    return 0;
  /* Acquire: a caller that sees done may read err, cause and fd. */
  unsigned state = atomic_load_explicit(&ctx->done, memory_order_acquire);
  /* Done, but the canceller has not written the fd yet: write it for it,
   * so the caller finds it readable (a count of two is as readable). */
  if (state & EG__CONTEXT_FD_PENDING)
    signal_fd(ctx->fd);
  return is_done(state);
}

/* Announces a sleeper (the waiters bit) and sleeps while ctx is not done.
 * Returns early if the word changed; the caller re-checks. */
static void sleep_until_done(eg_context *ctx, int64_t timeout_ns) {
  /* Relaxed: the caller reads done with acquire before it trusts it. */
  unsigned v = atomic_load_explicit(&ctx->done, memory_order_relaxed);
  if (is_done(v) || (!(v & EG__CONTEXT_WAITERS) &&
                     !atomic_compare_exchange_strong_explicit(
                         &ctx->done, &v, v | EG__CONTEXT_WAITERS,
                         memory_order_relaxed, memory_order_relaxed)))
    return;
  eg__pool_block_begin();
  eg__futex_wait(&ctx->done, v | EG__CONTEXT_WAITERS, timeout_ns);
  eg__pool_block_end();
}

int eg_context_wait(eg_context *ctx, int64_t timeout_ns) {
  if (ctx == NULL)
    return EG_EINVAL;
  if (eg_context_done(ctx))
    return EG_OK;
  if (ctx->kind == EG_CONTEXT_BACKGROUND && timeout_ns < 0)
    return EG_EINVAL;
  int64_t now = eg__now_ns();
  int64_t until = timeout_ns < 0                 ? -1
                  : timeout_ns > INT64_MAX - now ? INT64_MAX
                                                 : now + timeout_ns;
  while (!eg_context_done(ctx)) {
    int64_t left = -1;
    if (until >= 0 && (left = until - eg__now_ns()) <= 0)
      return EG_ETIMEDOUT;
    sleep_until_done(ctx, left);
  }
  return EG_OK;
}

int eg_context_err(eg_context *ctx) {
  if (ctx == NULL)
    return EG_EINVAL;
  return eg_context_done(ctx) ? ctx->err : 0;
}

eg_error *eg_context_cause(eg_context *ctx) {
  return eg_context_done(ctx) ? ctx->cause : NULL;
}

int eg_context_deadline(eg_context *ctx, int64_t *deadline_ns) {
  if (ctx == NULL || deadline_ns == NULL)
    return EG_EINVAL;
  if (ctx->deadline == EG_NO_DEADLINE)
    return 0;
  *deadline_ns = ctx->deadline;
  return 1;
}

int eg_context_fd(eg_context *ctx) {
  if (ctx == NULL)
    return EG_EINVAL;
  eg__context_lock(ctx);
  if (ctx->fd < 0) {
    ctx->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* Under the lock, so mark() either sees the fd or we see done. */
    if (ctx->fd >= 0 &&
        is_done(atomic_load_explicit(&ctx->done, memory_order_relaxed)))
      signal_fd(ctx->fd);
  }
  int fd = ctx->fd;
  eg__context_unlock(ctx);
  return fd >= 0 ? fd : EG_ENOMEM;
}

int64_t eg_now_ns(void) {
  return eg__now_ns();
}
