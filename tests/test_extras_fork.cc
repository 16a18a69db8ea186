/* SPDX-License-Identifier: BSD-3-Clause */
// Issue 14: the extras (kept errors, task-done callback, skip mode, cancel)
// in the child of a fork(), on a group made before the fork (idle at the
// fork, with its skip hook registered) and on one made in the child.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "helpers.h"

namespace egtest {
namespace {

// As in test_fork.cc: sanitizer runtimes do not survive fork() with threads.
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

std::atomic<int> done_calls{0};

void CountDone(void*, void*, int, eg_error*) { done_calls++; }

eg_error* Fail(eg_context*, void* code) {
  return eg_error_new(static_cast<int>(reinterpret_cast<intptr_t>(code)),
                      "fails");
}

eg_error* Succeed(eg_context*, void*) { return nullptr; }

// Sets every extra up on a group with a context. 0 on success.
int SetUpExtras(eg_group* group) {
  if (eg_group_keep_errors(group, 8) != EG_OK) return 1;
  if (eg_group_on_task_done(group, CountDone, nullptr) != EG_OK) return 2;
  if (eg_group_skip_when_canceled(group) != EG_OK) return 3;
  return 0;
}

// Runs a round on a group set up by SetUpExtras; returns 0 if all is as
// expected, else a code naming the step that was not.
int UseExtras(eg_group* group, eg_context* ctx) {
  done_calls = 0;
  for (int i = 0; i < 8; ++i)
    if (eg_group_go(group, Succeed, nullptr) != EG_OK) return 10;
  if (eg_group_go(group, Fail, reinterpret_cast<void*>(intptr_t{5})) != EG_OK)
    return 11;
  eg_error* first = eg_group_wait(group);
  if (eg_error_code(first) != 5) return 12;
  if (done_calls.load() != 9) return 13;
  eg_error* kept[2] = {nullptr, nullptr};
  if (eg_group_errors(group, kept, 2, nullptr) != 1) return 14;
  if (kept[0] != first) return 15;
  eg_error_release(kept[0]);
  if (eg_context_cause(ctx) != first) return 16;
  if (eg_group_go(group, Succeed, nullptr) != EG_ESKIPPED) return 17;
  if (eg_group_skipped(group) != 1) return 18;
  if (eg_group_canceled(group) != 1) return 19;
  return 0;
}

int ForkAndRun(int (*child)(void*), void* arg) {
  pid_t pid = fork();
  if (pid == 0) _exit(child(arg));
  EXPECT_GT(pid, 0);
  int status = 0;
  EXPECT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_TRUE(WIFEXITED(status)) << "child died: status " << status;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Made {
  eg_group* group;
  eg_context* ctx;
};

TEST(ExtrasFork, GroupMadeBeforeTheForkWorksInTheChild) {
  SKIP_UNDER_SANITIZERS();
  Made made{nullptr, nullptr};
  ASSERT_EQ(EG_OK, eg_group_with_context(eg_context_background(), &made.group,
                                         &made.ctx));
  ASSERT_EQ(0, SetUpExtras(made.group));
  // The pool is running in the parent when it forks.
  ASSERT_EQ(EG_OK, eg_group_go(made.group, Succeed, nullptr));
  // Wait without ending the round (a wait would cancel the context): the
  // group is idle once the task's callback ran.
  ASSERT_TRUE(WaitUntil([] { return done_calls.load() == 1; }));
  ASSERT_TRUE(WaitUntil([&] {
    return eg_testing_group_waiters(made.group) == 1;  // the skip hook only
  }));
  EXPECT_EQ(0, ForkAndRun(
                   [](void* arg) {
                     auto* m = static_cast<Made*>(arg);
                     return UseExtras(m->group, m->ctx);
                   },
                   &made));
  // The parent carries on with its own copy.
  EXPECT_EQ(0, UseExtras(made.group, made.ctx));
  eg_group_free(made.group);
  eg_context_release(made.ctx);
}

TEST(ExtrasFork, GroupMadeInTheChild) {
  SKIP_UNDER_SANITIZERS();
  ASSERT_EQ(EG_OK, GoFn(NewGroup().get(), [](eg_context*) { return nullptr; }));
  EXPECT_EQ(0, ForkAndRun(
                   [](void*) {
                     eg_group* group = nullptr;
                     eg_context* ctx = nullptr;
                     if (eg_group_with_context(eg_context_background(), &group,
                                               &ctx) != EG_OK)
                       return 30;
                     int rc = SetUpExtras(group);
                     if (rc == 0) rc = UseExtras(group, ctx);
                     eg_group_free(group);
                     eg_context_release(ctx);
                     return rc;
                   },
                   nullptr));
}

}  // namespace
}  // namespace egtest
