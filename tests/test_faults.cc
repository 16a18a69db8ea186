/* SPDX-License-Identifier: BSD-3-Clause */
// Fault injection (c/testing.h): failed allocations and failed thread
// creation. Constructors report EG_ENOMEM / EG_EAGAIN and leave nothing
// allocated (LeakSanitizer checks that in the ASan build); a task for which
// go/try_go reported success runs exactly once, any other never runs, and
// wait always returns.
#include <atomic>
#include <memory>
#include <vector>

#include "helpers.h"

namespace {

using namespace egtest;

class Faults : public FaultModeTest {
 public:
  void Fail(bool allocations, long n) const {
    allocations ? FailAllocs(n) : FailThreads(n);
  }
  using FaultModeTest::StopFaults;
};

// Tasks whose runs are counted per task, without allocations of their own.
struct CountedTasks {
  explicit CountedTasks(int n) : runs(n), args(n) {
    for (int i = 0; i < n; ++i) args[i] = Arg{this, i};
  }
  struct Arg {
    CountedTasks* self;
    int index;
  };
  static eg_error* Run(eg_context*, void* p) {
    auto* a = static_cast<Arg*>(p);
    a->self->runs[a->index].fetch_add(1);
    return nullptr;
  }
  void* arg(int i) { return &args[i]; }

  std::vector<std::atomic<int>> runs;
  std::vector<Arg> args;
};

// Checks the exactly-once rule: started[i] says whether go/try_go reported
// that task i was started.
void ExpectRanExactlyWhenStarted(const CountedTasks& tasks,
                                 const std::vector<bool>& started) {
  for (size_t i = 0; i < started.size(); ++i) {
    EXPECT_EQ(started[i] ? 1 : 0, tasks.runs[i].load())
        << "task " << i << (started[i] ? " was started" : " was refused");
  }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

TEST_P(Faults, ErrorNewUnderOomReturnsNomem) {
  FailAllocs(0);
  eg_error* err = eg_error_new(5, "cannot be built");
  StopFaults();
  EXPECT_EQ(eg_error_nomem(), err);
  EXPECT_EQ(EG_ENOMEM, eg_error_code(err));
  eg_error_release(err);  // static: nothing happens
}

TEST_P(Faults, ErrorWrapUnderOomReleasesPayloadAtOnce) {
  CountedErrors counted;
  FailAllocs(0);
  eg_error* err = counted.Make(5, "cannot be built");
  StopFaults();
  EXPECT_EQ(eg_error_nomem(), err);
  EXPECT_EQ(1, counted.released()) << "payload must be released at once";
  eg_error_release(err);
  EXPECT_EQ(1, counted.released());
}

TEST_P(Faults, HookResetRestoresAllocations) {
  FailAllocs(0);
  StopFaults();
  eg_error* err = eg_error_new(5, "fine");
  EXPECT_NE(eg_error_nomem(), err);
  eg_error_release(err);
}

TEST_P(Faults, AllocationFailsFromOrOnlyAtTheNth) {
  // Allocation #1 from now fails, #0 succeeds; #2 fails too only in the
  // "from the n-th" mode.
  FailAllocs(1);
  eg_error* first = eg_error_new(1, "first");
  eg_error* second = eg_error_new(2, "second");
  eg_error* third = eg_error_new(3, "third");
  StopFaults();
  EXPECT_NE(eg_error_nomem(), first);
  EXPECT_EQ(eg_error_nomem(), second);
  if (once())
    EXPECT_NE(eg_error_nomem(), third);
  else
    EXPECT_EQ(eg_error_nomem(), third);
  eg_error_release(first);
  eg_error_release(second);
  eg_error_release(third);
}

TEST_P(Faults, ThreadCreationFailsFromOrOnlyAtTheNth) {
  // Observed through the deadline timer's thread is not possible once it
  // runs, so through the switch itself: after the one injected failure in
  // "once" mode, the next thread creation (a fresh pool's) succeeds.
  ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
  CountedTasks tasks(2);
  GroupPtr g = NewGroup();
  FailThreads(0);
  int first = eg_group_go(g.get(), CountedTasks::Run, tasks.arg(0));
  int second = eg_group_go(g.get(), CountedTasks::Run, tasks.arg(1));
  StopFaults();
  EXPECT_EQ(EG_EAGAIN, first);
  EXPECT_EQ(once() ? EG_OK : EG_EAGAIN, second);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, tasks.runs[0].load());
  EXPECT_EQ(second == EG_OK ? 1 : 0, tasks.runs[1].load());
}

TEST_P(Faults, TaskBuildingItsErrorUnderOomStillFails) {
  GroupAndContext gc = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [this](eg_context*) {
              FailAllocs(0);
              eg_error* err = eg_error_new(1, "lost to OOM");
              StopFaults();
              return err;
            }));
  EXPECT_EQ(eg_error_nomem(), eg_group_wait(gc.group.get()));
  EXPECT_EQ(eg_error_nomem(), eg_context_cause(gc.ctx.get()));
}

