/* SPDX-License-Identifier: BSD-3-Clause */
// Limits: TryGo, limit 0, changing the limit while tasks are active (and
// the exact refusal text), FIFO admission of blocked Go callers, no
// barging by TryGo, and the limit never being exceeded.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "errgroup_async.h"
#include "helpers.h"

namespace {

using namespace egtest;

TaskFn Noop() {
  return [](eg_context*) -> eg_error* { return nullptr; };
}

// ---------------------------------------------------------------------------
// TryGo (Go's TestTryGo)
// ---------------------------------------------------------------------------

TEST(TryGo, MatchesReference) {
  GroupPtr g = NewGroup();
  constexpr int n = 42;
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), n, nullptr));
  Gate release;
  std::atomic<int> ran{0};
  auto blocked = [&](eg_context*) -> eg_error* {
    release.Wait();
    ran++;
    return nullptr;
  };
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(1, TryGoFn(g.get(), blocked)) << "TryGo #" << i;
  EXPECT_EQ(0, TryGoFn(g.get(), blocked)) << "TryGo beyond the limit";
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(n, ran.load()) << "a refused TryGo ran its function";

  EXPECT_EQ(1, TryGoFn(g.get(), Noop())) << "after all tasks finished";
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));

  // Switch limit.
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Gate release2;
  EXPECT_EQ(1, TryGoFn(g.get(), [&](eg_context*) {
              release2.Wait();
              return nullptr;
            }));
  EXPECT_EQ(0, TryGoFn(g.get(), Noop()));
  release2.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));

  // Block all calls.
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 0, nullptr));
  std::atomic<int> ran_at_zero{0};
  for (int i = 0; i < 1024; ++i) {
    ASSERT_EQ(0, TryGoFn(g.get(), [&](eg_context*) {
                ran_at_zero++;
                return nullptr;
              }));
  }
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, ran_at_zero.load());
}

TEST(TryGo, RefusedFunctionNeverRuns) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  std::atomic<int> ran{0};
  struct Arg {
    std::atomic<int>* ran;
  } arg{&ran};
  auto fn = [](eg_context*, void* p) -> eg_error* {
    static_cast<Arg*>(p)->ran->fetch_add(1);
    return nullptr;
  };
  for (int i = 0; i < 100; ++i) EXPECT_EQ(0, eg_group_try_go(g.get(), fn, &arg));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, ran.load());
}

// ---------------------------------------------------------------------------
// Limit 0
// ---------------------------------------------------------------------------

TEST(LimitZero, TryGoNeverStartsAndWaitReturns) {
  GroupAndContext gc = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(EG_OK, eg_group_set_limit(gc.group.get(), 0, nullptr));
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(0, TryGoFn(gc.group.get(), [&](eg_context*) {
                ran++;
                return nullptr;
              }));
  }
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
  EXPECT_EQ(0, ran.load());
  EXPECT_EQ(0, eg_testing_blocked_go_callers(gc.group.get()));
}

// A Go caller blocked at limit 0 stays blocked forever, as in the
// reference, even after the limit is removed. The stuck thread cannot be
// joined, so the scenario runs in a child process (a death test in the
// "threadsafe" style: the child re-executes this binary) that ends with
// _exit(); exit codes name the first failed check.
void GoBlocksForeverAtLimitZero() {
  eg_group* g = nullptr;
  if (eg_group_new(&g) != EG_OK) _exit(10);
  if (eg_group_set_limit(g, 0, nullptr) != EG_OK) _exit(11);
  static std::atomic<bool> go_returned{false};
  static std::atomic<int> stuck_ran{0};
  std::thread([g] {
    GoFn(g, [](eg_context*) {
      stuck_ran++;
      return nullptr;
    });
    go_returned = true;
  }).detach();
  if (!WaitUntil([g] { return eg_testing_blocked_go_callers(g) == 1; }))
    _exit(12);
  if (TryGoFn(g, Noop()) != 0) _exit(13);
  if (eg_group_set_limit(g, -1, nullptr) != EG_OK) _exit(14);
  // Still blocked on the old limit (a "still blocked" check, see helpers.h).
  if (!StaysFalse([] { return go_returned.load(); })) _exit(15);
  // The new (absent) limit applies to new callers; the blocked one is not
  // part of the group's work, so wait does not wait for it.
  std::atomic<int> fresh_ran{0};
  if (TryGoFn(g, [&](eg_context*) {
        fresh_ran++;
        return nullptr;
      }) != 1)
    _exit(16);
  if (eg_group_wait(g) != nullptr) _exit(17);
  if (fresh_ran.load() != 1) _exit(18);
  if (go_returned.load() || stuck_ran.load() != 0) _exit(19);
  _exit(0);
}

