/* SPDX-License-Identifier: BSD-3-Clause */
// Issue 14, feature 2: eg_group_skip_when_canceled and eg_group_skipped.
#include <map>

#include "errgroup_async.h"
#include "helpers.h"

namespace egtest {
namespace {

eg_error* MustNotRun(eg_context*, void*) {
  ADD_FAILURE() << "a skipped task ran";
  return nullptr;
}

// Task-done reports by status.
struct Reports {
  std::mutex mu;
  std::map<int, int> by_status;
  std::vector<void*> skipped_args;
  static void Done(void* self, void* task_arg, int status, eg_error* error) {
    auto* r = static_cast<Reports*>(self);
    std::lock_guard<std::mutex> lock(r->mu);
    r->by_status[status]++;
    if (status == EG_ESKIPPED) {
      EXPECT_EQ(nullptr, error);
      r->skipped_args.push_back(task_arg);
    }
  }
  int Count(int status) {
    std::lock_guard<std::mutex> lock(mu);
    return by_status[status];
  }
};

TEST(ExtrasSkip, BadInput) {
  EXPECT_EQ(EG_EINVAL, eg_group_skip_when_canceled(nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_skipped(nullptr));
  auto g = NewGroup();
  EXPECT_EQ(0, eg_group_skipped(g.get()));
  EXPECT_EQ(EG_OK, eg_group_skip_when_canceled(g.get()));
  EXPECT_EQ(EG_OK, eg_group_skip_when_canceled(g.get()));  // no change
  auto used = NewGroup();
  ASSERT_EQ(EG_OK, GoFn(used.get(), [](eg_context*) { return nullptr; }));
  EXPECT_EQ(EG_EBUSY, eg_group_skip_when_canceled(used.get()));
  EXPECT_EQ(nullptr, eg_group_wait(used.get()));
}

TEST(ExtrasSkip, PlainGroupSkipsAfterATaskErrorNotAfterSuccess) {
  auto g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g.get()));
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  // Reuse after a successful wait: a plain group is not canceled by it.
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) {
              return eg_error_new(1, "fail");
            }));
  EXPECT_NE(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(EG_ESKIPPED, eg_group_go(g.get(), MustNotRun, nullptr));
  EXPECT_EQ(EG_ESKIPPED, eg_group_try_go(g.get(), MustNotRun, nullptr));
  EXPECT_EQ(EG_ESKIPPED, eg_group_try_admit(g.get()));
  EXPECT_EQ(EG_ESKIPPED,
            eg_group_admit(g.get(), [](void*) { ADD_FAILURE(); }, nullptr));
  EXPECT_EQ(4, eg_group_skipped(g.get()));
}

TEST(ExtrasSkip, WithContextSkipsAfterCancelAndAfterWait) {
  auto gc = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(gc.group.get()));
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [](eg_context*) { return nullptr; }));
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
  // The end of a wait cancels the context: the group is canceled for good.
  EXPECT_EQ(EG_ESKIPPED, eg_group_go(gc.group.get(), MustNotRun, nullptr));
  EXPECT_EQ(1, eg_group_skipped(gc.group.get()));

  auto other = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(other.group.get()));
  ASSERT_EQ(EG_OK, eg_group_cancel(other.group.get(), nullptr));
  EXPECT_EQ(EG_ESKIPPED, eg_group_go(other.group.get(), MustNotRun, nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(other.group.get()));
}

TEST(ExtrasSkip, NestedGoInsideARunningTaskIsSkipped) {
  auto g = NewGroup();
  eg_group* raw = g.get();
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(raw));
  ASSERT_EQ(EG_OK, GoFn(raw, [raw](eg_context*) -> eg_error* {
              EXPECT_EQ(EG_OK, eg_group_cancel(raw, nullptr));
              EXPECT_EQ(EG_ESKIPPED, eg_group_go(raw, MustNotRun, nullptr));
              return nullptr;
            }));
  EXPECT_EQ(nullptr, eg_group_wait(raw));
  EXPECT_EQ(1, eg_group_skipped(raw));
}

