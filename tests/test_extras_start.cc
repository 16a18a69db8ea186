/* SPDX-License-Identifier: BSD-3-Clause */
// eg_group_start and eg_task_ready (issue 14, feature 6): ready while the
// task goes on, return (with or without an error) before ready, the task's
// own context (a child of the group's, canceled with it, done after the
// task), ready from another thread, limits, worker mode, nested starts from
// pool threads, reuse, out of memory and no threads, fork and bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "helpers.h"

namespace egtest {
namespace {

using StartFn = std::function<eg_error*(eg_context*)>;

eg_error* RunBoxedStart(eg_context* ctx, void* arg) {
  std::unique_ptr<StartFn> fn(static_cast<StartFn*>(arg));
  return (*fn)(ctx);
}

// eg_group_start with a std::function; the closure is freed by the task,
// or here when it never ran.
int StartFnIn(eg_group* g, StartFn fn, eg_error** task_error = nullptr) {
  auto* box = new StartFn(std::move(fn));
  int rc = eg_group_start(g, RunBoxedStart, box, task_error);
  if (rc < 0) delete box;
  return rc;
}

TEST(Start, ReadyReturnsOneWhileTheTaskGoesOn) {
  GroupPtr g = NewGroup();
  Gate release;
  std::atomic<int> second{-1};
  std::atomic<bool> after_ready{false};
  eg_error* task_error = eg_error_nomem();
  ASSERT_EQ(1, StartFnIn(
                   g.get(),
                   [&](eg_context* ctx) {
                     EXPECT_EQ(1, eg_task_ready(ctx));
                     second = eg_task_ready(ctx);
                     release.Wait();
                     after_ready = true;
                     return nullptr;
                   },
                   &task_error));
  EXPECT_EQ(nullptr, task_error);
  EXPECT_FALSE(after_ready.load());  // still held
  EXPECT_EQ(0, eg_group_idle(g.get()));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, second.load());
  EXPECT_TRUE(after_ready.load());
}

TEST(Start, ReturnBeforeReadyGivesTheErrorToBoth) {
  auto gc = NewGroupWithContext(eg_context_background());
  CountedErrors counted;
  eg_error* err = counted.Make(5, "failed to start");
  eg_error* task_error = nullptr;
  ASSERT_EQ(
      0, StartFnIn(
             gc.group.get(), [err](eg_context*) { return err; }, &task_error));
  EXPECT_EQ(err, task_error);  // the very error, an owned reference
  EXPECT_EQ(err, eg_group_wait(gc.group.get()));
  EXPECT_EQ(err, eg_context_cause(gc.ctx.get()));
  eg_error_release(task_error);
  EXPECT_EQ(0, counted.released());  // the group still holds it
  // Without task_error the reference is released for the caller.
  GroupPtr g = NewGroup();
  eg_error* other = counted.Make(6, "again");
  EXPECT_EQ(0, StartFnIn(g.get(), [other](eg_context*) { return other; }));
  EXPECT_EQ(other, eg_group_wait(g.get()));
  g.reset();
  EXPECT_EQ(1, counted.released());
}

TEST(Start, ReturnWithoutErrorBeforeReady) {
  GroupPtr g = NewGroup();
  eg_error* task_error = eg_error_nomem();
  EXPECT_EQ(0, StartFnIn(
                   g.get(), [](eg_context*) { return nullptr; }, &task_error));
  EXPECT_EQ(nullptr, task_error);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// The task's context is its own, a child of the group's: the group's
// cancellation reaches it; after the task it is done (and eg_task_ready on
// a retained one does nothing).
TEST(Start, TheTasksContextIsAChildOfTheGroups) {
  auto gc = NewGroupWithContext(eg_context_background());
  eg_context* seen = nullptr;
  eg_error* boom = eg_error_new(8, "boom");
  ASSERT_EQ(1, StartFnIn(gc.group.get(), [&](eg_context* ctx) {
              seen = eg_context_retain(ctx);
              eg_task_ready(ctx);
              eg_context_wait(ctx, -1);  // until the group is canceled
              return nullptr;
            }));
  ASSERT_NE(nullptr, seen);
  EXPECT_NE(gc.ctx.get(), seen);
  EXPECT_EQ(0, eg_context_done(seen));
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [boom](eg_context*) { return boom; }));
  EXPECT_EQ(boom, eg_group_wait(gc.group.get()));
  EXPECT_EQ(boom, eg_context_cause(seen));
  EXPECT_EQ(0, eg_task_ready(seen));
  eg_context_release(seen);
}

