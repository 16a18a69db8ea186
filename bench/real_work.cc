/* SPDX-License-Identifier: BSD-3-Clause */
// Real-work benchmarks: tasks that block (sleep, a blocking read) or
// compute for milliseconds, which is what errgroup users fan out, measured
// against what a C user would do instead (one pthread_create per task). The
// Go reference counterparts are in bench/goref/real_work_test.go; both sides
// name their cases "Real<Case>_<impl>" and bench/compare.py puts them in one
// table (impl: lib, pthread here; go, gosys in Go).
//
// Every case is one Google Benchmark run of one iteration that does its own
// rounds (REAL_ROUNDS, default 5) and reports medians as counters (wall_ms,
// p50_us, p99_us, peak_threads, peak_conc, csw_per_sub): the interesting
// figure is a whole fan-out's wall time, not a per-call cost, and the pool's
// state before a round (warm, cold, grown) is part of the case.
//
// A liberrgroup case starts with eg_pool_shutdown(), so that what earlier
// cases left in the pool (threads, their idle timers) does not leak into it:
// "warm" then means that one unmeasured round of the same workload ran just
// before (and each measured round warms the next), "cold" that the pool is
// shut down before every round, in this process.
//
//   build/default/bench/errgroup_bench --benchmark_filter='^Real'

#include <benchmark/benchmark.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "errgroup.h"