TEST(LimitZeroDeathTest, GoBlocksForeverEvenAfterLimitRemoved) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(GoBlocksForeverAtLimitZero(), ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------
// Changing the limit while tasks are active
// ---------------------------------------------------------------------------

TEST(SetLimit, NegativeLimitWhileActiveIsAllowed) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 2, nullptr));
  Latch running(2);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 2, &running, &release));
  running.Wait();
  EXPECT_EQ(0, TryGoFn(g.get(), Noop()));

  eg_error* refusal = eg_error_nomem();  // must be overwritten with NULL
  EXPECT_EQ(EG_OK, eg_group_set_limit(g.get(), -1, &refusal));
  EXPECT_EQ(nullptr, refusal);
  std::atomic<int> extra{0};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(1, TryGoFn(g.get(), [&](eg_context*) {
                extra++;
                return nullptr;
              }));
  }
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(5, extra.load());
  // The limit can be set again once the group is idle.
  EXPECT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
}

TEST(SetLimit, LimitWhileActiveIsRefusedWithReferenceText) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 3, nullptr));
  Latch running(2);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 2, &running, &release));
  running.Wait();

  eg_error* refusal = nullptr;
  EXPECT_EQ(EG_EBUSY, eg_group_set_limit(g.get(), 5, &refusal));
  ASSERT_NE(nullptr, refusal);
  EXPECT_EQ(EG_EBUSY, eg_error_code(refusal));
  EXPECT_STREQ(
      "errgroup: modify limit while 2 goroutines in the group are still active",
      eg_error_message(refusal));
  eg_error_release(refusal);

  EXPECT_EQ(EG_EBUSY, eg_group_set_limit(g.get(), 0, nullptr));
  EXPECT_EQ(EG_EBUSY, eg_group_set_limit(g.get(), 1, nullptr));

  // Nothing changed: the limit is still 3.
  Latch third_running(1);
  ASSERT_EQ(1, TryGoFn(g.get(), [&](eg_context*) {
              third_running.CountDown();
              release.Wait();
              return nullptr;
            }));
  EXPECT_EQ(0, TryGoFn(g.get(), Noop()));
  third_running.Wait();

  refusal = nullptr;
  EXPECT_EQ(EG_EBUSY, eg_group_set_limit(g.get(), 3, &refusal));
  ASSERT_NE(nullptr, refusal);
  EXPECT_STREQ(
      "errgroup: modify limit while 3 goroutines in the group are still active",
      eg_error_message(refusal));
  eg_error_release(refusal);

  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  refusal = eg_error_nomem();
  EXPECT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, &refusal));
  EXPECT_EQ(nullptr, refusal);
}