// ---------------------------------------------------------------------------
// Constructors: every allocation point fails in turn
// ---------------------------------------------------------------------------

constexpr long kMaxAllocPoints = 64;

TEST_P(Faults, GroupNewUnderOom) {
  long n = 0;
  for (; n < kMaxAllocPoints; ++n) {
    eg_group* g = nullptr;
    FailAllocs(n);
    int rc = eg_group_new(&g);
    StopFaults();
    if (rc == EG_OK) {
      ASSERT_NE(nullptr, g);
      ASSERT_EQ(EG_OK, GoFn(g, [](eg_context*) { return nullptr; }));
      EXPECT_EQ(nullptr, eg_group_wait(g));
      eg_group_free(g);
      break;
    }
    EXPECT_EQ(EG_ENOMEM, rc) << "allocation point " << n;
  }
  EXPECT_GT(n, 0) << "eg_group_new succeeded with every allocation failing";
  EXPECT_LT(n, kMaxAllocPoints);
}

TEST_P(Faults, GroupWithContextUnderOom) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  long n = 0;
  for (; n < kMaxAllocPoints; ++n) {
    eg_group* g = nullptr;
    eg_context* ctx = nullptr;
    FailAllocs(n);
    int rc = eg_group_with_context(parent.get(), &g, &ctx);
    StopFaults();
    if (rc == EG_OK) {
      eg_group_free(g);
      eg_context_release(ctx);
      break;
    }
    EXPECT_EQ(EG_ENOMEM, rc) << "allocation point " << n;
  }
  EXPECT_GT(n, 0);
  EXPECT_LT(n, kMaxAllocPoints);
  // The parent is intact after the failed attempts.
  ContextPtr child = NewCancelContext(parent.get());
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr));
  EXPECT_EQ(1, eg_context_done(child.get()));
}

TEST_P(Faults, ContextWithCancelUnderOom) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  long n = 0;
  for (; n < kMaxAllocPoints; ++n) {
    eg_context* ctx = nullptr;
    FailAllocs(n);
    int rc = eg_context_with_cancel(parent.get(), &ctx);
    StopFaults();
    if (rc == EG_OK) {
      eg_context_release(ctx);
      break;
    }
    EXPECT_EQ(EG_ENOMEM, rc) << "allocation point " << n;
  }
  EXPECT_GT(n, 0);
  EXPECT_LT(n, kMaxAllocPoints);
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr));
}

TEST_P(Faults, ContextWithTimeoutUnderOom) {
  long n = 0;
  for (; n < kMaxAllocPoints; ++n) {
    eg_context* ctx = nullptr;
    FailAllocs(n);
    int rc = eg_context_with_timeout(eg_context_background(),
                                     20 * kMillisecond, &ctx);
    StopFaults();
    if (rc == EG_OK) {
      // The deadline still works (a timed event: 10 s bound).
      EXPECT_EQ(EG_OK, eg_context_wait(ctx, 10 * kSecond));
      EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(ctx));
      eg_context_release(ctx);
      break;
    }
    EXPECT_TRUE(rc == EG_ENOMEM || rc == EG_EAGAIN)
        << "allocation point " << n << ": " << rc;
  }
  EXPECT_GT(n, 0);
  EXPECT_LT(n, kMaxAllocPoints);
}