namespace {

constexpr int64_t kMs = 1000000;

int rounds() {
  const char *s = std::getenv("REAL_ROUNDS");
  const int n = s ? std::atoi(s) : 0;
  return n > 0 ? n : 5;
}

int cpus() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

void sleep_ns(int64_t ns) {
  struct timespec ts = {static_cast<time_t>(ns / 1000000000),
                        static_cast<long>(ns % 1000000000)};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

// Burns `ns` of this thread's CPU time (not wall time: a preempted task
// still does its full share of computing).
void burn_cpu_ns(int64_t ns) {
  auto cpu_now = [] {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  };
  const int64_t end = cpu_now() + ns;
  volatile uint64_t x = 1;
  while (cpu_now() < end)
    for (int i = 0; i < 2000; i++)
      x = x * 6364136223846793005u + 1442695040888963407u;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Nearest-rank percentile, q in (0, 1].
double percentile(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size());
  const size_t rank =
      static_cast<size_t>(std::min(std::max(std::ceil(q * n), 1.0), n));
  return v[rank - 1];
}

double ms_since(int64_t t0) {
  return static_cast<double>(eg_now_ns() - t0) / kMs;
}

// Shuts the pool down. eg_pool_shutdown is refused while a task is still
// finishing (its group's wait may return a moment before the worker is done
// with it): retry.
// Then waits (up to 2 s) for the exited threads to leave /proc, so that the
// next case's thread counts and context switches are its own.
bool pool_reset() {
  int tries = 0;
  while (eg_pool_shutdown() != EG_OK)
    if (++tries == 2000)
      return false;
    else
      sleep_ns(kMs);
  double last = process_threads();
  for (int still = 0, i = 0; still < 10 && i < 2000; i++) {
    sleep_ns(kMs);
    const double now = process_threads();
    still = now == last ? still + 1 : 0;
    last = now;
  }
  return true;
}

// Records the peak thread count of the process from a sampler thread (every
// 500 us), not counting the sampler itself.
class ThreadSampler {
public:
  ThreadSampler()
      : thread_([this] {
          while (!stop_.load(std::memory_order_relaxed)) {
            const int n = static_cast<int>(process_threads()) - 1;
            if (n > peak_.load(std::memory_order_relaxed))
              peak_.store(n, std::memory_order_relaxed);
            sleep_ns(kMs / 2);
          }
        }) {
  }
  int stop() {
    stop_.store(true);
    thread_.join();
    return peak_.load();
  }

private:
  std::atomic<bool> stop_{false};
  std::atomic<int> peak_{0};
  std::thread thread_;
};

// --- Tasks ------------------------------------------------------------------

// arg: const int64_t *, the time to sleep in ns.
eg_error *sleep_task(eg_context *, void *arg) {
  sleep_ns(*static_cast<const int64_t *>(arg));
  return nullptr;
}

void *sleep_thread(void *arg) {
  sleep_ns(*static_cast<const int64_t *>(arg));
  return nullptr;
}

eg_error *burn_task(eg_context *, void *arg) {
  burn_cpu_ns(*static_cast<const int64_t *>(arg));
  return nullptr;
}

void *burn_thread(void *arg) {
  burn_cpu_ns(*static_cast<const int64_t *>(arg));
  return nullptr;
}

// One round of n tasks each running fn(arg) as a thread of its own, joined.
bool pthread_round(int n, void *(*fn)(void *), void *arg) {
  std::vector<pthread_t> th(static_cast<size_t>(n));
  int made = 0;
  for (; made < n; made++)
    if (pthread_create(&th[made], nullptr, fn, arg) != 0)
      break;
  for (int i = 0; i < made; i++)
    pthread_join(th[i], nullptr);
  return made == n;
}

// One round of n tasks in a fresh group (limit < 0: none), then wait.
bool lib_round(int n, int limit, eg_task_fn fn, void *arg) {
  eg_group *g = nullptr;
  if (eg_group_new(&g) != EG_OK)
    return false;
  bool ok = limit < 0 || eg_group_set_limit(g, limit, nullptr) == EG_OK;
  for (int i = 0; ok && i < n; i++)
    ok = eg_group_go(g, fn, arg) == EG_OK;
  ok = eg_group_wait(g) == nullptr && ok;
  eg_group_free(g);
  return ok;
}

// Tasks blocked elsewhere: n tasks of their own group (or n threads) that
// block in eg_context_wait or in read() on a pipe until released.
enum class Block { kContext, kRead };

class Blockers {
public:
  ~Blockers() {
    release();
  }

  // Returns once all n are started and (give or take) inside the call.
  bool start_tasks(int n, Block kind) {
    kind_ = kind;
    if (pipe(pipe_) != 0 || eg_group_new(&group_) != EG_OK ||
        eg_context_with_cancel(eg_context_background(), &ctx_) != EG_OK)
      return false;
    for (int i = 0; i < n; i++)
      if (eg_group_go(group_, block_task, this) != EG_OK)
        return false;
    return settle(n);
  }

  bool start_threads(int n) {
    if (pipe(pipe_) != 0)
      return false;
    threads_.resize(static_cast<size_t>(n));
    for (auto &t : threads_)
      if (pthread_create(&t, nullptr, read_thread, this) != 0)
        return false;
    return settle(n);
  }

  void release() {
    if (ctx_ != nullptr)
      eg_context_cancel(ctx_, nullptr);
    if (pipe_[1] >= 0)
      close(pipe_[1]); // every read() returns 0
    pipe_[1] = -1;
    if (group_ != nullptr) {
      eg_group_wait(group_);
      eg_group_free(group_);
      group_ = nullptr;
    }
    for (auto t : threads_)
      pthread_join(t, nullptr);
    threads_.clear();
    if (ctx_ != nullptr)
      eg_context_release(ctx_);
    ctx_ = nullptr;
    if (pipe_[0] >= 0)
      close(pipe_[0]);
    pipe_[0] = -1;
  }

  int started() const {
    return started_.load();
  }

private:
  // Waits until all n have started, or until none has started for 2 s (a
  // thread cap holding the rest back): true when all have.
  bool settle(int n) {
    int seen = 0;
    for (int64_t last = eg_now_ns(); started_.load() < n;) {
      if (started_.load() != seen) {
        seen = started_.load();
        last = eg_now_ns();
      } else if (eg_now_ns() - last > 2000 * kMs) {
        return false;
      }
      sleep_ns(kMs / 10);
    }
    sleep_ns(5 * kMs); // let the last ones get into the blocking call
    return true;
  }
  void block() {
    started_.fetch_add(1);
    if (kind_ == Block::kContext) {
      eg_context_wait(ctx_, -1);
    } else {
      char c;
      while (read(pipe_[0], &c, 1) < 0 && errno == EINTR) {
      }
    }
  }
  static eg_error *block_task(eg_context *, void *self) {
    static_cast<Blockers *>(self)->block();
    return nullptr;
  }
  static void *read_thread(void *self) {
    static_cast<Blockers *>(self)->block();
    return nullptr;
  }

  Block kind_ = Block::kRead;
  int pipe_[2] = {-1, -1};
  eg_group *group_ = nullptr;
  eg_context *ctx_ = nullptr;
  std::vector<pthread_t> threads_;
  std::atomic<int> started_{0};
};

// Grows the pool to n threads: n tasks that all block until every one of
// them has started, then return. The threads stay, parked. A pool that stops
// short (a thread cap) is not an error: the cases report the threads there
// were. False if none of the tasks started.
bool grow_pool(int n) {
  Blockers b;
  if (!b.start_tasks(n, Block::kContext) && b.started() == 0)
    return false;
  b.release();
  sleep_ns(20 * kMs); // let the workers go idle and park
  return true;
}

// Ends a case: reports the medians, or the error.
void finish(benchmark::State &state, const char *error, double wall_ms) {
  if (error != nullptr) {
    state.SkipWithError(error);
    return;
  }
  state.SetIterationTime(wall_ms * 1e-3);
  state.counters["threads"] = process_threads();
}

// --- I/O-bound fan-out: n tasks of 1 ms (nanosleep) -------------------------

enum class Impl { kLib, kPthread };
enum class Pool { kWarm, kCold };

void BM_RealIo(benchmark::State &state, int n, Impl impl, Pool pool) {
  static const int64_t kSleep = kMs;
  const char *error = nullptr;
  std::vector<double> walls;
  for (auto _ : state) {
    if (!pool_reset())
      error = "eg_pool_shutdown refused";
    void *arg = const_cast<int64_t *>(&kSleep);
    if (!error && pool == Pool::kWarm &&
        !(impl == Impl::kLib ? lib_round(n, -1, sleep_task, arg)
                             : pthread_round(n, sleep_thread, arg)))
      error = "warm-up round failed";
    for (int r = 0; !error && r < rounds(); r++) {
      if (pool == Pool::kCold && !pool_reset()) {
        error = "eg_pool_shutdown refused";
        break;
      }
      const int64_t t0 = eg_now_ns();
      const bool ok = impl == Impl::kLib ? lib_round(n, -1, sleep_task, arg)
                                         : pthread_round(n, sleep_thread, arg);
      walls.push_back(ms_since(t0));
      if (!ok)
        error = "round failed";
    }
  }
  state.counters["wall_ms"] = median(walls);
  finish(state, error, median(walls));
}

// --- Limit 4, 40 tasks of 2 ms (ideal 20 ms) ---------------------------------

struct SemSleep {
  sem_t *slots;
  int64_t ns;
};

void *sem_sleep_thread(void *arg) {
  auto *s = static_cast<SemSleep *>(arg);
  sleep_ns(s->ns);
  sem_post(s->slots);
  return nullptr;
}

// The C user's limit: a semaphore of 4 slots taken before each
// pthread_create and given back by the thread as it ends.
bool pthread_limited_round(int n, int limit, int64_t ns) {
  sem_t slots;
  sem_init(&slots, 0, static_cast<unsigned>(limit));
  SemSleep arg{&slots, ns};
  std::vector<pthread_t> th(static_cast<size_t>(n));
  int made = 0;
  for (; made < n; made++) {
    while (sem_wait(&slots) != 0) {
    }
    if (pthread_create(&th[made], nullptr, sem_sleep_thread, &arg) != 0)
      break;
  }
  for (int i = 0; i < made; i++)
    pthread_join(th[i], nullptr);
  sem_destroy(&slots);
  return made == n;
}

void BM_RealLimit4(benchmark::State &state, Impl impl) {
  static const int64_t kSleep = 2 * kMs;
  const char *error = nullptr;
  std::vector<double> walls;
  auto round = [&] {
    return impl == Impl::kLib
               ? lib_round(40, 4, sleep_task, const_cast<int64_t *>(&kSleep))
               : pthread_limited_round(40, 4, kSleep);
  };
  for (auto _ : state) {
    if (!pool_reset())
      error = "eg_pool_shutdown refused";
    if (!error && !round())
      error = "warm-up round failed";
    for (int r = 0; !error && r < rounds(); r++) {
      const int64_t t0 = eg_now_ns();
      const bool ok = round();
      walls.push_back(ms_since(t0));
      if (!ok)
        error = "round failed";
    }
  }
  state.counters["wall_ms"] = median(walls);
  finish(state, error, median(walls));
}

// --- go -> task start latency with tasks blocked elsewhere ------------------

struct Probe {
  std::atomic<int64_t> started_at{0};
  sem_t done;
};

eg_error *probe_task(eg_context *, void *arg) {
  auto *p = static_cast<Probe *>(arg);
  p->started_at.store(eg_now_ns(), std::memory_order_relaxed);
  sem_post(&p->done);
  return nullptr;
}

void *probe_thread(void *arg) {
  probe_task(nullptr, arg);
  return nullptr;
}

// blocked: how many tasks (threads for kPthread) block elsewhere, in
// eg_context_wait or in read(); < 0 means "as many as CPUs". Samples are
// 1 ms apart (sporadic requests: the pool is idle in between), the submitter
// waits for the start on a semaphore (it blocks, as a caller doing something
// else would, rather than running the task itself in eg_group_wait).
void BM_RealLatency(benchmark::State &state, int blocked, Block kind,
                    Impl impl) {
  constexpr int kWarmup = 20, kSamples = 200;
  if (blocked < 0)
    blocked = cpus();
  const char *error = nullptr;
  std::vector<double> lat_us;
  for (auto _ : state) {
    if (!pool_reset()) {
      error = "eg_pool_shutdown refused";
      break;
    }
    Blockers others;
    if (blocked > 0 && !(impl == Impl::kLib ? others.start_tasks(blocked, kind)
                                            : others.start_threads(blocked))) {
      error = "blockers did not start";
      break;
    }
    Probe p;
    sem_init(&p.done, 0, 0);
    eg_group *g = nullptr;
    if (impl == Impl::kLib && eg_group_new(&g) != EG_OK) {
      error = "eg_group_new failed";
      break;
    }
    for (int i = 0; i < kWarmup + kSamples && !error; i++) {
      sleep_ns(kMs);
      pthread_t th;
      const int64_t t0 = eg_now_ns();
      if (impl == Impl::kLib
              ? eg_group_go(g, probe_task, &p) != EG_OK
              : pthread_create(&th, nullptr, probe_thread, &p) != 0) {
        error = "go failed";
        break;
      }
      while (sem_wait(&p.done) != 0) {
      }
      if (impl == Impl::kPthread)
        pthread_join(th, nullptr);
      if (i >= kWarmup)
        lat_us.push_back(
            static_cast<double>(p.started_at.load(std::memory_order_relaxed) -
                                t0) /
            1e3);
    }
    if (g != nullptr) {
      eg_group_wait(g);
      eg_group_free(g);
    }
    sem_destroy(&p.done);
  }
  state.counters["p50_us"] = median(lat_us);
  state.counters["p99_us"] = percentile(lat_us, 0.99);
  state.counters["blocked"] = blocked;
  finish(state, error, median(lat_us) * 1e-3);
}

// --- CPU-bound fan-out: 200 tasks of 10 ms of computing ---------------------

double process_cpu_ms() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru); // all threads of the process
  return (static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) *
              1e-3);
}

