/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The few operating-system services the library needs, each behind one
 * function so that tests can inject failures (EG_TESTING builds, see
 * c/testing.c) and the rest of the code stays free of syscalls and #ifdefs.
 */
#ifndef EG_PLATFORM_H
#define EG_PLATFORM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The cache line size assumed for padding and alignment. */
#define EG_CACHE_LINE 64

/*
 * Thread-local storage of the library (all of it is a few pointers). The
 * initial-exec model makes each access one load from the thread pointer:
 * the default model of a shared library calls __tls_get_addr for it, which
 * on the go/wait round trip was a third of the instructions (callgrind:
 * 132 of 613 per round). The price: a process that dlopen()s the library
 * needs that much room in glibc's static TLS surplus, which is reserved
 * for exactly such libraries (hundreds of bytes; we use under 100).
 */
#if defined(__GNUC__)
#define EG__THREAD_LOCAL                                                       \
  _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define EG__THREAD_LOCAL _Thread_local
#endif

/* malloc/free. eg__alloc returns NULL on failure (real or injected). */
void *eg__alloc(size_t size);
void eg__free(void *ptr);

/* Like eg__alloc, aligned to a cache line: for objects whose fields are
 * laid out in cache lines (_Alignas(EG_CACHE_LINE)). Freed with eg__free. */
void *eg__alloc_lines(size_t size);

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

/*
 * 1 if the allocation (EG__FAULT_ALLOC) or thread start (EG__FAULT_THREAD)
 * about to happen must fail: the fault-injection hook of test builds
 * (c/testing.c, eg_testing_fail_*). A constant 0 in every other build.
 */
enum { EG__FAULT_ALLOC, EG__FAULT_THREAD };
#ifdef EG_TESTING
int eg__fault_injected(int kind);
#else
#define eg__fault_injected(kind) 0
#endif

/* A hint to the CPU inside spin loops. */
static inline void eg__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/*
 * A spin budget: eg__spin_on returns 1 while less than `ns` nanoseconds have
 * passed since the first of its calls that read the clock. It reads the
 * clock only every 64th call, so a spin that ends quickly never reads it.
 * Start from EG_SPIN_INIT; eg__spin_restart starts a new budget.
 * eg__spin_read_clock tells whether the last call read the clock, whose
 * reading is then in `now`, for spinners with periodic work of their own.
 */
typedef struct eg_spin {
  unsigned calls;
  int64_t until; /* 0 until the clock is first read */
  int64_t now;   /* the last clock reading */
} eg_spin;

#define EG_SPIN_INIT                                                           \
  { 0, 0, 0 }

static inline int eg__spin_on(eg_spin *spin, int64_t ns) {
  if ((++spin->calls % 64) != 0)
    return 1;
  spin->now = eg__now_ns();
  if (spin->until == 0)
    spin->until = spin->now + ns;
  return spin->now < spin->until;
}

static inline int eg__spin_read_clock(const eg_spin *spin) {
  return spin->calls % 64 == 0;
}

static inline void eg__spin_restart(eg_spin *spin) {
  spin->calls = 0;
  spin->until = 0;
}

#endif /* EG_PLATFORM_H */
