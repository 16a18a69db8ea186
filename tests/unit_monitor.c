/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the pool monitor's policy (c/monitor.c), with explicit
 * clocks: what a tick decides from what it saw, without threads or sleeps.
 * Runs every case in order and exits non-zero on the first failure.
 */
#include <stdio.h>

#include "monitor.h"
#include "tunables.h"
#include "unit_check.h"

enum { US = 1000, MS = 1000000 };

/* A tick at `now` with `queued` jobs, `taken` ever taken, and the rest of
 * what it saw zero: no blocked worker, nothing takeable, no wake possible. */
static eg__monitor_seen seen_at(int64_t now, size_t queued, size_t taken) {
  eg__monitor_seen seen = {.now = now, .queued = queued, .taken = taken};
  return seen;
}

/* Blocked workers found in consecutive generations are replaced by 1, 2,
 * 4, ... threads each, never more than the queued jobs; the shift stops at
 * EG__MAX_ADD_SHIFT. */
static void replacements_grow_per_generation(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  size_t expected[] = {1, 2, 4, 8, 16};
  for (int i = 0; i < 5; i++) {
    eg__monitor_seen seen = seen_at((i + 1) * 20 * US, 1000, 0);
    seen.fresh = 1;
    eg__monitor_plan plan = eg__monitor_decide(&m, &seen);
    CHECK(plan.add == expected[i]);
    CHECK(plan.watch && !plan.wake && !plan.sleep);
  }
  eg__monitor_seen few = seen_at(200 * US, 3, 0);
  few.fresh = 2;
  CHECK(eg__monitor_decide(&m, &few).add == 3); /* capped at the queue */
  eg__monitor_reset(&m, 0, 0);
  for (int i = 0; i < EG__MAX_ADD_SHIFT + 4; i++) {
    eg__monitor_seen seen = seen_at(i * 20 * US, (size_t)1 << 20, 0);
    seen.fresh = 1;
    size_t add = eg__monitor_decide(&m, &seen).add;
    int shift = i < EG__MAX_ADD_SHIFT ? i : EG__MAX_ADD_SHIFT;
    CHECK(add == (size_t)1 << shift);
  }
}

/* A look may stop judging workers once the blocked ones it found would
 * have every queued job replaced: all of them at the first generation, an
 * eighth at the fourth (rounded up), never fewer than one; and what it
 * found then does replace them all. */
static void a_look_stops_once_the_queue_is_covered(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  CHECK(eg__monitor_fresh_enough(&m, 100) == 100);
  CHECK(eg__monitor_fresh_enough(&m, 0) == 1);
  for (int i = 0; i < 3; i++) {
    eg__monitor_seen seen = seen_at((i + 1) * 20 * US, 1000, 0);
    seen.fresh = 1;
    eg__monitor_decide(&m, &seen);
  }
  CHECK(eg__monitor_fresh_enough(&m, 100) == 13);
  CHECK(eg__monitor_fresh_enough(&m, 96) == 12);
  CHECK(eg__monitor_fresh_enough(&m, 3) == 1);
  eg__monitor_seen covered = seen_at(80 * US, 100, 0);
  covered.fresh = (int)eg__monitor_fresh_enough(&m, 100);
  CHECK(eg__monitor_decide(&m, &covered).add == 100);
  eg__monitor_reset(&m, 0, 0);
  for (int i = 0; i < EG__MAX_ADD_SHIFT + 4; i++) {
    eg__monitor_seen seen = seen_at((i + 1) * 20 * US, 1000, 0);
    seen.fresh = 1;
    eg__monitor_decide(&m, &seen);
  }
  CHECK(eg__monitor_fresh_enough(&m, (size_t)1 << 20) ==
        (size_t)1 << (20 - EG__MAX_ADD_SHIFT)); /* the shift stops */
}

/* A generation lasts while its workers are still to be judged or on their
 * way to a job, and for one tick after an addition; a tick with none of
 * these ends it. */