// How the cancellation comes.
enum class Source { kTaskError, kCancel, kParentCancel, kParentDeadline };

struct Fixture {
  ContextPtr parent;
  GroupPtr group;
  ContextPtr ctx;
};

Fixture MakeGroup(Source source) {
  Fixture s;
  // The deadline must come after the test's setup, which has no upper
  // bound on a loaded machine under a sanitizer: a generous one, and the
  // test skips itself if it came first anyway (SETUP_OK below).
  if (source == Source::kParentDeadline)
    s.parent = NewTimeoutContext(eg_context_background(), 2 * kSecond);
  else
    s.parent = NewCancelContext(eg_context_background());
  auto gc = NewGroupWithContext(s.parent.get());
  s.group = std::move(gc.group);
  s.ctx = std::move(gc.ctx);
  return s;
}

// Cancels the group from `source` (other than a task error), or, for the
// deadline, lets it come.
void CancelFrom(Source source, Fixture& s) {
  switch (source) {
    case Source::kCancel:
      EXPECT_EQ(EG_OK, eg_group_cancel(s.group.get(), nullptr));
      break;
    case Source::kParentCancel:
      EXPECT_EQ(EG_OK, eg_context_cancel(s.parent.get(), nullptr));
      break;
    case Source::kTaskError:
    case Source::kParentDeadline:
      break;
  }
}

class ExtrasSkipFrom : public ::testing::TestWithParam<Source> {};

// Runs `f` at scope exit: a test that skips itself half-way (SETUP_OK)
// still releases its tasks and joins its threads before its stack goes.
class Cleanup {
 public:
  explicit Cleanup(std::function<void()> f) : f_(std::move(f)) {}
  ~Cleanup() { f_(); }

 private:
  std::function<void()> f_;
};

void JoinAll(std::vector<std::thread>& threads) {
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

// A setup step `rc` that skip mode refused because the parent's deadline
// passed before the setup was over skips the test; else it must be EG_OK.
#define SETUP_OK(s, rc)                                                      \
  do {                                                                       \
    int setup_rc_ = (rc);                                                    \
    if (setup_rc_ != EG_OK && GetParam() == Source::kParentDeadline &&      \
        eg_context_done((s).parent.get()))                                  \
      GTEST_SKIP() << "the deadline passed during the setup";                \
    ASSERT_EQ(EG_OK, setup_rc_);                                             \
  } while (0)

// Go callers blocked at the limit when the cancellation comes are woken
// and refused while the running tasks still hold their slots (for the
// parent's cancellation or deadline, through the hook on the group's
// context); the running tasks are untouched and wait returns.
TEST_P(ExtrasSkipFrom, BlockedGoCallersAreWokenAndRefused) {
  Fixture s = MakeGroup(GetParam());
  eg_group* g = s.group.get();
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g));
  // Limit 2 (a blocked caller then never runs a task itself). The holders
  // ignore the context and keep their slots until `hold` opens, after the
  // callers returned: only the cancellation itself can wake them. For
  // kTaskError the second one fails when `fail` opens instead.
  ASSERT_EQ(EG_OK, eg_group_set_limit(g, 2, nullptr));
  Latch running(2);
  Gate fail, hold;
  eg_error* failure = nullptr;
  constexpr int kBlocked = 3;
  std::vector<std::thread> callers;
  std::atomic<int> refused{0};
  Cleanup cleanup([&] {
    hold.Open();
    fail.Open();
    JoinAll(callers);
    eg_group_wait(g);
  });
  for (int i = 0; i < 2; ++i) {
    bool fails = i == 1 && GetParam() == Source::kTaskError;
    SETUP_OK(s, GoFn(g, [&, fails](eg_context*) -> eg_error* {
                running.CountDown();
                if (fails) {
                  fail.Wait();
                  return failure = eg_error_new(9, "fail");
                }
                hold.Wait();
                return nullptr;
              }));
  }
  running.Wait();
  for (int i = 0; i < kBlocked; ++i)
    callers.emplace_back([&] {
      if (eg_group_go(g, MustNotRun, nullptr) == EG_ESKIPPED) refused++;
    });
  if (!WaitUntil([&] { return eg_testing_blocked_go_callers(g) == kBlocked; }))
    SETUP_OK(s, EG_ESKIPPED);
  if (GetParam() == Source::kTaskError)
    fail.Open();
  else
    CancelFrom(GetParam(), s);
  for (auto& t : callers) t.join();
  EXPECT_EQ(kBlocked, refused.load());
  EXPECT_EQ(0, eg_testing_blocked_go_callers(g));
  EXPECT_EQ(1, eg_group_canceled(g));
  hold.Open();
  eg_error* result = eg_group_wait(g);
  EXPECT_EQ(failure, result);
  EXPECT_EQ(kBlocked, eg_group_skipped(g));
  EXPECT_EQ(EG_ESKIPPED, eg_group_go(g, MustNotRun, nullptr));
}

