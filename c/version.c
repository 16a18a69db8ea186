/* SPDX-License-Identifier: BSD-3-Clause */
#include "errgroup.h"

int eg_version(void) {
  return EG_VERSION_NUMBER;
}

const char *eg_version_string(void) {
  return EG_VERSION_STRING;
}

const char *eg_strerror(int status) {
  switch (status) {
  case EG_OK:
    return "success";
  case EG_EINVAL:
    return "invalid argument";
  case EG_ENOMEM:
    return "out of memory";
  case EG_EAGAIN:
    return "no thread could be created";
  case EG_EBUSY:
    return "resource busy";
  case EG_ETIMEDOUT:
    return "timed out";
  case EG_ECANCELED:
    return "context canceled";
  case EG_EDEADLINE_EXCEEDED:
    return "context deadline exceeded";
  case EG_EDEADLK:
    return "deadlock avoided";
  case EG_ESKIPPED:
    return "errgroup: task skipped, group canceled";
  default:
    return "unknown error";
  }
}