// Each round on a fresh pool (shut down before it), so the peak thread count
// is what this workload makes the pool grow to. ideal_ms = the tasks' CPU
// time / CPUs; cpu_ms = the CPU time the process used over the round (the
// tasks' 2,000 ms plus the pool's overhead: spinning, switching).
void BM_RealCpu(benchmark::State &state, Impl impl) {
  static const int64_t kBurn = 10 * kMs;
  constexpr int kTasks = 200;
  const char *error = nullptr;
  std::vector<double> walls, peaks, cpu;
  const int n_rounds = std::min(rounds(), 3); // a round is about a second
  for (auto _ : state) {
    for (int r = 0; r < n_rounds && !error; r++) {
      if (!pool_reset()) {
        error = "eg_pool_shutdown refused";
        break;
      }
      void *arg = const_cast<int64_t *>(&kBurn);
      ThreadSampler sampler;
      const double cpu0 = process_cpu_ms();
      const int64_t t0 = eg_now_ns();
      const bool ok = impl == Impl::kLib
                          ? lib_round(kTasks, -1, burn_task, arg)
                          : pthread_round(kTasks, burn_thread, arg);
      walls.push_back(ms_since(t0));
      cpu.push_back(process_cpu_ms() - cpu0);
      peaks.push_back(sampler.stop());
      if (!ok)
        error = "round failed";
    }
  }
  state.counters["wall_ms"] = median(walls);
  state.counters["peak_threads"] = median(peaks);
  state.counters["cpu_ms"] = median(cpu);
  state.counters["ideal_ms"] = kTasks * 10.0 / cpus();
  state.counters["cpus"] = cpus();
  finish(state, error, median(walls));
}