TEST(SetLimit, LimitWhileUnlimitedTasksActiveIsRefused) {
  // Documented divergence from the reference (which silently accepts).
  GroupPtr g = NewGroup();
  Latch running(2);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 2, &running, &release));
  running.Wait();
  eg_error* refusal = nullptr;
  EXPECT_EQ(EG_EBUSY, eg_group_set_limit(g.get(), 1, &refusal));
  ASSERT_NE(nullptr, refusal);
  EXPECT_EQ(EG_EBUSY, eg_error_code(refusal));
  EXPECT_STREQ(
      "errgroup: modify limit while 2 goroutines in the group are still active",
      eg_error_message(refusal));
  eg_error_release(refusal);
  // Still unlimited.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(1, TryGoFn(g.get(), Noop()));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(SetLimit, NewLimitAppliesAfterWait) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 2, nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  EXPECT_EQ(0, TryGoFn(g.get(), Noop()));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(SetLimitDeathTest, GoCallerBlockedOnOldLimitStaysOnIt) {
  // After the limit is removed, a Go caller already blocked on the old
  // limit is not released by the change. Whether it is released later is
  // not part of the contract (in the reference it never is), so this runs
  // in a child process that may leave the caller stuck.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        eg_group* g = nullptr;
        if (eg_group_new(&g) != EG_OK) _exit(10);
        if (eg_group_set_limit(g, 1, nullptr) != EG_OK) _exit(11);
        static Latch running(1);
        static Gate release;
        if (!StartBlockedTasks(g, 1, &running, &release)) _exit(12);
        running.Wait();
        static std::atomic<bool> go_returned{false};
        std::thread([g] {
          GoFn(g, Noop());
          go_returned = true;
        }).detach();
        if (!WaitUntil([g] { return eg_testing_blocked_go_callers(g) == 1; }))
          _exit(13);
        if (eg_group_set_limit(g, -1, nullptr) != EG_OK) _exit(14);
        if (!StaysFalse([] { return go_returned.load(); })) _exit(15);
        if (TryGoFn(g, Noop()) != 1) _exit(16);  // unlimited for newcomers
        release.Open();
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------
// Admission of blocked Go callers
// ---------------------------------------------------------------------------

TEST(Admission, BlockedCallersCountIsZeroWithoutLimit) {
  GroupPtr g = NewGroup();
  EXPECT_EQ(0, eg_testing_blocked_go_callers(g.get()));
  Latch running(3);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 3, &running, &release));
  running.Wait();
  EXPECT_EQ(0, eg_testing_blocked_go_callers(g.get()));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(Admission, GoAtLimitBlocksUntilSlotFrees) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  std::atomic<bool> go_returned{false};
  std::atomic<int> second_ran{0};
  std::thread caller([&] {
    EXPECT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
                second_ran++;
                return nullptr;
              }));
    go_returned = true;
  });
  ASSERT_TRUE(WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }));
  EXPECT_TRUE(StaysFalse([&] { return go_returned.load(); }));
  EXPECT_EQ(0, second_ran.load());
  release.Open();
  caller.join();
  EXPECT_TRUE(go_returned.load());
  EXPECT_EQ(0, eg_testing_blocked_go_callers(g.get()));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, second_ran.load());
}

TEST(Admission, BlockedCallersAreAdmittedFirstComeFirstServed) {
  for (int round = 0; round < 5; ++round) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
    Latch running(1);
    Gate release;
    ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
    running.Wait();

    std::mutex mu;
    std::vector<std::string> order;
    std::vector<std::thread> callers;
    const std::vector<std::string> names = {"A", "B", "C", "D"};
    for (size_t i = 0; i < names.size(); ++i) {
      std::string name = names[i];
      callers.emplace_back([&, name] {
        EXPECT_EQ(EG_OK, GoFn(g.get(), [&, name](eg_context*) {
                    std::lock_guard<std::mutex> lock(mu);
                    order.push_back(name);
                    return nullptr;
                  }));
      });
      // The next caller starts only once this one is queued.
      ASSERT_TRUE(WaitUntil([&] {
        return eg_testing_blocked_go_callers(g.get()) == static_cast<int>(i + 1);
      })) << name << " never blocked";
    }
    release.Open();
    for (auto& t : callers) t.join();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ(names, order);
  }
}

TEST(Admission, CallerThatRunsTheHolderItselfKeepsItsPlace) {
  // D starts the holder H, then blocks in go: H is likely still in D's next
  // slot, so D runs it while it waits. D must be queued while it does, so
  // that F, which blocks later, is admitted after D and a TryGo cannot take
  // the slot H frees.
  for (int round = 0; round < 5; ++round) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
    Latch running(1);
    Gate release;
    std::mutex mu;
    std::vector<std::string> order;
    auto record = [&](const std::string& name) {
      return [&, name](eg_context*) -> eg_error* {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(name);
        return nullptr;
      };
    };
    std::thread d([&] {
      EXPECT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
      EXPECT_EQ(EG_OK, GoFn(g.get(), record("D")));
    });
    ASSERT_TRUE(running.WaitFor(30s));
    ASSERT_TRUE(
        WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }))
        << "D is not queued while the holder runs";
    std::thread f([&] { EXPECT_EQ(EG_OK, GoFn(g.get(), record("F"))); });
    ASSERT_TRUE(
        WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 2; }));
    release.Open();
    d.join();
    f.join();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ((std::vector<std::string>{"D", "F"}), order);
  }
}

