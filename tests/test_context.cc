/* SPDX-License-Identifier: BSD-3-Clause */
// Contexts: cancellation and cause, first cancel wins, propagation from
// parent to child (never upward), deadlines and timeouts, eg_context_wait,
// the readiness fd, and after-functions.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "helpers.h"

namespace {

using namespace egtest;

bool FdReadable(int fd, int timeout_ms) {
  struct pollfd pfd = {fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&pfd, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc == 1 && (pfd.revents & POLLIN);
}

const int kEventBoundMs = static_cast<int>(kEventBound.count());

// ---------------------------------------------------------------------------
// Background
// ---------------------------------------------------------------------------

TEST(Background, IsNeverDone) {
  eg_context* bg = eg_context_background();
  ASSERT_NE(nullptr, bg);
  EXPECT_EQ(bg, eg_context_background());
  EXPECT_EQ(0, eg_context_done(bg));
  EXPECT_EQ(0, eg_context_err(bg));
  EXPECT_EQ(nullptr, eg_context_cause(bg));
  int64_t deadline = 12345;
  EXPECT_EQ(0, eg_context_deadline(bg, &deadline));
}

TEST(Background, RetainAndReleaseAreIgnored) {
  eg_context* bg = eg_context_background();
  EXPECT_EQ(bg, eg_context_retain(bg));
  for (int i = 0; i < 5; ++i) eg_context_release(bg);
  EXPECT_EQ(0, eg_context_done(bg));
  ContextPtr child = NewCancelContext(bg);  // still usable
  EXPECT_EQ(0, eg_context_done(child.get()));
}

TEST(Background, CannotBeCanceled) {
  EXPECT_EQ(EG_EINVAL, eg_context_cancel(eg_context_background(), nullptr));
  EXPECT_EQ(0, eg_context_done(eg_context_background()));
}

TEST(Background, WaitForeverIsRefusedButTimedWaitTimesOut) {
  EXPECT_EQ(EG_EINVAL, eg_context_wait(eg_context_background(), -1));
  EXPECT_EQ(EG_ETIMEDOUT, eg_context_wait(eg_context_background(), 0));
  EXPECT_EQ(EG_ETIMEDOUT,
            eg_context_wait(eg_context_background(), kMillisecond));
}

// ---------------------------------------------------------------------------
// Cancel and cause
// ---------------------------------------------------------------------------

TEST(Cancel, NewContextIsNotDone) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(0, eg_context_done(ctx.get()));
  EXPECT_EQ(0, eg_context_err(ctx.get()));
  EXPECT_EQ(nullptr, eg_context_cause(ctx.get()));
  int64_t deadline = 0;
  EXPECT_EQ(0, eg_context_deadline(ctx.get(), &deadline));
  EXPECT_EQ(EG_ETIMEDOUT, eg_context_wait(ctx.get(), 0));
}

TEST(Cancel, WithoutCauseGivesCanceled) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  EXPECT_EQ(1, eg_context_done(ctx.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(ctx.get()));
  EXPECT_STREQ("context canceled", eg_strerror(eg_context_err(ctx.get())));
  EXPECT_EQ(eg_error_canceled(), eg_context_cause(ctx.get()));
  EXPECT_EQ(EG_OK, eg_context_wait(ctx.get(), 0));
  EXPECT_EQ(EG_OK, eg_context_wait(ctx.get(), -1));
}

TEST(Cancel, CauseIsTheVeryObjectGiven) {
  CountedErrors counted;
  eg_error* cause = counted.Make(99, "boom");
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), cause));
  EXPECT_EQ(cause, eg_context_cause(ctx.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(ctx.get()));

  // The context took its own reference; the caller keeps its one.
  eg_error_release(cause);
  EXPECT_EQ(0, counted.released());
  EXPECT_EQ(cause, eg_context_cause(ctx.get()));
  EXPECT_STREQ("boom", eg_error_message(eg_context_cause(ctx.get())));
  ctx.reset();
  EXPECT_EQ(1, counted.released());
}

TEST(Cancel, FirstCancelWinsAndLaterCausesAreNotKept) {
  CountedErrors counted;
  eg_error* first = counted.Make(1, "first");
  eg_error* second = counted.Make(2, "second");
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), first));
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), second))
      << "cancelling a done context does nothing, it is no error";
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  EXPECT_EQ(first, eg_context_cause(ctx.get()));
  eg_error_release(first);
  eg_error_release(second);
  EXPECT_EQ(1, counted.released()) << "the losing cause was retained";
  ctx.reset();
  EXPECT_EQ(2, counted.released());
}

