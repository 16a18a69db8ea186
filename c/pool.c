/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errgroup_async.h"
#include "list.h"
#include "monitor.h"
#include "next_slot.h"
#include "platform.h"
#include "timer.h"
#include "tunables.h"

/*
 * One pool thread's record. Records are never freed: a thread that exits
 * leaves its record on the spare list for the next thread, so a waker or
 * the monitor that still holds one touches valid memory.
 */
typedef struct worker {
  eg__list link;      /* pool.all while its thread lives, else pool.spare */
  eg__list idle_link; /* on pool.idle_list while parked (idle_lock) */
  /* The park futex: 0 while parked, 1 once a waker took the worker off the
   * idle list and handed it a spinner's place (written under idle_lock). */
  atomic_uint woken;
  /* Places for queued jobs a waker gave it to hand on (pass_places), its
   * own not included; written with `woken`, before it. */
  int places_to_pass;
  int start_spinning; /* a new thread that starts with a spinner's place */
  clockid_t cpu_clock;
  pid_t tid;
  /* Written by the worker, read by the monitor (relaxed: heuristics). */
  _Alignas(EG_CACHE_LINE) atomic_uint job_seq; /* odd while a job runs */
  atomic_int in_wait;  /* between eg__pool_block_begin and _end */
  atomic_int detected; /* the monitor counts it in pool.blocked */
  /* The clocks as it started its first job after leaving the idle list
   * (note_first_job), valid while woke_seq is the sequence before that job. */
  atomic_uint woke_seq;
  _Atomic int64_t woke_cpu_ns, woke_at_ns;
  /* The monitor's own memory (under all_lock). */
  unsigned seen_seq;
  int64_t seen_cpu_ns, seen_at_ns;
} worker;

