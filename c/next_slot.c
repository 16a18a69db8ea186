/* SPDX-License-Identifier: BSD-3-Clause */
#include "next_slot.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "platform.h"

/*
 * A slot's state word: the number of fills so far (bits 2..63) and the phase
 * (bits 0..1). Only the owner fills a slot (EMPTY -> FULL, one more fill);
 * the owner takes its job back with FULL -> EMPTY; a thief claims it with
 * FULL -> BUSY, copies the job and ends with BUSY -> EMPTY. Counting the
 * fills makes every FULL state distinct, so a thief that sees the same
 * value twice knows it is the same job, and compare-and-swaps cannot be
 * fooled by a slot that was emptied and refilled in between.
 */
enum { EMPTY = 0, FULL = 1, BUSY = 2, PHASE_MASK = 3 };
#define FILL_ONE ((uint64_t)4)

/* A stale job's token (eg__next_find_stale): the slot's index in the top 8
 * bits, the low 56 bits of its state word below (a FULL state is odd, so a
 * token is never 0; 2^54 fills of one slot will not happen). */
#define TOKEN_INDEX_SHIFT 56
#define TOKEN_STATE_MASK (((uint64_t)1 << TOKEN_INDEX_SHIFT) - 1)

typedef struct next_slot {
  _Alignas(EG_CACHE_LINE) _Atomic uint64_t state;
  atomic_int owned; /* a live thread owns the slot */
  /* Jobs the owner moved out to the shared queue: taken from the slot but
   * not run from it, so eg__next_taken does not count them. Written by the
   * owner only. */
  _Atomic uint64_t moved_out;
  /* Written by the owner while EMPTY; read by the owner while FULL and by
   * a thief while BUSY, so never written while anybody reads it. */
  eg_job job;
} next_slot;

static next_slot slots[EG__NEXT_SLOTS];
/* Slots [0, slots_used) have been owned at some time: what thieves scan. */
static atomic_int slots_used;

static EG__THREAD_LOCAL next_slot *mine;
static EG__THREAD_LOCAL unsigned lookups_to_skip;

/* The key exists only for its destructor, which frees a slot at thread exit.
 * The library is linked with -z nodelete, so the destructor's code stays
 * mapped as long as threads can exit. */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int exit_key_made;

static uint64_t phase_of(uint64_t state) {
  return state & PHASE_MASK;
}

/*
 * Thread exit: the slot goes back to the table. A job still in it is stolen
 * like any stale job. Release: our writes to the slot happen before the
 * next owner's, which claims it with an acquire.
 */
static void release_slot(void *slot) {
  mine = NULL;
  lookups_to_skip = UINT_MAX; /* an exiting thread uses the shared queue */
  atomic_store_explicit(&((next_slot *)slot)->owned, 0, memory_order_release);
}

static void make_exit_key(void) {
  exit_key_made = pthread_key_create(&exit_key, release_slot) == 0;
}

static void raise_slots_used(int count) {
  int used = atomic_load_explicit(&slots_used, memory_order_relaxed);
  /* seq_cst: a parker's check of the slots (eg__next_pending) is part of
   * the pool's sleep handshake, which is seq_cst throughout. */
  while (used < count && !atomic_compare_exchange_weak_explicit(
                             &slots_used, &used, count, memory_order_seq_cst,
                             memory_order_relaxed))
    ;
}