TEST(Start, TheContextIsDoneAfterTheTaskInAGroupWithoutContext) {
  GroupPtr g = NewGroup();
  eg_context* seen = nullptr;
  ASSERT_EQ(0, StartFnIn(g.get(), [&](eg_context* ctx) {
              seen = eg_context_retain(ctx);
              EXPECT_EQ(0, eg_context_done(ctx));
              return nullptr;
            }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(EG_ECANCELED, eg_context_err(seen));
  EXPECT_EQ(0, eg_task_ready(seen));
  eg_context_release(seen);
}

TEST(Start, ReadyFromAnotherThread) {
  GroupPtr g = NewGroup();
  Gate release;
  ASSERT_EQ(1, StartFnIn(g.get(), [&](eg_context* ctx) {
              std::thread helper([ctx] { eg_task_ready(ctx); });
              helper.join();
              release.Wait();
              return nullptr;
            }));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(Start, BadInput) {
  auto gc = NewGroupWithContext(eg_context_background());
  eg_error* task_error = eg_error_nomem();
  EXPECT_EQ(EG_EINVAL,
            eg_group_start(nullptr, RunBoxedStart, nullptr, &task_error));
  EXPECT_EQ(nullptr, task_error);
  EXPECT_EQ(EG_EINVAL,
            eg_group_start(gc.group.get(), nullptr, nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_task_ready(nullptr));
  EXPECT_EQ(EG_EINVAL, eg_task_ready(eg_context_background()));
  EXPECT_EQ(EG_EINVAL, eg_task_ready(gc.ctx.get()));
  ContextPtr own = NewCancelContext(eg_context_background());
  EXPECT_EQ(EG_EINVAL, eg_task_ready(own.get()));
  // A plain go task's context is the group's.
  std::atomic<int> rc{1};
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [&](eg_context* ctx) {
              rc = eg_task_ready(ctx);
              return nullptr;
            }));
  EXPECT_EQ(nullptr, eg_group_wait(gc.group.get()));
  EXPECT_EQ(EG_EINVAL, rc.load());
}

// The start waits at the limit like go, then for the task.
TEST(Start, AtTheLimit) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  Latch running(1);
  Gate release, hold;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  std::atomic<int> rc{-100};
  std::thread starter([&] {
    rc = StartFnIn(g.get(), [&](eg_context* ctx) {
      eg_task_ready(ctx);
      hold.Wait();
      return nullptr;
    });
  });
  ASSERT_TRUE(
      WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }));
  EXPECT_EQ(-100, rc.load());
  release.Open();
  starter.join();
  EXPECT_EQ(1, rc.load());
  EXPECT_EQ(0, TryGoFn(g.get(), [](eg_context*) { return nullptr; }));
  hold.Open();
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(Start, WorkerModeQueuesTheTask) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  std::atomic<int> rc{-100};
  std::thread starter([&] {
    rc = StartFnIn(g.get(), [](eg_context* ctx) {
      eg_task_ready(ctx);
      return nullptr;
    });
  });
  EXPECT_TRUE(StaysFalse([&] { return rc.load() != -100; }));
  release.Open();
  starter.join();
  EXPECT_EQ(1, rc.load());
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// Tasks of the group start more tasks and wait until each is ready, more
// of them than CPUs: the waiting pool threads count as blocked, so the
// started tasks get threads.
TEST(Start, NestedStartsFromPoolThreads) {
  GroupPtr g = NewGroup();
  eg_group* raw = g.get();
  constexpr int kOuter = 8;
  Gate release;
  std::atomic<int> ready{0};
  for (int i = 0; i < kOuter; ++i)
    ASSERT_EQ(EG_OK, GoFn(raw, [&](eg_context*) {
                int rc = StartFnIn(raw, [&](eg_context* ctx) {
                  eg_task_ready(ctx);
                  release.Wait();
                  return nullptr;
                });
                if (rc == 1) ready++;
                return nullptr;
              }));
  ASSERT_TRUE(WaitUntil([&] { return ready.load() == kOuter; }));
  release.Open();
  EXPECT_EQ(nullptr, eg_group_wait(raw));
}