TEST_P(Faults, ContextWithDeadlineWhenTimerThreadCannotStart) {
  for (long n = 0; n < 3; ++n) {
    eg_context* ctx = nullptr;
    FailThreads(n);
    int rc = eg_context_with_deadline(eg_context_background(),
                                      eg_now_ns() + 20 * kMillisecond, &ctx);
    StopFaults();
    if (rc == EG_OK) {
      // A timer thread already existed; the deadline must still fire.
      EXPECT_EQ(EG_OK, eg_context_wait(ctx, 10 * kSecond));
      eg_context_release(ctx);
    } else {
      EXPECT_EQ(EG_EAGAIN, rc);
    }
  }
}

TEST_P(Faults, AfterFuncUnderOomRegistersNothing) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  std::atomic<int> failed_ran{0};
  long n = 0;
  eg_after_func* kept = nullptr;
  for (; n < kMaxAllocPoints; ++n) {
    eg_after_func* handle = nullptr;
    FailAllocs(n);
    int rc = eg_context_after_func(
        ctx.get(),
        [](void* p) { static_cast<std::atomic<int>*>(p)->fetch_add(1); },
        &failed_ran, &handle);
    StopFaults();
    if (rc == EG_OK) {
      kept = handle;
      break;
    }
    EXPECT_EQ(EG_ENOMEM, rc) << "allocation point " << n;
  }
  EXPECT_GT(n, 0);
  ASSERT_LT(n, kMaxAllocPoints);
  // Exactly one registration succeeded: after the cancel, exactly one run.
  EXPECT_EQ(1, eg_after_func_stop(kept));
  Latch sentinel(1);
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  ASSERT_EQ(EG_OK, eg_context_after_func(
                       ctx.get(), [](void* p) { static_cast<Latch*>(p)->CountDown(); },
                       &sentinel, nullptr));
  ASSERT_TRUE(sentinel.WaitFor(kEventBound));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  EXPECT_EQ(0, failed_ran.load());
}

TEST_P(Faults, SetLimitUnderOomChangesNothing) {
  for (long n = 0; n < kMaxAllocPoints; ++n) {
    GroupPtr g = NewGroup();
    eg_error* refusal = nullptr;
    FailAllocs(n);
    int rc = eg_group_set_limit(g.get(), 1, &refusal);
    StopFaults();
    if (rc == EG_OK) {
      EXPECT_EQ(nullptr, refusal);
      break;
    }
    EXPECT_EQ(EG_ENOMEM, rc);
    // Still unlimited: two blocked tasks can be started with TryGo.
    Gate release;
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(1, TryGoFn(g.get(), [&](eg_context*) {
                  release.Wait();
                  return nullptr;
                }));
    }
    release.Open();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    eg_error_release(refusal);
  }
}

TEST_P(Faults, ContextFdUnderOom) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  FailAllocs(0);
  int fd = eg_context_fd(ctx.get());
  StopFaults();
  EXPECT_TRUE(fd >= 0 || fd == EG_ENOMEM) << fd;
  if (fd < 0) fd = eg_context_fd(ctx.get());
  EXPECT_GE(fd, 0);
}

// ---------------------------------------------------------------------------
// go / try_go under faults: exactly once or never
// ---------------------------------------------------------------------------

// Runs go and try_go under injected faults (allocations or thread
// creations, from `faults`' mode).
void GoManyUnderFaults(const Faults& faults, bool alloc_faults, long n,
                       int tasks_per_kind) {
  CountedTasks tasks(2 * tasks_per_kind);
  std::vector<bool> started(2 * tasks_per_kind, false);
  GroupPtr g = NewGroup();
  if (alloc_faults)
    faults.Fail(true, n);
  else
    faults.Fail(false, n);
  for (int i = 0; i < tasks_per_kind; ++i) {
    int rc = eg_group_go(g.get(), CountedTasks::Run, tasks.arg(i));
    EXPECT_TRUE(rc == EG_OK || rc == EG_ENOMEM || rc == EG_EAGAIN) << rc;
    started[i] = rc == EG_OK;
    int j = tasks_per_kind + i;
    rc = eg_group_try_go(g.get(), CountedTasks::Run, tasks.arg(j));
    EXPECT_TRUE(rc == 1 || rc == EG_ENOMEM || rc == EG_EAGAIN) << rc;
    started[j] = rc == 1;
  }
  Faults::StopFaults();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  ExpectRanExactlyWhenStarted(tasks, started);
}

