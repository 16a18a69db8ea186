/* SPDX-License-Identifier: BSD-3-Clause */
// fork() in a process whose pool is running: the child can use the library
// at once (a new pool is built lazily), and nothing deadlocks on either
// side, also when tasks are running or being submitted while it forks.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "helpers.h"

namespace egtest {
namespace {

// Sanitizer runtimes do not survive a fork() of a multithreaded process:
// ThreadSanitizer refuses new threads in the child, and gcc 12's
// AddressSanitizer does not hold its allocator's region locks across fork,
// so a child may deadlock inside free() (seen here: a child's timer thread
// stuck in the allocator's quarantine). The library's own fork handler
// starts the timer thread again in the child when deadlines are armed, which
// ThreadSanitizer refuses outright. The plain and clang builds (and the
// debug one) run these tests.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define SKIP_UNDER_SANITIZERS() \
  GTEST_SKIP() << "sanitizer runtimes do not support fork() with threads"
#else
#define SKIP_UNDER_SANITIZERS() (void)0
#endif

// What the child does: a group with tasks, a failing one, a context with
// a deadline. Returns the exit status (0 = all as expected). Uses only the
// library and atomics, and leaves with _exit.
int ChildUsesTheLibrary() {
  eg_group* group = nullptr;
  eg_context* ctx = nullptr;
  if (eg_group_with_context(eg_context_background(), &group, &ctx) != EG_OK)
    return 10;
  static std::atomic<int> ran{0};
  for (int i = 0; i < 64; ++i) {
    auto task = [](eg_context*, void*) -> eg_error* {
      ran++;
      return nullptr;
    };
    if (eg_group_go(group, task, nullptr) != EG_OK) return 11;
  }
  // Two tasks that can only finish together: the child needs real pool
  // threads, not just the waiter running tasks itself.
  static std::atomic<int> arrived{0};
  auto meet = [](eg_context* ctx, void*) -> eg_error* {
    arrived++;
    for (int i = 0; arrived.load() < 2 && i < 30000; ++i)
      eg_context_wait(ctx, kMillisecond);  // at most 30 s in all
    return arrived.load() < 2 ? eg_error_new(99, "never met") : nullptr;
  };
  if (eg_group_go(group, meet, nullptr) != EG_OK) return 19;
  if (eg_group_go(group, meet, nullptr) != EG_OK) return 19;
  auto failing = [](eg_context*, void*) -> eg_error* {
    return eg_error_new(5, "child failure");
  };
  if (eg_group_go(group, failing, nullptr) != EG_OK) return 12;
  eg_error* error = eg_group_wait(group);
  if (error == nullptr || eg_error_code(error) != 5) return 13;
  if (ran.load() != 64) return 14;
  if (eg_context_cause(ctx) != error) return 15;
  eg_group_free(group);
  eg_context_release(ctx);

  eg_context* timed = nullptr;
  if (eg_context_with_timeout(eg_context_background(), 10 * kMillisecond,
                              &timed) != EG_OK)
    return 16;
  // Generous: the deadline must fire in the child, where the timer
  // thread has to be started anew.
  if (eg_context_wait(timed, 30 * kSecond) != EG_OK) return 17;
  if (eg_context_err(timed) != EG_EDEADLINE_EXCEEDED) return 18;
  eg_context_release(timed);

  // The child's pool counts only its own jobs: once they are done it can be
  // shut down (jobs the parent ran must not count as still running here).
  int shutdown = EG_EBUSY;
  for (int i = 0; i < 10000 && shutdown == EG_EBUSY; ++i) {
    shutdown = eg_pool_shutdown();
    if (shutdown == EG_EBUSY) usleep(1000);  // at most 10 s in all
  }
  if (shutdown != EG_OK) return 20;
  return 0;
}

// Forks; the child runs child(arg) and leaves with its result (0 = all as
// expected) through _exit. Returns the child's exit status.
int ForkAndRun(int (*child)(void*), void* arg) {
  pid_t pid = fork();
  if (pid == 0) _exit(child(arg));
  EXPECT_GT(pid, 0);
  int status = 0;
  EXPECT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_TRUE(WIFEXITED(status)) << "child died: status " << status;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ForkAndUseTheLibraryInTheChild() {
  return ForkAndRun([](void*) { return ChildUsesTheLibrary(); }, nullptr);
}

TEST(Fork, ChildOfAnIdlePoolUsesTheLibrary) {
  SKIP_UNDER_SANITIZERS();
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
  ASSERT_EQ(nullptr, eg_group_wait(g.get()));  // the pool is running
  EXPECT_EQ(0, ForkAndUseTheLibraryInTheChild());
}

TEST(Fork, WhileTasksAreRunningBothSidesCarryOn) {
  SKIP_UNDER_SANITIZERS();
  auto gc = NewGroupWithContext(eg_context_background());
  Latch running(8);
  for (int i = 0; i < 8; ++i)
    ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [&](eg_context* ctx) {
                running.CountDown();
                eg_context_wait(ctx, -1);
                return nullptr;
              }));
  running.Wait();
  // A deadline armed before the fork, so the timer's lock is exercised.
  ContextPtr timed = NewTimeoutContext(eg_context_background(), kSecond);
  EXPECT_EQ(0, ForkAndUseTheLibraryInTheChild());
  // The parent's tasks are unaffected and finish on cancellation.
  eg_error* stop = eg_error_new(1, "stop");
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [&](eg_context*) { return stop; }));
  EXPECT_EQ(stop, eg_group_wait(gc.group.get()));
}