// --- A burst of 160 tasks of 1 ms on a pool with 160 parked threads ---------

struct Burst {
  std::atomic<int> active{0};
  std::atomic<int> peak{0};
};

void burst_body(Burst *b) {
  const int now = b->active.fetch_add(1) + 1;
  for (int p = b->peak.load();
       now > p && !b->peak.compare_exchange_weak(p, now);) {
  }
  sleep_ns(kMs);
  b->active.fetch_sub(1);
}

eg_error *burst_task(eg_context *, void *arg) {
  burst_body(static_cast<Burst *>(arg));
  return nullptr;
}

void *burst_thread(void *arg) {
  burst_body(static_cast<Burst *>(arg));
  return nullptr;
}

void BM_RealBurst160(benchmark::State &state, Impl impl) {
  constexpr int kTasks = 160;
  const char *error = nullptr;
  std::vector<double> walls, peaks;
  double threads_before = 0;
  for (auto _ : state) {
    if (!pool_reset())
      error = "eg_pool_shutdown refused";
    for (int r = 0; r < rounds() && !error; r++) {
      if (impl == Impl::kLib && !grow_pool(kTasks)) {
        error = "could not grow the pool";
        break;
      }
      threads_before = process_threads();
      Burst b;
      const int64_t t0 = eg_now_ns();
      const bool ok = impl == Impl::kLib
                          ? lib_round(kTasks, -1, burst_task, &b)
                          : pthread_round(kTasks, burst_thread, &b);
      walls.push_back(ms_since(t0));
      peaks.push_back(b.peak.load());
      if (!ok)
        error = "round failed";
    }
  }
  state.counters["wall_ms"] = median(walls);
  state.counters["peak_conc"] = median(peaks);
  state.counters["threads_before"] = threads_before;
  finish(state, error, median(walls));
}

