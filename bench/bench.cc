/* SPDX-License-Identifier: BSD-3-Clause */
// Benchmarks of liberrgroup's C API, case for case the same as the Go
// reference benchmarks in bench/goref/ref_bench_test.go. Each benchmark is
// registered under the Go benchmark's name without "Benchmark", which is how
// bench/compare.py pairs them.
//
// All timing is wall-clock (UseRealTime, or UseManualTime with our own
// monotonic clock readings): the work happens on the library's pool
// threads, so the benchmark thread's CPU time would mean nothing.
//
// Per-task cases follow Go's b.N shape: one benchmark iteration is one
// eg_group_go (or try_go) call, and the eg_group_wait that ends the batch
// runs inside the last iteration, so it is timed as it is in Go. Reported
// time per iteration is thus ns per task, and items_per_second is the
// matching task rate.
//
//   build/default/bench/errgroup_bench --benchmark_min_time=0.5

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "bench_util.h"
#include "errgroup.h"

namespace {

eg_error *empty_task(eg_context *, void *) {
  return nullptr;
}

// Blocks until the context passed in `arg` is done (not the group's own:
// used to hold a slot for as long as the benchmark wants).
eg_error *hold_slot_task(eg_context *, void *arg) {
  eg_context_wait(static_cast<eg_context *>(arg), -1);
  return nullptr;
}

bool last_iteration(benchmark::State &state, benchmark::IterationCount i) {
  return i == state.max_iterations;
}

// b.N empty tasks in one group (limit < 0: none), then wait.
void BM_GoN(benchmark::State &state, int limit) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK) {
    state.SkipWithError("eg_group_new failed");
    return;
  }
  if (limit >= 0 && eg_group_set_limit(g, limit, nullptr) != EG_OK) {
    state.SkipWithError("eg_group_set_limit failed");
    eg_group_free(g);
    return;
  }
  bool failed = false;
  eg_error *err = nullptr;
  benchmark::IterationCount i = 0;
  for (auto _ : state) {
    if (eg_group_go(g, empty_task, nullptr) != EG_OK)
      failed = true;
    if (last_iteration(state, ++i))
      err = eg_group_wait(g);
  }
  if (i != state.max_iterations)
    err = eg_group_wait(g); // skipped run
  if (failed)
    state.SkipWithError("eg_group_go failed");
  if (err != nullptr)
    state.SkipWithError("eg_group_wait returned an error");
  eg_group_free(g);
  state.SetItemsProcessed(state.iterations());
  state.counters["threads"] = process_threads();
}

// One iteration = a fixed batch of empty tasks in a fresh unlimited group
// plus the wait. Reported per task through items_per_second.
void BM_GoBatch(benchmark::State &state, int batch) {
  bool failed = false;
  for (auto _ : state) {
    eg_group *g = nullptr;
    if (eg_group_new(&g) != EG_OK) {
      failed = true;
      break;
    }
    for (int j = 0; j < batch; j++)
      if (eg_group_go(g, empty_task, nullptr) != EG_OK)
        failed = true;
    if (eg_group_wait(g) != nullptr)
      failed = true;
    eg_group_free(g);
  }
  if (failed)
    state.SkipWithError("go/wait failed");
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = process_threads();
  state.counters["time_per_task"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * batch,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The limit (b.N) is never reached: every try_go starts its task.
void BM_TryGoBelowLimit(benchmark::State &state) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK) {
    state.SkipWithError("eg_group_new failed");
    return;
  }
  const int limit = state.max_iterations > INT_MAX
                        ? INT_MAX
                        : static_cast<int>(state.max_iterations);
  if (eg_group_set_limit(g, limit, nullptr) != EG_OK) {
    state.SkipWithError("eg_group_set_limit failed");
    eg_group_free(g);
    return;
  }
  int64_t refused = 0;
  eg_error *err = nullptr;
  benchmark::IterationCount i = 0;
  for (auto _ : state) {
    if (eg_group_try_go(g, empty_task, nullptr) != 1)
      refused++;
    if (last_iteration(state, ++i))
      err = eg_group_wait(g);
  }
  if (i != state.max_iterations)
    err = eg_group_wait(g);
  if (refused != 0)
    state.SkipWithError("try_go refused below the limit");
  if (err != nullptr)
    state.SkipWithError("eg_group_wait returned an error");
  eg_group_free(g);
  state.SetItemsProcessed(state.iterations());
  state.counters["threads"] = process_threads();
}

// Limit 1, held by a blocked task: every try_go is refused.
void BM_TryGoAtLimit(benchmark::State &state) {
  eg_group *g = nullptr;
  eg_context *release = nullptr;
  if (eg_group_new(&g) != EG_OK ||
      eg_context_with_cancel(eg_context_background(), &release) != EG_OK ||
      eg_group_set_limit(g, 1, nullptr) != EG_OK ||
      eg_group_go(g, hold_slot_task, release) != EG_OK) {
    state.SkipWithError("setup failed");
    if (release) {
      eg_context_cancel(release, nullptr);
      if (g)
        eg_group_wait(g);
      eg_context_release(release);
    }
    eg_group_free(g);
    return;
  }
  int64_t started = 0;
  for (auto _ : state) {
    if (eg_group_try_go(g, empty_task, nullptr) != 0)
      started++;
  }
  eg_context_cancel(release, nullptr);
  eg_error *err = eg_group_wait(g);
  if (started != 0)
    state.SkipWithError("try_go succeeded at the limit");
  if (err != nullptr)
    state.SkipWithError("eg_group_wait returned an error");
  eg_group_free(g);
  eg_context_release(release);
  state.SetItemsProcessed(state.iterations());
  state.counters["threads"] = process_threads();
}