// Holders that return as soon as the context is done hand their slots to
// blocked callers, possibly before the hook ran: those skip too.
TEST_P(ExtrasSkipFrom, CallersHandedASlotAfterTheCancellationSkip) {
  if (GetParam() == Source::kTaskError) GTEST_SKIP() << "covered above";
  Fixture s = MakeGroup(GetParam());
  eg_group* g = s.group.get();
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g));
  ASSERT_EQ(EG_OK, eg_group_set_limit(g, 2, nullptr));
  Latch running(2);
  constexpr int kBlocked = 4;
  std::vector<std::thread> callers;
  std::atomic<int> refused{0};
  Cleanup cleanup([&] {
    eg_group_cancel(g, nullptr);
    JoinAll(callers);
    eg_group_wait(g);
  });
  for (int i = 0; i < 2; ++i)
    SETUP_OK(s, GoFn(g, [&running](eg_context* ctx) {
                running.CountDown();
                EXPECT_EQ(EG_OK, eg_context_wait(ctx, 30 * kSecond));
                return nullptr;
              }));
  running.Wait();
  for (int i = 0; i < kBlocked; ++i)
    callers.emplace_back([&] {
      if (eg_group_go(g, MustNotRun, nullptr) == EG_ESKIPPED) refused++;
    });
  if (!WaitUntil([&] { return eg_testing_blocked_go_callers(g) == kBlocked; }))
    SETUP_OK(s, EG_ESKIPPED);
  CancelFrom(GetParam(), s);
  for (auto& t : callers) t.join();
  EXPECT_EQ(kBlocked, refused.load());
  EXPECT_EQ(nullptr, eg_group_wait(g));
  EXPECT_EQ(kBlocked, eg_group_skipped(g));
}

// Tasks queued in worker mode are reported skipped, never started, and
// counted; the running one is untouched.
TEST_P(ExtrasSkipFrom, WorkerQueueIsSkippedAndReported) {
  Fixture s = MakeGroup(GetParam());
  eg_group* g = s.group.get();
  Reports reports;
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g));
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g, Reports::Done, &reports));
  ASSERT_EQ(EG_OK, eg_group_set_workers(g, 1));
  Gate started, fail;
  eg_error* failure = nullptr;
  bool fails = GetParam() == Source::kTaskError;
  Cleanup cleanup([&] {
    fail.Open();
    eg_group_cancel(g, nullptr);
    eg_group_wait(g);
  });
  // The one worker's task: runs until the context is done, or (kTaskError)
  // fails when `fail` opens.
  SETUP_OK(s, GoFn(g, [&, fails](eg_context* ctx) -> eg_error* {
              started.Open();
              if (fails) {
                fail.Wait();
                return failure = eg_error_new(9, "fail");
              }
              EXPECT_EQ(EG_OK, eg_context_wait(ctx, 30 * kSecond));
              return nullptr;
            }));
  started.Wait();
  constexpr int kQueued = 5;
  int args[kQueued];
  for (int i = 0; i < kQueued; ++i)
    SETUP_OK(s, eg_group_go(g, MustNotRun, &args[i]));
  if (fails)
    fail.Open();
  else
    CancelFrom(GetParam(), s);
  eg_error* result = eg_group_wait(g);
  EXPECT_EQ(failure, result);
  EXPECT_EQ(kQueued, eg_group_skipped(g));
  EXPECT_EQ(1, reports.Count(EG_OK));
  EXPECT_EQ(kQueued, reports.Count(EG_ESKIPPED));
  std::lock_guard<std::mutex> lock(reports.mu);
  ASSERT_EQ(size_t(kQueued), reports.skipped_args.size());
  for (int i = 0; i < kQueued; ++i)  // in queue order
    EXPECT_EQ(&args[i], reports.skipped_args[i]);
}