TEST(Fork, WhileAnotherThreadSubmitsTasks) {
  SKIP_UNDER_SANITIZERS();
  GroupPtr g = NewGroup();
  std::atomic<bool> stop{false};
  std::atomic<int> ran{0};
  std::thread submitter([&] {
    while (!stop.load()) {
      for (int i = 0; i < 100; ++i)
        EXPECT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
                    ran++;
                    return nullptr;
                  }));
      EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return ran.load() > 1000; }));
  for (int round = 0; round < 5; ++round)
    EXPECT_EQ(0, ForkAndUseTheLibraryInTheChild()) << "round " << round;
  stop = true;
  submitter.join();
}

std::atomic<int> after_func_runs{0};

// A deadline armed before the fork fires in the child without the child
// arming one of its own or starting a pool: the timer thread is started
// again by the fork handler, and the context's fd and after-function see it.
TEST(Fork, DeadlineArmedBeforeTheForkFiresInTheChild) {
  SKIP_UNDER_SANITIZERS();
  GroupPtr g = NewGroup();  // a running pool, as in most programs
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context*) { return nullptr; }));
  ASSERT_EQ(nullptr, eg_group_wait(g.get()));
  ContextPtr timed =
      NewTimeoutContext(eg_context_background(), 200 * kMillisecond);
  int fd = eg_context_fd(timed.get());
  ASSERT_GE(fd, 0);
  after_func_runs = 0;
  ASSERT_EQ(EG_OK, eg_context_after_func(
                       timed.get(), [](void*) { after_func_runs++; }, nullptr,
                       nullptr));
  struct Inherited {
    eg_context* ctx;
    int fd;
  } inherited = {timed.get(), fd};
  EXPECT_EQ(0, ForkAndRun(
                   [](void* arg) {
                     auto* in = static_cast<Inherited*>(arg);
                     // Not eg_context_wait: nothing but the fork handler
                     // may start the timer. Generous: the deadline is
                     // 200 ms. (Not the fd either: it is shared with the
                     // parent, whose copy of the context fires too.)
                     for (int i = 0; i < 10000 && !eg_context_done(in->ctx);
                          ++i)
                       usleep(1000);  // at most 10 s
                     if (!eg_context_done(in->ctx)) return 1;
                     struct pollfd pfd = {in->fd, POLLIN, 0};
                     if (poll(&pfd, 1, 0) != 1) return 2;
                     if (eg_context_err(in->ctx) != EG_EDEADLINE_EXCEEDED)
                       return 3;
                     for (int i = 0; i < 10000 && after_func_runs == 0; ++i)
                       usleep(1000);  // at most 10 s
                     return after_func_runs == 1 ? 0 : 4;
                   },
                   &inherited));
  // The parent's own copy fires as usual.
  EXPECT_EQ(EG_OK, eg_context_wait(timed.get(), 10 * kSecond));
}