// One go + one wait per iteration on a reused group.
void BM_GoWaitRoundTrip(benchmark::State &state) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK) {
    state.SkipWithError("eg_group_new failed");
    return;
  }
  bool failed = false;
  for (auto _ : state) {
    if (eg_group_go(g, empty_task, nullptr) != EG_OK)
      failed = true;
    if (eg_group_wait(g) != nullptr)
      failed = true;
  }
  if (failed)
    state.SkipWithError("go/wait failed");
  eg_group_free(g);
  state.SetItemsProcessed(state.iterations());
  state.counters["threads"] = process_threads();
}

// --- The host's cross-CPU latency -------------------------------------------

// Not a library benchmark: two threads pass a token back and forth through
// one atomic word, and the time per one-way pass is reported. On a VM it
// changes from minute to minute (50 to 200 ns here), and every hand-off
// between threads in the cases above costs a few such passes, so it is
// printed next to them as the sitting's context (bench/compare.py).
void BM_CrossCpuOneWay(benchmark::State &state) {
  std::atomic<int> token{0};
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    for (int seen = 0; !stop.load(std::memory_order_relaxed);) {
      if (token.load(std::memory_order_acquire) == seen + 1) {
        seen += 2;
        token.store(seen, std::memory_order_release);
      }
    }
  });
  int sent = 0;
  for (auto _ : state) {
    token.store(++sent, std::memory_order_release);
    while (token.load(std::memory_order_acquire) != sent + 1) {
    }
    ++sent;
  }
  stop.store(true);
  partner.join();
  state.SetItemsProcessed(2 * state.iterations());
}

// --- Cancel fan-out ---------------------------------------------------------

constexpr int kFanout = 1000;

struct Fanout {
  std::atomic<int> started{0};
  std::atomic<int64_t> failed_at{0};
};

eg_error *blocked_task(eg_context *ctx, void *arg) {
  static_cast<Fanout *>(arg)->started.fetch_add(1, std::memory_order_relaxed);
  eg_context_wait(ctx, -1);
  return nullptr;
}

eg_error *failing_task(eg_context *, void *arg) {
  eg_error *e = eg_error_new(42, "boom");
  static_cast<Fanout *>(arg)->failed_at.store(eg_now_ns(),
                                              std::memory_order_relaxed);
  return e;
}

// One iteration = one whole round: a group with context, 1000 tasks blocked
// in eg_context_wait(ctx, -1) (all started before going on), one task that
// returns an error, wait. The time reported is from the failing task's
// return to eg_group_wait returning (manual time: cancel, wake the 1000, let
// them finish, wake the waiter). round_ns is the whole round, setup included.
void BM_CancelFanout1000(benchmark::State &state) {
  int64_t round_ns = 0;
  const char *error = nullptr;
  for (auto _ : state) {
    const int64_t round_start = eg_now_ns();
    eg_group *g = nullptr;
    eg_context *ctx = nullptr;
    if (eg_group_with_context(eg_context_background(), &g, &ctx) != EG_OK) {
      error = "eg_group_with_context failed";
      break;
    }
    Fanout f;
    int launched = 0;
    for (; launched < kFanout; launched++)
      if (eg_group_go(g, blocked_task, &f) != EG_OK)
        break;
    if (launched == kFanout) {
      // Sleep, not yield: 1000 threads are trying to get a CPU.
      while (f.started.load(std::memory_order_relaxed) != kFanout)
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    if (eg_group_go(g, failing_task, &f) != EG_OK) {
      error = "eg_group_go failed";
      break; // leaks the round; the run is void anyway
    }
    eg_error *err = eg_group_wait(g);
    const int64_t end = eg_now_ns();
    if (launched != kFanout)
      error = "eg_group_go failed";
    if (eg_error_code(err) != 42)
      error = "wait did not return the error";
    if (eg_context_cause(ctx) != err)
      error = "cause is not the error";
    state.SetIterationTime(
        static_cast<double>(end - f.failed_at.load(std::memory_order_relaxed)) *
        1e-9);
    eg_group_free(g);
    eg_context_release(ctx);
    round_ns += eg_now_ns() - round_start;
    if (error)
      break;
  }
  if (error)
    state.SkipWithError(error);
  state.counters["round_ns"] = benchmark::Counter(
      static_cast<double>(round_ns), benchmark::Counter::kAvgIterations);
  state.counters["threads"] = process_threads();
}

} // namespace

// real_work.cc: blocking and computing tasks, against one pthread per task.
void register_real_work();
// extras_wait.cc: issue 14's timed waits, start and resize_limit, when used.
void register_extras_wait();

namespace {

void register_all() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("Go", BM_GoN, -1)->UseRealTime();
  RegisterBenchmark("GoLimit1", BM_GoN, 1)->UseRealTime();
  RegisterBenchmark("GoLimit2", BM_GoN, 2)->UseRealTime();
  RegisterBenchmark("GoLimit8", BM_GoN, 8)->UseRealTime();
  RegisterBenchmark("GoBatch1M", BM_GoBatch, 1000000)->UseRealTime();
  RegisterBenchmark("TryGoBelowLimit", BM_TryGoBelowLimit)->UseRealTime();
  RegisterBenchmark("TryGoAtLimit", BM_TryGoAtLimit)->UseRealTime();
  RegisterBenchmark("GoWaitRoundTrip", BM_GoWaitRoundTrip)->UseRealTime();
  RegisterBenchmark("CancelFanout1000", BM_CancelFanout1000)->UseManualTime();
  RegisterBenchmark("CrossCpuOneWay", BM_CrossCpuOneWay)->UseRealTime();
  register_real_work();
  register_extras_wait();
}

} // namespace

int main(int argc, char **argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::AddCustomContext("liberrgroup", eg_version_string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
