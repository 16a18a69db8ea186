/* SPDX-License-Identifier: BSD-3-Clause */
// Shared helpers for the liberrgroup GoogleTest suite.
//
// Ordering between threads is always done with the latches and gates below
// (condition variables), never with sleeps. The only timing constants are:
//  - kEventBound: how long we are willing to wait for something that MUST
//    happen (a task to start, a deadline to fire). It is huge on purpose:
//    the suite runs under ThreadSanitizer and ASan on 2 cores, where a
//    thread may be descheduled for a long time. Hitting it means a bug.
//  - kStillBlockedFor: how long a "still blocked" check watches for
//    something that must NOT happen. A bug may slip through a short window,
//    but the check can never fail spuriously.
#ifndef EG_TESTS_HELPERS_H
#define EG_TESTS_HELPERS_H

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "errgroup.h"
#include "testing.h"

namespace egtest {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kEventBound = 10s;
constexpr std::chrono::milliseconds kStillBlockedFor = 100ms;

constexpr int64_t kMillisecond = 1000 * 1000;
constexpr int64_t kSecond = 1000 * kMillisecond;

// A single-use countdown latch (std::latch is C++20).
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;

  void CountDown(int n = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    count_ -= n;
    if (count_ <= 0) cv_.notify_all();
  }
  bool IsReady() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_ <= 0;
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return count_ <= 0; });
  }
  // True if the latch opened within `timeout`.
  template <class Duration>
  bool WaitFor(Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_;
};

// A latch of one: closed until Open().
class Gate : public Latch {
 public:
  Gate() : Latch(1) {}
  void Open() { CountDown(); }
};

// ---------------------------------------------------------------------------
// RAII handles
// ---------------------------------------------------------------------------

struct GroupFree {
  void operator()(eg_group* g) const { eg_group_free(g); }
};
struct ContextRelease {
  void operator()(eg_context* c) const { eg_context_release(c); }
};
struct ErrorRelease {
  void operator()(eg_error* e) const { eg_error_release(e); }
};
using GroupPtr = std::unique_ptr<eg_group, GroupFree>;
using ContextPtr = std::unique_ptr<eg_context, ContextRelease>;
using ErrorPtr = std::unique_ptr<eg_error, ErrorRelease>;

inline GroupPtr NewGroup() {
  eg_group* g = nullptr;
  EXPECT_EQ(EG_OK, eg_group_new(&g));
  EXPECT_NE(nullptr, g);
  return GroupPtr(g);
}

struct GroupAndContext {
  GroupPtr group;
  ContextPtr ctx;
};

inline GroupAndContext NewGroupWithContext(eg_context* parent) {
  eg_group* g = nullptr;
  eg_context* c = nullptr;
  EXPECT_EQ(EG_OK, eg_group_with_context(parent, &g, &c));
  EXPECT_NE(nullptr, g);
  EXPECT_NE(nullptr, c);
  return GroupAndContext{GroupPtr(g), ContextPtr(c)};
}

inline ContextPtr NewCancelContext(eg_context* parent) {
  eg_context* c = nullptr;
  EXPECT_EQ(EG_OK, eg_context_with_cancel(parent, &c));
  EXPECT_NE(nullptr, c);
  return ContextPtr(c);
}

inline ContextPtr NewTimeoutContext(eg_context* parent, int64_t timeout_ns) {
  eg_context* c = nullptr;
  EXPECT_EQ(EG_OK, eg_context_with_timeout(parent, timeout_ns, &c));
  EXPECT_NE(nullptr, c);
  return ContextPtr(c);
}

inline ContextPtr NewDeadlineContext(eg_context* parent, int64_t deadline_ns) {
  eg_context* c = nullptr;
  EXPECT_EQ(EG_OK, eg_context_with_deadline(parent, deadline_ns, &c));
  EXPECT_NE(nullptr, c);
  return ContextPtr(c);
}

// ---------------------------------------------------------------------------
// Tasks as std::function
// ---------------------------------------------------------------------------

using TaskFn = std::function<eg_error*(eg_context*)>;

// The eg_task_fn trampoline: runs and frees a heap-allocated TaskFn.
inline eg_error* RunBoxedTask(eg_context* ctx, void* arg) {
  std::unique_ptr<TaskFn> fn(static_cast<TaskFn*>(arg));
  return (*fn)(ctx);
}

// eg_group_go with a std::function. The closure is freed by the task, or
// here when the library reports that the task will never run.
inline int GoFn(eg_group* g, TaskFn fn) {
  auto* box = new TaskFn(std::move(fn));
  int rc = eg_group_go(g, RunBoxedTask, box);
  if (rc != EG_OK) delete box;
  return rc;
}