static void generation_ends_only_when_nothing_is_pending(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  eg__monitor_seen seen = seen_at(20 * US, 100, 0);
  seen.fresh = 1;
  CHECK(eg__monitor_decide(&m, &seen).add == 1);
  eg__monitor_seen waking = seen_at(40 * US, 100, 0);
  waking.on_the_way = 1; /* the added worker is not in its job yet */
  CHECK(eg__monitor_decide(&m, &waking).add == 0);
  eg__monitor_seen judging = seen_at(60 * US, 100, 1);
  judging.unseen = judging.in_jobs = 1;
  eg__monitor_plan plan = eg__monitor_decide(&m, &judging);
  CHECK(plan.add == 0 && plan.watch);
  seen = seen_at(80 * US, 100, 1);
  seen.fresh = 1;
  CHECK(eg__monitor_decide(&m, &seen).add == 2); /* the same generation */
  /* The tick after an addition sees nothing (the added worker was judged
   * busy: its wake cost it CPU): the generation goes on, on short ticks. */
  eg__monitor_seen quiet = seen_at(100 * US, 100, 2);
  eg__monitor_plan after_add = eg__monitor_decide(&m, &quiet);
  CHECK(after_add.add == 0 && after_add.watch);
  seen = seen_at(120 * US, 100, 2);
  seen.fresh = 1;
  CHECK(eg__monitor_decide(&m, &seen).add == 4);
  quiet = seen_at(140 * US, 100, 3);
  CHECK(eg__monitor_decide(&m, &quiet).add == 0);
  quiet = seen_at(160 * US, 100, 3); /* a second tick with nothing: over */
  CHECK(!eg__monitor_decide(&m, &quiet).watch);
  seen = seen_at(180 * US, 100, 3);
  seen.fresh = 1;
  CHECK(eg__monitor_decide(&m, &seen).add == 1); /* a new one */
}

/* On a busy queue of short jobs (more taken per tick than twice the
 * workers in a job), workers to judge and spinners are workers between two
 * jobs: they neither keep the ticks short nor keep a generation going. On
 * long jobs they do, spinners only inside a generation (outside one they
 * are the wake rule's, say a chain of tasks that each block in a library
 * wait). */
static void pending_workers_count_only_on_long_jobs(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  for (int i = 1; i <= 3; i++) {
    eg__monitor_seen busy = seen_at(i * 20 * US, 100, (size_t)i * 1000);
    busy.on_the_way = 2;
    busy.unseen = busy.in_jobs = 2;
    busy.takeable = 1;
    eg__monitor_plan plan = eg__monitor_decide(&m, &busy);
    CHECK(plan.add == 0 && !plan.watch && !plan.wake);
  }
  eg__monitor_seen chain = seen_at(70 * US, 100, 3001);
  chain.on_the_way = 1; /* the others sleep in library waits: not counted */
  CHECK(!eg__monitor_decide(&m, &chain).watch);
  /* The boundary: 2 per worker in a job is long, 2 and one more is not. */
  eg__monitor_seen edge = seen_at(80 * US, 100, 3004);
  edge.unseen = edge.in_jobs = 2;
  CHECK(eg__monitor_decide(&m, &edge).watch);
  edge = seen_at(100 * US, 100, 3009);
  edge.unseen = edge.in_jobs = 2;
  CHECK(!eg__monitor_decide(&m, &edge).watch);
  /* A generation on a queue that turns busy ends: the next blocked worker
   * starts a new one, replaced by one thread, not 2^streak. */
  eg__monitor_seen found = seen_at(120 * US, 100, 3009);
  found.fresh = found.in_jobs = 1;
  CHECK(eg__monitor_decide(&m, &found).add == 1);
  eg__monitor_seen after = seen_at(140 * US, 100, 3009);
  eg__monitor_decide(&m, &after); /* the tick after the addition */
  eg__monitor_seen waking = seen_at(160 * US, 100, 3010);
  waking.on_the_way = waking.in_jobs = 1; /* long jobs: still pending */
  CHECK(eg__monitor_decide(&m, &waking).watch);
  for (int i = 1; i <= 2; i++) {
    eg__monitor_seen busy =
        seen_at((160 + i * 20) * US, 100, 3010 + (size_t)i * 1000);
    busy.on_the_way = busy.unseen = busy.in_jobs = 1;
    CHECK(!eg__monitor_decide(&m, &busy).watch);
  }
  found = seen_at(220 * US, 100, 5010);
  found.fresh = found.in_jobs = 1;
  CHECK(eg__monitor_decide(&m, &found).add == 1);
}