static struct pool {
  eg_queue queue;
  /* Read by every submitter, written only on state transitions. seq_cst
   * throughout: the handshakes below are Dekker style. */
  _Alignas(EG_CACHE_LINE) atomic_int idle; /* parked workers */
  atomic_int spinning;       /* spinning workers, with woken ones not yet up */
  atomic_int blocked;        /* workers inside a job that sleeps */
  atomic_int monitor_asleep; /* the monitor waits for the next push */
  atomic_int monitor_slow;   /* a push may poke it (eg__monitor.pokeable) */
  atomic_int started;        /* monitor and first worker are up */
  atomic_int stopping;       /* eg_pool_shutdown in progress */
  int min_threads;           /* workers that never retire: the CPU count */
  int max_spinners;          /* at most half the CPUs spin */
  int max_awake; /* the wake rule's bound: CPUs - 1 runnable (at least 1) */
  atomic_int max_threads;   /* the cap; 0 until the default is known */
  _Atomic uint64_t refused; /* threads not created because of the cap */
  _Atomic uint64_t wakes;   /* parked workers woken (a statistic) */
  /* Futex words. */
  _Alignas(EG_CACHE_LINE) atomic_uint monitor_wake;
  atomic_uint monitor_alive;
  _Alignas(EG_CACHE_LINE) atomic_uint threads; /* live workers */
  /* A job the monitor saw in the same next slot at two ticks (a token of
   * next_slot.h, 0 if none): the first worker between two jobs takes it.
   * Read by workers between jobs, written at most once per tick. */
  _Alignas(EG_CACHE_LINE) _Atomic uint64_t stale_job;
  /* Jobs finished; with the queue's taken count it tells what is running. */
  _Alignas(EG_CACHE_LINE) atomic_size_t completed;
  atomic_uint forks;         /* fork() children this process descends from */
  pthread_mutex_t idle_lock; /* idle_list, and each worker's `woken` */
  eg__list idle_list;        /* parked workers, newest first */
  pthread_mutex_t all_lock;  /* all, spare, the monitor's memory */
  eg__list all, spare;
  eg__list *look_from; /* where the monitor's next look starts (all_lock) */
  pthread_mutex_t lifecycle; /* serialises start and shutdown */
} pool = {.idle_lock = PTHREAD_MUTEX_INITIALIZER,
          .all_lock = PTHREAD_MUTEX_INITIALIZER,
          .lifecycle = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* The calling thread's record if it is a worker of this process's pool. */
static EG__THREAD_LOCAL worker *self;
/* See eg__pool_may_chain. */
static EG__THREAD_LOCAL int running_own_job;

/* ---- fork: the child has only the forking thread ---- */

/* Holds the pool's locks across fork(), so the child's copies are in a
 * known state (re-created by child_after_fork). */
static void prepare_fork(void) {
  pthread_mutex_lock(&pool.lifecycle);
  pthread_mutex_lock(&pool.queue.overflow_lock);
  pthread_mutex_lock(&pool.idle_lock);
  pthread_mutex_lock(&pool.all_lock);
}

static void parent_after_fork(void) {
  pthread_mutex_unlock(&pool.all_lock);
  pthread_mutex_unlock(&pool.idle_lock);
  pthread_mutex_unlock(&pool.queue.overflow_lock);
  pthread_mutex_unlock(&pool.lifecycle);
}

/*
 * In the child the workers and the monitor do not exist: forget them and
 * the queued jobs (their groups' other tasks ran in the parent's threads,
 * so those groups cannot finish in the child anyway). The next submission
 * starts a new pool. A fork inside a task leaves the forking thread a
 * worker of no pool: its record goes (worker_main lets it end quietly when
 * the task returns), so the child's counts never include it.
 */
static void child_after_fork(void) {
  eg__queue_reset_after_fork(&pool.queue);
  eg__next_reset_after_fork();
  self = NULL;
  atomic_fetch_add(&pool.forks, 1);
  atomic_store(&pool.idle, 0);
  atomic_store(&pool.spinning, 0);
  atomic_store(&pool.blocked, 0);
  atomic_store(&pool.monitor_asleep, 0);
  atomic_store(&pool.monitor_slow, 0);
  atomic_store(&pool.started, 0);
  atomic_store(&pool.stopping, 0);
  atomic_store(&pool.monitor_alive, 0);
  atomic_store(&pool.threads, 0);
  atomic_store(&pool.completed, 0);
  atomic_store(&pool.stale_job, 0);
  atomic_store(&pool.refused, 0);
  eg__list_init(&pool.idle_list);
  eg__list_splice(&pool.all, &pool.spare);
  pool.look_from = &pool.all;
  pthread_mutex_init(&pool.idle_lock, NULL);
  pthread_mutex_init(&pool.all_lock, NULL);
  pthread_mutex_init(&pool.lifecycle, NULL);
}

static void init_pool_once(void) {
  eg__queue_init(&pool.queue);
  eg__list_init(&pool.idle_list);
  eg__list_init(&pool.all);
  eg__list_init(&pool.spare);
  pool.look_from = &pool.all;
  pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
}

void eg__pool_init(void) {
  pthread_once(&pool_once, init_pool_once);
}

/* The owner of the pool job this thread runs while it is not yet counted
 * complete (NULL once it is), and the fork count it started under. */
static EG__THREAD_LOCAL const void *open_job;
static EG__THREAD_LOCAL unsigned open_job_forks;

/* A job taken before a fork() that returns in the child was never taken
 * there: it must not count as completed. */
static void count_job_complete(void) {
  open_job = NULL;
  /* Relaxed: the group's count-out that releases a waiter (acq_rel) comes
   * after it, so a shutdown after eg_group_wait sees it; the fork count is
   * only written in a child before it has other threads. */
  if (atomic_load_explicit(&pool.forks, memory_order_relaxed) == open_job_forks)
    atomic_fetch_add_explicit(&pool.completed, 1, memory_order_relaxed);
}

/* Jobs nest (one run inside eg__pool_help): each counts once. */
static void run_job(const eg_job *job) {
  const void *outer = open_job;
  unsigned outer_forks = open_job_forks;
  open_job = job->owner != NULL ? job->owner : job;
  open_job_forks = atomic_load_explicit(&pool.forks, memory_order_relaxed);
  job->run(job->owner, job->fn, job->arg);
  if (open_job != NULL)
    count_job_complete();
  open_job = outer;
  open_job_forks = outer_forks;
}

void eg__pool_job_returning(const void *owner) {
  if (owner != NULL && open_job == owner)
    count_job_complete();
}

/* Jobs waiting in the queue or in next slots (a snapshot; seq_cst). */
static size_t queued_jobs(void) {
  return eg__queue_length(&pool.queue) + eg__next_pending();
}

/* Jobs ever taken from the queue or from next slots. */
static size_t taken_jobs(void) {
  return eg__queue_taken(&pool.queue) + (size_t)eg__next_taken();
}

/* 1 if a job could be taken now: from the queue, or from a next slot
 * (once stale). seq_cst: see eg__queue_ready. */
static int takeable_jobs(void) {
  return eg__queue_ready(&pool.queue) || eg__next_pending() > 0;
}

/* Workers that can use a CPU now: neither parked nor asleep in a task. */
static int runnable(void) {
  return (int)atomic_load(&pool.threads) - atomic_load(&pool.idle) -
         atomic_load(&pool.blocked);
}

/* ------------------------------------------------------ threads and cap */

static void *worker_main(void *arg);

static worker *take_record(void) {
  pthread_mutex_lock(&pool.all_lock);
  eg__list *node = eg__list_pop_front(&pool.spare);
  pthread_mutex_unlock(&pool.all_lock);
  worker *w = node != NULL ? EG__LIST_ENTRY(node, worker, link)
                           : eg__alloc_lines(sizeof(worker));
  if (w != NULL) {
    eg__list_init(&w->link);
    eg__list_init(&w->idle_link);
    atomic_init(&w->woken, 0);
    w->places_to_pass = 0;
    atomic_init(&w->job_seq, 0);
    atomic_init(&w->woke_seq, UINT_MAX); /* odd: no job's predecessor */
    atomic_init(&w->in_wait, 0);
    atomic_init(&w->detected, 0);
    w->seen_seq = 0;
  }
  return w;
}

static void put_record(worker *w) {
  pthread_mutex_lock(&pool.all_lock);
  if (pool.look_from == &w->link)
    pool.look_from = w->link.next;
  eg__list_remove(&w->link);
  eg__list_push_front(&pool.spare, &w->link);
  pthread_mutex_unlock(&pool.all_lock);
}

/* One thread fewer; tells a shutdown waiting for zero. Only the futex word
 * is touched after the count drops, and the library is never unmapped. */
static void count_thread_gone(void) {
  atomic_fetch_sub(&pool.threads, 1);
  eg__futex_wake(&pool.threads, INT_MAX);
}

/* Counts one more thread unless the cap is reached. */
static int count_thread_under_cap(void) {
  unsigned count = atomic_load(&pool.threads);
  unsigned cap =
      (unsigned)atomic_load_explicit(&pool.max_threads, memory_order_relaxed);
  do {
    if (count >= cap) {
      atomic_fetch_add_explicit(&pool.refused, 1, memory_order_relaxed);
      return 0;
    }
  } while (!atomic_compare_exchange_weak(&pool.threads, &count, count + 1));
  return 1;
}

/* Starts a worker; `spinning`: it takes a spinner's place the caller has
 * counted. 0 or an errno value. */
static int spawn_worker(int spinning) {
  /* Counted before the thread exists so a racing shutdown waits for it. */
  if (!count_thread_under_cap())
    return EAGAIN;
  /* seq_cst, after counting: stop_threads sets `stopping` and then waits
   * for the count to reach zero, so either it waits for this thread or we
   * see the flag and give the count back (a thread started after the wait
   * would run into the reset that follows it). */
  if (atomic_load(&pool.stopping)) {
    count_thread_gone();
    return EAGAIN;
  }
  worker *w = take_record();
  int rc = w == NULL ? ENOMEM : 0;
  if (w != NULL) {
    w->start_spinning = spinning;
    rc = eg__thread_start(worker_main, w);
    if (rc != 0)
      put_record(w);
  }
  if (rc != 0)
    count_thread_gone();
  return rc;
}

/* Half of RLIMIT_NPROC, one thread per EG__THREAD_MEMORY_BYTES of memory,
 * at least EG__MIN_THREAD_CAP. */
static int default_cap(void) {
  long long cap = INT_MAX;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    cap = (long long)(limit.rlim_cur / 2);
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0 &&
      (long long)pages * page / EG__THREAD_MEMORY_BYTES < cap)
    cap = (long long)pages * page / EG__THREAD_MEMORY_BYTES;
  return cap < EG__MIN_THREAD_CAP ? EG__MIN_THREAD_CAP : (int)cap;
}

