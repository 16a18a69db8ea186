/* SPDX-License-Identifier: BSD-3-Clause */
// NULL handles and out-of-range arguments get the documented answer, never
// a crash; refusals (EG_EBUSY) of the pool; freeing a busy group.
#include <limits.h>
#include <pthread.h>

#include <atomic>
#include <thread>

#include "helpers.h"

namespace {

using namespace egtest;

eg_error* NoopTask(eg_context*, void*) { return nullptr; }
void NoopAfter(void*) {}

TEST(BadInput, ContextConstructors) {
  eg_context* out = reinterpret_cast<eg_context*>(0x1);
  EXPECT_EQ(EG_EINVAL, eg_context_with_cancel(nullptr, &out));
  EXPECT_EQ(EG_EINVAL, eg_context_with_cancel(eg_context_background(), nullptr));
  EXPECT_EQ(EG_EINVAL, eg_context_with_deadline(nullptr, eg_now_ns(), &out));
  EXPECT_EQ(EG_EINVAL,
            eg_context_with_deadline(eg_context_background(), 0, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_context_with_timeout(nullptr, kSecond, &out));
  EXPECT_EQ(EG_EINVAL,
            eg_context_with_timeout(eg_context_background(), kSecond, nullptr));
}

TEST(BadInput, ContextAccessorsWithNull) {
  EXPECT_EQ(nullptr, eg_context_retain(nullptr));
  eg_context_release(nullptr);
  EXPECT_EQ(EG_EINVAL, eg_context_cancel(nullptr, nullptr));
  EXPECT_EQ(0, eg_context_done(nullptr));
  EXPECT_EQ(EG_EINVAL, eg_context_wait(nullptr, 0));
  EXPECT_EQ(EG_EINVAL, eg_context_wait(nullptr, -1));
  EXPECT_EQ(EG_EINVAL, eg_context_err(nullptr));
  EXPECT_EQ(nullptr, eg_context_cause(nullptr));
  int64_t deadline = 0;
  EXPECT_EQ(EG_EINVAL, eg_context_deadline(nullptr, &deadline));
  EXPECT_EQ(EG_EINVAL, eg_context_deadline(eg_context_background(), nullptr));
  EXPECT_EQ(EG_EINVAL, eg_context_fd(nullptr));
}

TEST(BadInput, DeadlineWithNullOutOnRealContext) {
  ContextPtr ctx = NewTimeoutContext(eg_context_background(), 3600 * kSecond);
  EXPECT_EQ(EG_EINVAL, eg_context_deadline(ctx.get(), nullptr));
}

TEST(BadInput, CancelingBackgroundIsRefused) {
  EXPECT_EQ(EG_EINVAL, eg_context_cancel(eg_context_background(), nullptr));
  eg_error* cause = eg_error_new(1, "x");
  EXPECT_EQ(EG_EINVAL, eg_context_cancel(eg_context_background(), cause));
  eg_error_release(cause);
  EXPECT_EQ(0, eg_context_done(eg_context_background()));
}

TEST(BadInput, CancelingGroupContextIsRefused) {
  GroupAndContext gc = NewGroupWithContext(eg_context_background());
  CountedErrors counted;
  eg_error* cause = counted.Make(1, "not yours");
  EXPECT_EQ(EG_EINVAL, eg_context_cancel(gc.ctx.get(), cause));
  EXPECT_EQ(EG_EINVAL, eg_context_cancel(gc.ctx.get(), nullptr));
  EXPECT_EQ(0, eg_context_done(gc.ctx.get()));
  eg_error_release(cause);
  EXPECT_EQ(1, counted.released()) << "a refused cancel kept the cause";
  // The group still cancels it itself.
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
  EXPECT_EQ(eg_error_canceled(), eg_context_cause(gc.ctx.get()));
}

TEST(BadInput, AfterFunc) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  eg_after_func* handle = nullptr;
  EXPECT_EQ(EG_EINVAL, eg_context_after_func(nullptr, NoopAfter, nullptr, &handle));
  EXPECT_EQ(EG_EINVAL, eg_context_after_func(ctx.get(), nullptr, nullptr, &handle));
  EXPECT_EQ(EG_EINVAL, eg_after_func_stop(nullptr));
}

TEST(BadInput, GroupConstructors) {
  EXPECT_EQ(EG_EINVAL, eg_group_new(nullptr));
  eg_group* g = nullptr;
  eg_context* ctx = nullptr;
  EXPECT_EQ(EG_EINVAL, eg_group_with_context(nullptr, &g, &ctx));
  EXPECT_EQ(EG_EINVAL, eg_group_with_context(eg_context_background(), nullptr, &ctx));
  EXPECT_EQ(EG_EINVAL, eg_group_with_context(eg_context_background(), &g, nullptr));
}

TEST(BadInput, GroupOperationsWithNull) {
  EXPECT_EQ(EG_EINVAL, eg_group_go(nullptr, NoopTask, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_try_go(nullptr, NoopTask, nullptr));
  eg_error* refusal = nullptr;
  EXPECT_EQ(EG_EINVAL, eg_group_set_limit(nullptr, 1, &refusal));
  EXPECT_EQ(nullptr, refusal);
  EXPECT_EQ(EG_EINVAL, eg_group_set_limit(nullptr, -1, nullptr));
  eg_group_free(nullptr);
}

TEST(BadInput, GoWithNullFunction) {
  GroupPtr g = NewGroup();
  EXPECT_EQ(EG_EINVAL, eg_group_go(g.get(), nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_try_go(g.get(), nullptr, nullptr));
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_go(g.get(), nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_try_go(g.get(), nullptr, nullptr));
  // A refused go took no slot.
  EXPECT_EQ(1, eg_group_try_go(g.get(), NoopTask, nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(BadInput, WaitOnNullGroupReturnsEinvalError) {
  eg_error* err = eg_group_wait(nullptr);
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(EG_EINVAL, eg_error_code(err));
  eg_error_release(err);  // static: harmless
  eg_error* again = eg_group_wait(nullptr);
  ASSERT_NE(nullptr, again);
  EXPECT_EQ(EG_EINVAL, eg_error_code(again));
}

TEST(BadInput, StackSizeBelowMinimumIsRefused) {
  const size_t min = PTHREAD_STACK_MIN;
  EXPECT_EQ(EG_EINVAL, eg_pool_set_stack_size(1));
  EXPECT_EQ(EG_EINVAL, eg_pool_set_stack_size(min - 1));
  EXPECT_EQ(EG_OK, eg_pool_set_stack_size(min));
  EXPECT_EQ(EG_OK, eg_pool_set_stack_size(0));
}

TEST(Pool, StackSizeAppliesToNewThreads) {
  // Larger than any default (8 MiB with the usual ulimit), so it fails if
  // the setting is ignored.
  const size_t wanted = 32u << 20;
  ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
  ASSERT_EQ(EG_OK, eg_pool_set_stack_size(wanted));
  GroupPtr g = NewGroup();
  std::atomic<size_t> seen{0};
  Latch measured(1);
  // The task must run on a pool thread, not be run by the waiting caller
  // (which eg_group_wait may do): wait for it before calling wait.
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
              pthread_attr_t attr;
              size_t size = 0;
              if (pthread_getattr_np(pthread_self(), &attr) == 0) {
                pthread_attr_getstacksize(&attr, &size);
                pthread_attr_destroy(&attr);
              }
              seen = size;
              measured.CountDown();
              return nullptr;
            }));
  ASSERT_TRUE(measured.WaitFor(kEventBound));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_GE(seen.load(), wanted);
  EXPECT_EQ(EG_OK, eg_pool_set_stack_size(0));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
}

TEST(Pool, ShutdownIsRefusedWhileTaskRuns) {
  GroupPtr g = NewGroup();
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  EXPECT_EQ(EG_EBUSY, eg_pool_shutdown());
  EXPECT_GT(eg_testing_pool_threads(), 0);
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  EXPECT_EQ(0, eg_testing_pool_threads());
  // The pool restarts by itself.
  std::atomic<int> ran{0};
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
              ran++;
              return nullptr;
            }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, ran.load());
}

TEST(Pool, ShutdownIsRefusedWhileAfterFuncRuns) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  Latch running(1);
  Gate release;
  struct Arg {
    Latch* running;
    Gate* release;
  } arg{&running, &release};
  ASSERT_EQ(EG_OK, eg_context_after_func(
                       ctx.get(),
                       [](void* p) {
                         auto* a = static_cast<Arg*>(p);
                         a->running->CountDown();
                         a->release->Wait();
                       },
                       &arg, nullptr));
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  ASSERT_TRUE(running.WaitFor(kEventBound));
  EXPECT_EQ(EG_EBUSY, eg_pool_shutdown());
  release.Open();
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
}

