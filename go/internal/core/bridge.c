/* SPDX-License-Identifier: BSD-3-Clause */
// go:build cgo

#include "bridge.h"

#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"

/* The result being filled by egb_external_done on this thread, if any. */
static _Thread_local egb_done_result *collecting;

/* Whether this thread is inside egb_external_done with room for a note. */
static int can_collect(void) {
  return collecting != NULL && collecting->count < EGB_NOTES;
}

static void collect(int kind, uintptr_t handle, eg_error *error) {
  egb_note *note = &collecting->notes[collecting->count++];
  note->kind = kind;
  note->handle = handle;
  note->error = error;
}

static void release_go_payload(void *payload) {
  if (can_collect())
    collect(EGB_NOTE_RELEASE_PAYLOAD, (uintptr_t)payload, NULL);
  else
    egGoReleasePayload((uintptr_t)payload);
}

static void admitted(void *arg) {
  if (can_collect())
    collect(EGB_NOTE_ADMITTED, (uintptr_t)arg, NULL);
  else
    egGoAdmitted((uintptr_t)arg);
}

static void wait_done(void *arg, eg_error *error) {
  if (can_collect())
    collect(EGB_NOTE_WAIT_DONE, (uintptr_t)arg, eg_error_retain(error));
  else
    egGoWaitDone((uintptr_t)arg, error);
}

static void task_done(void *done_arg, void *task_arg, int status,
                      eg_error *error) {
  egGoTaskDone((uintptr_t)done_arg, task_arg, status, error);
}

static void context_done(void *arg) {
  egGoContextDone((uintptr_t)arg);
}

egb_classified egb_classify(const eg_error *error) {
  egb_classified result = {EGB_C_ERROR, 0};
  if (eg_error_payload_release(error) == release_go_payload) {
    result.kind = EGB_GO_ERROR;
    result.handle = (uintptr_t)eg_error_payload(error);
  } else if (error == eg_error_canceled()) {
    result.kind = EGB_CANCELED;
  } else if (error == eg_error_deadline_exceeded()) {
    result.kind = EGB_DEADLINE;
  }
  return result;
}

eg_error *egb_wrap_go_error(int code, const char *message, size_t length,
                            uintptr_t handle) {
  char small[256];
  char *text = length < sizeof small ? small : malloc(length + 1);
  if (text == NULL) { /* as eg_error_wrap does when memory runs out */
    release_go_payload((void *)handle);
    return eg_error_nomem();
  }
  if (length != 0)
    memcpy(text, message, length);
  text[length] = '\0';
  eg_error *error =
      eg_error_wrap(code, text, (void *)handle, release_go_payload);
  if (text != small)
    free(text);
  return error;
}

/* Calls record_or_end(group, error), collecting the notifications it makes. */
static egb_done_result collected(int (*record_or_end)(eg_group *, eg_error *),
                                 eg_group *group, eg_error *error) {
  egb_done_result result;
  result.count = 0;
  egb_done_result *outer = collecting;
  collecting = &result;
  result.recorded = record_or_end(group, error);
  collecting = outer;
  return result;
}

egb_done_result egb_external_done(eg_group *group, eg_error *error) {
  return collected(eg_group_external_done, group, error);
}

egb_done_result egb_external_record(eg_group *group, eg_error *error) {
  return collected(eg_group_external_record, group, error);
}

int egb_admit(eg_group *group, uintptr_t handle) {
  return eg_group_admit(group, admitted, (void *)handle);
}

egb_wait_result egb_wait_async(eg_group *group, uintptr_t handle) {
  egb_wait_result result;
  result.status =
      eg_group_wait_async(group, wait_done, (void *)handle, &result.error);
  return result;
}

egb_new_group egb_group_new(void) {
  egb_new_group result = {0, NULL, NULL, NULL};
  result.status = eg_group_new(&result.group);
  return result;
}

egb_new_group egb_group_with_context(void) {
  egb_new_group result = {0, NULL, NULL, NULL};
  result.status =
      eg_context_with_cancel(eg_context_background(), &result.parent);
  if (result.status != EG_OK)
    return result;
  result.status =
      eg_group_with_context(result.parent, &result.group, &result.ctx);
  if (result.status != EG_OK) {
    eg_context_release(result.parent);
    result.parent = NULL;
  }
  return result;
}

egb_after_func_result egb_after_func(eg_context *ctx, uintptr_t handle) {
  egb_after_func_result result = {0, NULL};
  result.status = eg_context_after_func(ctx, context_done, (void *)handle,
                                        &result.after_func);
  return result;
}

int egb_on_task_done(eg_group *group, uintptr_t handle) {
  return eg_group_on_task_done(group, task_done, (void *)handle);
}

egb_wait_timeout_result egb_wait_timeout(eg_group *group, int64_t timeout_ns) {
  egb_wait_timeout_result result = {0, NULL};
  result.status = eg_group_wait_timeout(group, timeout_ns, &result.error);
  return result;
}

egb_errors_result egb_errors(eg_group *group, eg_error **errors,
                             size_t capacity) {
  egb_errors_result result = {0, 0};
  result.count = eg_group_errors(group, errors, capacity, &result.dropped);
  return result;
}

egb_set_limit_result egb_set_limit(eg_group *group, int limit) {
  egb_set_limit_result result;
  result.status = eg_group_set_limit(group, limit, &result.refusal);
  return result;
}
