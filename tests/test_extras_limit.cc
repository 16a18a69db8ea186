/* SPDX-License-Identifier: BSD-3-Clause */
// eg_group_resize_limit (issue 14, feature 7): raising admits the oldest
// blocked callers and queued admissions at once and in order; lowering
// stops nothing and takes effect as tasks return; a negative limit admits
// everybody; no barging by try_go; concurrent resizes against go and try_go
// (run under ThreadSanitizer); from a task, with no limit, in worker mode,
// after reuse, in a forked child, and bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "errgroup_async.h"
#include "helpers.h"

namespace egtest {
namespace {

int Blocked(eg_group *g) { return eg_testing_blocked_go_callers(g); }

// Starts a thread whose eg_group_go blocks at the limit, and waits until it
// is queued (so several of them queue in a known order). `done` is set once
// its go has returned. The task waits for `hold`, if given, so that its
// slot is not passed on.
std::thread BlockedGo(eg_group *g, std::atomic<int> *done,
                      Gate *hold = nullptr) {
  int before = Blocked(g);
  std::thread t([g, done, hold] {
    EXPECT_EQ(EG_OK, GoFn(g, [hold](eg_context *) {
                if (hold != nullptr) hold->Wait();
                return nullptr;
              }));
    done->store(1);
  });
  EXPECT_TRUE(WaitUntil([&] { return Blocked(g) == before + 1; }));
  return t;
}

TEST(ResizeLimit, RaisingAdmitsTheOldestBlockedCallersInOrder) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  std::atomic<int> done[3] = {{0}, {0}, {0}};
  std::vector<std::thread> callers;
  for (auto &d : done) callers.push_back(BlockedGo(g.get(), &d, &release));
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 2));
  EXPECT_TRUE(WaitUntil([&] { return done[0].load() == 1; }));
  EXPECT_EQ(2, Blocked(g.get()));  // the others keep their places
  EXPECT_EQ(0, done[1].load() + done[2].load());
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 3));
  EXPECT_TRUE(WaitUntil([&] { return done[1].load() == 1; }));
  EXPECT_EQ(1, Blocked(g.get()));
  EXPECT_EQ(0, done[2].load());
  release.Open();  // a held task's slot goes to the last caller
  for (auto &t : callers) t.join();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// Queued admissions are told in their order, on the resizing thread, before
// resize returns, interleaved with blocked go callers as they queued.
struct Admissions {
  std::mutex mu;
  std::vector<int> order;
  static void Admitted(void *arg) {
    auto *slot = static_cast<std::pair<Admissions *, int> *>(arg);
    std::lock_guard<std::mutex> lock(slot->first->mu);
    slot->first->order.push_back(slot->second);
  }
};

TEST(ResizeLimit, RaisingAdmitsQueuedAdmissionsInOrder) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 0, nullptr));
  Admissions a;
  std::vector<std::pair<Admissions *, int>> slots;
  for (int i = 0; i < 4; ++i) slots.emplace_back(&a, i);
  for (auto &slot : slots)
    ASSERT_EQ(0, eg_group_admit(g.get(), Admissions::Admitted, &slot));
  EXPECT_EQ(4, Blocked(g.get()));
  EXPECT_EQ(0, eg_group_try_admit(g.get()));
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 3));
  EXPECT_EQ((std::vector<int>{0, 1, 2}), a.order);
  EXPECT_EQ(0, eg_group_idle(g.get()));                    // counted active
  EXPECT_EQ(0, eg_group_try_admit(g.get()));               // no barging past #3
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));  // #3 now
  EXPECT_EQ((std::vector<int>{0, 1, 2, 3}), a.order);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(1, eg_group_try_admit(g.get()));  // a slot is free again
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(ResizeLimit, NoBargingByTryGoAfterARaise) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  std::atomic<int> done[2] = {{0}, {0}};
  std::thread first = BlockedGo(g.get(), &done[0], &release);
  std::thread second = BlockedGo(g.get(), &done[1], &release);
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 2));
  // The raise's slot went to the oldest caller; the second is still owed.
  EXPECT_EQ(0, TryGoFn(g.get(), [](eg_context *) { return nullptr; }));
  release.Open();
  first.join();
  second.join();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// Lowering stops nothing: the running tasks go on, and a blocked caller is