TEST(Cancel, ConcurrentCancelsAgreeOnOneCause) {
  constexpr int kThreads = 4;
  for (int round = 0; round < 50; ++round) {
    CountedErrors counted;
    std::vector<eg_error*> causes;
    for (int i = 0; i < kThreads; ++i) causes.push_back(counted.Make(i));
    ContextPtr ctx = NewCancelContext(eg_context_background());
    Latch start(1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.Wait();
        EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), causes[i]));
        // Every canceller sees the same, already-settled cause.
        eg_error* seen = eg_context_cause(ctx.get());
        EXPECT_NE(nullptr, seen);
      });
    }
    start.CountDown();
    for (auto& t : threads) t.join();
    eg_error* winner = eg_context_cause(ctx.get());
    EXPECT_EQ(1u, std::count(causes.begin(), causes.end(), winner));
    for (eg_error* c : causes) eg_error_release(c);
    EXPECT_EQ(kThreads - 1, counted.released());
    ctx.reset();
    EXPECT_EQ(kThreads, counted.released());
  }
}

TEST(Cancel, WaitReturnsWhenAnotherThreadCancels) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  std::atomic<int> result{1};
  Latch waiting(1);
  std::thread waiter([&] {
    waiting.CountDown();
    result = eg_context_wait(ctx.get(), -1);
  });
  waiting.Wait();
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  waiter.join();
  EXPECT_EQ(EG_OK, result.load());
}

TEST(Cancel, ManyWaitersAllWakeUp) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  constexpr int kWaiters = 8;
  std::atomic<int> woke{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      if (eg_context_wait(ctx.get(), -1) == EG_OK) woke++;
    });
  }
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  for (auto& t : waiters) t.join();
  EXPECT_EQ(kWaiters, woke.load());
}

TEST(Cancel, TimedWaitTimesOutNoEarlierThanAsked) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  const int64_t timeout = 20 * kMillisecond;
  int64_t start = eg_now_ns();
  EXPECT_EQ(EG_ETIMEDOUT, eg_context_wait(ctx.get(), timeout));
  int64_t elapsed = eg_now_ns() - start;
  EXPECT_GE(elapsed, timeout) << "a timed wait returned early";
  // Generous upper bound: sanitizers and 2 busy cores can delay wake-ups.
  EXPECT_LT(elapsed, 10 * kSecond);
  EXPECT_EQ(0, eg_context_done(ctx.get()));
}

TEST(Cancel, RetainKeepsContextAlive) {
  eg_context* ctx = nullptr;
  ASSERT_EQ(EG_OK, eg_context_with_cancel(eg_context_background(), &ctx));
  EXPECT_EQ(ctx, eg_context_retain(ctx));
  eg_context_release(ctx);
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx, nullptr));  // still alive
  EXPECT_EQ(1, eg_context_done(ctx));
  eg_context_release(ctx);
}

// ---------------------------------------------------------------------------
// Propagation: parent to child, never upward
// ---------------------------------------------------------------------------

TEST(Propagation, ParentCancelReachesDescendantsWithItsCause) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewCancelContext(parent.get());
  ContextPtr grandchild = NewCancelContext(child.get());
  ContextPtr timed_child = NewTimeoutContext(parent.get(), 3600 * kSecond);
  eg_error* cause = eg_error_new(5, "parent cause");

  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), cause));
  for (eg_context* c : {child.get(), grandchild.get(), timed_child.get()}) {
    EXPECT_EQ(1, eg_context_done(c));
    EXPECT_EQ(EG_ECANCELED, eg_context_err(c));
    EXPECT_EQ(cause, eg_context_cause(c));
  }
  eg_error_release(cause);
}

TEST(Propagation, ChildCancelNeverReachesParentOrSibling) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewCancelContext(parent.get());
  ContextPtr sibling = NewCancelContext(parent.get());
  ContextPtr grandchild = NewCancelContext(child.get());

  EXPECT_EQ(EG_OK, eg_context_cancel(child.get(), nullptr));
  EXPECT_EQ(1, eg_context_done(child.get()));
  EXPECT_EQ(1, eg_context_done(grandchild.get()));
  EXPECT_EQ(0, eg_context_done(parent.get()));
  EXPECT_EQ(0, eg_context_done(sibling.get()));
  EXPECT_EQ(0, eg_context_done(eg_context_background()));
}