// eg_group_try_go with a std::function; same ownership rule as GoFn.
inline int TryGoFn(eg_group* g, TaskFn fn) {
  auto* box = new TaskFn(std::move(fn));
  int rc = eg_group_try_go(g, RunBoxedTask, box);
  if (rc != 1) delete box;
  return rc;
}

// Starts `n` tasks that signal `running` and then block until `release`
// opens. Returns false if a go failed.
inline bool StartBlockedTasks(eg_group* g, int n, Latch* running,
                              Gate* release) {
  for (int i = 0; i < n; ++i) {
    int rc = GoFn(g, [running, release](eg_context*) {
      running->CountDown();
      release->Wait();
      return nullptr;
    });
    if (rc != EG_OK) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Errors whose destruction we can count
// ---------------------------------------------------------------------------

// Makes errors with eg_error_wrap whose release callback counts how many of
// them have been freed (the last reference dropped).
class CountedErrors {
 public:
  eg_error* Make(int code, const char* message = "counted") {
    made_.fetch_add(1);
    return eg_error_wrap(code, message, this, &CountedErrors::OnRelease);
  }
  int made() const { return made_.load(); }
  int released() const { return released_.load(); }

 private:
  static void OnRelease(void* self) {
    static_cast<CountedErrors*>(self)->released_.fetch_add(1);
  }
  std::atomic<int> made_{0};
  std::atomic<int> released_{0};
};

// ---------------------------------------------------------------------------
// Polling for states that have no notification
// ---------------------------------------------------------------------------

// Polls `pred` until it is true or kEventBound passes. Used only for
// states the library exposes without a notification (e.g. the number of
// blocked go callers, pool idleness); it orders nothing by itself.
inline bool WaitUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds bound = kEventBound) {
  auto end = std::chrono::steady_clock::now() + bound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(50us);
  }
  return true;
}

// True if `pred` stayed false for the whole of kStillBlockedFor.
inline bool StaysFalse(const std::function<bool()>& pred,
                       std::chrono::milliseconds window = kStillBlockedFor) {
  auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return false;
    std::this_thread::sleep_for(1ms);
  }
  return !pred();
}

// eg_pool_shutdown refuses while anything runs; tasks finish asynchronously
// after signalling the test, so retry until the pool is idle.
inline int ShutdownPoolWhenIdle() {
  int rc = EG_EBUSY;
  WaitUntil([&] {
    rc = eg_pool_shutdown();
    return rc != EG_EBUSY;
  });
  return rc;
}

// Resets the fault-injection hooks whatever the test did.
class FaultHooksTest : public ::testing::Test {
 protected:
  void TearDown() override {
    eg_testing_fail_alloc_after(-1);
    eg_testing_fail_thread_create_after(-1);
  }
};

// The two fault modes of c/testing.h: from the n-th operation on ("after":
// the resource has run out), or the n-th only ("once": a transient failure
// whose cleanup must give back what earlier, successful steps took).
enum class FaultMode { kFromNth, kOnlyNth };

inline std::string FaultModeName(
    const ::testing::TestParamInfo<FaultMode>& info) {
  return info.param == FaultMode::kFromNth ? "FromNth" : "OnlyNth";
}

// A fault-injection test run once per mode (INSTANTIATE_FAULT_MODES).
class FaultModeTest : public ::testing::TestWithParam<FaultMode> {
 protected:
  void TearDown() override { StopFaults(); }
  bool once() const { return GetParam() == FaultMode::kOnlyNth; }
  void FailAllocs(long n) const {
    once() ? eg_testing_fail_alloc_once(n) : eg_testing_fail_alloc_after(n);
  }
  void FailThreads(long n) const {
    once() ? eg_testing_fail_thread_create_once(n)
           : eg_testing_fail_thread_create_after(n);
  }
  static void StopFaults() {
    eg_testing_fail_alloc_after(-1);
    eg_testing_fail_thread_create_after(-1);
  }
};

#define INSTANTIATE_FAULT_MODES(suite)                                   \
  INSTANTIATE_TEST_SUITE_P(                                              \
      Modes, suite,                                                      \
      ::testing::Values(::egtest::FaultMode::kFromNth,                   \
                        ::egtest::FaultMode::kOnlyNth),                  \
      ::egtest::FaultModeName)

}  // namespace egtest

#endif  // EG_TESTS_HELPERS_H
