/* SPDX-License-Identifier: BSD-3-Clause */
/* The opt-in extras beyond the reference (errgroup.h, since 1.1). */
#include "context.h"
#include "group.h"

int eg_group_cancel(eg_group *group, eg_error *cause) {
  if (group == NULL)
    return EG_EINVAL;
  /* Release: pairs with eg_group_canceled's acquire load. */
  atomic_store_explicit(&group->canceled, 1, memory_order_release);
  if (group->cancels)
    eg__context_cancel(group->ctx, EG_ECANCELED, cause);
  return EG_OK;
}

int eg_group_canceled(eg_group *group) {
  if (group == NULL)
    return EG_EINVAL;
  if (group->cancels)
    return eg_context_done(group->ctx);
  /* Acquire: pairs with the release of the first error's exchange and of
   * eg_group_cancel's store. */
  return atomic_load_explicit(&group->first_error, memory_order_acquire) !=
             NULL ||
         atomic_load_explicit(&group->canceled, memory_order_acquire);
}