TEST(Propagation, ChildCanceledFirstKeepsItsOwnCause) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewCancelContext(parent.get());
  eg_error* child_cause = eg_error_new(1, "child");
  eg_error* parent_cause = eg_error_new(2, "parent");
  EXPECT_EQ(EG_OK, eg_context_cancel(child.get(), child_cause));
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), parent_cause));
  EXPECT_EQ(child_cause, eg_context_cause(child.get()));
  EXPECT_EQ(parent_cause, eg_context_cause(parent.get()));
  eg_error_release(child_cause);
  eg_error_release(parent_cause);
}

TEST(Propagation, ChildOfDoneParentIsBornCanceledWithParentCause) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  eg_error* cause = eg_error_new(3, "already");
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), cause));
  ContextPtr child = NewCancelContext(parent.get());
  EXPECT_EQ(1, eg_context_done(child.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(child.get()));
  EXPECT_EQ(cause, eg_context_cause(child.get()));
  ContextPtr timed = NewTimeoutContext(parent.get(), 3600 * kSecond);
  EXPECT_EQ(1, eg_context_done(timed.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(timed.get()));
  EXPECT_EQ(cause, eg_context_cause(timed.get()));
  eg_error_release(cause);
}

TEST(Propagation, ReleasingParentLeavesChildrenValidAndNotCanceled) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewCancelContext(parent.get());
  ContextPtr grandchild = NewCancelContext(child.get());
  parent.reset();
  EXPECT_EQ(0, eg_context_done(child.get()));
  EXPECT_EQ(0, eg_context_done(grandchild.get()));
  EXPECT_EQ(EG_OK, eg_context_cancel(child.get(), nullptr));
  EXPECT_EQ(1, eg_context_done(grandchild.get()));
}

TEST(Propagation, ReleasingChildThenCancellingParentIsSafe) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  for (int i = 0; i < 100; ++i) NewCancelContext(parent.get()).reset();
  ContextPtr kept = NewCancelContext(parent.get());
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr));
  EXPECT_EQ(1, eg_context_done(kept.get()));
}

TEST(Propagation, ConcurrentChildCreationAndParentCancel) {
  // Every child, made before or after the cancel, ends up canceled.
  for (int round = 0; round < 20; ++round) {
    ContextPtr parent = NewCancelContext(eg_context_background());
    constexpr int kMakers = 3, kPerMaker = 30;
    std::vector<std::vector<ContextPtr>> made(kMakers);
    Latch start(1);
    std::vector<std::thread> makers;
    for (int m = 0; m < kMakers; ++m) {
      makers.emplace_back([&, m] {
        start.Wait();
        for (int i = 0; i < kPerMaker; ++i)
          made[m].push_back(NewCancelContext(parent.get()));
      });
    }
    start.CountDown();
    EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr));
    for (auto& t : makers) t.join();
    for (auto& v : made)
      for (auto& c : v) EXPECT_EQ(1, eg_context_done(c.get()));
  }
}

// ---------------------------------------------------------------------------
// Deadlines and timeouts
// ---------------------------------------------------------------------------

TEST(Deadline, TimeoutFiresWithDeadlineExceeded) {
  // The 50 ms timeout must fire within kEventBound (10 s): generous because
  // sanitizers and 2 loaded cores can delay the timer thread a lot.
  int64_t before = eg_now_ns();
  ContextPtr ctx = NewTimeoutContext(eg_context_background(), 50 * kMillisecond);
  ASSERT_EQ(EG_OK, eg_context_wait(ctx.get(), 10 * kSecond));
  int64_t elapsed = eg_now_ns() - before;
  EXPECT_GE(elapsed, 50 * kMillisecond) << "the deadline fired early";
  EXPECT_EQ(1, eg_context_done(ctx.get()));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(ctx.get()));
  EXPECT_STREQ("context deadline exceeded",
               eg_strerror(eg_context_err(ctx.get())));
  EXPECT_EQ(eg_error_deadline_exceeded(), eg_context_cause(ctx.get()));
}