// In skip mode a canceled group starts nothing: EG_ESKIPPED, fn never ran.
TEST(Start, SkipModeRefusesOnceCanceled) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g.get()));
  ASSERT_EQ(1, StartFnIn(g.get(), [](eg_context* ctx) {
              eg_task_ready(ctx);
              return nullptr;
            }));
  ASSERT_EQ(EG_OK, eg_group_cancel(g.get(), nullptr));
  std::atomic<int> ran{0};
  eg_error* task_error = eg_error_nomem();
  EXPECT_EQ(EG_ESKIPPED, StartFnIn(
                             g.get(),
                             [&](eg_context*) {
                               ran = 1;
                               return nullptr;
                             },
                             &task_error));
  EXPECT_EQ(nullptr, task_error);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, ran.load());
  EXPECT_EQ(1, eg_group_skipped(g.get()));
}

TEST(Start, ReuseAfterWait) {
  GroupPtr g = NewGroup();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(1, StartFnIn(g.get(), [](eg_context* ctx) {
                eg_task_ready(ctx);
                return nullptr;
              }));
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  }
}

// What a task-done callback saw, in call order.
struct DoneCalls {
  struct Call {
    void* task_arg;
    int status;
    int code;  // eg_error_code of the error, 0 for none
  };
  std::mutex mu;
  std::vector<Call> calls;

  static void Done(void* self, void* task_arg, int status, eg_error* error) {
    auto* d = static_cast<DoneCalls*>(self);
    std::lock_guard<std::mutex> lock(d->mu);
    d->calls.push_back(
        {task_arg, status, error != nullptr ? eg_error_code(error) : 0});
  }
  // The calls whose task_arg is `arg`.
  std::vector<Call> For(void* arg) {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<Call> out;
    for (const Call& call : calls)
      if (call.task_arg == arg) out.push_back(call);
    return out;
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return calls.size();
  }
};

// A started task's argument: it says whether it ran, calls eg_task_ready
// if `ready`, then returns `result` (a fresh error with that code, or NULL).
struct StartedArg {
  std::atomic<int> ran{0};
  bool ready = false;
  int result = 0;
  static eg_error* Run(eg_context* ctx, void* arg) {
    auto* self = static_cast<StartedArg*>(arg);
    self->ran = 1;
    if (self->ready) eg_task_ready(ctx);
    return self->result != 0 ? eg_error_new(self->result, "started") : nullptr;
  }
};