// --- Context switches per submission on a pool grown to 2,000 threads -------

double process_csw() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru); // all threads of the process
  return static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw);
}

// Work trickles in: one 1 ms task every 2 ms, 100 of them, on a pool that
// has just grown to 2,000 threads (all idle by then). Counted: the process's
// voluntary + involuntary context switches over the trickle, per submission
// (the submitter's own sleeps and the tasks' sleeps included: about 2).
void BM_RealCsw2000(benchmark::State &state, Impl impl) {
  constexpr int kGrow = 2000, kSubmissions = 100;
  static const int64_t kSleep = kMs;
  const char *error = nullptr;
  std::vector<double> per_sub;
  double threads_before = 0;
  for (auto _ : state) {
    // Each round regrows the pool from nothing (about half a second).
    for (int r = 0; r < std::min(rounds(), 3) && !error; r++) {
      if (!pool_reset() || (impl == Impl::kLib && !grow_pool(kGrow))) {
        error = "could not grow the pool";
        break;
      }
      threads_before = process_threads();
      eg_group *g = nullptr;
      if (impl == Impl::kLib && eg_group_new(&g) != EG_OK) {
        error = "eg_group_new failed";
        break;
      }
      std::vector<pthread_t> th;
      void *arg = const_cast<int64_t *>(&kSleep);
      const double csw0 = process_csw();
      for (int i = 0; i < kSubmissions && !error; i++) {
        pthread_t t;
        if (impl == Impl::kLib
                ? eg_group_go(g, sleep_task, arg) != EG_OK
                : pthread_create(&t, nullptr, sleep_thread, arg) != 0)
          error = "go failed";
        else if (impl == Impl::kPthread)
          th.push_back(t);
        sleep_ns(2 * kMs);
      }
      if (g != nullptr && eg_group_wait(g) != nullptr)
        error = "wait failed";
      for (auto t : th)
        pthread_join(t, nullptr);
      per_sub.push_back((process_csw() - csw0) / kSubmissions);
      eg_group_free(g);
    }
  }
  state.counters["csw_per_sub"] = median(per_sub);
  state.counters["threads_before"] = threads_before;
  finish(state, error, median(per_sub) * 1e-3);
}

} // namespace

