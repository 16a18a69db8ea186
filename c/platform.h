/*
 * The few operating-system services the library needs, each behind one
 * function so that tests can inject failures (EG_TESTING builds) and the
 * rest of the code stays free of syscalls and #ifdefs.
 */
#ifndef EG_PLATFORM_H
#define EG_PLATFORM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* malloc/free. eg__alloc returns NULL on failure (real or injected). */
void *eg__alloc(size_t size);
void eg__free(void *ptr);

/*
 * Starts a detached thread running fn(arg) with the configured stack size.
 * Returns 0 or an errno value (real or injected failure).
 */
int eg__thread_start(void *(*fn)(void *), void *arg);

/* Stack size for threads started from now on; 0 = the pthreads default. */
int eg__set_thread_stack_size(size_t bytes);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t eg__now_ns(void);

/*
 * Sleeps while *word == expected, at most timeout_ns (< 0: no limit).
 * Returns 0 when woken or when the value differed (callers re-check), or
 * ETIMEDOUT. Spurious returns are possible: every caller loops.
 */
int eg__futex_wait(atomic_uint *word, unsigned expected, int64_t timeout_ns);

/* Wakes up to `count` threads sleeping on `word`. */
void eg__futex_wake(atomic_uint *word, int count);

/* A hint to the CPU inside spin loops. */
static inline void eg__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#endif /* EG_PLATFORM_H */