TEST(Pool, ShutdownWhenIdleAndRepeatedly) {
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  EXPECT_EQ(EG_OK, eg_pool_shutdown());
  EXPECT_EQ(0, eg_testing_pool_threads());
  for (int i = 0; i < 5; ++i) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_go(g.get(), NoopTask, nullptr));
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  }
}

TEST(GroupFree, WithActiveTasksIsDeferred) {
  eg_group* g = nullptr;
  ASSERT_EQ(EG_OK, eg_group_new(&g));
  Latch running(1);
  Gate release;
  Latch nested_ran(1);
  Latch nested_go_returned(1);
  std::atomic<int> nested_rc{1};
  ASSERT_EQ(EG_OK, GoFn(g, [&, g](eg_context* ctx) {
              running.CountDown();
              release.Wait();
              // The group was freed by its owner, but stays alive while
              // this task runs: nested spawning is still allowed.
              nested_rc = GoFn(g, [&](eg_context*) {
                nested_ran.CountDown();
                return nullptr;
              });
              nested_go_returned.CountDown();
              EXPECT_EQ(0, eg_context_done(ctx));
              return eg_error_new(1, "after free");
            }));
  running.Wait();
  eg_group_free(g);
  release.Open();
  ASSERT_TRUE(nested_go_returned.WaitFor(kEventBound));
  ASSERT_EQ(EG_OK, nested_rc.load());
  ASSERT_TRUE(nested_ran.WaitFor(kEventBound));
  // Once the pool is idle every task has returned; the deferred free has
  // happened (LeakSanitizer checks that nothing is left).
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
}