/* ------------------------------------------------------------- waking */

/* Takes the newest parked worker off the idle list and wakes it with a
 * spinner's place the caller has counted, and `to_pass` more for it to hand
 * on (pass_places). 0 if none is parked. */
static int wake_parked(int to_pass) {
  pthread_mutex_lock(&pool.idle_lock);
  eg__list *node = eg__list_pop_front(&pool.idle_list);
  worker *w = node != NULL ? EG__LIST_ENTRY(node, worker, idle_link) : NULL;
  if (w != NULL) {
    atomic_fetch_sub(&pool.idle, 1);
    w->places_to_pass = to_pass;
    /* seq_cst: the worker reads its places after it sees `woken`. */
    atomic_store(&w->woken, 1);
    /* Relaxed: a statistic (eg__pool_counts). */
    atomic_fetch_add_explicit(&pool.wakes, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&pool.idle_lock);
  /* The record outlives its thread (see struct worker): a wake that comes
   * late lands on a word nobody sleeps on, or is a spurious one. */
  if (w != NULL)
    eg__futex_wake(&w->woken, 1);
  return w != NULL;
}

/* Hands a spinner's place the caller has counted to a parked worker, else to
 * a new thread. 0 if neither: the place is taken back. */
static int hand_spinner_place(void) {
  if ((atomic_load(&pool.idle) > 0 && wake_parked(0)) || spawn_worker(1) == 0)
    return 1;
  atomic_fetch_sub(&pool.spinning, 1);
  return 0;
}

/*
 * The wake rule, Go's wakep, written once. Called after every push and by
 * a spinning worker that found a job (stop_spinning); a worker about to
 * sleep in a library wait hands its CPU on instead (hand_over_to_queue:
 * to up to two workers, while those in jobs stay below the CPU count), and
 * the monitor's replacements for blocked workers are handed on as a tree
 * (pass_places); each of those places is for a queued job too.
 *
 * Invariant: while a job is queued and fewer than max_awake workers are
 * runnable (runnable = alive - parked - asleep in a task, so a worker
 * blocked inside a task never counts as awake), a worker is spinning or has
 * been handed a spinner's place. So:
 * - a spinner exists: it will take the job, and when it does it calls this
 *   again, so a burst of n jobs wakes workers one after another while jobs
 *   remain, n of them at most, never all at once;
 * - the runnable workers fill max_awake: nobody is woken (more threads
 *   than CPUs only add switching); the job waits for one of them, and the
 *   monitor adds threads when they block or compute for long;
 * - else the caller claims the one spinner's place (0 -> 1) and hands it
 *   to the newest parked worker (its cache is warm, and those parked
 *   longest time out so a grown pool shrinks), or to a new thread.
 * Returns 1 if somebody spins for the job now, 0 if it waits.
 */
static int wake_one(void) {
  /* seq_cst loads: the submitter's half of park()'s handshake. */
  if (atomic_load(&pool.spinning) != 0)
    return 1;
  if (runnable() >= pool.max_awake)
    return 0;
  int none = 0;
  if (!atomic_compare_exchange_strong(&pool.spinning, &none, 1))
    return 1;
  return hand_spinner_place();
}

/* Counts a spinner's place for a queued job no worker is on its way to yet
 * (seq_cst, like the wake rule's loads). 0 if every queued job has one: then
 * nothing is written, for every push reads the count. */
static int claim_place_for_job(void) {
  int spinners = atomic_load(&pool.spinning);
  do {
    if ((size_t)spinners >= queued_jobs())
      return 0;
  } while (
      !atomic_compare_exchange_weak(&pool.spinning, &spinners, spinners + 1));
  return 1;
}

/*
 * A worker about to sleep in a library wait leaves its CPU to the queue: it
 * hands a spinner's place for each of up to two queued jobs no spinner is
 * on its way to yet, while the workers in jobs (runnable ones that are not
 * spinning), with those it handed places to, stay below the CPU count. Two,
 * not the wake rule's one: a fan-out of tasks that each block in a library
 * wait then starts as a tree, in log2(tasks) wake latencies, not one wake
 * latency per task (about 100 us each on an idle machine, a CPU leaving its
 * idle state included); computing tasks that wait now and then get their
 * waker replaced, no more. A lost race may add a spinner too many, which
 * parks after its spin.
 */
static void hand_over_to_queue(void) {
  for (int handed = 0; handed < 2; handed++)
    if (runnable() - atomic_load(&pool.spinning) + handed >= pool.min_threads ||
        !claim_place_for_job() || !hand_spinner_place())
      return;
}

static void wake_monitor(void) {
  atomic_fetch_add(&pool.monitor_wake, 1);
  eg__futex_wake(&pool.monitor_wake, 1);
}

/* A job stays queued for busy workers, who may be blocked: a monitor
 * ticking slowly is woken to look now, at most once per timed tick
 * (eg__monitor.pokeable; the exchange lets one poker through). */
static void poke_slow_monitor(void) {
  if (atomic_load_explicit(&pool.monitor_slow, memory_order_relaxed) &&
      atomic_exchange(&pool.monitor_slow, 0))
    wake_monitor();
}

/* Gives back `places` spinner's places; the wake rule then runs for what
 * is still queued, as after a push (those places kept pushes from waking
 * anyone; it wakes nobody while a spinner is left). */
static void give_back_places(int places) {
  atomic_fetch_sub(&pool.spinning, places);
  if (takeable_jobs())
    wake_one();
}

/* Of `places` the caller holds, those beyond the queued jobs (taken
 * meanwhile by a waiting submitter or a worker back from its last job) go
 * back; returns the rest. Two holders may both give back one surplus: the
 * jobs left then get their workers from the wake rule or the monitor. */
static int places_still_wanted(int places) {
  if (places == 0)
    return 0;
  long long surplus =
      (long long)atomic_load(&pool.spinning) - (long long)queued_jobs();
  if (surplus <= 0)
    return places;
  int back = surplus < places ? (int)surplus : places;
  give_back_places(back);
  return places - back;
}

/*
 * Wakes parked workers with `places` spinner's places the caller counted,
 * for queued jobs, as a tree: two are woken, the first with the larger
 * half of the places, the second with the rest, and each woken worker keeps
 * one and passes the others on the same way before it looks for its job,
 * so n parked workers are up in about log2(n) wake latencies, with the
 * wakes spread over the CPUs, not n wakes in a row on one (5 to 15 us each,
 * the woken worker taking the waker's CPU). Places no longer wanted, or no
 * parked worker is left for, are given back.
 */
static void pass_places(int places) {
  places = places_still_wanted(places);
  for (int half = 0; half < 2 && places > 0; half++) {
    int share = half == 0 ? (places + 1) / 2 : places;
    if (!wake_parked(share - 1)) {
      give_back_places(places);
      return;
    }
    places -= share;
  }
}

/* A spinner that found a job gives its place back before it runs the job;
 * the last one wakes the next worker if more is queued (Go's
 * resetspinning), or, if the wake rule wakes nobody, pokes the monitor:
 * the pushes of a burst all came while it was on its way, so none poked. */
static void stop_spinning(void) {
  if (atomic_fetch_sub(&pool.spinning, 1) == 1 &&
      eg__queue_ready(&pool.queue) && !wake_one())
    poke_slow_monitor();
}

/* After a push: the wake rule; a monitor asleep (once per sleep) is woken,
 * one ticking slowly is poked if this job waits for a busy worker. */
static void signal_workers(void) {
  int taken_soon = wake_one();
  int expected = 1;
  if (atomic_load(&pool.monitor_asleep)) {
    if (atomic_compare_exchange_strong(&pool.monitor_asleep, &expected, 0))
      wake_monitor();
  } else if (!taken_soon) {
    poke_slow_monitor();
  }
}

/* ---------------------------------------------------------------- workers */

/*
 * Spins for a job, from the queue or stale in another thread's next slot.
 * With `spinning` the caller already holds a spinner's place (it was woken
 * or spawned for a job); else it first looks at the queue a few times
 * without counting itself (a worker between two jobs of a busy queue then
 * does not write the shared count every submitter reads), then spins if
 * fewer than max_spinners do and no more than twice as many threads as CPUs
 * are runnable, else only looks for a stale job once. 1 and *job if found.
 */
static int spin_for_job(eg_job *job, eg_next_scan *scan, int spinning) {
  if (!spinning) {
    for (int look = 0; look < EG__WORKER_LOOKS; look++) {
      if (eg__queue_pop(&pool.queue, job))
        return 1;
      eg__cpu_relax();
    }
    int spinners = atomic_load_explicit(&pool.spinning, memory_order_relaxed);
    if (spinners >= pool.max_spinners || runnable() > 2 * pool.min_threads ||
        !atomic_compare_exchange_strong(&pool.spinning, &spinners,
                                        spinners + 1))
      return eg__next_steal(scan, eg__now_ns(), job);
  }
  int found;
  eg_spin spin = EG_SPIN_INIT;
  int64_t yielded_at = 0;
  while (!(found = eg__queue_pop(&pool.queue, job)) &&
         eg__spin_on(&spin, EG__WORKER_SPIN_NS) &&
         !atomic_load_explicit(&pool.stopping, memory_order_relaxed)) {
    /* When the spin has read the clock (about every microsecond): a stale
     * job in another thread's next slot; and, while some workers count as
     * asleep in tasks (they may be runnable already: a cancellation wakes
     * many at once), the CPU to any thread that wants it, at the first
     * reading and every EG__WORKER_YIELD_NS. Relaxed: a hint. */
    if (eg__spin_read_clock(&spin)) {
      if ((found = eg__next_steal(scan, spin.now, job)))
        break;
      if (spin.now - yielded_at >= EG__WORKER_YIELD_NS &&
          atomic_load_explicit(&pool.blocked, memory_order_relaxed) > 0) {
        yielded_at = spin.now;
        sched_yield();
      }
    }
    eg__cpu_relax();
  }
  if (found)
    stop_spinning();
  else
    atomic_fetch_sub(&pool.spinning, 1); /* seq_cst: see park() */
  return found;
}

/* Leaves the pool if more than min_threads remain. 1 if this thread left
 * (its count dropped). */
static int retire(void) {
  unsigned count = atomic_load(&pool.threads);
  while (count > (unsigned)pool.min_threads) {
    if (atomic_compare_exchange_weak(&pool.threads, &count, count - 1))
      return 1;
  }
  return 0;
}

/* Takes `me` off the idle list unless a waker did. 1 if we did (we hold no
 * spinner's place), 0 if a waker did (we hold one). */
static int unpark(worker *me) {
  pthread_mutex_lock(&pool.idle_lock);
  int mine = !atomic_load_explicit(&me->woken, memory_order_relaxed);
  if (mine) {
    eg__list_remove(&me->idle_link);
    atomic_fetch_sub(&pool.idle, 1);
  }
  pthread_mutex_unlock(&pool.idle_lock);
  return mine;
}

/* The monitor's mark, if any, goes: the job it was blocked in is over. */
static void clear_detected(worker *w) {
  if (atomic_load_explicit(&w->detected, memory_order_relaxed) &&
      atomic_exchange(&w->detected, 0))
    atomic_fetch_sub(&pool.blocked, 1);
}

/* The monitor may mark a job blocked just after it ended (it read the job
 * sequence before): under the lock it marks with, such a mark cannot
 * follow us into the idle list, nor out of the pool. */
static void forget_detected(worker *me) {
  pthread_mutex_lock(&pool.all_lock);
  clear_detected(me);
  pthread_mutex_unlock(&pool.all_lock);
}

enum { PARK_LOOK, PARK_WOKEN, PARK_EXIT };

/*
 * Parks until woken. Returns PARK_WOKEN if a waker handed us a spinner's
 * place, PARK_LOOK to look for work again without one, PARK_EXIT if we
 * have left the pool (count already dropped).
 *
 * The handshake with submitters (Dekker style, all seq_cst): we announce
 * ourselves idle, then look for a takeable job; a submitter pushes, then
 * looks at the spinners and the idle count (wake_one). One of the two sees
 * the other, so no job is left queued with every worker asleep. A job in a
 * next slot is left to a spinner if there is one (it steals the job once
 * stale). A cell claimed but not yet published does not keep us awake:
 * we look again every EG__UNPUBLISHED_NS, and its producer wakes somebody
 * when it publishes.
 */
static int park(worker *me) {
  forget_detected(me);
  pthread_mutex_lock(&pool.idle_lock);
  atomic_store(&me->woken, 0);
  eg__list_push_front(&pool.idle_list, &me->idle_link);
  atomic_fetch_add(&pool.idle, 1);
  pthread_mutex_unlock(&pool.idle_lock);
  int64_t idle_until = eg__now_ns() + EG__WORKER_IDLE_NS;
  for (;;) {
    if (eg__queue_ready(&pool.queue) ||
        (eg__next_pending() > 0 && atomic_load(&pool.spinning) == 0))
      return unpark(me) ? PARK_LOOK : PARK_WOKEN;
    if (atomic_load(&pool.stopping)) {
      if (!unpark(me))
        return PARK_WOKEN; /* its spin sees `stopping` and comes back */
      atomic_fetch_sub(&pool.threads, 1);
      return PARK_EXIT;
    }
    int64_t left = idle_until - eg__now_ns();
    int unpublished = eg__queue_length(&pool.queue) > 0;
    if (left > 0)
      eg__futex_wait(
          &me->woken, 0,
          unpublished && left > EG__UNPUBLISHED_NS ? EG__UNPUBLISHED_NS : left);
    if (atomic_load(&me->woken))
      return PARK_WOKEN;
    if (eg__now_ns() < idle_until)
      continue; /* a spurious return, or a look at an unpublished cell */
    if (!unpark(me))
      return PARK_WOKEN;
    return queued_jobs() == 0 && retire() ? PARK_EXIT : PARK_LOOK;
  }
}

/* Names to the workers a job that sat in a next slot since the previous
 * tick (its thread is busy elsewhere), or none. */
static void post_stale_job(eg_next_scan *scan) {
  uint64_t token = eg__next_find_stale(scan, eg__now_ns());
  /* Relaxed: a hint (eg__next_steal_token checks the slot); written only
   * when it changes, to keep its line shared in the workers' caches. */
  if (atomic_load_explicit(&pool.stale_job, memory_order_relaxed) != token)
    atomic_store_explicit(&pool.stale_job, token, memory_order_relaxed);
}

/* Takes the job the monitor posted, once: the worker that clears the post
 * tries it. Costs one read of a rarely written word when none is posted. */
static int take_posted_job(eg_job *job) {
  uint64_t token = atomic_load_explicit(&pool.stale_job, memory_order_relaxed);
  return token != 0 &&
         atomic_compare_exchange_strong_explicit(&pool.stale_job, &token, 0,
                                                 memory_order_relaxed,
                                                 memory_order_relaxed) &&
         eg__next_steal_token(token, job);
}

/* Nesting depth of block_begin/_end (a library wait inside a task's
 * eg_pool_blocking_begin hint): the outermost pair counts. */
static EG__THREAD_LOCAL int block_depth;

/* Runs a job as `me`. 0 if, meanwhile, the thread forked and is now the
 * child's orphan (see child_after_fork): it must leave without a trace. */
static int run_as_worker(worker *me, const eg_job *job) {
  /* Relaxed: the monitor only compares sequence numbers between ticks. */
  unsigned seq = atomic_load_explicit(&me->job_seq, memory_order_relaxed);
  atomic_store_explicit(&me->job_seq, seq + 1, memory_order_relaxed);
  run_job(job);
  if (self != me)
    return 0;
  atomic_store_explicit(&me->job_seq, seq + 2, memory_order_relaxed);
  clear_detected(me);
  if (block_depth > 0) { /* a hint the task left open: it ends with the task */
    block_depth = 1;
    eg__pool_block_end();
  }
  return 1;
}

/*
 * Notes the clocks as a worker that left the idle list starts its first
 * job, for the monitor (woke_for_job): a burst of blocking tasks on a
 * parked pool then grows by a generation per tick, not per two. Taken at
 * the job's start, not at the wake: the wake's own CPU time and the places
 * handed on (10 to 30 us) would make a job that blocks at once look as if
 * it computed, and cost it a tick. At most one CPU-clock read per wake,
 * which already cost a futex round trip. Release: publishes the
 * clocks with the sequence they belong to.
 */
static void note_first_job(worker *me) {
  struct timespec cpu;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) != 0)
    return;
  atomic_store_explicit(&me->woke_cpu_ns,
                        (int64_t)cpu.tv_sec * 1000000000 + cpu.tv_nsec,
                        memory_order_relaxed);
  atomic_store_explicit(&me->woke_at_ns, eg__now_ns(), memory_order_relaxed);
  atomic_store_explicit(
      &me->woke_seq, atomic_load_explicit(&me->job_seq, memory_order_relaxed),
      memory_order_release);
}