TEST(Deadline, ReportsTheDeadlineGiven) {
  int64_t deadline = eg_now_ns() + 3600 * kSecond;
  ContextPtr ctx = NewDeadlineContext(eg_context_background(), deadline);
  int64_t got = 0;
  EXPECT_EQ(1, eg_context_deadline(ctx.get(), &got));
  EXPECT_EQ(deadline, got);
  EXPECT_EQ(0, eg_context_done(ctx.get()));
}

TEST(Deadline, TimeoutIsNowPlusTimeout) {
  int64_t before = eg_now_ns();
  ContextPtr ctx = NewTimeoutContext(eg_context_background(), 3600 * kSecond);
  int64_t after = eg_now_ns();
  int64_t got = 0;
  ASSERT_EQ(1, eg_context_deadline(ctx.get(), &got));
  EXPECT_GE(got, before + 3600 * kSecond);
  EXPECT_LE(got, after + 3600 * kSecond);
}

TEST(Deadline, PastDeadlineCancelsAtOnce) {
  ContextPtr past = NewDeadlineContext(eg_context_background(),
                                       eg_now_ns() - kSecond);
  EXPECT_EQ(1, eg_context_done(past.get()));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(past.get()));
  EXPECT_EQ(eg_error_deadline_exceeded(), eg_context_cause(past.get()));

  ContextPtr zero = NewTimeoutContext(eg_context_background(), 0);
  EXPECT_EQ(1, eg_context_done(zero.get()));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(zero.get()));

  ContextPtr negative = NewTimeoutContext(eg_context_background(), -kSecond);
  EXPECT_EQ(1, eg_context_done(negative.get()));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(negative.get()));
}

TEST(Deadline, ChildNeverLaterThanParent) {
  int64_t parent_deadline = eg_now_ns() + 3600 * kSecond;
  ContextPtr parent =
      NewDeadlineContext(eg_context_background(), parent_deadline);
  ContextPtr later =
      NewDeadlineContext(parent.get(), parent_deadline + 3600 * kSecond);
  int64_t got = 0;
  ASSERT_EQ(1, eg_context_deadline(later.get(), &got));
  EXPECT_EQ(parent_deadline, got) << "child deadline later than parent's";

  ContextPtr earlier =
      NewDeadlineContext(parent.get(), parent_deadline - 60 * kSecond);
  ASSERT_EQ(1, eg_context_deadline(earlier.get(), &got));
  EXPECT_EQ(parent_deadline - 60 * kSecond, got);
}

TEST(Deadline, CancelChildSeesParentDeadline) {
  // Go: a WithCancel child reports its parent's deadline.
  int64_t parent_deadline = eg_now_ns() + 3600 * kSecond;
  ContextPtr parent =
      NewDeadlineContext(eg_context_background(), parent_deadline);
  ContextPtr child = NewCancelContext(parent.get());
  int64_t got = 0;
  ASSERT_EQ(1, eg_context_deadline(child.get(), &got));
  EXPECT_EQ(parent_deadline, got);
}

TEST(Deadline, ParentDeadlineCancelsChildWithLaterDeadline) {
  // Bounded by kEventBound, see TimeoutFiresWithDeadlineExceeded.
  ContextPtr parent =
      NewTimeoutContext(eg_context_background(), 50 * kMillisecond);
  ContextPtr child = NewTimeoutContext(parent.get(), 3600 * kSecond);
  ContextPtr plain_child = NewCancelContext(parent.get());
  ASSERT_EQ(EG_OK, eg_context_wait(child.get(), 10 * kSecond));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(child.get()));
  EXPECT_EQ(eg_error_deadline_exceeded(), eg_context_cause(child.get()));
  ASSERT_EQ(EG_OK, eg_context_wait(plain_child.get(), 10 * kSecond));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(plain_child.get()));
}

TEST(Deadline, ChildDeadlineDoesNotCancelParent) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewTimeoutContext(parent.get(), kMillisecond);
  ASSERT_EQ(EG_OK, eg_context_wait(child.get(), 10 * kSecond));
  EXPECT_EQ(0, eg_context_done(parent.get()));
}

