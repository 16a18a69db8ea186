/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pool monitor's policy (c/pool.c runs it): what one tick does, decided
 * from what the tick saw. Pure: it reads no clock and touches no shared
 * state, so tests drive it with explicit times (tests/unit_monitor.c).
 */
#ifndef EG_MONITOR_H
#define EG_MONITOR_H

#include <stddef.h>
#include <stdint.h>

/* What the monitor remembers between ticks. */
typedef struct eg__monitor {
  int64_t tick_ns;   /* the wait before the next tick */
  size_t last_taken; /* jobs taken by the previous tick */
  int streak;        /* generations found in a row, up to EG__MAX_ADD_SHIFT */
  int added;         /* the previous tick added workers */
  int64_t stalled_since; /* last progress of a non-empty queue */
  int64_t liveness_wait; /* stall that earns the next liveness thread */
  int64_t empty_since;   /* the queue is empty since (0: it is not) */
  int poked;             /* a push's poke, or the first tick to see jobs */
  int pokeable;          /* a push may poke the next tick (end_tick) */
  int64_t resume_ns;     /* the backoff a poke's follow-up interrupted */
  int saw_jobs;          /* the tick saw jobs queued */
} eg__monitor;

/* What a tick saw. The worker counts matter only while jobs are queued. */
typedef struct eg__monitor_seen {
  int64_t now;
  size_t queued, taken; /* jobs queued now; jobs ever taken */
  int fresh;            /* workers newly found blocked */
  int in_jobs;          /* workers in a job, not in a library wait */
  int unseen;           /* workers in a job not judged yet */
  int on_the_way;       /* workers handed a spinner's place, not in a job */
  int takeable;         /* a queued job can be taken now */
  int can_wake;         /* fewer workers runnable than the wake rule's bound */
} eg__monitor_seen;

/* What the tick does: add `add` workers, apply the wake rule if `wake`,
 * then report with eg__monitor_end_tick. `watch`: there is something to
 * watch closely. `sleep`: nothing queued for EG__MONITOR_QUIET_NS, sleep
 * until a push, then eg__monitor_reset. */
typedef struct eg__monitor_plan {
  size_t add;
  int wake, watch, sleep;
} eg__monitor_plan;

void eg__monitor_reset(eg__monitor *m, int64_t now, size_t taken);

/* A push woke the monitor before its tick ended (it may, while
 * m->pokeable): the tick looks now. */
void eg__monitor_poked(eg__monitor *m);

eg__monitor_plan eg__monitor_decide(eg__monitor *m,
                                    const eg__monitor_seen *seen);

/* How many newly blocked workers this tick would have every one of
 * `queued` jobs replaced (at least 1): a look may stop judging workers once
 * it has found that many. */
size_t eg__monitor_fresh_enough(const eg__monitor *m, size_t queued);

/* Ends the tick; `busy` is the plan's `watch`, or the wake rule found a
 * worker for the job. Returns the next tick's length and sets m->pokeable. */
int64_t eg__monitor_end_tick(eg__monitor *m, int busy);

#endif /* EG_MONITOR_H */
