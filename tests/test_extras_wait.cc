/* SPDX-License-Identifier: BSD-3-Clause */
// eg_group_wait_timeout, eg_group_wait_deadline and eg_group_idle (issue
// 14, feature 4): timing out while tasks run and waiting again, the same
// result and effects as eg_group_wait once idle, many timed and untimed
// waiters at once, a free during a timed wait, waits from a task of the
// group, limits, worker mode, nested and external tasks, reuse, fork and bad
// input. Timeouts appear only where the timeout is what is tested; they are
// short when the wait must time out (the task is held by a gate, so the
// outcome never depends on the machine's speed) and unbounded when it must
// not.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "errgroup_async.h"
#include "helpers.h"

namespace egtest {
namespace {

// A timeout that must expire: some task is held by a gate meanwhile.
constexpr int64_t kShort = 5 * kMillisecond;

// Starts a task that counts `running` down and returns `error` (owned)
// once `release` opens.
void GoHeld(eg_group* g, Latch* running, Gate* release,
            eg_error* error = nullptr) {
  ASSERT_EQ(EG_OK, GoFn(g, [=](eg_context*) {
              running->CountDown();
              release->Wait();
              return error;
            }));
}

TEST(WaitTimeout, TimesOutWhileATaskRunsThenWaitsAgain) {
  auto gc = NewGroupWithContext(eg_context_background());
  Latch running(1);
  Gate release;
  GoHeld(gc.group.get(), &running, &release);
  running.Wait();
  eg_error* result = eg_error_nomem();
  EXPECT_EQ(EG_ETIMEDOUT,
            eg_group_wait_timeout(gc.group.get(), kShort, &result));
  EXPECT_EQ(nullptr, result);
  EXPECT_EQ(0, eg_context_done(gc.ctx.get()));  // nothing canceled
  EXPECT_EQ(EG_ETIMEDOUT, eg_group_wait_timeout(gc.group.get(), 0, &result));
  EXPECT_EQ(EG_ETIMEDOUT,
            eg_group_wait_deadline(gc.group.get(), eg_now_ns() - 1, &result));
  EXPECT_EQ(0, eg_context_done(gc.ctx.get()));
  release.Open();
  EXPECT_EQ(EG_OK, eg_group_wait_timeout(gc.group.get(), -1, &result));
  EXPECT_EQ(nullptr, result);
  EXPECT_EQ(EG_ECANCELED, eg_context_err(gc.ctx.get()));  // as eg_group_wait
  EXPECT_EQ(0, eg_testing_group_waiters(gc.group.get()));
}

TEST(WaitTimeout, ReturnsTheFirstErrorLikeWait) {
  auto gc = NewGroupWithContext(eg_context_background());
  eg_error* err = eg_error_new(7, "first");
  Latch running(1);
  Gate release;
  GoHeld(gc.group.get(), &running, &release, err);
  release.Open();
  eg_error* result = nullptr;
  // A generous bound: the task is free to finish; it must, well before.
  ASSERT_EQ(EG_OK,
            eg_group_wait_timeout(gc.group.get(), 60 * kSecond, &result));
  EXPECT_EQ(err, result);
  EXPECT_EQ(err, eg_context_cause(gc.ctx.get()));
  EXPECT_EQ(err, eg_group_wait(gc.group.get()));  // sticky, as wait
  ASSERT_EQ(EG_OK, eg_group_wait_deadline(gc.group.get(), INT64_MAX, &result));
  EXPECT_EQ(err, result);
}

TEST(WaitTimeout, IdleGroupReturnsAtOnceEvenWithAPastDeadline) {
  GroupPtr g = NewGroup();
  eg_error* result = eg_error_nomem();
  EXPECT_EQ(EG_OK, eg_group_wait_deadline(g.get(), 0, &result));
  EXPECT_EQ(nullptr, result);
  EXPECT_EQ(EG_OK, eg_group_wait_timeout(g.get(), 0, &result));
  EXPECT_EQ(1, eg_group_idle(g.get()));
}

TEST(Idle, FollowsTheActiveTasks) {
  auto gc = NewGroupWithContext(eg_context_background());
  EXPECT_EQ(1, eg_group_idle(gc.group.get()));
  Latch running(1);
  Gate release;
  GoHeld(gc.group.get(), &running, &release);
  running.Wait();
  EXPECT_EQ(0, eg_group_idle(gc.group.get()));
  EXPECT_EQ(0, eg_context_done(gc.ctx.get()));
  release.Open();
  EXPECT_TRUE(WaitUntil([&] { return eg_group_idle(gc.group.get()) == 1; }));
  EXPECT_EQ(0, eg_context_done(gc.ctx.get()));  // idle cancels nothing
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
}

TEST(Idle, ErrorIsRecordedOnceIdle) {
  GroupPtr g = NewGroup();
  eg_error* err = eg_error_new(3, "x");
  ASSERT_EQ(EG_OK, GoFn(g.get(), [err](eg_context*) { return err; }));
  ASSERT_TRUE(WaitUntil([&] { return eg_group_idle(g.get()) == 1; }));
  eg_error* result = nullptr;
  ASSERT_EQ(EG_OK, eg_group_wait_timeout(g.get(), 0, &result));
  EXPECT_EQ(err, result);
}

// Timed waiters that time out, timed ones that do not and untimed ones, at
// once: each timed-out waiter leaves (the count of waiters goes back down)
// without disturbing the others, which all return once the task ends.
TEST(WaitTimeout, ManyTimedAndUntimedWaiters) {
  GroupPtr g = NewGroup();
  Latch running(1);
  Gate release;
  GoHeld(g.get(), &running, &release);
  running.Wait();
  constexpr int kEach = 3;
  std::atomic<int> timed_out{0}, ok{0};
  std::vector<std::thread> threads;
  Latch short_done(kEach);
  for (int i = 0; i < kEach; ++i) {
    threads.emplace_back([&] {  // times out, then waits for good
      eg_error* result = nullptr;
      if (eg_group_wait_timeout(g.get(), kShort, &result) == EG_ETIMEDOUT)
        timed_out++;
      short_done.CountDown();
      if (eg_group_wait_timeout(g.get(), -1, &result) == EG_OK) ok++;
    });
    threads.emplace_back([&] {
      if (eg_group_wait(g.get()) == nullptr) ok++;
    });
    threads.emplace_back([&] {
      eg_error* result = nullptr;
      if (eg_group_wait_timeout(g.get(), 600 * kSecond, &result) == EG_OK) ok++;
    });
  }
  short_done.Wait();
  EXPECT_EQ(kEach, timed_out.load());
  EXPECT_TRUE(WaitUntil(
      [&] { return eg_testing_group_waiters(g.get()) == 3 * kEach; }));
  release.Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(3 * kEach, ok.load());
  EXPECT_EQ(0, eg_testing_group_waiters(g.get()));
}

// The last waiter times out just as the last task ends, over and over: the
// waiters count and the sleeping bit stay consistent (a later untimed wait
// returns; a leftover waiter or a lost wake would hang or miscount).
TEST(WaitTimeout, TimeoutRacingTheLastFinisher) {
  GroupPtr g = NewGroup();
  for (int round = 0; round < 200; ++round) {
    ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
    eg_error* result = nullptr;
    int rc;
    while ((rc = eg_group_wait_timeout(g.get(), round % 3 * 1000, &result)) ==
           EG_ETIMEDOUT) {
    }
    ASSERT_EQ(EG_OK, rc);
    ASSERT_EQ(0, eg_testing_group_waiters(g.get()));
  }
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// eg_group_free while a timed wait is in progress is deferred until the
// wait leaves; the result stays valid for the waiting thread (as for
// eg_group_wait).
TEST(WaitTimeout, FreeDuringATimedWaitIsDeferred) {
  CountedErrors counted;
  eg_group* g = nullptr;
  ASSERT_EQ(EG_OK, eg_group_new(&g));
  Latch running(1);
  Gate release;
  GoHeld(g, &running, &release, counted.Make(9, "kept"));
  running.Wait();
  std::atomic<int> code{0};
  std::thread waiter([&] {
    eg_error* result = nullptr;
    if (eg_group_wait_timeout(g, -1, &result) == EG_OK)
      code = eg_error_code(result);  // still valid: kept for this thread
  });
  ASSERT_TRUE(WaitUntil([&] { return eg_testing_group_waiters(g) == 1; }));
  eg_group_free(g);
  release.Open();
  waiter.join();
  EXPECT_EQ(9, code.load());
  EXPECT_EQ(1, counted.released());  // at the waiter's exit
}

// The result an eg_group_wait kept for its thread (the group was freed
// during it) expires at the thread's next wait of any kind, a timed one on
// another group included, as the header says; until then it is valid.
TEST(WaitTimeout, ATimedWaitExpiresTheResultKeptByAWait) {
  CountedErrors counted;
  eg_group* g = nullptr;
  ASSERT_EQ(EG_OK, eg_group_new(&g));
  Latch running(1);
  Gate release;
  GoHeld(g, &running, &release, counted.Make(9, "kept"));
  running.Wait();
  std::atomic<int> code{0}, released_before{-1}, released_after{-1};
  std::thread waiter([&] {
    eg_error* kept = eg_group_wait(g);
    code = eg_error_code(kept);
    released_before = counted.released();
    GroupPtr other = NewGroup();
    eg_error* result = eg_error_nomem();
    EXPECT_EQ(EG_OK, eg_group_wait_timeout(other.get(), 0, &result));
    released_after = counted.released();
  });
  ASSERT_TRUE(WaitUntil([&] { return eg_testing_group_waiters(g) == 1; }));
  eg_group_free(g);
  release.Open();
  waiter.join();
  EXPECT_EQ(9, code.load());
  EXPECT_EQ(0, released_before.load());
  EXPECT_EQ(1, released_after.load());
}

// A timed wait that times out after the free: the group lives on until its
// task returns (ASan checks the accesses).
TEST(WaitTimeout, TimeoutAfterFreeLeavesTheGroupToItsTask) {
  eg_group* g = nullptr;
  ASSERT_EQ(EG_OK, eg_group_new(&g));
  // Shared with the task, which outlives this test's frame.
  auto running = std::make_shared<Latch>(1);
  auto release = std::make_shared<Gate>();
  ASSERT_EQ(EG_OK, GoFn(g, [running, release](eg_context*) {
              running->CountDown();
              release->Wait();
              return nullptr;
            }));
  running->Wait();
  std::atomic<int> rc{0};
  std::thread waiter([&] {
    eg_error* result = nullptr;
    rc = eg_group_wait_timeout(g, 20 * kMillisecond, &result);
  });
  ASSERT_TRUE(WaitUntil([&] { return eg_testing_group_waiters(g) == 1; }));
  eg_group_free(g);
  waiter.join();
  EXPECT_EQ(EG_ETIMEDOUT, rc.load());
  release->Open();  // the task's return frees the group
}

TEST(WaitTimeout, FromATaskOfTheGroup) {
  GroupPtr g = NewGroup();
  std::atomic<int> forever{0}, bounded{0};
  eg_group* raw = g.get();
  ASSERT_EQ(EG_OK, GoFn(raw, [&](eg_context*) {
              eg_error* result = eg_error_nomem();
              forever = eg_group_wait_timeout(raw, -1, &result);
              int rc = eg_group_wait_deadline(raw, INT64_MAX, &result);
              if (rc != EG_EDEADLK) forever = rc;
              bounded = eg_group_wait_timeout(raw, kMillisecond, &result);
              return nullptr;
            }));
  EXPECT_EQ(nullptr, eg_group_wait(raw));
  EXPECT_EQ(EG_EDEADLK, forever.load());
  EXPECT_EQ(EG_ETIMEDOUT, bounded.load());
}

TEST(WaitTimeout, BadInput) {
  GroupPtr g = NewGroup();
  eg_error* result = nullptr;
  EXPECT_EQ(EG_EINVAL, eg_group_wait_timeout(nullptr, 0, &result));
  EXPECT_EQ(EG_EINVAL, eg_group_wait_timeout(g.get(), 0, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_wait_deadline(nullptr, 0, &result));
  EXPECT_EQ(EG_EINVAL, eg_group_wait_deadline(g.get(), 0, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_idle(nullptr));
  // A huge timeout does not overflow into the past.
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
  EXPECT_EQ(EG_OK, eg_group_wait_timeout(g.get(), INT64_MAX, &result));
}

// A go caller blocked at the limit is not active: a timed wait does not
// wait for it; tasks admitted later are waited for again.
TEST(WaitTimeout, WithALimit) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release;
  GoHeld(g.get(), &running, &release);
  running.Wait();
  std::thread blocked([&] {
    EXPECT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
  });
  ASSERT_TRUE(
      WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }));
  eg_error* result = nullptr;
  EXPECT_EQ(EG_ETIMEDOUT, eg_group_wait_timeout(g.get(), kShort, &result));
  release.Open();
  blocked.join();
  EXPECT_EQ(EG_OK, eg_group_wait_timeout(g.get(), -1, &result));
  EXPECT_EQ(1, eg_group_idle(g.get()));
}

// Queued tasks of worker mode count as active; a bounded timed wait does
// not run them itself but waits for the worker.
TEST(WaitTimeout, WorkerModeQueuedTasksCount) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  Latch running(1);
  Gate release;
  GoHeld(g.get(), &running, &release);
  std::atomic<int> ran{0};
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
                ran++;
                return nullptr;
              }));
  running.Wait();
  eg_error* result = nullptr;
  EXPECT_EQ(EG_ETIMEDOUT, eg_group_wait_timeout(g.get(), kShort, &result));
  EXPECT_EQ(0, eg_group_idle(g.get()));
  EXPECT_EQ(0, ran.load());
  release.Open();
  EXPECT_EQ(EG_OK, eg_group_wait_timeout(g.get(), -1, &result));
  EXPECT_EQ(4, ran.load());
}