TEST(GroupFree, WithContextAndActiveTasksKeepsContextValid) {
  eg_group* g = nullptr;
  eg_context* ctx = nullptr;
  ASSERT_EQ(EG_OK, eg_group_with_context(eg_context_background(), &g, &ctx));
  Latch running(1);
  Gate release;
  ASSERT_EQ(EG_OK, GoFn(g, [&](eg_context* task_ctx) {
              running.CountDown();
              release.Wait();
              EXPECT_EQ(ctx, task_ctx);
              return eg_error_new(2, "late failure");
            }));
  running.Wait();
  eg_group_free(g);
  release.Open();
  // The recorded error still cancels the context.
  ASSERT_EQ(EG_OK, eg_context_wait(ctx, 10 * kSecond));
  EXPECT_EQ(2, eg_error_code(eg_context_cause(ctx)));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  eg_context_release(ctx);
}

TEST(BadInput, SetLimitRefusalIsNullOnSuccess) {
  GroupPtr g = NewGroup();
  eg_error* refusal = eg_error_canceled();
  EXPECT_EQ(EG_OK, eg_group_set_limit(g.get(), 4, &refusal));
  EXPECT_EQ(nullptr, refusal);
  refusal = eg_error_canceled();
  EXPECT_EQ(EG_OK, eg_group_set_limit(g.get(), -7, &refusal));
  EXPECT_EQ(nullptr, refusal);
}

}  // namespace
