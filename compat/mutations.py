# SPDX-License-Identifier: BSD-3-Clause
"""The mutants of the mutation check (compat/README.md, "Mutation check").

Each mutant breaks one rule of the reference by editing a copy of c/: the
library's own sources carry no trace of them. An edit is (file, text, new
text); the text must occur exactly once in the file, so a change to c/ that
moves or rewrites it makes the check fail with a message naming the mutant
(update the edit here) instead of silently testing an unbroken library.
"""

MUTANTS = {
    "LAST_ERROR_WINS": (
        "every error replaces the recorded one",
        [("group.c",
          "int eg__group_record_first(eg_group *group, eg_error *error) {\n",
          "int eg__group_record_first(eg_group *group, eg_error *error) {\n"
          "  if (1) {\n"
          "    eg_error_release(atomic_exchange(&group->first_error, error));\n"
          "    if (group->cancels)\n"
          "      eg__context_cancel(group->ctx, EG_ECANCELED, error);\n"
          "    return 1;\n"
          "  }\n")],
    ),
    "LIFO_ADMISSION": (
        "blocked go callers are admitted newest first",
        [("limit.c",
          "  eg__list_push_back(&limit->waiters, &waiter->notice.link);\n",
          "  eg__list_push_front(&limit->waiters, &waiter->notice.link);\n")],
    ),
    "TRYGO_BARGES": (
        "a freed slot is not handed to the oldest waiter: it is freed, the "
        "waiter must retake it, and try-go may win",
        [("limit.c",
          "enum { WAITING, GRANTED, SLEEPING, STARTED, SKIPPED };\n",
          "enum { WAITING, GRANTED, SLEEPING, STARTED, SKIPPED, RETRY };\n"),
         ("limit.c",
          "  return used_of(slots) < (unsigned)capacity_of(limit) && queued_of(slots) == 0;\n",
          "  return used_of(slots) < (unsigned)capacity_of(limit);\n"),
         ("limit.c",
          "  } else {\n"
          "    /* Direct hand-off: the slot changes owner, the taken count stays. */\n",
          "  } else if (!is_async(waiter_of(link))) {\n"
          "    eg_limit_waiter *waiter = waiter_of(link);\n"
          "    atomic_fetch_sub(limit->slots, QUEUED_ONE + 1);\n"
          "    if (atomic_exchange(&waiter->state, RETRY) == SLEEPING)\n"
          "      eg__futex_wake(&waiter->state, 1);\n"
          "  } else {\n"),
         ("limit.c",
          "  if (limit->retired || take_slot_or_queue(limit)) {\n"
          "    pthread_mutex_unlock(&limit->lock);\n"
          "    return EG_LIMIT_TOOK;\n"
          "  }\n"
          "  enqueue(limit, &self);\n"
          "  pthread_mutex_unlock(&limit->lock);\n"
          "  unsigned state = wait_for_turn(limit, &self, may_help, owner);\n"
          "  if (state == SKIPPED)\n"
          "    return EG_LIMIT_SKIPPED;\n"
          "  return state == STARTED ? EG_LIMIT_STARTED : EG_LIMIT_HANDED;\n",
          "  for (;;) {\n"
          "    if (limit->retired || take_slot_or_queue(limit)) {\n"
          "      pthread_mutex_unlock(&limit->lock);\n"
          "      return EG_LIMIT_TOOK;\n"
          "    }\n"
          "    atomic_store(&self.state, WAITING);\n"
          "    enqueue(limit, &self);\n"
          "    pthread_mutex_unlock(&limit->lock);\n"
          "    unsigned state = wait_for_turn(limit, &self, may_help, owner);\n"
          "    if (state == SKIPPED)\n"
          "      return EG_LIMIT_SKIPPED;\n"
          "    if (state != RETRY)\n"
          "      return state == STARTED ? EG_LIMIT_STARTED : EG_LIMIT_HANDED;\n"
          "    pthread_mutex_lock(&limit->lock);\n"
          "  }\n")],
    ),
    "WAIT_NO_CANCEL": (
        "wait does not cancel the group's context",
        [("group.c",
          "  if (group->cancels)\n"
          "    eg__context_cancel(group->ctx, EG_ECANCELED, error);\n"
          "  return error;\n",
          "  return error;\n")],
    ),
    # Mutants of the extras (issue 14): killed by compat/scenarios-extras.
    "RESIZE_NEWEST_FIRST": (
        "a raised limit admits the newest blocked callers first",
        [("limit.c",
          "    eg__list *link = eg__list_pop_front(&limit->waiters);\n"
          "    count_in(owner);\n",
          "    eg__list *link = limit->waiters.prev;\n"
          "    eg__list_remove(link);\n"
          "    count_in(owner);\n")],
    ),
    "CANCEL_RECORDS_CAUSE": (
        "eg_group_cancel records its cause as the group's first error",
        [("extras.c",
          "  atomic_store_explicit(&group->canceled, 1, memory_order_release);\n",
          "  atomic_store_explicit(&group->canceled, 1, memory_order_release);\n"
          "  eg__group_record_first(\n"
          "      group, eg_error_retain(cause != NULL ? cause : eg_error_canceled()));\n")],
    ),
    "SKIP_NO_SWEEP": (
        "eg_group_cancel does not wake go callers blocked in skip mode",
        [("extras.c",
          "  if (extras != NULL && extras->skip)\n"
          "    sweep(group);\n"
          "  return EG_OK;\n",
          "  (void)extras;\n"
          "  return EG_OK;\n")],
    ),
    "DROP_CAUSE": (
        "contexts are canceled with plain \"canceled\" as cause",
        [("context.c",
          "  ctx->cause = eg_error_retain(c->cause);\n",
          "  ctx->cause = eg_error_retain(eg_error_canceled());\n")],
    ),
}


def apply(name, src_dir, out_dir):
    """Writes c/ with mutant `name` applied into out_dir; raises ValueError
    naming the edit that no longer applies."""
    import os
    import shutil
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    shutil.copytree(src_dir, out_dir)
    for path, old, new in MUTANTS[name][1]:
        full = os.path.join(out_dir, path)
        with open(full) as fh:
            text = fh.read()
        found = text.count(old)
        if found != 1:
            raise ValueError("mutation %s no longer applies: c/%s has %d copies "
                             "(need exactly 1) of:\n%s" % (name, path, found, old))
        with open(full, "w") as fh:
            fh.write(text.replace(old, new))