class WaitTimeoutFaults : public FaultModeTest {};

// A worker-mode task the pool cannot start (no thread exists or can be
// made) stays queued for a thread in eg_group_wait to run (see
// eg_group_set_workers). An unbounded timed wait has no time to overrun:
// it must run it as eg_group_wait does, not hang. (The bound only detects
// the hang; the rescue then lets the thread go.)
TEST_P(WaitTimeoutFaults, UnboundedWaitRunsAQueuedTaskThePoolCannotStart) {
  ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
  FailThreads(0);
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  ASSERT_EQ(1, eg_group_try_admit(g.get()));  // an external task holds it
  std::atomic<bool> ran{false};
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {  // queued
              ran = true;
              return nullptr;
            }));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));  // not startable
  std::atomic<int> rc{1};
  Latch returned(1);
  std::thread waiter([&] {
    eg_error* result = eg_error_nomem();
    rc = eg_group_wait_timeout(g.get(), -1, &result);
    returned.CountDown();
  });
  bool in_time = returned.WaitFor(kEventBound);
  if (!in_time) {
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));  // the rescue
  }
  waiter.join();
  StopFaults();
  EXPECT_TRUE(in_time) << "the unbounded timed wait hung";
  EXPECT_EQ(EG_OK, rc.load());
  EXPECT_TRUE(ran.load());
}

