/* SPDX-License-Identifier: BSD-3-Clause */
// Issue 14, feature 1: eg_group_keep_errors and eg_group_errors.
#include <vector>

#include "errgroup_async.h"
#include "helpers.h"

namespace egtest {
namespace {

// Every kept error, as owned references.
std::vector<ErrorPtr> KeptErrors(eg_group *g, uint64_t *dropped = nullptr) {
  int n = eg_group_errors(g, nullptr, 0, dropped);
  EXPECT_GE(n, 0);
  std::vector<eg_error *> raw(n > 0 ? n : 0);
  EXPECT_EQ(n, eg_group_errors(g, raw.data(), raw.size(), dropped));
  std::vector<ErrorPtr> out;
  for (eg_error *e : raw)
    out.emplace_back(e);
  return out;
}

TEST(ExtrasErrors, BadInput) {
  EXPECT_EQ(EG_EINVAL, eg_group_keep_errors(nullptr, 4));
  auto g = NewGroup();
  EXPECT_EQ(EG_EINVAL, eg_group_keep_errors(g.get(), 0));
  eg_error *one = nullptr;
  EXPECT_EQ(EG_EINVAL, eg_group_errors(g.get(), &one, 1, nullptr)); // not kept
  EXPECT_EQ(EG_EINVAL, eg_group_errors(nullptr, nullptr, 0, nullptr));
  EXPECT_EQ(EG_OK, eg_group_keep_errors(g.get(), 4));
  EXPECT_EQ(EG_EBUSY, eg_group_keep_errors(g.get(), 4)); // again
  EXPECT_EQ(EG_EINVAL, eg_group_errors(g.get(), nullptr, 1, nullptr));
  uint64_t dropped = 7;
  EXPECT_EQ(0, eg_group_errors(g.get(), nullptr, 0, &dropped));
  EXPECT_EQ(0u, dropped);

  auto used = NewGroup();
  ASSERT_EQ(EG_OK, GoFn(used.get(), [](eg_context *) { return nullptr; }));
  EXPECT_EQ(EG_EBUSY, eg_group_keep_errors(used.get(), 4)); // after a task
  EXPECT_EQ(nullptr, eg_group_wait(used.get()));
  EXPECT_EQ(EG_EBUSY, eg_group_keep_errors(used.get(), 4)); // and after wait
}

TEST(ExtrasErrors, RecordOrderFirstIsWaitsResultAndTheCause) {
  auto gc = NewGroupWithContext(eg_context_background());
  eg_group *g = gc.group.get();
  ASSERT_EQ(EG_OK, eg_group_keep_errors(g, 16));
  ASSERT_EQ(EG_OK, eg_group_set_limit(g, 1, nullptr));
  // A limit of one runs the tasks one after the other, in go order.
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(EG_OK, GoFn(g, [i](eg_context *) -> eg_error * {
                return i % 3 == 1 ? nullptr : eg_error_new(100 + i, "e");
              }));
  eg_error *first = eg_group_wait(g);
  uint64_t dropped = 9;
  auto kept = KeptErrors(g, &dropped);
  ASSERT_EQ(4u, kept.size());
  EXPECT_EQ(0u, dropped);
  EXPECT_EQ(first, kept[0].get());
  EXPECT_EQ(first, eg_context_cause(gc.ctx.get()));
  EXPECT_EQ(100, eg_error_code(kept[0].get()));
  EXPECT_EQ(102, eg_error_code(kept[1].get()));
  EXPECT_EQ(103, eg_error_code(kept[2].get()));
  EXPECT_EQ(105, eg_error_code(kept[3].get()));
  // A smaller array gets the first ones; the count is still every kept one.
  eg_error *two[2] = {nullptr, nullptr};
  EXPECT_EQ(4, eg_group_errors(g, two, 2, nullptr));
  EXPECT_EQ(first, two[0]);
  eg_error_release(two[0]);
  eg_error_release(two[1]);
}

TEST(ExtrasErrors, BeyondMaxDroppedAndReleased) {
  CountedErrors counted;
  {
    auto g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_keep_errors(g.get(), 2));
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(EG_OK, GoFn(g.get(), [&counted, i](eg_context *) {
                  return counted.Make(i);
                }));
    eg_error *first = eg_group_wait(g.get());
    ASSERT_NE(nullptr, first);
    uint64_t dropped = 0;
    auto kept = KeptErrors(g.get(), &dropped);
    ASSERT_EQ(2u, kept.size());
    EXPECT_EQ(3u, dropped);
    EXPECT_EQ(first, kept[0].get());
    EXPECT_EQ(3, counted.released()); // the dropped ones, at once
  }
  EXPECT_EQ(5, counted.released()); // the kept ones, with the group
}

TEST(ExtrasErrors, ManyConcurrentErrorsGrowTheArray) {
  auto g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_keep_errors(g.get(), 1000));
  constexpr int kTasks = 40; // below the pool's minimum cap (64)
  Latch all(kTasks);
  for (int i = 0; i < kTasks; ++i)
    ASSERT_EQ(EG_OK, GoFn(g.get(), [&all, i](eg_context *) {
                all.CountDown();
                all.Wait(); // all at once
                return eg_error_new(i, "concurrent");
              }));
  eg_error *first = eg_group_wait(g.get());
  auto kept = KeptErrors(g.get());
  ASSERT_EQ(size_t(kTasks), kept.size());
  EXPECT_EQ(first, kept[0].get());
  std::vector<int> seen(kTasks, 0);
  for (auto &e : kept)
    seen.at(eg_error_code(e.get()))++;
  for (int n : seen)
    EXPECT_EQ(1, n);
}