INSTANTIATE_TEST_SUITE_P(
    Sources, ExtrasSkipFrom,
    ::testing::Values(Source::kTaskError, Source::kCancel,
                      Source::kParentCancel, Source::kParentDeadline),
    [](const ::testing::TestParamInfo<Source>& info) -> std::string {
      switch (info.param) {
        case Source::kTaskError:
          return "TaskError";
        case Source::kCancel:
          return "Cancel";
        case Source::kParentCancel:
          return "ParentCancel";
        case Source::kParentDeadline:
          return "ParentDeadline";
      }
      return "Unknown";
    });

TEST(ExtrasSkip, WorkerQueueSkippedAfterAQueuedTaskFails) {
  auto g = NewGroup();
  Reports reports;
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g.get()));
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), Reports::Done, &reports));
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  Gate release;
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&release](eg_context*) {
              release.Wait();
              return nullptr;
            }));
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) {
              return eg_error_new(5, "queued, fails");
            }));
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(EG_OK, eg_group_go(g.get(), MustNotRun, nullptr));
  release.Open();
  EXPECT_EQ(5, eg_error_code(eg_group_wait(g.get())));
  EXPECT_EQ(3, eg_group_skipped(g.get()));
  EXPECT_EQ(2, reports.Count(EG_OK));
  EXPECT_EQ(3, reports.Count(EG_ESKIPPED));
}

TEST(ExtrasSkip, QueuedAdmissionIsStillAdmitted) {
  auto g = NewGroup();
  eg_group* raw = g.get();
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(raw));
  ASSERT_EQ(EG_OK, eg_group_set_limit(raw, 1, nullptr));
  Gate release, running;
  ASSERT_EQ(EG_OK, GoFn(raw, [&](eg_context*) {
              running.Open();
              release.Wait();
              return nullptr;
            }));
  running.Wait();
  struct Admitted {
    eg_group* g;
    Gate done;
  } admitted{raw, {}};
  ASSERT_EQ(0, eg_group_admit(
                   raw,
                   [](void* a) {
                     auto* ad = static_cast<Admitted*>(a);
                     eg_group_external_done(ad->g, nullptr);
                     ad->done.Open();
                   },
                   &admitted));
  ASSERT_EQ(EG_OK, eg_group_cancel(raw, nullptr));
  EXPECT_EQ(EG_ESKIPPED, eg_group_try_admit(raw));
  release.Open();
  admitted.done.Wait();
  EXPECT_EQ(nullptr, eg_group_wait(raw));
  EXPECT_EQ(1, eg_group_skipped(raw));
}

TEST(ExtrasSkip, FreedBeforeItsContextIsDoneLeaksNothing) {
  auto parent = NewCancelContext(eg_context_background());
  for (int i = 0; i < 3; ++i) {
    auto gc = NewGroupWithContext(parent.get());
    ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(gc.group.get()));
    if (i == 1) {
      ASSERT_EQ(EG_OK,
                GoFn(gc.group.get(), [](eg_context*) { return nullptr; }));
    }
    if (i == 2) eg_group_wait(gc.group.get());
    // freed here: the hook is given back (ASan checks nothing leaks)
  }
}

