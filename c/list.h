/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's one intrusive list (after libuv's queue.h): a circular,
 * doubly linked list with a sentinel head. A node is embedded in the
 * object it links; EG__LIST_ENTRY turns a node back into its object.
 *
 *   eg__list head;            eg__list_init(&head);
 *   eg__list_push_back(&head, &item->link);
 *   eg__list *first = eg__list_pop_front(&head);  (NULL when empty)
 *   EG__LIST_ENTRY(first, struct item, link)
 *
 * A node that is on no list is "unlinked" (it points to itself, as after
 * eg__list_init or eg__list_remove), so removing it twice is harmless and
 * eg__list_linked tells whether it is on a list.
 *
 * Not thread-safe: the owner of the list guards it (every list in the
 * library is under a mutex, or private to one thread).
 */
#ifndef EG_LIST_H
#define EG_LIST_H

#include <stddef.h>

typedef struct eg__list {
  struct eg__list *next, *prev;
} eg__list;

#define EG__LIST_ENTRY(node, type, member)                                     \
  ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Visits every node from the oldest; the body must not remove `node`. */
#define EG__LIST_FOREACH(node, head)                                           \
  for (eg__list *node = (head)->next; node != (head); node = node->next)

/* An empty list, or an unlinked node. */
static inline void eg__list_init(eg__list *list) {
  list->next = list->prev = list;
}

static inline int eg__list_empty(const eg__list *head) {
  return head->next == head;
}

/* 1 if `node` is on a list (as opposed to unlinked). */
static inline int eg__list_linked(const eg__list *node) {
  return node->next != node;
}

static inline void eg__list_insert_after(eg__list *at, eg__list *node) {
  node->prev = at;
  node->next = at->next;
  at->next->prev = node;
  at->next = node;
}

/* Appends `node` (newest last). */
static inline void eg__list_push_back(eg__list *head, eg__list *node) {
  eg__list_insert_after(head->prev, node);
}

static inline void eg__list_push_front(eg__list *head, eg__list *node) {
  eg__list_insert_after(head, node);
}

/* Unlinks `node` from whatever list it is on; no-op if unlinked. */
static inline void eg__list_remove(eg__list *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  eg__list_init(node);
}

/* The oldest node, or NULL if the list is empty. */
static inline eg__list *eg__list_first(const eg__list *head) {
  return eg__list_empty(head) ? NULL : head->next;
}

/* Unlinks and returns the oldest node, or NULL if the list is empty. */
static inline eg__list *eg__list_pop_front(eg__list *head) {
  eg__list *node = eg__list_first(head);
  if (node != NULL)
    eg__list_remove(node);
  return node;
}

/* Moves every node of `from` to the end of `to`, in order; `from` is left
 * empty. For taking a whole list under a lock and walking it outside. */
static inline void eg__list_splice(eg__list *from, eg__list *to) {
  if (eg__list_empty(from))
    return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  eg__list_init(from);
}

#endif /* EG_LIST_H */