TEST(Deadline, CancelBeforeDeadlineWinsForever) {
  // The first deadline of the process starts the timer thread (and sets up
  // the library), slow under sanitizers: not inside the 30 ms below.
  NewTimeoutContext(eg_context_background(), kSecond).reset();
  eg_error* cause = eg_error_new(8, "early");
  ContextPtr ctx = NewTimeoutContext(eg_context_background(), 30 * kMillisecond);
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), cause));
  // Let the deadline pass (a timed event, bounded generously).
  ContextPtr later = NewTimeoutContext(eg_context_background(), 60 * kMillisecond);
  ASSERT_EQ(EG_OK, eg_context_wait(later.get(), 10 * kSecond));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(ctx.get()));
  EXPECT_EQ(cause, eg_context_cause(ctx.get()));
  eg_error_release(cause);
}

TEST(Deadline, ReleasingTimedContextBeforeItFiresIsSafe) {
  for (int i = 0; i < 50; ++i)
    NewTimeoutContext(eg_context_background(), 5 * kMillisecond).reset();
  for (int i = 0; i < 50; ++i)
    NewTimeoutContext(eg_context_background(), 3600 * kSecond).reset();
  // One that does fire, after the others were released.
  ContextPtr ctx = NewTimeoutContext(eg_context_background(), 20 * kMillisecond);
  EXPECT_EQ(EG_OK, eg_context_wait(ctx.get(), 10 * kSecond));
}

TEST(Deadline, ManyDeadlinesFireInAnyOrderOfCreation) {
  // Made in decreasing deadline order; all must fire.
  std::vector<ContextPtr> ctxs;
  for (int i = 10; i > 0; --i)
    ctxs.push_back(NewTimeoutContext(eg_context_background(),
                                     i * 5 * kMillisecond));
  for (auto& c : ctxs) {
    ASSERT_EQ(EG_OK, eg_context_wait(c.get(), 10 * kSecond));
    EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(c.get()));
  }
}

TEST(Clock, IsMonotonic) {
  int64_t prev = eg_now_ns();
  for (int i = 0; i < 1000; ++i) {
    int64_t now = eg_now_ns();
    EXPECT_GE(now, prev);
    prev = now;
  }
}

// ---------------------------------------------------------------------------
// The fd
// ---------------------------------------------------------------------------

TEST(Fd, BecomesReadableOnCancelAndStaysReadable) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  int fd = eg_context_fd(ctx.get());
  ASSERT_GE(fd, 0);
  EXPECT_EQ(fd, eg_context_fd(ctx.get())) << "the fd is made once";
  EXPECT_FALSE(FdReadable(fd, 0));
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  EXPECT_TRUE(FdReadable(fd, kEventBoundMs));
  EXPECT_TRUE(FdReadable(fd, 0)) << "readability must persist";
  EXPECT_TRUE(FdReadable(fd, 0));
}

TEST(Fd, MadeAfterCancelIsReadableAtOnce) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  int fd = eg_context_fd(ctx.get());
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(FdReadable(fd, 0));
}

TEST(Fd, ChildFdReadableWhenParentCanceled) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewCancelContext(parent.get());
  int fd = eg_context_fd(child.get());
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(FdReadable(fd, 0));
  std::thread canceller(
      [&] { EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr)); });
  EXPECT_TRUE(FdReadable(fd, kEventBoundMs));
  canceller.join();
}

TEST(Fd, ReadableWhenDeadlinePasses) {
  ContextPtr ctx = NewTimeoutContext(eg_context_background(), 30 * kMillisecond);
  int fd = eg_context_fd(ctx.get());
  ASSERT_GE(fd, 0);
  // Bounded generously (10 s), see TimeoutFiresWithDeadlineExceeded.
  EXPECT_TRUE(FdReadable(fd, kEventBoundMs));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(ctx.get()));
}

TEST(Fd, DistinctContextsHaveDistinctFds) {
  ContextPtr a = NewCancelContext(eg_context_background());
  ContextPtr b = NewCancelContext(eg_context_background());
  int fa = eg_context_fd(a.get());
  int fb = eg_context_fd(b.get());
  ASSERT_GE(fa, 0);
  ASSERT_GE(fb, 0);
  EXPECT_NE(fa, fb);
  EXPECT_EQ(EG_OK, eg_context_cancel(a.get(), nullptr));
  EXPECT_TRUE(FdReadable(fa, kEventBoundMs));
  EXPECT_FALSE(FdReadable(fb, 0));
}

// ---------------------------------------------------------------------------
// After-functions
// ---------------------------------------------------------------------------

