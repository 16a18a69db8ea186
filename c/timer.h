/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deadlines: one process-wide thread sleeps until the earliest deadline of
 * a min-heap of contexts and cancels them with "deadline exceeded". The heap
 * does not own the contexts: a context leaves it when it is canceled or
 * freed, and the timer takes a reference only if the context is still alive.
 */
#ifndef EG_TIMER_H
#define EG_TIMER_H

#include "errgroup.h"

/* Arms ctx->deadline. EG_OK, EG_ENOMEM, or EG_EAGAIN (no timer thread). */
int eg__timer_add(eg_context *ctx);

/* Disarms ctx if armed. Safe to call for any context. */
void eg__timer_remove(eg_context *ctx);

/* Restarts the timer thread if deadlines are armed but it is gone (in the
 * child of a fork() where it could not be started). Called when a pool
 * starts. */
void eg__timer_resume(void);

/* fork() handlers, called by context.c's (which order them with the
 * context fork gate): hold the timer's lock across the fork; in the child,
 * start the thread again if a deadline is armed. */
void eg__timer_prepare_fork(void);
void eg__timer_parent_after_fork(void);
void eg__timer_child_after_fork(void);

#endif /* EG_TIMER_H */