/* A count of taken jobs that went back (next slots may, by one) is no
 * progress: jobs count as long. */
static void taken_count_going_back_is_no_progress(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 500);
  eg__monitor_seen back = seen_at(20 * US, 10, 499);
  back.unseen = back.in_jobs = 1;
  CHECK(eg__monitor_decide(&m, &back).watch);
}

/* A queue stuck behind computing workers gets a thread after
 * EG__LIVENESS_NS, the next after twice as long, ..., up to
 * EG__LIVENESS_MAX_NS between two; progress restarts the clock. */
static void liveness_threads_at_doubling_intervals(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 7);
  int64_t now = 0, wait = EG__LIVENESS_NS, last = 0;
  int added = 0;
  while (added < 12) {
    now += MS;
    eg__monitor_seen seen = seen_at(now, 5, 7);
    seen.takeable = 1;
    eg__monitor_plan plan = eg__monitor_decide(&m, &seen);
    CHECK(!plan.wake);
    if (plan.add == 0) {
      CHECK(now - last < wait);
      continue;
    }
    CHECK(plan.add == 1 && plan.watch);
    CHECK(now - last == wait);
    last = now;
    added++;
    if (wait < EG__LIVENESS_MAX_NS)
      wait *= 2;
  }
  CHECK(wait >= EG__LIVENESS_MAX_NS);
  /* Progress: the stall starts again, at the wait reached so far. */
  eg__monitor_seen moved = seen_at(now + MS, 5, 8);
  moved.takeable = 1;
  CHECK(eg__monitor_decide(&m, &moved).add == 0);
  eg__monitor_seen stuck = seen_at(now + MS + EG__LIVENESS_NS, 5, 8);
  stuck.takeable = 1;
  CHECK(eg__monitor_decide(&m, &stuck).add == 0);
  /* An empty queue forgets the doubling. */
  eg__monitor_seen empty = seen_at(now + 2 * MS + EG__LIVENESS_NS, 0, 8);
  eg__monitor_decide(&m, &empty);
  eg__monitor_seen again = seen_at(now + 3 * MS + EG__LIVENESS_NS, 5, 8);
  again.takeable = 1;
  eg__monitor_decide(&m, &again);
  eg__monitor_seen later = seen_at(now + 3 * MS + 2 * EG__LIVENESS_NS, 5, 8);
  later.takeable = 1;
  CHECK(eg__monitor_decide(&m, &later).add == 1);
}

/* A stuck queue while fewer workers are runnable than the wake rule allows:
 * the wake rule failed at the push (no thread, or the cap): retry it, and
 * add no liveness thread. A queue that is not takeable (an unpublished
 * cell) is no stall. */
static void a_failed_wake_is_retried(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  eg__monitor_seen seen = seen_at(EG__LIVENESS_NS * 4, 1, 0);
  seen.takeable = 1;
  seen.can_wake = 1;
  eg__monitor_plan plan = eg__monitor_decide(&m, &seen);
  CHECK(plan.wake && plan.add == 0);
  eg__monitor_seen unpublished = seen_at(EG__LIVENESS_NS * 8, 1, 0);
  plan = eg__monitor_decide(&m, &unpublished);
  CHECK(!plan.wake && plan.add == 0 && !plan.watch);
}

/* The tick: shortest while busy, doubling on quiet ticks up to the
 * longest. */