TEST_P(Faults, GoUnderAllocationFailures) {
  for (long n = 0; n < 40; ++n) {
    SCOPED_TRACE("fail allocations from #" + std::to_string(n));
    GoManyUnderFaults(*this, true, n, 10);
  }
}

TEST_P(Faults, GoUnderAllocationFailuresFromFreshPool) {
  for (long n = 0; n < 20; ++n) {
    SCOPED_TRACE("fail allocations from #" + std::to_string(n));
    ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
    GoManyUnderFaults(*this, true, n, 5);
  }
}

TEST_P(Faults, GoUnderThreadCreationFailuresFromFreshPool) {
  for (long n = 0; n < 10; ++n) {
    SCOPED_TRACE("fail thread creation from #" + std::to_string(n));
    ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
    GoManyUnderFaults(*this, false, n, 10);
  }
}

TEST_P(Faults, GoWithNoThreadAtAllGivesEagain) {
  ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
  ASSERT_EQ(0, eg_testing_pool_threads());
  CountedTasks tasks(2);
  GroupPtr g = NewGroup();
  FailThreads(0);
  EXPECT_EQ(EG_EAGAIN, eg_group_go(g.get(), CountedTasks::Run, tasks.arg(0)));
  // Only the first creation fails in "once" mode: the pool starts now.
  EXPECT_EQ(once() ? 1 : EG_EAGAIN,
            eg_group_try_go(g.get(), CountedTasks::Run, tasks.arg(1)));
  StopFaults();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, tasks.runs[0].load());
  EXPECT_EQ(once() ? 1 : 0, tasks.runs[1].load());
  // Once threads can be made again the pool restarts by itself.
  EXPECT_EQ(EG_OK, eg_group_go(g.get(), CountedTasks::Run, tasks.arg(0)));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, tasks.runs[0].load());
}

TEST_P(Faults, GoWhileBusyPoolCannotGrow) {
  // One task holds a pool thread; no new thread can be made. A new task is
  // either refused or, if accepted, must run exactly once (with an
  // unlimited group it may not wait behind the blocked one forever: it
  // runs before the blocked task is released, bounded by kEventBound).
  GroupPtr g = NewGroup();
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  CountedTasks tasks(1);
  Latch ran(1);
  FailThreads(0);
  int rc = GoFn(g.get(), [&](eg_context* ctx) {
    CountedTasks::Run(ctx, tasks.arg(0));
    ran.CountDown();
    return nullptr;
  });
  StopFaults();
  EXPECT_TRUE(rc == EG_OK || rc == EG_EAGAIN) << rc;
  if (rc == EG_OK) {
    EXPECT_TRUE(ran.WaitFor(kEventBound))
        << "accepted task waits behind a busy task of an unlimited group";
  }
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(rc == EG_OK ? 1 : 0, tasks.runs[0].load());
}

TEST_P(Faults, NestedGoUnderFaultsIsWaitedFor) {
  for (long n = 0; n < 20; ++n) {
    GroupPtr g = NewGroup();
    eg_group* raw = g.get();
    constexpr int kParents = 4, kChildren = 4;
    CountedTasks children(kParents * kChildren);
    std::vector<std::atomic<int>> child_started(kParents * kChildren);
    std::atomic<int> parents_ran{0};
    Gate faults_set;
    for (int p = 0; p < kParents; ++p) {
      ASSERT_EQ(EG_OK, GoFn(raw, [&, p, raw](eg_context*) {
                  faults_set.Wait();
                  parents_ran++;
                  for (int c = 0; c < kChildren; ++c) {
                    int i = p * kChildren + c;
                    int rc = eg_group_go(raw, CountedTasks::Run, children.arg(i));
                    child_started[i] = rc == EG_OK ? 1 : 0;
                  }
                  return nullptr;
                }));
    }
    FailAllocs(n);
    faults_set.Open();
    // Wait must not need to allocate; it returns once everything started
    // has finished.
    eg_error* err = eg_group_wait(raw);
    StopFaults();
    EXPECT_EQ(nullptr, err);
    EXPECT_EQ(kParents, parents_ran.load());
    for (int i = 0; i < kParents * kChildren; ++i)
      EXPECT_EQ(child_started[i].load(), children.runs[i].load()) << i;
  }
}

INSTANTIATE_FAULT_MODES(Faults);

}  // namespace