struct Tree {
  eg_context* parent;
  std::vector<ContextPtr>* children;
};

// In the child of a fork during the cancellation of `tree`: the child's own
// deadline fires, then the inherited one, the tree was never half canceled,
// and cancelling it again returns. Exit status: 0 = all as expected.
int ChildOfAForkDuringACancel(void* arg) {
  auto* tree = static_cast<Tree*>(arg);
  int done = eg_context_done(tree->parent);
  bool half = false;
  for (auto& c : *tree->children)
    if (eg_context_done(c.get()) != done) half = true;
  eg_context* own = nullptr;
  if (eg_context_with_timeout(eg_context_background(), 300 * kMillisecond,
                              &own) != EG_OK)
    return 2;
  // Generous bounds: the deadlines are 300 ms and 100 ms.
  if (eg_context_wait(own, 10 * kSecond) != EG_OK) return 3;
  if (eg_context_wait(tree->parent, 10 * kSecond) != EG_OK) return 4;
  for (auto& c : *tree->children)
    if (!eg_context_done(c.get())) return 5;
  // A cancel of a context that is already done waits until its whole tree
  // is: the child never inherits a tree that is done but not complete.
  if (eg_context_cancel(tree->parent, nullptr) != EG_OK) return 6;
  eg_context_release(own);
  return half ? 1 : 0;
}

// A fork while another thread cancels a big tree: the child's own
// deadlines, and the inherited one, fire whatever the canceller was doing,
// and the child sees the tree either untouched or wholly canceled.
TEST(Fork, DuringACancellationTheChildsDeadlinesWork) {
  SKIP_UNDER_SANITIZERS();
  constexpr int kChildren = 200000;
  for (int round = 0; round < 3; ++round) {
    ContextPtr parent =
        NewTimeoutContext(eg_context_background(), 100 * kMillisecond);
    std::vector<ContextPtr> children;
    children.reserve(kChildren);
    for (int i = 0; i < kChildren; ++i)
      children.push_back(NewCancelContext(parent.get()));
    std::atomic<bool> cancelling{false};
    std::thread canceller([&] {
      cancelling = true;
      eg_context_cancel(parent.get(), nullptr);
    });
    while (!cancelling) std::this_thread::yield();
    Tree tree = {parent.get(), &children};
    EXPECT_EQ(0, ForkAndRun(ChildOfAForkDuringACancel, &tree))
        << "round " << round;
    canceller.join();
  }
}

// Issue 11, suspected: fork() inside a task. In the child the forking
// thread is a worker of no pool; when its task returns it must leave
// without touching the child's counts, so a shutdown in the child (from
// another thread) neither hangs nor sees a count underflow.
TEST(Pool, ForkInsideATaskLeavesTheChildsCountsRight) {
  SKIP_UNDER_SANITIZERS();
  GroupPtr g = NewGroup();
  std::atomic<pid_t> child{-1};
  Gate forked;
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context *) {
              pid_t pid = fork();
              if (pid != 0) {
                child = pid;
                forked.Open();
                return nullptr;
              }
              // The child: a thread that outlives this task uses the pool.
              std::thread([] {
                for (int round = 0; round < 3; ++round) {
                  GroupPtr inner = NewGroup();
                  for (int i = 0; i < 8; ++i)
                    if (GoFn(inner.get(),
                             [](eg_context *) { return nullptr; }) != EG_OK)
                      _exit(2);
                  if (eg_group_wait(inner.get()) != nullptr)
                    _exit(3);
                  inner.reset();
                  if (ShutdownPoolWhenIdle() != EG_OK)
                    _exit(4);
                  if (eg_testing_pool_threads() != 0)
                    _exit(5);
                }
                _exit(0);
              }).detach();
              return nullptr; // back to the (orphaned) worker loop
            }));
  forked.Wait(); // on a pool thread: eg_group_wait would run it here
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  ASSERT_GT(child.load(), 0);
  int status = 0;
  bool exited = WaitUntil(
      [&] { return waitpid(child.load(), &status, WNOHANG) == child.load(); });
  if (!exited) {
    kill(child.load(), SIGKILL);
    waitpid(child.load(), &status, 0);
  }
  ASSERT_TRUE(exited) << "the child hung";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}

}  // namespace
}  // namespace egtest
