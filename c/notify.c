/* SPDX-License-Identifier: BSD-3-Clause */
#include "notify.h"

#include <stddef.h>

#include "platform.h"

/* The queue of the notification this thread is delivering, or NULL when it
 * is not inside one. Thread-local: no other thread ever sees it. */
static EG__THREAD_LOCAL eg__list *delivering;

void eg__notify(eg__notice *notice) {
  if (delivering != NULL) {
    eg__list_push_back(delivering, &notice->link);
    return;
  }
  eg__list queue;
  eg__list_init(&queue);
  delivering = &queue;
  for (;;) {
    notice->fn(notice->arg);
    eg__free(notice);
    eg__list *next = eg__list_pop_front(&queue);
    if (next == NULL)
      break;
    notice = EG__LIST_ENTRY(next, eg__notice, link);
  }
  delivering = NULL;
}