// The hook runs inside the cancellation itself: nothing is left queued on
// the pool once the group's context is done, so, as for a group without
// the extras, eg_pool_shutdown after the wait (end-of-wait cancel) or
// after the parent's cancellation is not refused, and blocked callers are
// woken before the cancel call returns.
TEST(ExtrasSkip, HookLeavesNoJobOnThePool) {
  // A task an earlier test left running (a freed group's) must end first.
  ASSERT_TRUE(WaitUntil([] { return eg_pool_shutdown() == EG_OK; }));
  for (bool by_parent : {false, true}) {
    SCOPED_TRACE(by_parent ? "parent canceled" : "end of wait");
    auto parent = NewCancelContext(eg_context_background());
    auto gc = NewGroupWithContext(parent.get());
    ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(gc.group.get()));
    ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [](eg_context*) { return nullptr; }));
    if (by_parent) {
      EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr));
      EXPECT_EQ(0, eg_testing_group_waiters(gc.group.get()));  // hook ran
    }
    EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
    EXPECT_EQ(0, eg_testing_group_waiters(gc.group.get()));
    gc.group.reset();
    EXPECT_EQ(EG_OK, eg_pool_shutdown());
  }
}

// A group without a context has no hook: its own cancellations sweep.
TEST(ExtrasSkip, PlainGroupBlockedCallersWokenByCancelOrTaskError) {
  for (bool by_error : {false, true}) {
    auto g = NewGroup();
    eg_group* raw = g.get();
    ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(raw));
    ASSERT_EQ(EG_OK, eg_group_set_limit(raw, 2, nullptr));
    Latch running(2);
    Gate fail, hold;
    for (int i = 0; i < 2; ++i) {
      bool fails = i == 1 && by_error;
      ASSERT_EQ(EG_OK, GoFn(raw, [&, fails](eg_context*) -> eg_error* {
                  running.CountDown();
                  if (fails) {
                    fail.Wait();
                    return eg_error_new(4, "fails");
                  }
                  hold.Wait();
                  return nullptr;
                }));
    }
    running.Wait();
    constexpr int kBlocked = 2;
    std::atomic<int> refused{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < kBlocked; ++i)
      callers.emplace_back([&] {
        if (eg_group_go(raw, MustNotRun, nullptr) == EG_ESKIPPED) refused++;
      });
    bool blocked = WaitUntil(
        [&] { return eg_testing_blocked_go_callers(raw) == kBlocked; });
    EXPECT_TRUE(blocked);
    if (by_error)
      fail.Open();
    else
      EXPECT_EQ(EG_OK, eg_group_cancel(raw, nullptr));
    for (auto& t : callers) t.join();  // woken while `hold` is closed
    EXPECT_EQ(kBlocked, refused.load());
    hold.Open();
    fail.Open();
    eg_error* result = eg_group_wait(raw);
    EXPECT_EQ(by_error ? 4 : EG_EINVAL, eg_error_code(result));
    EXPECT_EQ(kBlocked, eg_group_skipped(raw));
  }
}

class ExtrasSkipOom : public FaultHooksTest {};

TEST_F(ExtrasSkipOom, SetupFailsCleanly) {
  for (long n = 0; n < 2; ++n) {  // the extras, then the after-function
    auto gc = NewGroupWithContext(eg_context_background());
    eg_testing_fail_alloc_once(n);
    EXPECT_EQ(EG_ENOMEM, eg_group_skip_when_canceled(gc.group.get())) << n;
    eg_testing_fail_alloc_once(-1);
    EXPECT_EQ(0, eg_testing_group_waiters(gc.group.get()));
    ASSERT_EQ(EG_OK, eg_group_cancel(gc.group.get(), nullptr));
    // Not in skip mode: the task starts.
    std::atomic<int> ran{0};
    ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [&ran](eg_context*) {
                ran++;
                return nullptr;
              }));
    EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
    EXPECT_EQ(1, ran.load());
    EXPECT_EQ(EG_OK, eg_group_skip_when_canceled(NewGroup().get()));
  }
}

}  // namespace
}  // namespace egtest