// The task-done callback of a started task gets the caller's arg (not the
// library's wrapper record), with the usual status and error, whether the
// task returned before ready or after, in every mode that runs it.
void ExpectDoneGetsTheCallersArg(eg_group* g, DoneCalls* done) {
  StartedArg before, after;
  before.result = 7;
  after.ready = true;
  eg_error* task_error = nullptr;
  ASSERT_EQ(0, eg_group_start(g, StartedArg::Run, &before, &task_error));
  ASSERT_NE(nullptr, task_error);
  EXPECT_EQ(7, eg_error_code(task_error));
  eg_error_release(task_error);
  ASSERT_EQ(1, eg_group_start(g, StartedArg::Run, &after, nullptr));
  eg_error* result = eg_group_wait(g);
  ASSERT_NE(nullptr, result);
  EXPECT_EQ(7, eg_error_code(result));
  EXPECT_EQ(2u, done->Count());
  auto calls = done->For(&before);
  ASSERT_EQ(1u, calls.size());
  EXPECT_EQ(EG_OK, calls[0].status);
  EXPECT_EQ(7, calls[0].code);
  calls = done->For(&after);
  ASSERT_EQ(1u, calls.size());
  EXPECT_EQ(EG_OK, calls[0].status);
  EXPECT_EQ(0, calls[0].code);
}

TEST(Start, TaskDoneGetsTheCallersArg) {
  GroupPtr g = NewGroup();
  DoneCalls done;
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), DoneCalls::Done, &done));
  ExpectDoneGetsTheCallersArg(g.get(), &done);
}

TEST(Start, TaskDoneGetsTheCallersArgInWorkerMode) {
  GroupPtr g = NewGroup();
  DoneCalls done;
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), DoneCalls::Done, &done));
  ExpectDoneGetsTheCallersArg(g.get(), &done);
}

// At a limit of one, the started task waits for the slot of a blocked task
// (whose thread may then run it itself, chained).
TEST(Start, TaskDoneGetsTheCallersArgAtALimit) {
  GroupPtr g = NewGroup();
  DoneCalls done;
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), DoneCalls::Done, &done));
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  StartedArg started;
  started.result = 9;
  std::atomic<int> rc{-100};
  std::thread starter([&] {
    rc = eg_group_start(g.get(), StartedArg::Run, &started, nullptr);
  });
  ASSERT_TRUE(
      WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 1; }));
  release.Open();
  starter.join();
  EXPECT_EQ(0, rc.load());
  eg_error* result = eg_group_wait(g.get());
  ASSERT_NE(nullptr, result);
  EXPECT_EQ(9, eg_error_code(result));
  EXPECT_EQ(2u, done.Count());
  auto calls = done.For(&started);
  ASSERT_EQ(1u, calls.size());
  EXPECT_EQ(9, calls[0].code);
}

// Worker mode and skip mode: a started task waiting in the queue when the
// group is canceled is skipped; its starter returns EG_ESKIPPED (it does
// not wait forever), the callback (if set) gets the caller's arg with
// EG_ESKIPPED, and nothing leaks (ASan).
void ExpectQueuedStartSkipped(bool with_callback) {
  GroupPtr g = NewGroup();
  DoneCalls done;
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  ASSERT_EQ(EG_OK, eg_group_skip_when_canceled(g.get()));
  if (with_callback) {
    ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), DoneCalls::Done, &done));
  }
  Latch running(1);
  Gate release;
  ASSERT_TRUE(StartBlockedTasks(g.get(), 1, &running, &release));
  running.Wait();
  StartedArg started;
  started.ready = true;
  std::atomic<int> rc{-100};
  eg_error* task_error = eg_error_nomem();
  Latch returned(1);
  std::thread starter([&] {
    rc = eg_group_start(g.get(), StartedArg::Run, &started, &task_error);
    returned.CountDown();
  });
  ASSERT_TRUE(WaitUntil([&] { return eg_testing_queued_tasks(g.get()) == 1; }));
  ASSERT_EQ(EG_OK, eg_group_cancel(g.get(), nullptr));
  release.Open();
  if (!returned.WaitFor(kEventBound)) {
    // The starter hangs: leave it (and the group it uses) behind.
    ADD_FAILURE() << "eg_group_start never returned for its skipped task";
    starter.detach();
    (void)g.release();
    return;
  }
  starter.join();
  EXPECT_EQ(EG_ESKIPPED, rc.load());
  EXPECT_EQ(nullptr, task_error);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, started.ran.load());
  EXPECT_EQ(1, eg_group_skipped(g.get()));
  if (!with_callback) return;
  EXPECT_EQ(2u, done.Count());  // the blocked task and the skipped one
  auto calls = done.For(&started);
  ASSERT_EQ(1u, calls.size());
  EXPECT_EQ(EG_ESKIPPED, calls[0].status);
  EXPECT_EQ(0, calls[0].code);
}