struct AfterProbe {
  std::atomic<int> runs{0};
  Latch ran{1};
  static void Run(void* arg) {
    auto* self = static_cast<AfterProbe*>(arg);
    self->runs++;
    self->ran.CountDown();
  }
};

TEST(AfterFunc, RunsOnceAfterCancel) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  AfterProbe probe;
  eg_after_func* handle = nullptr;
  ASSERT_EQ(EG_OK, eg_context_after_func(ctx.get(), AfterProbe::Run, &probe,
                                         &handle));
  ASSERT_NE(nullptr, handle);
  EXPECT_EQ(0, probe.runs.load()) << "ran before the context was done";
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  ASSERT_TRUE(probe.ran.WaitFor(kEventBound));
  EXPECT_EQ(0, eg_after_func_stop(handle)) << "fn had already started";
  EXPECT_EQ(1, probe.runs.load());
}

TEST(AfterFunc, RunsAtOnceIfAlreadyDone) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  AfterProbe probe;
  ASSERT_EQ(EG_OK,
            eg_context_after_func(ctx.get(), AfterProbe::Run, &probe, nullptr));
  ASSERT_TRUE(probe.ran.WaitFor(kEventBound));
  EXPECT_EQ(1, probe.runs.load());
}

TEST(AfterFunc, RunsWhenParentCanceledOrDeadlinePasses) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  ContextPtr child = NewCancelContext(parent.get());
  ContextPtr timed = NewTimeoutContext(eg_context_background(), 20 * kMillisecond);
  AfterProbe on_child, on_timed;
  ASSERT_EQ(EG_OK, eg_context_after_func(child.get(), AfterProbe::Run,
                                         &on_child, nullptr));
  ASSERT_EQ(EG_OK, eg_context_after_func(timed.get(), AfterProbe::Run,
                                         &on_timed, nullptr));
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), nullptr));
  EXPECT_TRUE(on_child.ran.WaitFor(kEventBound));
  EXPECT_TRUE(on_timed.ran.WaitFor(kEventBound));  // deadline: 10 s bound
}

TEST(AfterFunc, StopBeforeCancelReturnsOneAndFnNeverRuns) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  AfterProbe stopped, sentinel;
  eg_after_func* handle = nullptr;
  ASSERT_EQ(EG_OK, eg_context_after_func(ctx.get(), AfterProbe::Run, &stopped,
                                         &handle));
  EXPECT_EQ(1, eg_after_func_stop(handle));
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  // Registered after the cancel: runs at once. Once it has run, a stopped
  // fn that was wrongly scheduled by the cancel has had every chance too.
  ASSERT_EQ(EG_OK, eg_context_after_func(ctx.get(), AfterProbe::Run,
                                         &sentinel, nullptr));
  ASSERT_TRUE(sentinel.ran.WaitFor(kEventBound));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  EXPECT_EQ(0, stopped.runs.load());
}

TEST(AfterFunc, StopAfterRunReturnsZero) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  AfterProbe probe;
  eg_after_func* handle = nullptr;
  ASSERT_EQ(EG_OK, eg_context_after_func(ctx.get(), AfterProbe::Run, &probe,
                                         &handle));
  ASSERT_TRUE(probe.ran.WaitFor(kEventBound));
  EXPECT_EQ(0, eg_after_func_stop(handle));
}

TEST(AfterFunc, StopWhileFnIsRunningReturnsZero) {
  ContextPtr ctx = NewCancelContext(eg_context_background());
  Latch started(1);
  Gate finish;
  struct Arg {
    Latch* started;
    Gate* finish;
  } arg{&started, &finish};
  eg_after_func* handle = nullptr;
  ASSERT_EQ(EG_OK, eg_context_after_func(
                       ctx.get(),
                       [](void* p) {
                         auto* a = static_cast<Arg*>(p);
                         a->started->CountDown();
                         a->finish->Wait();
                       },
                       &arg, &handle));
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  ASSERT_TRUE(started.WaitFor(kEventBound));
  EXPECT_EQ(0, eg_after_func_stop(handle));
  finish.Open();
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
}

