/* SPDX-License-Identifier: BSD-3-Clause */
// Context trees at scale and under races: a very deep chain is canceled and
// freed without recursion, a cancel returns only once every descendant is
// done (also when another thread canceled part of the tree first), and a
// context's fd is readable exactly when the context says it is done.
#include <poll.h>

#include <atomic>
#include <thread>
#include <vector>

#include "helpers.h"

namespace {

using namespace egtest;

// Deep enough to overflow an 8 MiB stack with one frame per level (the
// header promises that any depth works); Go handles the same depth.
constexpr int kDeep = 200000;

// A chain of kDeep cancelable contexts under `root`; only the leaf is
// returned (each level is kept alive by its child's reference).
eg_context* MakeChain(eg_context* root) {
  eg_context* ctx = eg_context_retain(root);
  for (int i = 0; i < kDeep; ++i) {
    eg_context* child = nullptr;
    if (eg_context_with_cancel(ctx, &child) != EG_OK) {
      ADD_FAILURE() << "with_cancel failed at depth " << i;
      return ctx;
    }
    eg_context_release(ctx);
    ctx = child;
  }
  return ctx;
}

TEST(DeepTree, CancelReachesTheLeafOfAVeryDeepChain) {
  CountedErrors counted;
  eg_error* cause = counted.Make(7, "deep");
  ContextPtr root = NewCancelContext(eg_context_background());
  ContextPtr leaf(MakeChain(root.get()));
  ASSERT_EQ(EG_OK, eg_context_cancel(root.get(), cause));
  EXPECT_TRUE(eg_context_done(leaf.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(leaf.get()));
  EXPECT_EQ(cause, eg_context_cause(leaf.get()));
  eg_error_release(cause);
  // Freeing the leaf frees the whole chain below the root, level by level.
  leaf.reset();
  EXPECT_EQ(0, counted.released());
  root.reset();
  EXPECT_EQ(1, counted.released());
}

TEST(DeepTree, ReleasingTheLeafLastFreesAVeryDeepChain) {
  // The root's own reference goes first, so the leaf's release frees all
  // kDeep + 1 contexts in one call, never canceled.
  eg_context* root = nullptr;
  ASSERT_EQ(EG_OK, eg_context_with_cancel(eg_context_background(), &root));
  eg_context* leaf = MakeChain(root);
  eg_context_release(root);
  EXPECT_FALSE(eg_context_done(leaf));
  eg_context_release(leaf);
}

TEST(DeepTree, CancelInTheMiddleOfAVeryDeepChain) {
  ContextPtr root = NewCancelContext(eg_context_background());
  ContextPtr middle(MakeChain(root.get()));
  ContextPtr leaf(MakeChain(middle.get()));
  ASSERT_EQ(EG_OK, eg_context_cancel(middle.get(), nullptr));
  EXPECT_TRUE(eg_context_done(leaf.get()));
  EXPECT_FALSE(eg_context_done(root.get()));
  ASSERT_EQ(EG_OK, eg_context_cancel(root.get(), nullptr));
  EXPECT_EQ(eg_error_canceled(), eg_context_cause(leaf.get()));
}

TEST(DeepTree, DeadlineOfTheRootReachesTheLeaf) {
  ContextPtr root = NewTimeoutContext(eg_context_background(), kMillisecond);
  ContextPtr leaf(MakeChain(root.get()));
  EXPECT_EQ(EG_OK, eg_context_wait(leaf.get(), 30 * kSecond));  // generous
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_context_err(leaf.get()));
}

TEST(DeepTree, WideTreeOfDeepChains) {
  ContextPtr root = NewCancelContext(eg_context_background());
  std::vector<ContextPtr> leaves;
  for (int i = 0; i < 4; ++i) leaves.emplace_back(MakeChain(root.get()));
  ASSERT_EQ(EG_OK, eg_context_cancel(root.get(), nullptr));
  for (auto& leaf : leaves) EXPECT_TRUE(eg_context_done(leaf.get()));
}

// A cancel that finds part of the tree already being canceled by another
// thread still returns only once that part is done too: "cancels ctx and
// all its descendants" holds at the return whoever got there first.
TEST(DeepTree, CancelReturnsOnlyOnceEveryDescendantIsDone) {
  for (int round = 0; round < 20; ++round) {
    ContextPtr root = NewCancelContext(eg_context_background());
    ContextPtr middle = NewCancelContext(root.get());
    std::vector<ContextPtr> children;
    for (int i = 0; i < 20000; ++i)
      children.push_back(NewCancelContext(middle.get()));
    Gate go;
    std::thread other([&] {
      go.Wait();
      eg_context_cancel(middle.get(), nullptr);
    });
    go.Open();
    // The other thread has marked the middle; usually it is still busy
    // with the middle's children.
    while (!eg_context_done(middle.get())) std::this_thread::yield();
    ASSERT_EQ(EG_OK, eg_context_cancel(root.get(), nullptr));
    EXPECT_TRUE(eg_context_done(children.back().get())) << "round " << round;
    other.join();
  }
}

// Many children and waiters on some of them: every waiter wakes, none of
// the rest costs anything (see unit_context_wakes.c for the count).
TEST(WideTree, WaitersOnSomeChildrenAllWake) {
  ContextPtr root = NewCancelContext(eg_context_background());
  std::vector<ContextPtr> children;
  for (int i = 0; i < 10000; ++i)
    children.push_back(NewCancelContext(root.get()));
  std::vector<std::thread> waiters;
  Latch started(8);
  for (int i = 0; i < 8; ++i)
    waiters.emplace_back([&, i] {
      started.CountDown();
      EXPECT_EQ(EG_OK, eg_context_wait(children[i * 1000].get(), -1));
    });
  started.Wait();
  ASSERT_EQ(EG_OK, eg_context_cancel(root.get(), nullptr));
  for (auto& t : waiters) t.join();
  for (auto& c : children) EXPECT_TRUE(eg_context_done(c.get()));
}

bool ReadableNow(int fd) {
  struct pollfd pfd = {fd, POLLIN, 0};
  return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

// Once eg_context_done says done, the fd is readable: a poller woken by
// done (or by eg_context_wait) never finds it not ready. (Without the fix
// 1-15% of rounds do, depending on the order of the fd write and done.)
TEST(FdPromise, ReadableAsSoonAsDoneIsSeen) {
  int not_ready = 0;
  for (int round = 0; round < 300; ++round) {
    ContextPtr ctx = NewCancelContext(eg_context_background());
    int fd = eg_context_fd(ctx.get());
    ASSERT_GE(fd, 0);
    std::atomic<bool> saw{false}, watching{false};
    std::thread watcher([&] {
      watching = true;
      while (!eg_context_done(ctx.get())) {
      }
      saw = ReadableNow(fd);
    });
    while (!watching) std::this_thread::yield();
    ASSERT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
    watcher.join();
    if (!saw) ++not_ready;
  }
  EXPECT_EQ(0, not_ready);
}

// And never before: a poller woken by the fd finds the context done.
TEST(FdPromise, DoneAsSoonAsTheFdIsReadable) {
  int not_done = 0;
  for (int round = 0; round < 300; ++round) {
    ContextPtr ctx = NewCancelContext(eg_context_background());
    int fd = eg_context_fd(ctx.get());
    ASSERT_GE(fd, 0);
    std::atomic<bool> saw{false}, watching{false};
    std::thread watcher([&] {
      watching = true;
      while (!ReadableNow(fd)) {
      }
      saw = eg_context_done(ctx.get());
    });
    while (!watching) std::this_thread::yield();
    ASSERT_EQ(EG_OK, eg_context_cancel(ctx.get(), nullptr));
    watcher.join();
    if (!saw) ++not_done;
  }
  EXPECT_EQ(0, not_done);
}

TEST(FdPromise, ReadableWhenAParentCancelIsSeenOnTheChild) {
  int not_ready = 0;
  for (int round = 0; round < 300; ++round) {
    ContextPtr root = NewCancelContext(eg_context_background());
    ContextPtr child = NewCancelContext(root.get());
    int fd = eg_context_fd(child.get());
    ASSERT_GE(fd, 0);
    std::atomic<bool> saw{false}, watching{false};
    std::thread watcher([&] {
      watching = true;
      while (!eg_context_done(child.get())) {
      }
      saw = ReadableNow(fd);
    });
    while (!watching) std::this_thread::yield();
    ASSERT_EQ(EG_OK, eg_context_cancel(root.get(), nullptr));
    watcher.join();
    if (!saw) ++not_ready;
  }
  EXPECT_EQ(0, not_ready);
}

}  // namespace