TEST(Admission, FreedSlotGoesToWaitingCallerNotToTryGo) {
  for (int round = 0; round < 10; ++round) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
    Latch running(1);
    Gate release;
    ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
    running.Wait();

    std::atomic<bool> waiter_started{false};
    Gate waiter_finish;
    std::thread caller([&] {
      EXPECT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
                  waiter_started = true;
                  waiter_finish.Wait();
                  return nullptr;
                }));
    });
    ASSERT_TRUE(
        WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }));
    std::atomic<int> barged{0};
    auto barger = [&](eg_context*) -> eg_error* {
      barged++;
      return nullptr;
    };
    EXPECT_EQ(0, TryGoFn(g.get(), barger)) << "slot taken but TryGo started";

    release.Open();
    // From the moment the holder finishes until the waiting caller's task
    // starts, the slot belongs to the waiting caller: TryGo must fail.
    auto end = std::chrono::steady_clock::now() + kEventBound;
    int attempts = 0;
    while (!waiter_started.load() && std::chrono::steady_clock::now() < end) {
      EXPECT_EQ(0, TryGoFn(g.get(), barger)) << "TryGo barged, attempt "
                                             << attempts;
      ++attempts;
      std::this_thread::yield();
    }
    ASSERT_TRUE(waiter_started.load());
    EXPECT_EQ(0, TryGoFn(g.get(), barger));
    waiter_finish.Open();
    caller.join();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ(0, barged.load());
  }
}

TEST(Admission, TryGoFailsWhileSlotsBusyAndCallerWaits) {
  // With limit 2 and both slots busy, a Go caller waits; TryGo fails.
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 2, nullptr));
  Latch running(2);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 2, &running, &release));
  running.Wait();
  std::thread caller([&] { EXPECT_EQ(EG_OK, GoFn(g.get(), Noop())); });
  ASSERT_TRUE(
      WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }));
  EXPECT_EQ(0, TryGoFn(g.get(), Noop()));
  release.Open();
  caller.join();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// ---------------------------------------------------------------------------
// The limit is never exceeded
// ---------------------------------------------------------------------------

struct Concurrency {
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
  std::atomic<int> ran{0};

  eg_error* Run() {
    int now = active.fetch_add(1) + 1;
    int seen = max_active.load();
    while (now > seen && !max_active.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    active.fetch_sub(1);
    ran++;
    return nullptr;
  }
};

TEST(LimitBound, NeverExceededWithGo) {
  for (int limit : {1, 2, 3, 8}) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), limit, nullptr));
    Concurrency c;
    constexpr int kTasks = 1000;
    for (int i = 0; i < kTasks; ++i)
      ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) { return c.Run(); }));
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ(kTasks, c.ran.load());
    EXPECT_LE(c.max_active.load(), limit) << "limit " << limit;
    EXPECT_GE(c.max_active.load(), 1);
  }
}

TEST(LimitBound, NeverExceededWithConcurrentGoAndTryGoCallers) {
  for (int limit : {1, 3}) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), limit, nullptr));
    Concurrency c;
    constexpr int kPerCaller = 400;
    std::atomic<int> started{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
      callers.emplace_back([&, t] {
        for (int i = 0; i < kPerCaller; ++i) {
          if (t == 2) {
            if (TryGoFn(g.get(), [&](eg_context*) { return c.Run(); }) == 1)
              started++;
          } else {
            EXPECT_EQ(EG_OK,
                      GoFn(g.get(), [&](eg_context*) { return c.Run(); }));
            started++;
          }
        }
      });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ(started.load(), c.ran.load());
    EXPECT_LE(c.max_active.load(), limit) << "limit " << limit;
  }
}

