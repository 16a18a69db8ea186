/* SPDX-License-Identifier: BSD-3-Clause */
// Proves that both public headers compile as C++17 with
// -std=c++17 -pedantic -Wall -Wextra -Werror (built as part of every build,
// see CMakeLists.txt), and that their declarations have C linkage and the
// types C++ callers expect.
#include "errgroup.h"
#include "errgroup_async.h"

#include <cstdint>
#include <type_traits>

namespace {

eg_error *noop_task(eg_context *, void *) {
  return nullptr;
}
void noop_notify(void *) {
}
void noop_wait(void *, eg_error *) {
}

static_assert(EG_VERSION_NUMBER == EG_VERSION_MAJOR * 10000 +
                                       EG_VERSION_MINOR * 100 +
                                       EG_VERSION_PATCH,
              "EG_VERSION_NUMBER is made of its parts");
static_assert(EG_OK == 0 && EG_ECANCELED < 0 && EG_EDEADLINE_EXCEEDED < 0,
              "status codes: 0 for success, negative for errors");
static_assert(std::is_same<decltype(&eg_now_ns), std::int64_t (*)()>::value,
              "eg_now_ns returns int64_t");
static_assert(std::is_same<decltype(&eg_pool_set_stack_size),
                           int (*)(std::size_t)>::value,
              "eg_pool_set_stack_size takes size_t");

// Function pointers of C++ functions convert to the C callback types.
[[maybe_unused]] const eg_task_fn task = noop_task;
[[maybe_unused]] const eg_notify_fn notify = noop_notify;
[[maybe_unused]] const eg_wait_fn wait = noop_wait;

// The prototypes as a C++ caller spells them.
[[maybe_unused]] int (*const go)(eg_group *, eg_task_fn, void *) = eg_group_go;
[[maybe_unused]] int (*const admit)(eg_group *, eg_notify_fn,
                                    void *) = eg_group_admit;

} // namespace