static void *worker_main(void *arg) {
  worker *me = arg;
  self = me;
  running_own_job = 1;
  pthread_mutex_lock(&pool.all_lock);
  if (pthread_getcpuclockid(pthread_self(), &me->cpu_clock) != 0)
    me->cpu_clock = (clockid_t)-1; /* the monitor cannot look: never marked */
  me->tid = (pid_t)syscall(SYS_gettid);
  eg__list_push_back(&pool.all, &me->link);
  pthread_mutex_unlock(&pool.all_lock);
  int spinning = me->start_spinning;
  int woke = 1; /* a new thread is as good as a woken one */
  eg_job job;
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  for (;;) {
    /* A stale job the monitor posted first: a worker kept busy by the
     * queue never reaches spin_for_job, and a job left in a slot would
     * wait until the queue drains. Then our own next slot: a job our last
     * task started, still warm in this CPU's cache (Go runs runnext first
     * too). */
    int found =
        !spinning && (take_posted_job(&job) || eg__next_take_own(NULL, &job) ||
                      eg__queue_pop(&pool.queue, &job));
    if (found || spin_for_job(&job, &scan, spinning)) {
      spinning = 0;
      if (woke)
        note_first_job(me);
      woke = 0;
      if (!run_as_worker(me, &job))
        return NULL;
      continue;
    }
    int parked = park(me);
    if (parked == PARK_EXIT)
      break;
    spinning = parked == PARK_WOKEN;
    woke = 1;
    if (spinning)
      pass_places(me->places_to_pass);
  }
  self = NULL;
  put_record(me);
  eg__futex_wake(&pool.threads, INT_MAX); /* the count dropped in park() */
  return NULL;
}