TEST(ExtrasErrors, SnapshotWhileTasksRun) {
  auto g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_keep_errors(g.get(), 8));
  Gate failed, release;
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context *) {
              failed.Open();
              return eg_error_new(1, "early");
            }));
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context *) {
              release.Wait();
              return eg_error_new(2, "late");
            }));
  failed.Wait();
  ASSERT_TRUE(WaitUntil([&] { return KeptErrors(g.get()).size() == 1; }));
  release.Open();
  eg_group_wait(g.get());
  EXPECT_EQ(2u, KeptErrors(g.get()).size());
}

TEST(ExtrasErrors, ExternalNestedWorkersAndReuseAccumulate) {
  auto g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_keep_errors(g.get(), 64));
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 2));
  eg_group *raw = g.get();
  // Round 1: an external task and a task with a nested one.
  ASSERT_EQ(1, eg_group_try_admit(raw));
  EXPECT_EQ(1, eg_group_external_done(raw, eg_error_new(1, "external")));
  ASSERT_EQ(EG_OK, GoFn(raw, [raw](eg_context *) {
              EXPECT_EQ(EG_OK, GoFn(raw, [](eg_context *) {
                          return eg_error_new(3, "nested");
                        }));
              return eg_error_new(2, "outer");
            }));
  eg_error *first = eg_group_wait(raw);
  EXPECT_EQ(1, eg_error_code(first));
  EXPECT_EQ(3u, KeptErrors(raw).size());
  // Round 2 (reuse): more errors accumulate; the first stays.
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(EG_OK,
              GoFn(raw, [](eg_context *) { return eg_error_new(4, "again"); }));
  EXPECT_EQ(first, eg_group_wait(raw));
  auto kept = KeptErrors(raw);
  ASSERT_EQ(8u, kept.size());
  EXPECT_EQ(first, kept[0].get());
}

class ExtrasErrorsOom : public FaultHooksTest {};

TEST_F(ExtrasErrorsOom, KeepErrorsFailsCleanly) {
  auto g = NewGroup();
  eg_testing_fail_alloc_after(0);
  EXPECT_EQ(EG_ENOMEM, eg_group_keep_errors(g.get(), 4));
  eg_testing_fail_alloc_after(-1);
  EXPECT_EQ(EG_EINVAL, eg_group_errors(g.get(), nullptr, 0, nullptr));
  for (long n = 0; n < 2; ++n) { // the array, then the extras
    auto h = NewGroup();
    eg_testing_fail_alloc_once(n);
    EXPECT_EQ(EG_ENOMEM, eg_group_keep_errors(h.get(), 4)) << n;
    eg_testing_fail_alloc_once(-1);
    EXPECT_EQ(EG_OK, eg_group_keep_errors(h.get(), 4)) << n;
  }
}

TEST_F(ExtrasErrorsOom, GrowthFailureDropsButKeepsTheFirst) {
  CountedErrors counted;
  auto g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_keep_errors(g.get(), 100));
  // External tasks: their ends allocate nothing but the array's growth.
  constexpr int kTasks = 10;
  for (int i = 0; i < kTasks; ++i)
    ASSERT_EQ(1, eg_group_try_admit(g.get()));
  std::vector<eg_error *> errors;
  for (int i = 0; i < kTasks; ++i)
    errors.push_back(counted.Make(i));
  eg_testing_fail_alloc_after(0);
  for (int i = 0; i < kTasks; ++i)
    EXPECT_EQ(i == 0 ? 1 : 0, eg_group_external_done(g.get(), errors[i]));
  eg_testing_fail_alloc_after(-1);
  uint64_t dropped = 0;
  auto kept = KeptErrors(g.get(), &dropped);
  ASSERT_GE(kept.size(), 1u); // the first always has its place
  EXPECT_EQ(errors[0], kept[0].get());
  EXPECT_EQ(uint64_t(kTasks), kept.size() + dropped);
  EXPECT_EQ(int(dropped), counted.released());
  EXPECT_EQ(errors[0], eg_group_wait(g.get()));
}

} // namespace
} // namespace egtest
