/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include "timer.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "platform.h"

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* on CLOCK_MONOTONIC; made with the thread */
  int running;
  /* The context being fired, with the timer's reference: taken out of the
   * heap but maybe not canceled yet. A child of a fork() that caught the
   * timer thread here fires it again (see child_after_fork). */
  eg_context *firing;
  eg_context **heap; /* min-heap on deadline; ctx->timer_slot is the index */
  size_t length, capacity;
} timer = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- the heap; every function below is called with timer.lock held ---- */

static void place(eg_context *ctx, size_t slot) {
  timer.heap[slot] = ctx;
  ctx->timer_slot = slot;
}

static void sift_up(size_t slot) {
  eg_context *ctx = timer.heap[slot];
  while (slot > 0) {
    size_t parent = (slot - 1) / 2;
    if (timer.heap[parent]->deadline <= ctx->deadline)
      break;
    place(timer.heap[parent], slot);
    slot = parent;
  }
  place(ctx, slot);
}

static void sift_down(size_t slot) {
  eg_context *ctx = timer.heap[slot];
  for (;;) {
    size_t child = 2 * slot + 1;
    if (child >= timer.length)
      break;
    if (child + 1 < timer.length &&
        timer.heap[child + 1]->deadline < timer.heap[child]->deadline)
      child++;
    if (ctx->deadline <= timer.heap[child]->deadline)
      break;
    place(timer.heap[child], slot);
    slot = child;
  }
  place(ctx, slot);
}

static void heap_remove(eg_context *ctx) {
  size_t slot = ctx->timer_slot;
  ctx->timer_slot = SIZE_MAX;
  eg_context *last = timer.heap[--timer.length];
  if (last == ctx)
    return;
  place(last, slot);
  sift_up(slot);
  sift_down(last->timer_slot);
}

static int heap_grow(void) {
  size_t capacity = timer.capacity ? timer.capacity * 2 : 16;
  eg_context **heap = eg__alloc(capacity * sizeof *heap);
  if (heap == NULL)
    return EG_ENOMEM;
  if (timer.length > 0)
    memcpy(heap, timer.heap, timer.length * sizeof *heap);
  eg__free(timer.heap);
  timer.heap = heap;
  timer.capacity = capacity;
  return EG_OK;
}

/* ---- the thread ---- */

static struct timespec to_timespec(int64_t ns) {
  struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000),
                        .tv_nsec = (long)(ns % 1000000000)};
  return ts;
}

/* Cancels timer.firing, then forgets it; called and returns with the lock
 * held. */
static void fire(void) {
  eg_context *ctx = timer.firing;
  pthread_mutex_unlock(&timer.lock);
  eg__context_cancel(ctx, EG_EDEADLINE_EXCEEDED, eg_error_deadline_exceeded());
  pthread_mutex_lock(&timer.lock);
  timer.firing = NULL;
  /* Released outside the lock: the last reference frees ctx, which takes
   * the lock. A fork between the two leaves the child one reference too
   * many on ctx, of a thread it does not have (never a double release). */
  pthread_mutex_unlock(&timer.lock);
  eg_context_release(ctx);
  pthread_mutex_lock(&timer.lock);
}

static void *timer_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&timer.lock);
  for (;;) {
    if (timer.firing != NULL) {
      fire();
      continue;
    }
    if (timer.length == 0) {
      pthread_cond_wait(&timer.changed, &timer.lock);
      continue;
    }
    eg_context *ctx = timer.heap[0];
    if (ctx->deadline > eg__now_ns()) {
      struct timespec until = to_timespec(ctx->deadline);
      pthread_cond_timedwait(&timer.changed, &timer.lock, &until);
      continue;
    }
    heap_remove(ctx);
    /* The heap does not own ctx: if its last reference is being dropped,
     * destroy() is waiting for our lock to take it out; leave it be. */
    if (eg__context_try_retain(ctx))
      timer.firing = ctx;
  }
  return NULL;
}

/* ---- fork: called by the context's fork handlers (context.c) ---- */

/* After the context fork gate: a context lock holder may wait for this. */
void eg__timer_prepare_fork(void) {
  pthread_mutex_lock(&timer.lock);
}

void eg__timer_parent_after_fork(void) {
  pthread_mutex_unlock(&timer.lock);
}

static int start_thread(void);

/*
 * The child inherits the heap whole (the gate kept every context
 * consistent) but not the thread: a new one starts at once if a deadline is
 * armed, or one was being fired. If it cannot start, the next
 * eg__timer_add or pool start tries again.
 */
void eg__timer_child_after_fork(void) {
  pthread_mutex_init(&timer.lock, NULL);
  timer.running = 0;
  pthread_mutex_lock(&timer.lock);
  if (timer.length > 0 || timer.firing != NULL)
    start_thread();
  pthread_mutex_unlock(&timer.lock);
}

/* Called with the lock held. */
static int start_thread(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&timer.changed, &attr);
  pthread_condattr_destroy(&attr);
  if (eg__thread_start(timer_main, NULL) != 0) {
    pthread_cond_destroy(&timer.changed);
    return EG_EAGAIN;
  }
  timer.running = 1;
  return EG_OK;
}

void eg__timer_resume(void) {
  pthread_mutex_lock(&timer.lock);
  if (!timer.running && (timer.length > 0 || timer.firing != NULL))
    start_thread(); /* on failure, the next eg__timer_add tries again */
  pthread_mutex_unlock(&timer.lock);
}

int eg__timer_add(eg_context *ctx) {
  pthread_mutex_lock(&timer.lock);
  int rc = timer.running ? EG_OK : start_thread();
  if (rc == EG_OK && timer.length == timer.capacity)
    rc = heap_grow();
  if (rc == EG_OK) {
    timer.heap[timer.length] = ctx;
    sift_up(timer.length++);
    if (ctx->timer_slot == 0)
      pthread_cond_signal(&timer.changed); /* a new earliest deadline */
  }
  pthread_mutex_unlock(&timer.lock);
  return rc;
}

void eg__timer_remove(eg_context *ctx) {
  pthread_mutex_lock(&timer.lock);
  if (ctx->timer_slot != SIZE_MAX)
    heap_remove(ctx);
  pthread_mutex_unlock(&timer.lock);
}
