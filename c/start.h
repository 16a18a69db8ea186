/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the group's paths ask start.c about a task eg_group_start started:
 * the group runs it as fn = start.c's wrapper with arg = the wrapper's
 * record, which the wrapper frees when it returns.
 */
#ifndef EG_START_H
#define EG_START_H

#include "errgroup.h"

/* The argument the task-done callback reports for the task fn(arg): the
 * caller's arg for a started task, else `arg` itself. Call it before the
 * task runs (the record is gone after). */
void *eg__start_task_arg(eg_task_fn fn, void *arg);

/* Skip mode did not start the task fn(arg) (after reporting it): if it is
 * a started task, its starter returns EG_ESKIPPED and its record and
 * context are freed. Nothing otherwise. */
void eg__start_skipped(eg_task_fn fn, void *arg);

#endif /* EG_START_H */
