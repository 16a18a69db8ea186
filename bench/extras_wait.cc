/* SPDX-License-Identifier: BSD-3-Clause */
// The cost of issue 14's waits and limits when used (C engineer B's
// features): a timed wait against eg_group_wait, a start-and-ready round
// trip against a go round trip, and eg_group_resize_limit while other
// threads go at the limit. Compare each with its plain counterpart in
// bench.cc (GoWaitRoundTrip) in one sitting.
//
//   build/default/bench/errgroup_bench --benchmark_filter='Extras'

#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

#include "errgroup.h"

namespace {

eg_error *empty(eg_context *, void *) {
  return nullptr;
}

eg_error *ready_at_once(eg_context *ctx, void *) {
  eg_task_ready(ctx);
  return nullptr;
}

// One go + one eg_group_wait_timeout (never reached) per iteration.
void BM_GoWaitTimeoutRoundTrip(benchmark::State &state) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK) {
    state.SkipWithError("eg_group_new failed");
    return;
  }
  bool failed = false;
  for (auto _ : state) {
    eg_error *result = nullptr;
    if (eg_group_go(g, empty, nullptr) != EG_OK ||
        eg_group_wait_timeout(g, 1000000000, &result) != EG_OK)
      failed = true;
  }
  if (failed)
    state.SkipWithError("go/wait_timeout failed");
  eg_group_free(g);
  state.SetItemsProcessed(state.iterations());
}

// One eg_group_start (the task is ready at once) + one wait per iteration.
void BM_StartWaitRoundTrip(benchmark::State &state) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK) {
    state.SkipWithError("eg_group_new failed");
    return;
  }
  bool failed = false;
  for (auto _ : state) {
    if (eg_group_start(g, ready_at_once, nullptr, nullptr) < 0 ||
        eg_group_wait(g) != nullptr)
      failed = true;
  }
  if (failed)
    state.SkipWithError("start/wait failed");
  eg_group_free(g);
  state.SetItemsProcessed(state.iterations());
}

// eg_group_resize_limit between 2 and 6 while two threads go empty tasks
// at the limit as fast as they can: the time per resize; the counter
// go_per_resize says how many tasks went through meanwhile.
void BM_ResizeLimitUnderLoad(benchmark::State &state) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK || eg_group_set_limit(g, 4, nullptr) != EG_OK) {
    state.SkipWithError("group setup failed");
    return;
  }
  std::atomic<bool> stop{false};
  std::atomic<long> gone{0};
  std::vector<std::thread> goers;
  for (int i = 0; i < 2; ++i)
    goers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed))
        if (eg_group_go(g, empty, nullptr) == EG_OK)
          gone.fetch_add(1, std::memory_order_relaxed);
    });
  int limit = 2;
  for (auto _ : state) {
    eg_group_resize_limit(g, limit);
    limit = limit == 2 ? 6 : 2;
  }
  stop = true;
  eg_group_resize_limit(g, -1);
  for (auto &t : goers)
    t.join();
  eg_group_wait(g);
  eg_group_free(g);
  state.SetItemsProcessed(state.iterations());
  state.counters["go_per_resize"] = static_cast<double>(gone.load()) /
                                    static_cast<double>(state.iterations());
}

} // namespace

void register_extras_wait() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("ExtrasGoWaitTimeoutRoundTrip", BM_GoWaitTimeoutRoundTrip)
      ->UseRealTime();
  RegisterBenchmark("ExtrasStartWaitRoundTrip", BM_StartWaitRoundTrip)
      ->UseRealTime();
  RegisterBenchmark("ExtrasResizeLimitUnderLoad", BM_ResizeLimitUnderLoad)
      ->UseRealTime();
}
