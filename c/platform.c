/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errgroup.h"

/*
 * Stack size for new threads. Relaxed: it is a setting read when a thread is
 * made; a thread created concurrently with a change may use either value.
 */
static atomic_size_t thread_stack_size;

void *eg__alloc(size_t size) {
  if (eg__fault_injected(EG__FAULT_ALLOC))
    return NULL;
  return malloc(size);
}

void *eg__alloc_lines(size_t size) {
  if (eg__fault_injected(EG__FAULT_ALLOC))
    return NULL;
  void *ptr;
  return posix_memalign(&ptr, EG_CACHE_LINE, size) == 0 ? ptr : NULL;
}

void eg__free(void *ptr) {
  free(ptr);
}

int eg__set_thread_stack_size(size_t bytes) {
  if (bytes != 0 && bytes < (size_t)PTHREAD_STACK_MIN)
    return EG_EINVAL;
  atomic_store_explicit(&thread_stack_size, bytes, memory_order_relaxed);
  return EG_OK;
}

/*
 * The library's threads block every asynchronous signal, so a
 * process-directed signal goes to a thread of the program (one that uses
 * sigwait or signalfd relies on that). A new thread inherits its creator's
 * mask, hence the mask around pthread_create. Faults stay deliverable: they
 * belong to the thread that raised them.
 */
static void block_async_signals(sigset_t *saved) {
  static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                               SIGTRAP, SIGSYS, SIGABRT};
  sigset_t blocked;
  sigfillset(&blocked);
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
    sigdelset(&blocked, faults[i]);
  pthread_sigmask(SIG_BLOCK, &blocked, saved);
}

int eg__thread_start(void *(*fn)(void *), void *arg) {
  if (eg__fault_injected(EG__FAULT_THREAD))
    return EAGAIN;
  pthread_attr_t attr;
  int rc = pthread_attr_init(&attr);
  if (rc != 0)
    return rc;
  size_t stack = atomic_load_explicit(&thread_stack_size, memory_order_relaxed);
  if (stack != 0)
    rc = pthread_attr_setstacksize(&attr, stack);
  if (rc == 0)
    rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  sigset_t saved;
  block_async_signals(&saved);
  if (rc == 0)
    rc = pthread_create(&thread, &attr, fn, arg);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  pthread_attr_destroy(&attr);
  return rc;
}

int64_t eg__now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int eg__futex_wait(atomic_uint *word, unsigned expected, int64_t timeout_ns) {
  struct timespec relative, *timeout = NULL;
  if (timeout_ns >= 0) {
    relative.tv_sec = (time_t)(timeout_ns / 1000000000);
    relative.tv_nsec = (long)(timeout_ns % 1000000000);
    timeout = &relative;
  }
  if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout, NULL,
              0) == 0)
    return 0;
  return errno == ETIMEDOUT ? ETIMEDOUT : 0;
}

void eg__futex_wake(atomic_uint *word, int count) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}