static void tick_adapts(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  CHECK(m.tick_ns == EG__MONITOR_TICK_MIN_NS);
  int64_t tick = EG__MONITOR_TICK_MIN_NS;
  for (int i = 0; i < 20; i++) {
    int64_t next = eg__monitor_end_tick(&m, 0);
    CHECK(next == (tick * 2 < EG__MONITOR_TICK_MAX_NS
                       ? tick * 2
                       : EG__MONITOR_TICK_MAX_NS));
    tick = next;
  }
  CHECK(tick == EG__MONITOR_TICK_MAX_NS);
  CHECK(eg__monitor_end_tick(&m, 1) == EG__MONITOR_TICK_MIN_NS);
  eg__monitor_end_tick(&m, 0);
  CHECK(!m.pokeable); /* 40 us: a monitor that just acted is not poked */
}

/* A poke makes the monitor look at once. One that finds nothing to watch
 * is followed by one look two shortest ticks later; then the backoff
 * resumes where it was, and no push may poke before that whole timed tick
 * has passed. One that finds something starts the shortest ticks. */
static void pokes_are_bounded_by_timed_ticks(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  while (m.tick_ns < EG__MONITOR_TICK_MAX_NS)
    eg__monitor_end_tick(&m, 0);
  CHECK(m.pokeable);
  eg__monitor_poked(&m);
  CHECK(eg__monitor_end_tick(&m, 0) == 2 * EG__MONITOR_TICK_MIN_NS);
  CHECK(!m.pokeable); /* the follow-up look */
  CHECK(eg__monitor_end_tick(&m, 0) == EG__MONITOR_TICK_MAX_NS);
  CHECK(!m.pokeable); /* the resumed tick is a whole timed tick */
  CHECK(eg__monitor_end_tick(&m, 0) == EG__MONITOR_TICK_MAX_NS);
  CHECK(m.pokeable);
  eg__monitor_poked(&m);
  CHECK(eg__monitor_end_tick(&m, 1) == EG__MONITOR_TICK_MIN_NS);
  CHECK(!m.pokeable);
  /* The follow-up finds something: the backoff starts over. */
  while (m.tick_ns < EG__MONITOR_TICK_MAX_NS)
    eg__monitor_end_tick(&m, 0);
  eg__monitor_poked(&m);
  eg__monitor_end_tick(&m, 0);
  CHECK(eg__monitor_end_tick(&m, 1) == EG__MONITOR_TICK_MIN_NS);
  CHECK(eg__monitor_end_tick(&m, 0) == 2 * EG__MONITOR_TICK_MIN_NS);
  /* A tick that saw jobs queued looked at the workers: no poke. */
  eg__monitor_reset(&m, 0, 0);
  while (m.tick_ns < EG__MONITOR_TICK_MAX_NS)
    eg__monitor_end_tick(&m, 0);
  eg__monitor_seen queued = seen_at(MS, 3, 0);
  queued.in_jobs = 1;
  eg__monitor_decide(&m, &queued); /* the first to see them: a follow-up */
  eg__monitor_end_tick(&m, 0);
  eg__monitor_decide(&m, &queued);
  eg__monitor_end_tick(&m, 0);
  CHECK(!m.pokeable);
  eg__monitor_seen empty = seen_at(3 * MS, 0, 3);
  eg__monitor_end_tick(&m, eg__monitor_decide(&m, &empty).watch);
  CHECK(m.pokeable);
  /* From the middle of the backoff, it resumes there, not doubled. */
  eg__monitor_reset(&m, 0, 0);
  while (m.tick_ns < EG__MONITOR_POKE_NS)
    eg__monitor_end_tick(&m, 0);
  eg__monitor_poked(&m);
  eg__monitor_end_tick(&m, 0);
  CHECK(eg__monitor_end_tick(&m, 0) == EG__MONITOR_POKE_NS);
}