TEST(Start, QueuedInWorkerModeAndSkippedReturnsSkipped) {
  ExpectQueuedStartSkipped(false);
}

TEST(Start, QueuedInWorkerModeAndSkippedIsReportedWithTheCallersArg) {
  ExpectQueuedStartSkipped(true);
}

class StartFaults : public FaultModeTest {};

// Every allocation of a start failing in turn: the start reports
// EG_ENOMEM or EG_EAGAIN (the task never ran) or succeeds; it never hangs or
// leaks (ASan), and the group stays usable.
TEST_P(StartFaults, OutOfMemory) {
  GroupPtr g = NewGroup();
  bool succeeded = false;
  for (long n = 0; n < 64 && !succeeded; ++n) {
    FailAllocs(n);
    std::atomic<int> ran{0};
    int rc = eg_group_start(
        g.get(),
        [](eg_context* ctx, void* arg) -> eg_error* {
          static_cast<std::atomic<int>*>(arg)->store(1);
          eg_task_ready(ctx);
          return nullptr;
        },
        &ran, nullptr);
    StopFaults();
    EXPECT_EQ(nullptr, eg_group_wait(g.get()));
    // EG_EAGAIN: the pool had no thread and making one needed memory.
    if (rc == EG_ENOMEM || rc == EG_EAGAIN) {
      EXPECT_EQ(0, ran.load());
    } else {
      EXPECT_EQ(1, rc);
      succeeded = true;
    }
  }
  EXPECT_TRUE(succeeded);
}

// No pool thread exists and none can be made: EG_EAGAIN, the task never
// ran, the starter does not hang.
TEST_P(StartFaults, NoThreads) {
  ASSERT_EQ(EG_OK, ShutdownPoolWhenIdle());
  GroupPtr g = NewGroup();
  FailThreads(0);
  std::atomic<int> ran{0};
  auto task = [](eg_context* ctx, void* arg) -> eg_error* {
    static_cast<std::atomic<int>*>(arg)->store(1);
    eg_task_ready(ctx);
    return nullptr;
  };
  EXPECT_EQ(EG_EAGAIN, eg_group_start(g.get(), task, &ran, nullptr));
  EXPECT_EQ(0, ran.load());
  StopFaults();
  EXPECT_EQ(1, eg_group_start(g.get(), task, &ran, nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, ran.load());
}

INSTANTIATE_FAULT_MODES(StartFaults);

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

// In the child of a fork (see test_fork.cc for why sanitizers skip it).
TEST(Start, InAForkedChild) {
#ifdef SANITIZED
  GTEST_SKIP() << "sanitizer runtimes do not support fork() with threads";
#endif
  GroupPtr g = NewGroup();
  ASSERT_EQ(1, StartFnIn(g.get(), [](eg_context* ctx) {
              eg_task_ready(ctx);
              return nullptr;
            }));
  ASSERT_EQ(nullptr, eg_group_wait(g.get()));  // the pool runs
  pid_t pid = fork();
  if (pid == 0) {
    static std::atomic<int> go_on{0};
    eg_group* child = nullptr;
    if (eg_group_new(&child) != EG_OK) _exit(1);
    auto task = [](eg_context* ctx, void*) -> eg_error* {
      eg_task_ready(ctx);
      while (go_on.load() == 0) sched_yield();
      return nullptr;
    };
    if (eg_group_start(child, task, nullptr, nullptr) != 1) _exit(2);
    go_on = 1;
    if (eg_group_wait(child) != nullptr) _exit(3);
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
