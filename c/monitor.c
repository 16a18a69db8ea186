/* SPDX-License-Identifier: BSD-3-Clause */
#include "monitor.h"

#include "tunables.h"

void eg__monitor_reset(eg__monitor *m, int64_t now, size_t taken) {
  m->tick_ns = EG__MONITOR_TICK_MIN_NS;
  m->last_taken = taken;
  m->streak = 0;
  m->added = 0;
  m->stalled_since = now;
  m->liveness_wait = EG__LIVENESS_NS;
  m->empty_since = 0;
  m->poked = 0;
  m->pokeable = 0;
}

void eg__monitor_poked(eg__monitor *m) {
  m->poked = 1;
}

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

/*
 * Blocked workers found are replaced, by 1, 2, 4, ... threads each in
 * consecutive generations that find more (work that blocks keeps blocking),
 * never more than there are queued jobs; a generation ends when a tick
 * finds no blocked worker, none to judge yet, none of the added ones still
 * on its way to a job, and the tick before added none (a worker woken for
 * a job may be judged busy at first: its wake cost it CPU time).
 */
static size_t replacements(eg__monitor *m, const eg__monitor_seen *seen) {
  if (seen->fresh == 0) {
    if (seen->unseen == 0 && seen->on_the_way == 0 && !m->added)
      m->streak = 0;
    return 0;
  }
  int shift = m->streak < EG__MAX_ADD_SHIFT ? m->streak : EG__MAX_ADD_SHIFT;
  m->streak++;
  return min_size(seen->queued, (size_t)seen->fresh << shift);
}

/*
 * A queue that made no progress since the last tick while no worker was
 * found blocked: if the wake rule may wake a worker, it failed here (no
 * thread could be made, or the cap): retry it. Else every runnable worker
 * computes: one thread for liveness after EG__LIVENESS_NS, the next after
 * twice as long, and so on up to EG__LIVENESS_MAX_NS.
 */
static void watch_stall(eg__monitor *m, const eg__monitor_seen *seen,
                        eg__monitor_plan *plan) {
  if (seen->taken != m->last_taken || !seen->takeable) {
    m->stalled_since = seen->now;
  } else if (seen->fresh == 0) {
    if (seen->can_wake) {
      plan->wake = 1;
    } else if (seen->now - m->stalled_since >= m->liveness_wait) {
      plan->add++;
      plan->watch = 1;
      m->stalled_since = seen->now;
      if (m->liveness_wait < EG__LIVENESS_MAX_NS)
        m->liveness_wait *= 2;
    }
  }
}

eg__monitor_plan eg__monitor_decide(eg__monitor *m,
                                    const eg__monitor_seen *seen) {
  eg__monitor_plan plan = {0, 0, 0, 0};
  if (seen->queued > 0) {
    m->empty_since = 0;
    int added_before = m->added;
    plan.add = replacements(m, seen);
    /* Short ticks while a generation is under way: blocked workers found,
     * workers to judge, or added ones not yet in their job. But on a busy
     * queue of short jobs (more taken since the last tick than twice the
     * workers to judge) those workers are between jobs, and spinners
     * outside a generation are too: short ticks would only take their CPUs
     * from them. */
    int long_jobs = seen->taken - m->last_taken <= 2 * (size_t)seen->unseen;
    plan.watch = seen->fresh > 0 || (seen->unseen > 0 && long_jobs) ||
                 (m->streak > 0 && seen->on_the_way > 0) || added_before;
    watch_stall(m, seen, &plan);
  } else {
    m->stalled_since = seen->now;
    m->streak = 0;
    m->liveness_wait = EG__LIVENESS_NS;
    if (m->empty_since == 0)
      m->empty_since = seen->now;
    plan.sleep = seen->now - m->empty_since >= EG__MONITOR_QUIET_NS;
  }
  m->last_taken = seen->taken;
  m->added = plan.add > 0;
  return plan;
}

/*
 * The tick adapts, like Go's sysmon: the shortest while there is something
 * to watch, doubling on each timed tick without, up to
 * EG__MONITOR_TICK_MAX_NS. A poke that finds nothing leaves the tick as it
 * was, and the next poke waits for a timed tick: on a busy queue of short
 * jobs nearly every push finds the workers busy, and a monitor woken at
 * that rate takes their CPUs.
 */
int64_t eg__monitor_end_tick(eg__monitor *m, int busy) {
  if (busy)
    m->tick_ns = EG__MONITOR_TICK_MIN_NS;
  else if (m->poked)
    ; /* the backoff goes on from where it was */
  else if (m->tick_ns < EG__MONITOR_TICK_MAX_NS / 2)
    m->tick_ns *= 2;
  else
    m->tick_ns = EG__MONITOR_TICK_MAX_NS;
  m->pokeable = m->tick_ns >= EG__MONITOR_POKE_NS && !(m->poked && !busy);
  m->poked = 0;
  return m->tick_ns;
}