/* The first timed tick to see jobs queued acts as a poke: one look two
 * shortest ticks later (the workers may block in the new jobs), then the
 * backoff resumes, for a whole timed tick without pokes; later ticks that
 * see jobs again are plain timed ticks. */
static void first_sight_of_jobs_is_followed_up(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  while (m.tick_ns < EG__MONITOR_TICK_MAX_NS)
    eg__monitor_end_tick(&m, 0);
  eg__monitor_seen first = seen_at(MS, 100, 0);
  first.in_jobs = 1;
  eg__monitor_plan plan = eg__monitor_decide(&m, &first);
  CHECK(!plan.watch && plan.add == 0);
  CHECK(eg__monitor_end_tick(&m, plan.watch) == 2 * EG__MONITOR_TICK_MIN_NS);
  eg__monitor_seen again = seen_at(MS + 40 * US, 100, 0);
  again.in_jobs = 1;
  plan = eg__monitor_decide(&m, &again);
  CHECK(eg__monitor_end_tick(&m, plan.watch) == EG__MONITOR_TICK_MAX_NS);
  again.now += EG__MONITOR_TICK_MAX_NS;
  plan = eg__monitor_decide(&m, &again);
  CHECK(eg__monitor_end_tick(&m, plan.watch) == EG__MONITOR_TICK_MAX_NS);
  CHECK(!m.pokeable); /* it sees jobs: it looks at every tick anyway */
}

/* Workers in a job the monitor has not judged yet keep the ticks short
 * while jobs are long (few taken since the last tick); on a busy queue of
 * short jobs they are between jobs and do not. */
static void unjudged_workers_watched_only_on_long_jobs(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 100);
  eg__monitor_seen slow = seen_at(20 * US, 50, 102);
  slow.unseen = slow.in_jobs = 2;
  CHECK(eg__monitor_decide(&m, &slow).watch);
  eg__monitor_seen busy = seen_at(40 * US, 50, 2102);
  busy.unseen = busy.in_jobs = 2;
  CHECK(!eg__monitor_decide(&m, &busy).watch);
  eg__monitor_seen stuck = seen_at(60 * US, 50, 2102);
  stuck.unseen = stuck.in_jobs = 1;
  CHECK(eg__monitor_decide(&m, &stuck).watch);
}

/* Nothing queued for EG__MONITOR_QUIET_NS: sleep until a push; a job in
 * between restarts the quiet period. */
static void sleeps_after_a_quiet_period(void) {
  eg__monitor m;
  eg__monitor_reset(&m, 0, 0);
  CHECK(!eg__monitor_decide(&m, &(eg__monitor_seen){.now = MS}).sleep);
  CHECK(!eg__monitor_decide(
             &m, &(eg__monitor_seen){.now = MS + EG__MONITOR_QUIET_NS - 1})
             .sleep);
  eg__monitor_seen busy = seen_at(MS + EG__MONITOR_QUIET_NS - 1, 1, 1);
  CHECK(!eg__monitor_decide(&m, &busy).sleep);
  int64_t start = 2 * MS + EG__MONITOR_QUIET_NS;
  CHECK(!eg__monitor_decide(&m, &(eg__monitor_seen){.now = start}).sleep);
  CHECK(eg__monitor_decide(
            &m, &(eg__monitor_seen){.now = start + EG__MONITOR_QUIET_NS})
            .sleep);
}

int main(void) {
  replacements_grow_per_generation();
  a_look_stops_once_the_queue_is_covered();
  generation_ends_only_when_nothing_is_pending();
  pending_workers_count_only_on_long_jobs();
  taken_count_going_back_is_no_progress();
  liveness_threads_at_doubling_intervals();
  a_failed_wake_is_retried();
  tick_adapts();
  pokes_are_bounded_by_timed_ticks();
  first_sight_of_jobs_is_followed_up();
  unjudged_workers_watched_only_on_long_jobs();
  sleeps_after_a_quiet_period();
  puts("unit_monitor: all passed");
  return 0;
}