// admitted only once fewer tasks than the new limit run.
TEST(ResizeLimit, LoweringTakesEffectAsTasksReturn) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 4, nullptr));
  Latch running(4);
  std::vector<Gate> release(4);
  for (int i = 0; i < 4; ++i) {
    Gate *gate = &release[i];
    ASSERT_EQ(EG_OK, GoFn(g.get(), [&running, gate](eg_context *) {
                running.CountDown();
                gate->Wait();
                return nullptr;
              }));
  }
  running.Wait();
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 2));
  std::atomic<int> done{0};
  std::thread caller = BlockedGo(g.get(), &done);
  release[0].Open();  // 3 run: still at or over the limit
  release[1].Open();  // 2 run
  EXPECT_TRUE(StaysFalse([&] { return done.load() == 1; }));
  EXPECT_EQ(1, Blocked(g.get()));
  release[2].Open();  // 1 runs: the caller's task makes 2
  EXPECT_TRUE(WaitUntil([&] { return done.load() == 1; }));
  caller.join();
  release[3].Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, TryGoFn(g.get(), [](eg_context *) { return nullptr; }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(ResizeLimit, NegativeAdmitsEverybodyAndCanBeBoundedAgain) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 0, nullptr));
  std::atomic<int> done[3] = {{0}, {0}, {0}};
  std::vector<std::thread> callers;
  for (auto &d : done) callers.push_back(BlockedGo(g.get(), &d));
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), -1));
  for (auto &t : callers) t.join();
  EXPECT_EQ(0, Blocked(g.get()));
  // No limit now: many tasks run at once, go never blocks.
  Latch running(16);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 16, &running, &release));
  running.Wait();
  // Bounded again while 16 run: new callers wait for 15 of them.
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 1));
  EXPECT_EQ(0, TryGoFn(g.get(), [](eg_context *) { return nullptr; }));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, TryGoFn(g.get(), [](eg_context *) { return nullptr; }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(ResizeLimit, WithoutALimitItIsSetLimit) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), -1));  // nothing to do
  ASSERT_EQ(EG_OK, eg_group_resize_limit(g.get(), 1));   // idle: a new limit
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  EXPECT_EQ(0, TryGoFn(g.get(), [](eg_context *) { return nullptr; }));
  // set_limit keeps the reference behaviour: refused while a task is active.
  EXPECT_EQ(EG_EBUSY, eg_group_set_limit(g.get(), 3, nullptr));
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), -1, nullptr));  // removed
  EXPECT_EQ(EG_EBUSY, eg_group_resize_limit(g.get(), 2));  // no limit, active
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(EG_OK, eg_group_resize_limit(g.get(), 2));  // reuse after wait
  EXPECT_EQ(EG_OK, eg_group_set_limit(g.get(), 5, nullptr));
}

TEST(ResizeLimit, BadInputAndWorkerMode) {
  EXPECT_EQ(EG_EINVAL, eg_group_resize_limit(nullptr, 1));
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 2));
  EXPECT_EQ(EG_EINVAL, eg_group_resize_limit(g.get(), 1));
  EXPECT_EQ(EG_EINVAL, eg_group_resize_limit(g.get(), -1));
}

// A task raises its own group's limit, admitting a caller blocked on the
// slot that task holds.
TEST(ResizeLimit, FromATaskOfTheGroup) {
  GroupPtr g = NewGroup();
  eg_group *raw = g.get();
  ASSERT_EQ(EG_OK, eg_group_set_limit(raw, 1, nullptr));
  Latch running(1);
  Gate go_on;
  std::atomic<int> done{0};
  std::atomic<int> nested_rc{1};
  ASSERT_EQ(EG_OK, GoFn(raw, [&](eg_context *) {
              running.CountDown();
              go_on.Wait();
              nested_rc = eg_group_resize_limit(raw, 2);
              // The blocked caller's task and ours run together now.
              EXPECT_TRUE(WaitUntil([&] { return done.load() == 1; }));
              return nullptr;
            }));
  running.Wait();
  std::thread caller = BlockedGo(raw, &done);
  go_on.Open();
  caller.join();
  EXPECT_EQ(nullptr, eg_group_wait(raw));
  EXPECT_EQ(EG_OK, nested_rc.load());
}

// Resizes racing go and try_go (for ThreadSanitizer): every go returns, no
// task is lost, and no more tasks run at once than the largest limit set.
TEST(ResizeLimit, ConcurrentWithGoAndTryGo) {
  GroupPtr g = NewGroup();
  eg_group *raw = g.get();
  ASSERT_EQ(EG_OK, eg_group_set_limit(raw, 2, nullptr));
  std::atomic<int> now{0}, most{0}, ran{0}, started{0};
  std::atomic<bool> stop{false};
  TaskFn task = [&](eg_context *) -> eg_error * {
    int n = ++now;
    int m = most.load();
    while (n > m && !most.compare_exchange_weak(m, n)) {
    }
    for (int i = 0; i < 50; ++i) std::this_thread::yield();
    --now;
    ran++;
    return nullptr;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(EG_OK, GoFn(raw, task));
        started++;
      }
    });
  threads.emplace_back([&] {
    while (!stop.load())
      if (TryGoFn(raw, task) == 1) started++;
  });
  std::thread resizer([&] {
    for (int i = 0; i < 400; ++i) {
      EXPECT_EQ(EG_OK, eg_group_resize_limit(raw, 1 + i % 4));
      std::this_thread::yield();
    }
  });
  resizer.join();
  threads[0].join();
  threads[1].join();
  stop = true;
  threads[2].join();
  EXPECT_EQ(nullptr, eg_group_wait(raw));
  EXPECT_EQ(started.load(), ran.load());
  EXPECT_LE(most.load(), 4);
  EXPECT_EQ(0, Blocked(raw));
}

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

// In the child of a fork (see test_fork.cc for why sanitizers skip it).
TEST(ResizeLimit, InAForkedChild) {
#ifdef SANITIZED
  GTEST_SKIP() << "sanitizer runtimes do not support fork() with threads";
#endif
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context *) { return nullptr; }));
  ASSERT_EQ(nullptr, eg_group_wait(g.get()));  // the pool runs
  pid_t pid = fork();
  if (pid == 0) {
    static std::atomic<int> admitted{0};
    eg_group *child = nullptr;
    if (eg_group_new(&child) != EG_OK) _exit(1);
    if (eg_group_set_limit(child, 0, nullptr) != EG_OK) _exit(2);
    auto note = [](void *) { admitted++; };
    if (eg_group_admit(child, note, nullptr) != 0) _exit(3);
    if (eg_group_resize_limit(child, 1) != EG_OK) _exit(4);
    if (admitted.load() != 1) _exit(5);
    eg_group_external_done(child, nullptr);
    if (eg_group_wait(child) != nullptr) _exit(6);
    eg_group_free(child);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}

}  // namespace
}  // namespace egtest