void eg__pool_block_begin(void) {
  worker *me = self;
  if (me == NULL || block_depth++ > 0)
    return;
  /* Counted once: a block the monitor already detected carries over.
   * seq_cst store, then load: the monitor marks, then looks at in_wait
   * again (judge), so either we see its mark and take it over, or it sees
   * us in the wait and takes its mark back. */
  atomic_store(&me->in_wait, 1);
  if (!(atomic_load(&me->detected) && atomic_exchange(&me->detected, 0)))
    atomic_fetch_add(&pool.blocked, 1);
  if (takeable_jobs())
    hand_over_to_queue();
}

void eg__pool_block_end(void) {
  worker *me = self;
  if (me == NULL || --block_depth > 0)
    return;
  atomic_fetch_sub(&pool.blocked, 1);
  atomic_store_explicit(&me->in_wait, 0, memory_order_relaxed);
}

void eg_pool_blocking_begin(void) {
  eg__pool_block_begin();
}

void eg_pool_blocking_end(void) {
  if (block_depth > 0) /* an end without its begin changes nothing */
    eg__pool_block_end();
}

/* ---------------------------------------------------------------- monitor */

/* Adds up to `count` runnable workers, each with a spinner's place claimed
 * for a queued job no worker is on its way to yet: parked ones first, woken
 * as a tree (pass_places), then new threads, made here one after another
 * (the cap permitting): thread creation is what a generation paces. */