void register_real_work() {
  using benchmark::RegisterBenchmark;
  auto reg = [](const std::string &name, auto fn, auto... args) {
    RegisterBenchmark(name.c_str(), fn, args...)
        ->Iterations(1)
        ->Repetitions(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  };
  for (int n : {100, 1000}) {
    const std::string io = "RealIo" + std::to_string(n);
    reg(io + "Warm_lib", BM_RealIo, n, Impl::kLib, Pool::kWarm);
    reg(io + "Cold_lib", BM_RealIo, n, Impl::kLib, Pool::kCold);
    reg(io + "_pthread", BM_RealIo, n, Impl::kPthread, Pool::kWarm);
  }
  reg("RealLimit4_lib", BM_RealLimit4, Impl::kLib);
  reg("RealLimit4_pthread", BM_RealLimit4, Impl::kPthread);
  reg("RealLatency0_lib", BM_RealLatency, 0, Block::kRead, Impl::kLib);
  reg("RealLatency0_pthread", BM_RealLatency, 0, Block::kRead, Impl::kPthread);
  const std::pair<const char *, int> counts[] = {
      {"1", 1}, {"Cpus", -1}, {"100", 100}};
  for (auto [label, n] : counts) {
    const std::string lat = std::string("RealLatency") + label;
    reg(lat + "Ctx_lib", BM_RealLatency, n, Block::kContext, Impl::kLib);
    reg(lat + "Sys_lib", BM_RealLatency, n, Block::kRead, Impl::kLib);
    reg(lat + "Sys_pthread", BM_RealLatency, n, Block::kRead, Impl::kPthread);
  }
  reg("RealCpu_lib", BM_RealCpu, Impl::kLib);
  reg("RealCpu_pthread", BM_RealCpu, Impl::kPthread);
  reg("RealBurst160_lib", BM_RealBurst160, Impl::kLib);
  reg("RealBurst160_pthread", BM_RealBurst160, Impl::kPthread);
  reg("RealCsw2000_lib", BM_RealCsw2000, Impl::kLib);
  reg("RealCsw2000_pthread", BM_RealCsw2000, Impl::kPthread);
}