TEST(LimitBound, LimitTasksCanRunAtOnce) {
  // `limit` tasks must all be admitted together: each waits for all.
  for (int limit : {1, 2, 5, 16}) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), limit, nullptr));
    Latch all_running(limit);
    Gate release;
    std::atomic<int> starved{0};
    for (int i = 0; i < limit; ++i) {
      ASSERT_EQ(1, TryGoFn(g.get(), [&](eg_context*) {
                  all_running.CountDown();
                  if (!all_running.WaitFor(30s)) starved++;
                  release.Wait();
                  return nullptr;
                }));
    }
    EXPECT_TRUE(all_running.WaitFor(kEventBound)) << "limit " << limit;
    EXPECT_EQ(0, TryGoFn(g.get(), Noop())) << "limit " << limit;
    release.Open();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    EXPECT_EQ(0, starved.load()) << "limit " << limit;
  }
}

TEST(LimitBound, NestedGoUnderLimitFromTasks) {
  // Tasks spawn more tasks through TryGo (never blocking a slot holder).
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 2, nullptr));
  Concurrency c;
  eg_group* raw = g.get();
  std::atomic<int> spawned{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(EG_OK, GoFn(raw, [&, raw](eg_context*) {
                if (TryGoFn(raw, [&](eg_context*) { return c.Run(); }) == 1)
                  spawned++;
                return c.Run();
              }));
  }
  EXPECT_EQ(nullptr, eg_group_wait(raw));
  EXPECT_EQ(50 + spawned.load(), c.ran.load());
  EXPECT_LE(c.max_active.load(), 2);
}

// set_limit racing go is a misuse (a data race in Go) that the header calls
// memory-safe (issue 11, bug 2): a go that loaded the limit just before
// set_limit(-1) + set_limit(2) replaced it must not find it freed. A race
// with no way to order it, so it is repeated; ASan and TSan see the bad
// access when it happens (before the fix, within a second on 2 CPUs). The
// round count keeps it well under a second when the code is right. try_go
// and try_admit take the same path as go (load the limit, take a slot from
// it) but never block: a go that blocked at the limit would stay blocked
// for good once set_limit(-1) replaced it, as documented.
TEST(LimitRace, SetLimitRacingGoIsMemorySafe) {
  constexpr int kRounds = 300;
  auto noop = [](eg_context*, void*) -> eg_error* { return nullptr; };
  for (int round = 0; round < kRounds; ++round) {
    GroupPtr g = NewGroup();
    eg_group* raw = g.get();
    std::atomic<bool> stop{false};
    Latch started(1);
    std::thread changer([&] {
      started.CountDown();
      while (!stop.load()) {
        eg_group_set_limit(raw, -1, nullptr);
        eg_group_set_limit(raw, 2, nullptr);  // EG_EBUSY while tasks run
      }
    });
    started.Wait();
    for (int i = 0; i < 50; ++i) {
      int rc = eg_group_try_go(raw, noop, nullptr);
      ASSERT_TRUE(rc == 0 || rc == 1) << rc;
      if (eg_group_try_admit(raw) == 1)
        eg_group_external_done(raw, nullptr);
      if (i % 10 == 9) eg_group_wait(raw);
    }
    stop = true;
    changer.join();
    // The group still works, under whatever limit the race left.
    ASSERT_EQ(EG_OK, eg_group_set_limit(raw, -1, nullptr));
    ASSERT_EQ(EG_OK, eg_group_go(raw, noop, nullptr));
    EXPECT_EQ(nullptr, eg_group_wait(raw));
  }
}

TEST(LimitBound, FirstErrorWithLimit) {
  GroupAndContext gc = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(EG_OK, eg_group_set_limit(gc.group.get(), 2, nullptr));
  eg_error* err = eg_error_new(1, "limited failure");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [i, err](eg_context*) -> eg_error* {
                return i == 3 ? err : nullptr;
              }));
  }
  EXPECT_EQ(err, eg_group_wait(gc.group.get()));
  EXPECT_EQ(err, eg_context_cause(gc.ctx.get()));
}

}  // namespace