static void add_workers(size_t count) {
  int parked = atomic_load(&pool.idle);
  int cap = atomic_load_explicit(&pool.max_threads, memory_order_relaxed);
  long long room = (long long)parked + cap - (int)atomic_load(&pool.threads);
  if (room < parked)
    room = parked; /* above the cap (lowered): only parked ones */
  int claimed = 0;
  while ((size_t)claimed < count && claimed < room && claim_place_for_job())
    claimed++;
  int woken = claimed < parked ? claimed : parked;
  pass_places(woken);
  for (int made = woken; made < claimed; made++)
    if (!hand_spinner_place()) { /* at the cap: the next tick retries */
      atomic_fetch_sub(&pool.spinning, claimed - made - 1);
      return;
    }
}

/* 1 if `w`'s CPU clock says it slept through most of the time since the
 * monitor's last look. Updates that memory. */
static int looks_blocked(worker *w, int64_t now) {
  struct timespec cpu;
  if (clock_gettime(w->cpu_clock, &cpu) != 0)
    return 0;
  int64_t cpu_ns = (int64_t)cpu.tv_sec * 1000000000 + cpu.tv_nsec;
  int still =
      (cpu_ns - w->seen_cpu_ns) * EG__BLOCKED_CPU_SHARE < now - w->seen_at_ns;
  w->seen_cpu_ns = cpu_ns;
  w->seen_at_ns = now;
  return still;
}

/*
 * 1 if the kernel says `w` sleeps (state S or D in /proc), not waiting for a
 * CPU (R): a still CPU clock alone cannot tell a blocked thread from one
 * preempted on a busy machine. Read only for a worker whose clock stood
 * still, once per mark, and only on a busy machine (cpus_free).
 */
static int sleeps_in_kernel(const worker *w) {
  char path[64], stat[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)w->tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 1; /* no /proc: trust the clock */
  ssize_t got = read(fd, stat, sizeof stat - 1);
  close(fd);
  if (got <= 0)
    return 1;
  stat[got] = 0;
  /* "tid (name) S ...": the name may hold anything, so the last ')'. */
  const char *state = strrchr(stat, ')');
  return state == NULL || state[1] == 0 || state[2] == 'S' || state[2] == 'D';
}

/*
 * 1 if no thread of the machine waits for a CPU now: the running tasks
 * /proc/loadavg counts (the monitor included) fit on the CPUs. Then a still
 * CPU clock means blocked, and one read per tick replaces one per newly
 * still worker (each costs about 10 microseconds: a burst of 160 blocking
 * tasks took 1.6 ms of monitor time to see). 0 when it cannot tell.
 */
static int cpus_free(void) {
  char text[128];
  int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got <= 0)
    return 0;
  text[got] = 0;
  int running;
  /* "0.10 0.82 1.62 2/345 12345": running/total is the fourth field. */
  return sscanf(text, "%*s %*s %*s %d/", &running) == 1 &&
         running <= pool.min_threads;
}

/*
 * A worker first seen in job `seq`, the first it started after leaving the
 * idle list (note_first_job): its clocks at that job's start are the
 * reading to compare with, so it is judged now instead of at the next tick.
 * Acquire: pairs with note_first_job's release of woke_seq. A job start
 * noted between the two loads gives a mixed pair: at worst one wrong
 * judgment, corrected next tick.
 */
static int woke_for_job(worker *w, unsigned seq) {
  if (atomic_load_explicit(&w->woke_seq, memory_order_acquire) != seq - 1)
    return 0;
  w->seen_cpu_ns = atomic_load_explicit(&w->woke_cpu_ns, memory_order_relaxed);
  w->seen_at_ns = atomic_load_explicit(&w->woke_at_ns, memory_order_relaxed);
  return 1;
}

/* Judges a worker seen before in its job: marks it blocked (returns 1) if
 * its clock stood still and it sleeps; unmarks it if its clock moves. A
 * marked one is looked at again only every EG__BLOCKED_RECHECK_NS. */
