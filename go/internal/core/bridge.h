/* SPDX-License-Identifier: BSD-3-Clause */
/* The C half of the Go binding.
 *
 * The library's callbacks take `void *`; the //export'ed Go functions take
 * cgo.Handle values as uintptr_t, so Go never sees a fake pointer. Results
 * come back as structs by value: a Go pointer passed to C escapes to the
 * heap, a returned struct does not.
 *
 * Notifications that the library makes on a goroutine's thread, from inside
 * egb_external_done (a freed slot admitting a parked Go call, a completed
 * asynchronous wait, the release of a losing Go error), are not delivered
 * by calling back into Go: a callback on a fresh goroutine costs a stack
 * growth (a copy) every time. They are collected and returned to the caller,
 * which delivers them after the call. Notifications made on the library's own
 * threads, or beyond EGB_NOTES in one call, call back into Go. */
#ifndef EG_GO_BRIDGE_H
#define EG_GO_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "errgroup.h"
#include "errgroup_async.h"

/* What a C error stands for on the Go side; see egb_classify. */
enum {
  EGB_C_ERROR = 0,  /* made by C code: the group's CErrorFunc converts it */
  EGB_GO_ERROR = 1, /* wraps a Go error: .handle is its cgo.Handle */
  EGB_CANCELED = 2, /* eg_error_canceled(): context.Canceled */
  EGB_DEADLINE = 3  /* eg_error_deadline_exceeded(): context.DeadlineExceeded */
};

typedef struct {
  int kind;
  uintptr_t handle;
} egb_classified;

/* Which kind of error `error` (not NULL) is. */
egb_classified egb_classify(const eg_error *error);

/* Wraps the Go error held by `handle`, with a copy of message[0:length]. */
eg_error *egb_wrap_go_error(int code, const char *message, size_t length,
                            uintptr_t handle);

/* A collected notification, to deliver with the Go function of its kind. */
enum {
  EGB_NOTE_RELEASE_PAYLOAD = 1, /* egGoReleasePayload(handle) */
  EGB_NOTE_ADMITTED = 2,        /* egGoAdmitted(handle) */
  EGB_NOTE_WAIT_DONE = 3        /* egGoWaitDone(handle, error); error is
                                   retained: the receiver releases it */
};
#define EGB_NOTES 4

typedef struct {
  int kind;
  uintptr_t handle;
  eg_error *error;
} egb_note;

typedef struct {
  int recorded; /* eg_group_external_done's result */
  int count;    /* notes[0:count] to deliver */
  egb_note notes[EGB_NOTES];
} egb_done_result;

/* eg_group_external_done, collecting the notifications it makes. */
egb_done_result egb_external_done(eg_group *group, eg_error *error);
/* eg_group_external_record, the same way (a losing error's release). */
egb_done_result egb_external_record(eg_group *group, eg_error *error);

/* eg_group_admit, calling egGoAdmitted(handle) when admitted later. */
int egb_admit(eg_group *group, uintptr_t handle);

typedef struct {
  int status;      /* eg_group_wait_async's result */
  eg_error *error; /* when status is 1: the first error, borrowed */
} egb_wait_result;

/* eg_group_wait_async, calling egGoWaitDone(handle, error) later. */
egb_wait_result egb_wait_async(eg_group *group, uintptr_t handle);

typedef struct {
  int status;
  eg_group *group;
  eg_context *ctx;    /* the group's C context (WithContext only) */
  eg_context *parent; /* its C parent, canceled for the Go parent */
} egb_new_group;

/* eg_group_new. */
egb_new_group egb_group_new(void);
/* eg_context_with_cancel(background) as the parent, then
 * eg_group_with_context(parent); nothing is left on failure. */
egb_new_group egb_group_with_context(void);

typedef struct {
  int status;
  eg_after_func *after_func;
} egb_after_func_result;

/* eg_context_after_func, calling egGoContextDone(handle). */
egb_after_func_result egb_after_func(eg_context *ctx, uintptr_t handle);

typedef struct {
  int status;
  eg_error *refusal; /* owned, when status is EG_EBUSY */
} egb_set_limit_result;

egb_set_limit_result egb_set_limit(eg_group *group, int limit);

/* eg_group_on_task_done, calling egGoTaskDone(handle, task_arg, status,
 * error) for each C task. */
int egb_on_task_done(eg_group *group, uintptr_t handle);

typedef struct {
  int status;      /* eg_group_wait_timeout's result */
  eg_error *error; /* when status is EG_OK: the first error, borrowed */
} egb_wait_timeout_result;

egb_wait_timeout_result egb_wait_timeout(eg_group *group, int64_t timeout_ns);

typedef struct {
  int count; /* eg_group_errors's result */
  uint64_t dropped;
} egb_errors_result;

/* eg_group_errors into errors[0:capacity]. */
egb_errors_result egb_errors(eg_group *group, eg_error **errors,
                             size_t capacity);

#endif
