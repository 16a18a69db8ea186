/* SPDX-License-Identifier: BSD-3-Clause */
#include "error.h"

#include <string.h>

#include "errgroup_async.h"
#include "platform.h"

#define STATIC_ERROR(status, text)                                             \
  { .is_static = 1, .code = (status), .message = (text) }

static eg_error canceled = STATIC_ERROR(EG_ECANCELED, "context canceled");
static eg_error deadline_exceeded =
    STATIC_ERROR(EG_EDEADLINE_EXCEEDED, "context deadline exceeded");
static eg_error nomem = STATIC_ERROR(EG_ENOMEM, "out of memory");
static eg_error invalid = STATIC_ERROR(EG_EINVAL, "invalid argument");
static eg_error deadlock = STATIC_ERROR(
    EG_EDEADLK, "errgroup: Wait called from a task of the same group");

eg_error *eg_error_canceled(void) {
  return &canceled;
}
eg_error *eg_error_deadline_exceeded(void) {
  return &deadline_exceeded;
}
eg_error *eg_error_nomem(void) {
  return &nomem;
}
eg_error *eg__error_invalid(void) {
  return &invalid;
}
eg_error *eg__error_deadlock(void) {
  return &deadlock;
}

eg_error *eg_error_wrap(int code, const char *message, void *payload,
                        void (*release_payload)(void *payload)) {
  if (message == NULL)
    message = "";
  size_t length = strlen(message);
  eg_error *error = eg__alloc(sizeof *error + length + 1);
  if (error == NULL) {
    if (release_payload != NULL)
      release_payload(payload);
    return &nomem;
  }
  char *copy = (char *)(error + 1);
  memcpy(copy, message, length + 1);
  atomic_init(&error->refs, 1);
  error->is_static = 0;
  error->code = code;
  error->message = copy;
  error->payload = payload;
  error->release_payload = release_payload;
  return error;
}

eg_error *eg_error_new(int code, const char *message) {
  return eg_error_wrap(code, message, NULL, NULL);
}

eg_error *eg_error_retain(eg_error *error) {
  /* Relaxed: taking a reference needs no ordering, as for any refcount. */
  if (error != NULL && !error->is_static)
    atomic_fetch_add_explicit(&error->refs, 1, memory_order_relaxed);
  return error;
}

void eg_error_release(eg_error *error) {
  if (error == NULL || error->is_static)
    return;
  /* acq_rel: the release half publishes this holder's uses of the error;
   * the acquire half makes every holder's uses visible to the one that
   * frees it. (A lone acquire fence would do, but ThreadSanitizer does not
   * model fences.) */
  if (atomic_fetch_sub_explicit(&error->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (error->release_payload != NULL)
    error->release_payload(error->payload);
  eg__free(error);
}

int eg_error_code(const eg_error *error) {
  return error != NULL ? error->code : EG_EINVAL;
}

const char *eg_error_message(const eg_error *error) {
  return error != NULL ? error->message : "";
}

void *eg_error_payload(const eg_error *error) {
  return error != NULL ? error->payload : NULL;
}

eg_payload_release_fn eg_error_payload_release(const eg_error *error) {
  return error != NULL ? error->release_payload : NULL;
}