static int judge(worker *w, int64_t now, int *trust_clocks) {
  if (atomic_load_explicit(&w->detected, memory_order_relaxed) &&
      now - w->seen_at_ns < EG__BLOCKED_RECHECK_NS)
    return 0;
  if (!looks_blocked(w, now)) {
    clear_detected(w);
    return 0;
  }
  if (atomic_load_explicit(&w->detected, memory_order_relaxed))
    return 0; /* already counted */
  if (*trust_clocks < 0)
    *trust_clocks = cpus_free();
  if (!*trust_clocks && !sleeps_in_kernel(w))
    return 0; /* preempted: computing */
  int none = 0;
  if (!atomic_compare_exchange_strong(&w->detected, &none, 1))
    return 0;
  atomic_fetch_add(&pool.blocked, 1);
  /* seq_cst, after the mark (see eg__pool_block_begin): a worker that went
   * into a library wait since we read in_wait counts itself. */
  if (atomic_load(&w->in_wait)) {
    clear_detected(w);
    return 0;
  }
  return 1;
}

/* Looks at one worker for find_blocked; 1 if it is newly marked. */
static int look_at_worker(worker *w, eg__monitor_seen *seen,
                          int *trust_clocks) {
  unsigned seq = atomic_load_explicit(&w->job_seq, memory_order_relaxed);
  if (w->cpu_clock == (clockid_t)-1 ||
      atomic_load_explicit(&w->in_wait, memory_order_relaxed))
    return 0;
  int fresh = 0;
  seen->in_jobs += seq & 1; /* of those that take jobs now and then */
  if (seq != w->seen_seq)
    clear_detected(w);
  if (!(seq & 1)) {
    /* between jobs: nothing to judge */
  } else if (seq == w->seen_seq || woke_for_job(w, seq)) {
    fresh = judge(w, seen->now, trust_clocks);
  } else {
    looks_blocked(w, seen->now); /* a first sighting: a reading */
    seen->unseen++;
  }
  w->seen_seq = seq;
  return fresh;
}

/*
 * Looks at the workers inside a job: one whose CPU clock stood (nearly)
 * still since the last look, in the same job, is marked blocked (it counts
 * as not runnable); a marked one whose clock moves is unmarked. Workers in
 * a library wait say so themselves and are skipped. A mark belongs to one
 * job: a worker seen in another has none. Sets seen->fresh (newly marked),
 * seen->in_jobs and seen->unseen (workers in a job the monitor had not
 * seen yet: it judges them at the next tick). Stops once `enough` are newly
 * marked (eg__monitor_fresh_enough; the counts then cover the workers
 * looked at): in a burst the rest would only delay the generation that
 * replaces them, while the CPUs are busy with the workers woken before (a
 * look at 64 workers took 200 to 400 us then). The next look starts where
 * this one stopped, so no worker is passed over for long.
 */
static void find_blocked(eg__monitor_seen *seen, size_t enough) {
  int trust_clocks = -1; /* -1: not read yet (cpus_free) */
  seen->fresh = seen->in_jobs = seen->unseen = 0;
  pthread_mutex_lock(&pool.all_lock);
  /* Once round the list from where the last look stopped (the head is no
   * worker); look_from stays on a live record or the head (put_record). */
  eg__list *first = pool.look_from, *node = first;
  do {
    eg__list *here = node;
    node = node->next; /* where the next look starts if this one stops */
    if (here == &pool.all)
      continue;
    seen->fresh +=
        look_at_worker(EG__LIST_ENTRY(here, worker, link), seen, &trust_clocks);
    if ((size_t)seen->fresh >= enough)
      break;
  } while (node != first);
  pool.look_from = node;
  pthread_mutex_unlock(&pool.all_lock);
}

/* What a tick with jobs queued sees of the workers (find_blocked). */
static void look_at_workers(eg__monitor_seen *seen, const eg__monitor *m) {
  find_blocked(seen, eg__monitor_fresh_enough(m, seen->queued));
  seen->on_the_way = atomic_load(&pool.spinning);
  seen->takeable = takeable_jobs();
  seen->can_wake = runnable() < pool.max_awake;
}

/* Sleeps until a push finds the monitor asleep. Returns at once if work is
 * already queued (same handshake as park()). */
static void monitor_sleep_until_push(void) {
  unsigned sequence = atomic_load(&pool.monitor_wake);
  atomic_store(&pool.monitor_asleep, 1);
  if (queued_jobs() == 0 && !atomic_load(&pool.stopping))
    eg__futex_wait(&pool.monitor_wake, sequence, -1);
  atomic_store(&pool.monitor_asleep, 0);
}

/*
 * The monitor thread: ticks as c/monitor.c decides (every 20 us while
 * there is something to watch, up to 1 ms, asleep after 50 ms with nothing
 * queued); a push that finds every worker busy pokes a slow monitor.
 */
static void *monitor_main(void *unused) {
  (void)unused;
  eg__monitor m;
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  /* A tick of tens of microseconds must not become the default 50 us of
   * timer slack longer: the least slack the kernel allows. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  eg__monitor_reset(&m, eg__now_ns(), taken_jobs());
  while (!atomic_load(&pool.stopping)) {
    unsigned sequence = atomic_load(&pool.monitor_wake);
    /* A poke changed the word; a signal or a spurious return did not. */
    if (eg__futex_wait(&pool.monitor_wake, sequence, m.tick_ns) == 0 &&
        atomic_load(&pool.monitor_wake) != sequence)
      eg__monitor_poked(&m);
    eg__monitor_seen seen = {
        .now = eg__now_ns(), .queued = queued_jobs(), .taken = taken_jobs()};
    if (seen.queued > 0)
      look_at_workers(&seen, &m);
    eg__monitor_plan plan = eg__monitor_decide(&m, &seen);
    add_workers(plan.add);
    int woke = plan.wake && wake_one();
    post_stale_job(&scan);
    eg__monitor_end_tick(&m, plan.watch || woke);
    /* Relaxed: a hint for signal_workers, which exchanges it. */
    atomic_store_explicit(&pool.monitor_slow, m.pokeable, memory_order_relaxed);
    if (plan.sleep) {
      atomic_store_explicit(&pool.stale_job, 0, memory_order_relaxed);
      monitor_sleep_until_push();
      eg__monitor_reset(&m, eg__now_ns(), taken_jobs());
      atomic_store_explicit(&pool.monitor_slow, 0, memory_order_relaxed);
    }
  }
  atomic_store(&pool.monitor_alive, 0);
  eg__futex_wake(&pool.monitor_alive, INT_MAX);
  return NULL;
}

