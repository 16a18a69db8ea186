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
  m->resume_ns = 0;
  m->saw_jobs = 0;
}

void eg__monitor_poked(eg__monitor *m) {
  m->poked = 1;
}

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

/*
 * 1 if jobs are long: no more were taken since the last tick than twice
 * the workers in a job. Then workers to judge and spinners are what a
 * generation waits for; on a busy queue of short jobs they are workers
 * between two jobs, and watching them closely would only take their CPUs.
 * (A count that went back, as next slots may by one, is no progress.)
 */
static int long_jobs(const eg__monitor *m, const eg__monitor_seen *seen) {
  size_t taken = seen->taken > m->last_taken ? seen->taken - m->last_taken : 0;
  return taken <= 2 * (size_t)seen->in_jobs;
}

/* There are workers to judge, or a generation is under way and waits for
 * the workers it added, still on their way to a job (spinners outside a
 * generation are the wake rule's: they need no watching). */
static int generation_pending(const eg__monitor *m,
                              const eg__monitor_seen *seen) {
  return long_jobs(m, seen) &&
         (seen->unseen > 0 || (m->streak > 0 && seen->on_the_way > 0));
}

static int replacement_shift(const eg__monitor *m) {
  return m->streak < EG__MAX_ADD_SHIFT ? m->streak : EG__MAX_ADD_SHIFT;
}

/*
 * Blocked workers found are replaced, by 1, 2, 4, ... threads each in
 * consecutive generations that find more (work that blocks keeps blocking),
 * never more than there are queued jobs; a generation ends when a tick
 * finds no blocked worker and none pending, and the tick before added none
 * (a worker added may not have blocked long enough yet to be judged).
 */
static size_t replacements(eg__monitor *m, const eg__monitor_seen *seen) {
  if (seen->fresh == 0) {
    if (!generation_pending(m, seen) && !m->added)
      m->streak = 0;
    return 0;
  }
  int shift = replacement_shift(m);
  if (m->streak < EG__MAX_ADD_SHIFT)
    m->streak++; /* only its shift matters: bounded, it cannot overflow */
  return min_size(seen->queued, (size_t)seen->fresh << shift);
}

size_t eg__monitor_fresh_enough(const eg__monitor *m, size_t queued) {
  int shift = replacement_shift(m);
  size_t enough =
      (queued >> shift) + ((queued & (((size_t)1 << shift) - 1)) != 0);
  return enough > 0 ? enough : 1;
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
  /* The first tick to see jobs queued, timed, is as good as a poke: the
   * pushes came while a worker was on its way to the first job, so none
   * poked, and the workers may block in them (end_tick: a look 40 us
   * later, then the backoff resumes). */
  if (seen->queued > 0 && !m->saw_jobs)
    m->poked = 1;
  if (seen->queued > 0) {
    m->empty_since = 0;
    int added_before = m->added;
    plan.add = replacements(m, seen);
    /* Short ticks while a generation is under way: blocked workers found,
     * workers to judge or added ones not yet in their job (while jobs are
     * long), or an addition the tick before. */
    plan.watch = seen->fresh > 0 || generation_pending(m, seen) || added_before;
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
  m->saw_jobs = seen->queued > 0;
  return plan;
}

/*
 * The tick adapts, like Go's sysmon: the shortest while there is something
 * to watch, doubling on each timed tick without, up to
 * EG__MONITOR_TICK_MAX_NS. A push may poke a slow monitor only if its last
 * tick saw no job queued: it has not looked at the workers since, and they
 * may have blocked; while jobs stay queued it looks at every tick anyway,
 * and on a busy queue nearly every push finds the workers busy (a monitor
 * woken at that rate takes their CPUs). A poke that finds nothing is
 * followed by one look two shortest ticks later (a worker that computed,
 * then blocked since the last look, looks busy at the poke), after which
 * the backoff resumes where it was for a whole timed tick without pokes.
 */
int64_t eg__monitor_end_tick(eg__monitor *m, int busy) {
  int no_poke = 0;
  if (busy) {
    m->tick_ns = EG__MONITOR_TICK_MIN_NS;
    m->resume_ns = 0;
  } else if (m->poked) {
    if (m->resume_ns == 0)
      m->resume_ns = m->tick_ns;
    m->tick_ns = 2 * EG__MONITOR_TICK_MIN_NS;
  } else if (m->resume_ns != 0) {
    m->tick_ns = m->resume_ns;
    m->resume_ns = 0;
    no_poke = 1;
  } else if (m->tick_ns < EG__MONITOR_TICK_MAX_NS / 2) {
    m->tick_ns *= 2;
  } else {
    m->tick_ns = EG__MONITOR_TICK_MAX_NS;
  }
  m->pokeable = m->tick_ns >= EG__MONITOR_POKE_NS && !no_poke && !m->saw_jobs;
  m->poked = 0;
  return m->tick_ns;
}
