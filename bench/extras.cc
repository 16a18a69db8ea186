/* SPDX-License-Identifier: BSD-3-Clause */
// The cost of the opt-in extras (errgroup.h, "Beyond the reference") when
// used, against the plain group, on empty tasks: one iteration is one
// eg_group_go, and the wait that ends the batch runs inside the last one
// (as BM_GoN in bench.cc). The reference has no counterpart: these have no
// Go twin in bench/goref.
//
//   build/default/bench/errgroup_bench --benchmark_filter='^Extras/'

#include <benchmark/benchmark.h>

#include <atomic>

#include "bench_util.h"
#include "errgroup.h"

namespace {

eg_error *empty_task(eg_context *, void *) {
  return nullptr;
}

// Returns a static error: recording it allocates nothing.
eg_error *failing_task(eg_context *, void *) {
  return eg_error_canceled();
}

std::atomic<long> completions{0};

void count_done(void *, void *, int, eg_error *) {
  completions.fetch_add(1, std::memory_order_relaxed);
}

enum class Extra {
  kNone,
  kKeepErrors,
  kOnTaskDone,
  kSkip,        // skip mode, never canceled: the check on every go
  kSkipRefused, // skip mode, canceled: every go is refused
  kAll,
};

// Sets `extra` up on a fresh group with a context; false on failure.
bool set_up(eg_group *g, Extra extra) {
  switch (extra) {
  case Extra::kNone:
    return true;
  case Extra::kKeepErrors:
    return eg_group_keep_errors(g, 4096) == EG_OK;
  case Extra::kOnTaskDone:
    return eg_group_on_task_done(g, count_done, nullptr) == EG_OK;
  case Extra::kSkip:
    return eg_group_skip_when_canceled(g) == EG_OK;
  case Extra::kSkipRefused:
    return eg_group_skip_when_canceled(g) == EG_OK &&
           eg_group_cancel(g, nullptr) == EG_OK;
  case Extra::kAll:
    return eg_group_keep_errors(g, 4096) == EG_OK &&
           eg_group_on_task_done(g, count_done, nullptr) == EG_OK &&
           eg_group_skip_when_canceled(g) == EG_OK;
  }
  return false;
}

// b.N tasks (failing ones if `fail`) in one group with `extra`, then wait.
void BM_Extra(benchmark::State &state, Extra extra, bool fail) {
  eg_group *g = nullptr;
  eg_context *ctx = nullptr;
  if (eg_group_with_context(eg_context_background(), &g, &ctx) != EG_OK ||
      !set_up(g, extra)) {
    state.SkipWithError("setup failed");
    eg_group_free(g);
    eg_context_release(ctx);
    return;
  }
  eg_task_fn task = fail ? failing_task : empty_task;
  int expected = extra == Extra::kSkipRefused ? EG_ESKIPPED : EG_OK;
  bool failed = false;
  benchmark::IterationCount i = 0;
  for (auto _ : state) {
    if (eg_group_go(g, task, nullptr) != expected)
      failed = true;
    if (++i == state.max_iterations)
      eg_group_wait(g);
  }
  if (i != state.max_iterations)
    eg_group_wait(g); // skipped run
  if (failed)
    state.SkipWithError("eg_group_go gave an unexpected status");
  eg_group_free(g);
  eg_context_release(ctx);
  state.SetItemsProcessed(state.iterations());
}

struct Register {
  Register() {
    using benchmark::RegisterBenchmark;
    RegisterBenchmark("Extras/Plain", BM_Extra, Extra::kNone, false)
        ->UseRealTime();
    RegisterBenchmark("Extras/KeepErrors", BM_Extra, Extra::kKeepErrors, false)
        ->UseRealTime();
    RegisterBenchmark("Extras/OnTaskDone", BM_Extra, Extra::kOnTaskDone, false)
        ->UseRealTime();
    RegisterBenchmark("Extras/Skip", BM_Extra, Extra::kSkip, false)
        ->UseRealTime();
    RegisterBenchmark("Extras/SkipRefused", BM_Extra, Extra::kSkipRefused,
                      false)
        ->UseRealTime();
    RegisterBenchmark("Extras/All", BM_Extra, Extra::kAll, false)
        ->UseRealTime();
    // Every task fails: the plain group keeps the first (one exchange per
    // error), keep_errors takes its lock per error (kept up to 4096, the
    // rest dropped).
    RegisterBenchmark("Extras/PlainAllFail", BM_Extra, Extra::kNone, true)
        ->UseRealTime();
    RegisterBenchmark("Extras/KeepErrorsAllFail", BM_Extra, Extra::kKeepErrors,
                      true)
        ->UseRealTime();
  }
} register_extras;

} // namespace