/* ------------------------------------------------------------- lifecycle */

static void wait_for_zero(atomic_uint *word) {
  for (unsigned value; (value = atomic_load(word)) != 0;)
    eg__futex_wait(word, value, -1);
}

/* Stops the workers and the monitor and waits until they are gone. Called
 * with the lifecycle lock held. */
static void stop_threads(void) {
  atomic_store(&pool.stopping, 1);
  /* Each woken worker gets a spinner's place, sees `stopping` in its spin
   * and leaves. */
  do
    atomic_fetch_add(&pool.spinning, 1);
  while (wake_parked(0));
  atomic_fetch_sub(&pool.spinning, 1);
  wake_monitor();
  wait_for_zero(&pool.threads);
  wait_for_zero(&pool.monitor_alive);
  atomic_store(&pool.spinning, 0);
  atomic_store(&pool.blocked, 0);
  atomic_store(&pool.stopping, 0);
}

static int start_pool(void) {
  pthread_once(&pool_once, init_pool_once);
  eg__timer_resume(); /* deadlines armed before a fork() */
  pthread_mutex_lock(&pool.lifecycle);
  int rc = EG_OK;
  if (!atomic_load(&pool.started)) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pool.min_threads = cpus > 0 ? (int)cpus : 1;
    pool.max_spinners = pool.min_threads > 1 ? pool.min_threads / 2 : 1;
    pool.max_awake = pool.min_threads > 1 ? pool.min_threads - 1 : 1;
    int none = 0;
    atomic_compare_exchange_strong(&pool.max_threads, &none, default_cap());
    atomic_store(&pool.monitor_alive, 1);
    if (spawn_worker(0) != 0) {
      atomic_store(&pool.monitor_alive, 0);
      rc = EG_EAGAIN;
    } else if (eg__thread_start(monitor_main, NULL) != 0) {
      atomic_store(&pool.monitor_alive, 0);
      stop_threads();
      rc = EG_EAGAIN;
    } else {
      /* Release: a submitter seeing `started` sees the initialised pool. */
      atomic_store_explicit(&pool.started, 1, memory_order_release);
    }
  }
  pthread_mutex_unlock(&pool.lifecycle);
  return rc;
}

static int ensure_started(void) {
  /* Acquire: pairs with start_pool's release. */
  if (atomic_load_explicit(&pool.started, memory_order_acquire))
    return EG_OK;
  return start_pool();
}

int eg__pool_submit(const eg_job *job) {
  int rc = ensure_started();
  if (rc == EG_OK)
    rc = eg__queue_push(&pool.queue, job);
  if (rc == EG_OK)
    signal_workers();
  return rc;
}

int eg__pool_submit_next(const eg_job *job) {
  int rc = ensure_started();
  if (rc != EG_OK)
    return rc;
  if (!(eg__next_have_slot() && eg__next_try_put(job)))
    rc = eg__queue_push(&pool.queue, job);
  if (rc == EG_OK)
    signal_workers();
  return rc;
}

void eg__pool_publish_next(void) {
  eg_job job;
  if (!eg__next_move_out(&job))
    return;
  if (eg__queue_push(&pool.queue, &job) == EG_OK)
    signal_workers();
  else
    eg__next_try_put(&job); /* back where it was: stolen once stale */
}

int eg__pool_help(const void *owner) {
  eg_job job;
  if (!atomic_load_explicit(&pool.started, memory_order_acquire) ||
      !(eg__next_take_own(owner, &job) ||
        eg__queue_pop_owned(&pool.queue, owner, &job)))
    return 0;
  int saved = running_own_job;
  running_own_job = 0;
  run_job(&job);
  running_own_job = saved;
  return 1;
}

int eg__pool_may_chain(void) {
  return running_own_job;
}

int eg__pool_live_threads(void) {
  return (int)atomic_load(&pool.threads);
}

void eg__pool_counts(int *idle, int *blocked, uint64_t *wakes) {
  *idle = atomic_load(&pool.idle);
  *blocked = atomic_load(&pool.blocked);
  *wakes = atomic_load_explicit(&pool.wakes, memory_order_relaxed);
}

int eg_pool_set_stack_size(size_t bytes) {
  return eg__set_thread_stack_size(bytes);
}

int eg_pool_set_max_threads(int max) {
  if (max < 0)
    return EG_EINVAL;
  /* Relaxed: a setting, read when a thread is about to be made. */
  atomic_store_explicit(&pool.max_threads, max != 0 ? max : default_cap(),
                        memory_order_relaxed);
  return EG_OK;
}

int eg_pool_threads(int *max_threads, uint64_t *refused) {
  if (max_threads != NULL) {
    int cap = atomic_load_explicit(&pool.max_threads, memory_order_relaxed);
    *max_threads = cap != 0 ? cap : default_cap();
  }
  if (refused != NULL)
    *refused = atomic_load_explicit(&pool.refused, memory_order_relaxed);
  return eg__pool_live_threads();
}

/* Jobs taken and not yet counted complete (a group's task counts before it
 * releases the group's waiters: eg__pool_job_returning). */
static size_t running_jobs(void) {
  /* Completed first: every job it counts was taken before, so the
   * difference cannot wrap. */
  size_t completed = atomic_load(&pool.completed);
  return taken_jobs() - completed;
}

int eg_pool_shutdown(void) {
  pthread_mutex_lock(&pool.lifecycle);
  int rc = EG_OK;
  if (atomic_load(&pool.started)) {
    if (queued_jobs() > 0 || running_jobs() > 0) {
      rc = EG_EBUSY;
    } else {
      stop_threads();
      atomic_store(&pool.started, 0);
    }
  }
  pthread_mutex_unlock(&pool.lifecycle);
  /* The deadline timer is ours, not the caller's: it may have queued an
   * after-function while the threads stopped. Start a pool for it. */
  if (rc == EG_OK && queued_jobs() > 0)
    start_pool();
  return rc;
}
