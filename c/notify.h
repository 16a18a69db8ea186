/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission notifications (errgroup_async.h's eg_notify_fn), delivered so
 * that they never nest. A notification may re-enter the library at once
 * (eg_group_external_done from inside `admitted`), which hands the freed
 * slot to the next queued admission and notifies it: called directly, that
 * would recurse once per queued admission and overflow the stack. Instead,
 * a notification posted on a thread that is already inside one is queued
 * on that thread and delivered, in order, when the outer one returns.
 */
#ifndef EG_NOTIFY_H
#define EG_NOTIFY_H

#include "errgroup_async.h"
#include "list.h"

typedef struct eg__notice {
  eg__list link; /* on the delivering thread's queue meanwhile */
  eg_notify_fn fn;
  void *arg;
} eg__notice;

/*
 * Calls notice->fn(notice->arg) now, or after the notification this thread
 * is delivering returns; then frees `notice` with eg__free, so it must be
 * the start of its allocation. No lock may be held.
 */
void eg__notify(eg__notice *notice);

#endif /* EG_NOTIFY_H */
