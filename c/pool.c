#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "next_slot.h"
#include "platform.h"
#include "timer.h"
#include "tunables.h"

static struct pool {
  eg_queue queue;
  /* Read by every submitter, written only on state transitions. */
  _Alignas(EG_CACHE_LINE) atomic_int idle; /* parked workers */
  atomic_int spinning;                     /* workers spinning for jobs */
  atomic_int waking;         /* a parked worker has been woken, not yet up */
  atomic_int monitor_asleep; /* the monitor waits for the next push */
  atomic_int started;        /* monitor and first worker are up */
  atomic_int stopping;       /* eg_pool_shutdown in progress */
  int min_threads;           /* workers that never retire: the CPU count */
  int max_spinners;          /* at most half the CPUs spin */
  int max_awake; /* pushes wake workers up to CPUs - 1 awake (at least 1) */
  /* Futex words. */
  _Alignas(EG_CACHE_LINE) atomic_uint worker_wake;
  _Alignas(EG_CACHE_LINE) atomic_uint monitor_wake;
  atomic_uint monitor_alive;
  _Alignas(EG_CACHE_LINE) atomic_uint threads; /* live workers */
  /* A job the monitor saw in the same next slot at two ticks (a token of
   * next_slot.h, 0 if none): the first worker between two jobs takes it.
   * Read by workers between jobs, written at most once per tick. */
  _Alignas(EG_CACHE_LINE) _Atomic uint64_t stale_job;
  /* Jobs finished; with the queue's taken count it tells what is running. */
  _Alignas(EG_CACHE_LINE) atomic_size_t completed;
  pthread_mutex_t lifecycle; /* serialises start and shutdown */
} pool = {.lifecycle = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* See eg__pool_may_chain. */
static _Thread_local int running_own_job;

/* ---- fork: the child has only the forking thread ---- */

/* Holds the pool's locks across fork(), so the child's copies are in a
 * known state (unlocked by child_after_fork, which re-creates them). */
static void prepare_fork(void) {
  pthread_mutex_lock(&pool.lifecycle);
  pthread_mutex_lock(&pool.queue.overflow_lock);
}

static void parent_after_fork(void) {
  pthread_mutex_unlock(&pool.queue.overflow_lock);
  pthread_mutex_unlock(&pool.lifecycle);
}

/*
 * In the child the workers and the monitor do not exist: forget them and
 * the queued jobs (their groups' other tasks ran in the parent's threads,
 * so those groups cannot finish in the child anyway). The next submission
 * starts a new pool.
 */
static void child_after_fork(void) {
  eg__queue_init(&pool.queue);
  eg__next_reset_after_fork();
  atomic_store(&pool.idle, 0);
  atomic_store(&pool.spinning, 0);
  atomic_store(&pool.waking, 0);
  atomic_store(&pool.monitor_asleep, 0);
  atomic_store(&pool.started, 0);
  atomic_store(&pool.stopping, 0);
  atomic_store(&pool.monitor_alive, 0);
  atomic_store(&pool.threads, 0);
  atomic_store(&pool.completed, 0);
  atomic_store(&pool.stale_job, 0);
  pthread_mutex_init(&pool.lifecycle, NULL);
}

static void init_pool_once(void) {
  eg__queue_init(&pool.queue);
  pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
}

static void run_job(const eg_job *job) {
  job->run(job->owner, job->fn, job->arg);
  /* Relaxed: a statistic for eg_pool_shutdown, read under quiescence. */
  atomic_fetch_add_explicit(&pool.completed, 1, memory_order_relaxed);
}

/* ---------------------------------------------------------------- workers */

/* Jobs waiting in the queue or in next slots (a snapshot; seq_cst). */
static size_t queued_jobs(void) {
  return eg__queue_length(&pool.queue) + eg__next_pending();
}

/* Jobs ever taken from the queue or from next slots. */
static size_t taken_jobs(void) {
  return eg__queue_taken(&pool.queue) + (size_t)eg__next_taken();
}

static void *worker_main(void *unused);

static int spawn_worker(void) {
  /* Counted before the thread exists so a racing shutdown waits for it. */
  atomic_fetch_add(&pool.threads, 1);
  int rc = eg__thread_start(worker_main, NULL);
  if (rc != 0)
    atomic_fetch_sub(&pool.threads, 1);
  return rc;
}

/*
 * Spins for a job, from the queue or stale in another thread's next slot, if
 * fewer than max_spinners do and no more than twice as many threads as CPUs
 * are awake (beyond that, threads woken together need the CPU more than a
 * spinner does). Otherwise only looks for a stale job once. 1 and *job set
 * if found.
 *
 * It first looks at the queue a few times without counting itself as a
 * spinner (as Go's scheduler looks at the run queues before it spins): a
 * worker between two jobs of a busy queue then does not write the shared
 * spinner count, which every submitter reads, twice per job.
 */
static int spin_for_job(eg_job *job, eg_next_scan *scan) {
  for (int look = 0; look < EG__WORKER_LOOKS; look++) {
    if (eg__queue_pop(&pool.queue, job))
      return 1;
    eg__cpu_relax();
  }
  int spinners = atomic_load_explicit(&pool.spinning, memory_order_relaxed);
  int awake = (int)atomic_load_explicit(&pool.threads, memory_order_relaxed) -
              atomic_load_explicit(&pool.idle, memory_order_relaxed);
  if (spinners >= pool.max_spinners || awake > 2 * pool.min_threads ||
      !atomic_compare_exchange_strong(&pool.spinning, &spinners, spinners + 1))
    return eg__next_steal(scan, eg__now_ns(), job);
  int found;
  eg_spin spin = EG_SPIN_INIT;
  while (!(found = eg__queue_pop(&pool.queue, job)) &&
         eg__spin_on(&spin, EG__WORKER_SPIN_NS) &&
         !atomic_load_explicit(&pool.stopping, memory_order_relaxed)) {
    /* When the spin has read the clock (about every microsecond): a stale
     * job in another thread's next slot. */
    if (eg__spin_read_clock(&spin) &&
        (found = eg__next_steal(scan, spin.now, job)))
      break;
    eg__cpu_relax();
  }
  /* seq_cst: a submitter that sees no spinner must then see us idle. */
  atomic_fetch_sub(&pool.spinning, 1);
  return found;
}

/* Leaves the pool if more than min_threads remain. 1 if this thread left. */
static int retire(void) {
  unsigned count = atomic_load(&pool.threads);
  while (count > (unsigned)pool.min_threads) {
    if (atomic_compare_exchange_weak(&pool.threads, &count, count - 1))
      return 1;
  }
  return 0;
}

/*
 * Parks until woken. Returns 0 to keep working, 1 if the worker has left the
 * pool (its count already dropped).
 *
 * The handshake with submitters (Dekker style, all seq_cst): we announce
 * ourselves idle, then look at the queue and the next slots; a submitter
 * pushes, then looks for idle workers. One of the two sees the other, so no
 * job is left queued with every worker asleep. A job in a next slot is
 * left to a spinner if there is one (it steals the job once stale). The
 * wake sequence read first makes a wake that lands between our check and
 * the futex call return at once.
 */
static int park(void) {
  unsigned sequence = atomic_load(&pool.worker_wake);
  atomic_fetch_add(&pool.idle, 1);
  if (eg__queue_length(&pool.queue) > 0 ||
      (eg__next_pending() > 0 && atomic_load(&pool.spinning) == 0)) {
    atomic_fetch_sub(&pool.idle, 1);
    /* A submitter may have seen us idle and set `waking` for a wake we
     * will not consume: clear it, or later pushes would wake nobody. */
    if (atomic_load(&pool.worker_wake) != sequence)
      atomic_store(&pool.waking, 0);
    eg__cpu_relax(); /* the job may be claimed but not yet published */
    return 0;
  }
  if (atomic_load(&pool.stopping)) {
    atomic_fetch_sub(&pool.idle, 1);
    atomic_fetch_sub(&pool.threads, 1);
    return 1;
  }
  int rc = eg__futex_wait(&pool.worker_wake, sequence, EG__WORKER_IDLE_NS);
  atomic_fetch_sub(&pool.idle, 1);
  atomic_store(&pool.waking, 0);
  if (rc == ETIMEDOUT && queued_jobs() == 0)
    return retire();
  return 0;
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

static void *worker_main(void *unused) {
  (void)unused;
  running_own_job = 1;
  eg_job job;
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  for (;;) {
    /* A stale job the monitor posted first: a worker kept busy by the
     * queue never reaches spin_for_job, and a job left in a slot would
     * wait until the queue drains. Then our own next slot: a job our last
     * task started, still warm in this CPU's cache (Go runs runnext first
     * too). */
    if (take_posted_job(&job) || eg__next_take_own(NULL, &job) ||
        eg__queue_pop(&pool.queue, &job) || spin_for_job(&job, &scan)) {
      run_job(&job);
      continue;
    }
    if (park())
      break;
  }
  /* The count already dropped; tell a shutdown waiting for zero. Only the
   * futex word is touched after that, and the library is never unmapped. */
  eg__futex_wake(&pool.threads, INT_MAX);
  return NULL;
}

static void wake_parked_workers(int count) {
  atomic_fetch_add(&pool.worker_wake, 1);
  eg__futex_wake(&pool.worker_wake, count);
}

/* ---------------------------------------------------------------- monitor */

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

/*
 * The queue made no progress for a tick: add threads, twice as many as on
 * the previous stalled tick, never more than there are queued jobs. Returns
 * how many were added.
 */
static size_t relieve_stall(size_t queued, int streak) {
  if (atomic_load(&pool.idle) > 0) {
    wake_parked_workers(INT_MAX);
    return 0;
  }
  int shift = streak < EG__MAX_SPAWN_SHIFT ? streak : EG__MAX_SPAWN_SHIFT;
  size_t wanted = min_size((size_t)1 << shift, queued), added = 0;
  while (added < wanted && spawn_worker() == 0)
    added++; /* on failure: out of threads, try again next tick */
  return added;
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
 * Every tick: if jobs are queued and no more were taken than the threads
 * added on the last tick (each new thread may take one job and block in it,
 * as the others did), the queue is stalled. Consecutive stalled ticks double
 * the number of threads added.
 */
static void *monitor_main(void *unused) {
  (void)unused;
  size_t last_taken = taken_jobs(), added = 0;
  int streak = 0, quiet_ticks = 0;
  eg_next_scan scan = EG_NEXT_SCAN_INIT;
  while (!atomic_load(&pool.stopping)) {
    if (quiet_ticks >= EG__MONITOR_QUIET_TICKS) {
      atomic_store_explicit(&pool.stale_job, 0, memory_order_relaxed);
      monitor_sleep_until_push();
      quiet_ticks = 0;
      last_taken = taken_jobs();
      continue;
    }
    unsigned sequence = atomic_load(&pool.monitor_wake);
    eg__futex_wait(&pool.monitor_wake, sequence, EG__MONITOR_TICK_NS);
    size_t queued = queued_jobs();
    size_t taken = taken_jobs();
    if (queued > 0 && taken - last_taken <= added) {
      added = relieve_stall(queued, streak++);
    } else {
      added = 0;
      streak = 0;
    }
    quiet_ticks = queued == 0 ? quiet_ticks + 1 : 0;
    last_taken = taken;
    post_stale_job(&scan);
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
  wake_parked_workers(INT_MAX);
  atomic_fetch_add(&pool.monitor_wake, 1);
  eg__futex_wake(&pool.monitor_wake, 1);
  wait_for_zero(&pool.threads);
  wait_for_zero(&pool.monitor_alive);
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
    atomic_store(&pool.monitor_alive, 1);
    if (spawn_worker() != 0) {
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

/*
 * After a push: make sure somebody will take the job soon. A parked worker
 * is woken only if nobody spins and fewer workers than CPUs - 1 are awake:
 * the submitting thread needs a CPU too, and a third runnable thread on two
 * CPUs costs more in preemption than it adds. If all awake workers are busy
 * for long, the monitor wakes the parked ones within a tick; a waiter runs
 * its group's queued jobs itself meanwhile.
 */
static void signal_workers(void) {
  /* seq_cst loads: the submitter's half of park()'s handshake. */
  if (atomic_load(&pool.spinning) == 0) {
    int idle = atomic_load(&pool.idle);
    int awake = (int)atomic_load(&pool.threads) - idle;
    int expected = 0;
    if (idle > 0) {
      /* One wake in flight at a time: the woken worker clears `waking`. */
      if (awake < pool.max_awake &&
          atomic_compare_exchange_strong(&pool.waking, &expected, 1))
        wake_parked_workers(1);
    } else if (atomic_load_explicit(&pool.threads, memory_order_relaxed) <
               (unsigned)pool.min_threads) {
      spawn_worker(); /* warm-up only; on failure the monitor retries */
    }
  }
  if (atomic_load(&pool.monitor_asleep)) {
    int expected = 1;
    if (atomic_compare_exchange_strong(&pool.monitor_asleep, &expected, 0)) {
      atomic_fetch_add(&pool.monitor_wake, 1);
      eg__futex_wake(&pool.monitor_wake, 1);
    }
  }
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

int eg_pool_set_stack_size(size_t bytes) {
  return eg__set_thread_stack_size(bytes);
}

int eg_pool_shutdown(void) {
  pthread_mutex_lock(&pool.lifecycle);
  int rc = EG_OK;
  if (atomic_load(&pool.started)) {
    /* Completed first: every job it counts was taken before, so the
     * difference cannot wrap. */
    size_t completed = atomic_load(&pool.completed);
    size_t running = taken_jobs() - completed;
    if (queued_jobs() > 0 || running > 0) {
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

int eg__pool_live_threads(void) {
  /* Relaxed: a snapshot for tests, ordered by nothing. */
  return (int)atomic_load_explicit(&pool.threads, memory_order_relaxed);
}