INSTANTIATE_FAULT_MODES(WaitTimeoutFaults);

TEST(WaitTimeout, NestedTasksAndReuse) {
  GroupPtr g = NewGroup();
  eg_group* raw = g.get();
  for (int round = 0; round < 3; ++round) {
    Latch running(1);
    Gate release;
    ASSERT_EQ(EG_OK, GoFn(raw, [&](eg_context*) {
                GoHeld(raw, &running, &release);
                return nullptr;
              }));
    running.Wait();
    eg_error* result = nullptr;
    EXPECT_EQ(EG_ETIMEDOUT, eg_group_wait_timeout(raw, kShort, &result));
    release.Open();
    EXPECT_EQ(EG_OK, eg_group_wait_timeout(raw, -1, &result));
    EXPECT_EQ(nullptr, result);
  }
}

TEST(WaitTimeout, ExternalTasks) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(1, eg_group_try_admit(g.get()));
  eg_error* result = nullptr;
  EXPECT_EQ(0, eg_group_idle(g.get()));
  EXPECT_EQ(EG_ETIMEDOUT, eg_group_wait_timeout(g.get(), kShort, &result));
  eg_error* err = eg_error_new(4, "external");
  std::thread done([&] { eg_group_external_done(g.get(), err); });
  EXPECT_EQ(EG_OK, eg_group_wait_timeout(g.get(), -1, &result));
  EXPECT_EQ(err, result);
  done.join();
}

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

// In the child of a fork (see test_fork.cc for why sanitizers skip it).
TEST(WaitTimeout, InAForkedChild) {
#ifdef SANITIZED
  GTEST_SKIP() << "sanitizer runtimes do not support fork() with threads";
#endif
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
  ASSERT_EQ(nullptr, eg_group_wait(g.get()));  // the pool runs
  pid_t pid = fork();
  if (pid == 0) {
    static std::atomic<int> go_on{0};
    eg_group* child = nullptr;
    if (eg_group_new(&child) != EG_OK) _exit(1);
    auto held = [](eg_context*, void*) -> eg_error* {
      while (go_on.load() == 0) sched_yield();
      return nullptr;
    };
    if (eg_group_go(child, held, nullptr) != EG_OK) _exit(2);
    eg_error* result = nullptr;
    if (eg_group_wait_timeout(child, kMillisecond, &result) != EG_ETIMEDOUT)
      _exit(3);
    go_on = 1;
    if (eg_group_wait_timeout(child, -1, &result) != EG_OK) _exit(4);
    if (eg_group_idle(child) != 1) _exit(5);
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