TEST(AfterFunc, ManyRunExactlyOnceEach) {
  constexpr int kFuncs = 100;
  ContextPtr ctx = NewCancelContext(eg_context_background());
  std::vector<std::atomic<int>> runs(kFuncs);
  Latch all(kFuncs);
  struct Arg {
    std::atomic<int>* runs;
    Latch* all;
  };
  std::vector<Arg> args;
  for (int i = 0; i < kFuncs; ++i) args.push_back(Arg{&runs[i], &all});
  for (int i = 0; i < kFuncs; ++i) {
    ASSERT_EQ(EG_OK, eg_context_after_func(
                         ctx.get(),
                         [](void* p) {
                           auto* a = static_cast<Arg*>(p);
                           a->runs->fetch_add(1);
                           a->all->CountDown();
                         },
                         &args[i], nullptr));
  }
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
  ASSERT_TRUE(all.WaitFor(kEventBound));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  for (int i = 0; i < kFuncs; ++i) EXPECT_EQ(1, runs[i].load()) << i;
}

TEST(AfterFunc, RegistrationRacingCancelRunsEachOnce) {
  for (int round = 0; round < 20; ++round) {
    ContextPtr ctx = NewCancelContext(eg_context_background());
    constexpr int kPerThread = 20, kThreads = 2;
    std::vector<std::atomic<int>> runs(kPerThread * kThreads);
    Latch all(kPerThread * kThreads);
    struct Arg {
      std::atomic<int>* runs;
      Latch* all;
    };
    std::vector<Arg> args;
    for (auto& r : runs) args.push_back(Arg{&r, &all});
    Latch start(1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.Wait();
        for (int i = 0; i < kPerThread; ++i) {
          EXPECT_EQ(EG_OK, eg_context_after_func(
                               ctx.get(),
                               [](void* p) {
                                 auto* a = static_cast<Arg*>(p);
                                 a->runs->fetch_add(1);
                                 a->all->CountDown();
                               },
                               &args[t * kPerThread + i], nullptr));
        }
      });
    }
    start.CountDown();
    EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
    for (auto& t : threads) t.join();
    ASSERT_TRUE(all.WaitFor(kEventBound));
    EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
    for (auto& r : runs) EXPECT_EQ(1, r.load());
  }
}

TEST(AfterFunc, StopRacingCancelEitherStopsOrRuns) {
  for (int round = 0; round < 100; ++round) {
    ContextPtr ctx = NewCancelContext(eg_context_background());
    AfterProbe probe;
    eg_after_func* handle = nullptr;
    ASSERT_EQ(EG_OK, eg_context_after_func(ctx.get(), AfterProbe::Run, &probe,
                                           &handle));
    Latch start(1);
    std::thread canceller([&] {
      start.Wait();
      eg_context_cancel(ctx.get(), nullptr);
    });
    start.CountDown();
    int stopped = eg_after_func_stop(handle);
    canceller.join();
    ASSERT_TRUE(stopped == 0 || stopped == 1) << stopped;
    if (stopped == 0) {
      EXPECT_TRUE(probe.ran.WaitFor(kEventBound));
    }
    EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
    EXPECT_EQ(stopped == 1 ? 0 : 1, probe.runs.load());
  }
}

TEST(AfterFunc, KeepsContextAliveUntilItHasRun) {
  ContextPtr parent = NewCancelContext(eg_context_background());
  eg_context* child = nullptr;
  ASSERT_EQ(EG_OK, eg_context_with_cancel(parent.get(), &child));
  struct Arg {
    eg_context* child;
    std::atomic<int> err{0};
    std::atomic<eg_error*> cause{nullptr};
    Latch ran{1};
  } arg;
  arg.child = child;
  ASSERT_EQ(EG_OK, eg_context_after_func(
                       child,
                       [](void* p) {
                         auto* a = static_cast<Arg*>(p);
                         // Valid: the registration keeps `child` alive.
                         a->err = eg_context_err(a->child);
                         a->cause = eg_context_cause(a->child);
                         a->ran.CountDown();
                       },
                       &arg, nullptr));
  eg_context_release(child);  // our only reference
  eg_error* cause = eg_error_new(77, "parent went");
  EXPECT_EQ(EG_OK, eg_context_cancel(parent.get(), cause));
  ASSERT_TRUE(arg.ran.WaitFor(kEventBound));
  EXPECT_EQ(EG_ECANCELED, arg.err.load());
  EXPECT_EQ(cause, arg.cause.load());
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  eg_error_release(cause);
}

