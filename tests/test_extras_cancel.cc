/* SPDX-License-Identifier: BSD-3-Clause */
// Issue 14, feature 5: eg_group_cancel and eg_group_canceled.
#include "helpers.h"

namespace egtest {
namespace {

TEST(ExtrasCancel, BadInput) {
  EXPECT_EQ(EG_EINVAL, eg_group_cancel(nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_canceled(nullptr));
  EXPECT_STREQ("errgroup: task skipped, group canceled",
               eg_strerror(EG_ESKIPPED));
}

TEST(ExtrasCancel, WithContextWaitStillReturnsNullAndCauseStays) {
  auto gc = NewGroupWithContext(eg_context_background());
  EXPECT_EQ(0, eg_group_canceled(gc.group.get()));
  Gate release;
  Latch running(1);
  ASSERT_TRUE(StartBlockedTasks(gc.group.get(), 1, &running, &release));
  running.Wait();
  eg_error *cause = eg_error_new(42, "stop");
  EXPECT_EQ(EG_OK, eg_group_cancel(gc.group.get(), cause));
  EXPECT_EQ(1, eg_group_canceled(gc.group.get()));
  EXPECT_EQ(1, eg_context_done(gc.ctx.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(gc.ctx.get()));
  EXPECT_EQ(cause, eg_context_cause(gc.ctx.get()));
  // Idempotent; the first cause wins.
  EXPECT_EQ(EG_OK, eg_group_cancel(gc.group.get(), nullptr));
  EXPECT_EQ(cause, eg_context_cause(gc.ctx.get()));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
  EXPECT_EQ(cause, eg_context_cause(gc.ctx.get()));
  eg_error_release(cause); // the context keeps its own reference
  EXPECT_EQ(42, eg_error_code(eg_context_cause(gc.ctx.get())));
}

TEST(ExtrasCancel, NullCauseIsCanceled) {
  auto gc = NewGroupWithContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_group_cancel(gc.group.get(), nullptr));
  EXPECT_EQ(eg_error_canceled(), eg_context_cause(gc.ctx.get()));
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
}

TEST(ExtrasCancel, LaterTaskErrorIsStillWaitsResultButNotTheCause) {
  auto gc = NewGroupWithContext(eg_context_background());
  eg_error *cause = eg_error_new(1, "cause");
  ASSERT_EQ(EG_OK, eg_group_cancel(gc.group.get(), cause));
  eg_error *failure = eg_error_new(2, "failure");
  ASSERT_EQ(EG_OK,
            GoFn(gc.group.get(), [failure](eg_context *) { return failure; }));
  EXPECT_EQ(failure, eg_group_wait(gc.group.get()));
  EXPECT_EQ(cause, eg_context_cause(gc.ctx.get()));
  eg_error_release(cause);
}

TEST(ExtrasCancel, PlainGroupIsCanceledByCancelOrTaskError) {
  auto g = NewGroup();
  EXPECT_EQ(0, eg_group_canceled(g.get()));
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context *) { return nullptr; }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, eg_group_canceled(g.get())); // a wait alone does not
  EXPECT_EQ(EG_OK, eg_group_cancel(g.get(), nullptr));
  EXPECT_EQ(1, eg_group_canceled(g.get()));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));

  auto h = NewGroup();
  ASSERT_EQ(EG_OK,
            GoFn(h.get(), [](eg_context *) { return eg_error_new(3, "x"); }));
  eg_error *e = eg_group_wait(h.get());
  EXPECT_EQ(3, eg_error_code(e));
  EXPECT_EQ(1, eg_group_canceled(h.get()));
}

TEST(ExtrasCancel, WithContextCanceledByParentAndByWaitEnd) {
  auto parent = NewCancelContext(eg_context_background());
  auto gc = NewGroupWithContext(parent.get());
  EXPECT_EQ(0, eg_group_canceled(gc.group.get()));
  eg_context_cancel(parent.get(), nullptr);
  EXPECT_EQ(1, eg_group_canceled(gc.group.get()));

  auto other = NewGroupWithContext(eg_context_background());
  EXPECT_EQ(nullptr, eg_group_wait(other.group.get()));
  EXPECT_EQ(1, eg_group_canceled(other.group.get()));
}

TEST(ExtrasCancel, FromInsideATask) {
  auto gc = NewGroupWithContext(eg_context_background());
  eg_group *g = gc.group.get();
  ASSERT_EQ(EG_OK, GoFn(g, [g](eg_context *ctx) -> eg_error * {
              EXPECT_EQ(EG_OK, eg_group_cancel(g, nullptr));
              EXPECT_EQ(1, eg_context_done(ctx));
              return nullptr;
            }));
  EXPECT_EQ(nullptr, eg_group_wait(g));
}

} // namespace
} // namespace egtest
