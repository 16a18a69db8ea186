/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of c/list.h, the library's one intrusive list. */
#include "list.h"

#include "unit_check.h"

struct item {
  int value;
  eg__list link;
};

/* 1 if `head` holds exactly `values[0..count)`, oldest first, and its
 * backward links agree. */
static int holds(const eg__list *head, const int *values, int count) {
  int seen = 0;
  EG__LIST_FOREACH(node, head) {
    if (seen == count ||
        EG__LIST_ENTRY(node, struct item, link)->value != values[seen])
      return 0;
    if (node->next->prev != node)
      return 0;
    seen++;
  }
  return seen == count;
}

static void test_push_pop_order(void) {
  eg__list head;
  eg__list_init(&head);
  CHECK(eg__list_empty(&head));
  CHECK(eg__list_first(&head) == NULL);
  CHECK(eg__list_pop_front(&head) == NULL);

  struct item items[4] = {
      {.value = 1}, {.value = 2}, {.value = 3}, {.value = 0}};
  eg__list_push_back(&head, &items[0].link);
  eg__list_push_back(&head, &items[1].link);
  eg__list_push_back(&head, &items[2].link);
  eg__list_push_front(&head, &items[3].link);
  CHECK(holds(&head, (int[]){0, 1, 2, 3}, 4));
  CHECK(eg__list_first(&head) == &items[3].link);

  CHECK(eg__list_pop_front(&head) == &items[3].link);
  CHECK(!eg__list_linked(&items[3].link));
  CHECK(holds(&head, (int[]){1, 2, 3}, 3));
}

static void test_remove_anywhere(void) {
  eg__list head;
  eg__list_init(&head);
  struct item items[3] = {{.value = 1}, {.value = 2}, {.value = 3}};
  for (int i = 0; i < 3; i++) {
    eg__list_init(&items[i].link);
    CHECK(!eg__list_linked(&items[i].link));
    eg__list_push_back(&head, &items[i].link);
    CHECK(eg__list_linked(&items[i].link));
  }
  eg__list_remove(&items[1].link);
  CHECK(holds(&head, (int[]){1, 3}, 2));
  eg__list_remove(&items[1].link); /* unlinked: a no-op */
  CHECK(holds(&head, (int[]){1, 3}, 2));
  eg__list_remove(&items[2].link);
  eg__list_remove(&items[0].link);
  CHECK(eg__list_empty(&head));
}

static void test_splice(void) {
  eg__list from, to;
  eg__list_init(&from);
  eg__list_init(&to);
  struct item items[4] = {
      {.value = 1}, {.value = 2}, {.value = 3}, {.value = 4}};
  eg__list_splice(&from, &to); /* both empty */
  CHECK(eg__list_empty(&from) && eg__list_empty(&to));
  eg__list_push_back(&to, &items[0].link);
  eg__list_push_back(&from, &items[1].link);
  eg__list_push_back(&from, &items[2].link);
  eg__list_splice(&from, &to);
  CHECK(eg__list_empty(&from));
  CHECK(holds(&to, (int[]){1, 2, 3}, 3));
  eg__list_push_back(&from, &items[3].link);
  eg__list_splice(&to, &from); /* into a non-empty list */
  CHECK(holds(&from, (int[]){4, 1, 2, 3}, 4));
  CHECK(eg__list_empty(&to));
}

int main(void) {
  test_push_pop_order();
  test_remove_anywhere();
  test_splice();
  return 0;
}