static next_slot *claim_slot(void) {
  pthread_once(&key_once, make_exit_key);
  if (!exit_key_made)
    return NULL;
  for (int i = 0; i < EG__NEXT_SLOTS; i++) {
    int expected = 0;
    /* Acquire: pairs with release_slot of the previous owner. */
    if (atomic_load_explicit(&slots[i].owned, memory_order_relaxed) != 0 ||
        !atomic_compare_exchange_strong_explicit(&slots[i].owned, &expected, 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
      continue;
    if (pthread_setspecific(exit_key, &slots[i]) != 0) {
      atomic_store_explicit(&slots[i].owned, 0, memory_order_release);
      return NULL;
    }
    raise_slots_used(i + 1);
    return &slots[i];
  }
  return NULL;
}

int eg__next_have_slot(void) {
  if (mine != NULL)
    return 1;
  if (lookups_to_skip > 0) {
    lookups_to_skip--;
    return 0;
  }
  mine = claim_slot();
  if (mine == NULL)
    lookups_to_skip = EG__NEXT_LOOKUP_RETRY;
  return mine != NULL;
}

int eg__next_take_own(const void *owner, eg_job *out) {
  next_slot *slot = mine;
  if (slot == NULL)
    return 0;
  /* Relaxed: only this thread fills the slot, and a thief's claim makes
   * the compare-and-swap below fail. */
  uint64_t state = atomic_load_explicit(&slot->state, memory_order_relaxed);
  if (phase_of(state) != FULL || (owner != NULL && slot->job.owner != owner))
    return 0;
  *out = slot->job;
  /* Relaxed: the job is our own write (or, for a slot inherited from an
   * exited thread, published by the claim's acquire). */
  return atomic_compare_exchange_strong_explicit(
      &slot->state, &state, state - FULL, memory_order_relaxed,
      memory_order_relaxed);
}

int eg__next_move_out(eg_job *out) {
  if (!eg__next_take_own(NULL, out))
    return 0;
  /* Release, after the take: a reader that sees the new count (with an
   * acquire) also sees the slot emptied, so eg__next_taken is never too
   * low; until this store the job counts as taken, one too many, which at
   * worst makes eg_pool_shutdown refuse or the monitor see progress. */
  uint64_t moved = atomic_load_explicit(&mine->moved_out, memory_order_relaxed);
  atomic_store_explicit(&mine->moved_out, moved + 1, memory_order_release);
  return 1;
}

int eg__next_try_put(const eg_job *job) {
  next_slot *slot = mine;
  if (slot == NULL)
    return 0;
  /* Acquire: once the phase is EMPTY, a thief that took the previous job
   * has finished reading it. */
  uint64_t state = atomic_load_explicit(&slot->state, memory_order_acquire);
  if (phase_of(state) != EMPTY)
    return 0;
  slot->job = *job;
  /* seq_cst: publishes the job to thieves (release), and is the "push"
   * half of the pool's push-then-check-sleepers handshake. */
  atomic_store_explicit(&slot->state, state + FILL_ONE + FULL,
                        memory_order_seq_cst);
  return 1;
}

/* Takes the job of `slot` if it is still in the FULL `state`. */
static int steal_from(next_slot *slot, uint64_t state, eg_job *out) {
  /* Acquire: pairs with eg__next_put's store; the job is visible. */
  if (!atomic_compare_exchange_strong_explicit(
          &slot->state, &state, state - FULL + BUSY, memory_order_acquire,
          memory_order_relaxed))
    return 0;
  *out = slot->job;
  /* Release: we are done reading; the owner may refill the slot. */
  atomic_store_explicit(&slot->state, state - FULL, memory_order_release);
  return 1;
}

/* See eg__next_steal and eg__next_find_stale. With `out` NULL, takes
 * nothing and returns the first stale job's token (0 if none). */
static uint64_t scan_slots(eg_next_scan *scan, int64_t now_ns, eg_job *out) {
  if (now_ns < scan->next_scan_ns)
    return 0;
  scan->next_scan_ns = now_ns + EG__NEXT_STALE_NS;
  int used = atomic_load_explicit(&slots_used, memory_order_acquire);
  for (int i = 0; i < used; i++) {
    if (&slots[i] == mine)
      continue;
    /* Relaxed: a hint; steal_from's compare-and-swap decides. */
    uint64_t state =
        atomic_load_explicit(&slots[i].state, memory_order_relaxed);
    if (phase_of(state) != FULL)
      continue;
    if (scan->seen[i] != state)
      scan->seen[i] = state; /* first sighting of this fill */
    else if (out == NULL)
      return (uint64_t)i << TOKEN_INDEX_SHIFT | (state & TOKEN_STATE_MASK);
    else if (steal_from(&slots[i], state, out))
      return 1;
  }
  return 0;
}

int eg__next_steal(eg_next_scan *scan, int64_t now_ns, eg_job *out) {
  return scan_slots(scan, now_ns, out) != 0;
}

uint64_t eg__next_find_stale(eg_next_scan *scan, int64_t now_ns) {
  return scan_slots(scan, now_ns, NULL);
}

int eg__next_steal_token(uint64_t token, eg_job *out) {
  next_slot *slot = &slots[token >> TOKEN_INDEX_SHIFT];
  /* Relaxed: steal_from's compare-and-swap decides. */
  uint64_t state = atomic_load_explicit(&slot->state, memory_order_relaxed);
  return (state & TOKEN_STATE_MASK) == (token & TOKEN_STATE_MASK) &&
         phase_of(state) == FULL && steal_from(slot, state, out);
}

size_t eg__next_pending(void) {
  int used = atomic_load(&slots_used);
  size_t pending = 0;
  for (int i = 0; i < used; i++)
    pending += phase_of(atomic_load(&slots[i].state)) != EMPTY;
  return pending;
}

uint64_t eg__next_taken(void) {
  int used = atomic_load_explicit(&slots_used, memory_order_acquire);
  uint64_t taken = 0;
  for (int i = 0; i < used; i++) {
    /* moved_out first, with acquire: see eg__next_move_out. */
    uint64_t moved =
        atomic_load_explicit(&slots[i].moved_out, memory_order_acquire);
    uint64_t state =
        atomic_load_explicit(&slots[i].state, memory_order_acquire);
    taken += (state / FILL_ONE) - (phase_of(state) != EMPTY) - moved;
  }
  return taken;
}

void eg__next_reset_after_fork(void) {
  for (int i = 0; i < EG__NEXT_SLOTS; i++) {
    uint64_t state = atomic_load(&slots[i].state);
    atomic_store(&slots[i].state, state - phase_of(state));
    /* The child's pool counts from zero: no job counts as taken here. */
    atomic_store(&slots[i].moved_out, state / FILL_ONE);
    atomic_store(&slots[i].owned, &slots[i] == mine);
  }
}