TEST(AfterFunc, StoppedRegistrationReleasesContext) {
  // Under ASan/LSan: a stop must drop the registration's reference.
  eg_context* ctx = nullptr;
  ASSERT_EQ(EG_OK, eg_context_with_cancel(eg_context_background(), &ctx));
  AfterProbe probe;
  eg_after_func* handle = nullptr;
  ASSERT_EQ(EG_OK,
            eg_context_after_func(ctx, AfterProbe::Run, &probe, &handle));
  eg_context_release(ctx);
  EXPECT_EQ(1, eg_after_func_stop(handle));
  EXPECT_EQ(0, probe.runs.load());
}

TEST(AfterFunc, CallbackMayUseContextFunctionsOnTheSameContext) {
  // If the library ran fn under one of its locks, these calls on the very
  // context would deadlock (bounded by kEventBound).
  ContextPtr ctx = NewCancelContext(eg_context_background());
  struct Arg {
    eg_context* ctx;
    AfterProbe nested;
    std::atomic<int> err{0}, done{0}, cancel_rc{1}, child_rc{1},
        register_rc{1}, child_done{0};
    std::atomic<eg_error*> cause{nullptr};
    Latch ran{1};
  } arg;
  arg.ctx = ctx.get();
  ASSERT_EQ(EG_OK,
            eg_context_after_func(
                ctx.get(),
                [](void* p) {
                  auto* a = static_cast<Arg*>(p);
                  a->done = eg_context_done(a->ctx);
                  a->err = eg_context_err(a->ctx);
                  a->cause = eg_context_cause(a->ctx);
                  a->cancel_rc = eg_context_cancel(a->ctx, nullptr);
                  eg_context* child = nullptr;
                  a->child_rc = eg_context_with_cancel(a->ctx, &child);
                  if (child) {
                    a->child_done = eg_context_done(child);
                    eg_context_release(child);
                  }
                  a->register_rc = eg_context_after_func(
                      a->ctx, AfterProbe::Run, &a->nested, nullptr);
                  (void)eg_context_fd(a->ctx);
                  a->ran.CountDown();
                },
                &arg, nullptr));
  eg_error* cause = eg_error_new(3, "why");
  EXPECT_EQ(EG_OK, eg_context_cancel(ctx.get(), cause));
  ASSERT_TRUE(arg.ran.WaitFor(kEventBound)) << "after-func deadlocked";
  ASSERT_TRUE(arg.nested.ran.WaitFor(kEventBound));
  EXPECT_EQ(1, arg.done.load());
  EXPECT_EQ(EG_ECANCELED, arg.err.load());
  EXPECT_EQ(cause, arg.cause.load());
  EXPECT_EQ(EG_OK, arg.cancel_rc.load());
  EXPECT_EQ(EG_OK, arg.child_rc.load());
  EXPECT_EQ(1, arg.child_done.load());
  EXPECT_EQ(EG_OK, arg.register_rc.load());
  EXPECT_EQ(cause, eg_context_cause(ctx.get()));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
  eg_error_release(cause);
}

TEST(AfterFunc, CallbackMayCancelAnotherContextWithItsOwnAfterFunc) {
  ContextPtr first = NewCancelContext(eg_context_background());
  ContextPtr second = NewCancelContext(eg_context_background());
  AfterProbe on_second;
  ASSERT_EQ(EG_OK, eg_context_after_func(second.get(), AfterProbe::Run,
                                         &on_second, nullptr));
  ASSERT_EQ(EG_OK, eg_context_after_func(
                       first.get(),
                       [](void* p) {
                         eg_context_cancel(static_cast<eg_context*>(p),
                                           nullptr);
                       },
                       second.get(), nullptr));
  EXPECT_EQ(EG_OK, eg_context_cancel(first.get(), nullptr));
  ASSERT_TRUE(on_second.ran.WaitFor(kEventBound));
  EXPECT_EQ(1, eg_context_done(second.get()));
  EXPECT_EQ(EG_OK, ShutdownPoolWhenIdle());
}

}  // namespace

namespace egtest {
namespace {

// A timeout too large to add to the clock waits "forever" instead of
// overflowing (UBSan would abort on the signed overflow).
TEST(ContextWait, HugeTimeoutSaturates) {
  ContextPtr timed = NewTimeoutContext(eg_context_background(), kMillisecond);
  EXPECT_EQ(EG_OK, eg_context_wait(timed.get(), INT64_MAX));
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(timed.get()));
}

}  // namespace
}  // namespace egtest
