/* SPDX-License-Identifier: BSD-3-Clause */
// Issue 14, feature 3: eg_group_on_task_done, and a completion queue built
// on top of it.
#include <deque>
#include <map>

#include "errgroup_async.h"
#include "helpers.h"

namespace egtest {
namespace {

// What the callback saw, per task argument.
struct Seen {
  std::mutex mu;
  std::map<void *, int> calls;    // task_arg -> number of calls
  std::map<void *, int> statuses; // task_arg -> last status
  std::map<void *, std::thread::id> threads;
  std::vector<ErrorPtr> errors; // retained in the callback
  std::atomic<int> total{0};

  static void Done(void *self, void *task_arg, int status, eg_error *error) {
    auto *s = static_cast<Seen *>(self);
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->calls[task_arg]++;
      s->statuses[task_arg] = status;
      s->threads[task_arg] = std::this_thread::get_id();
      if (error != nullptr)
        s->errors.emplace_back(eg_error_retain(error));
    }
    s->total++;
  }
};

// A task that records its thread and returns the error it is given.
struct Task {
  std::thread::id ran_on;
  eg_error *result = nullptr;
  Gate *hold = nullptr;
  static eg_error *Run(eg_context *, void *arg) {
    auto *t = static_cast<Task *>(arg);
    t->ran_on = std::this_thread::get_id();
    if (t->hold != nullptr)
      t->hold->Wait();
    return t->result;
  }
};

TEST(ExtrasDone, BadInput) {
  Seen seen;
  EXPECT_EQ(EG_EINVAL, eg_group_on_task_done(nullptr, Seen::Done, &seen));
  auto g = NewGroup();
  EXPECT_EQ(EG_EINVAL, eg_group_on_task_done(g.get(), nullptr, &seen));
  EXPECT_EQ(EG_OK, eg_group_on_task_done(g.get(), Seen::Done, &seen));
  EXPECT_EQ(EG_EBUSY, eg_group_on_task_done(g.get(), Seen::Done, &seen));
  auto used = NewGroup();
  ASSERT_EQ(1, eg_group_try_admit(used.get())); // an admission counts too
  EXPECT_EQ(EG_EBUSY, eg_group_on_task_done(used.get(), Seen::Done, &seen));
  eg_group_external_done(used.get(), nullptr);
}

TEST(ExtrasDone, OncePerTaskOnItsThreadBeforeWaitReturns) {
  Seen seen;
  auto gc = NewGroupWithContext(eg_context_background());
  eg_group *g = gc.group.get();
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g, Seen::Done, &seen));
  constexpr int kTasks = 32;
  std::vector<Task> tasks(kTasks);
  eg_error *boom = eg_error_new(7, "boom");
  eg_error *also = eg_error_new(8, "also");
  tasks[3].result = boom;
  tasks[9].result = also;
  for (auto &t : tasks)
    ASSERT_EQ(EG_OK, eg_group_go(g, Task::Run, &t));
  eg_error *first = eg_group_wait(g);
  EXPECT_TRUE(first == boom || first == also);
  EXPECT_EQ(kTasks, seen.total.load()); // every call returned before wait
  std::lock_guard<std::mutex> lock(seen.mu);
  for (auto &t : tasks) {
    EXPECT_EQ(1, seen.calls[&t]);
    EXPECT_EQ(EG_OK, seen.statuses[&t]);
    EXPECT_EQ(t.ran_on, seen.threads[&t]);
  }
  // Both errors were borrowed in the call: the loser too (retained there).
  ASSERT_EQ(2u, seen.errors.size());
  EXPECT_NE(seen.errors[0].get(), seen.errors[1].get());
  for (auto &e : seen.errors)
    EXPECT_TRUE(e.get() == boom || e.get() == also);
}

TEST(ExtrasDone, NestedLimitedChainedWorkersAndReuse) {
  for (int mode = 0; mode < 3; ++mode) { // limit 1, limit 2, workers 2
    Seen seen;
    auto g = NewGroup();
    eg_group *raw = g.get();
    ASSERT_EQ(EG_OK, eg_group_on_task_done(raw, Seen::Done, &seen));
    if (mode < 2)
      ASSERT_EQ(EG_OK, eg_group_set_limit(raw, mode + 1, nullptr));
    else
      ASSERT_EQ(EG_OK, eg_group_set_workers(raw, 2));
    for (int round = 0; round < 2; ++round) {
      std::atomic<int> ran{0};
      for (int i = 0; i < 20; ++i)
        ASSERT_EQ(EG_OK, GoFn(raw, [&ran, raw, mode](eg_context *) {
                    ran++;
                    if (mode == 2) { // nested (never blocks in worker mode)
                      EXPECT_EQ(EG_OK, GoFn(raw, [&ran](eg_context *) {
                                  ran++;
                                  return nullptr;
                                }));
                    }
                    return nullptr;
                  }));
      EXPECT_EQ(nullptr, eg_group_wait(raw));
      int expected = mode == 2 ? 40 : 20;
      EXPECT_EQ(expected, ran.load());
      EXPECT_EQ(expected * (round + 1), seen.total.load())
          << "mode " << mode << " round " << round;
    }
  }
}

TEST(ExtrasDone, ExternalTasksAreNotReported) {
  Seen seen;
  auto g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), Seen::Done, &seen));
  ASSERT_EQ(1, eg_group_try_admit(g.get()));
  EXPECT_EQ(1, eg_group_external_done(g.get(), eg_error_new(1, "ext")));
  EXPECT_NE(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(0, seen.total.load());
}

TEST(ExtrasDone, WaitFromTheCallbackIsRefusedAndGoWorks) {
  struct State {
    eg_group *g;
    std::atomic<int> deadlk{0};
    std::atomic<int> nested{0};
  } state;
  auto g = NewGroup();
  state.g = g.get();
  auto done = [](void *arg, void *task_arg, int, eg_error *) {
    auto *s = static_cast<State *>(arg);
    if (eg_error_code(eg_group_wait(s->g)) == EG_EDEADLK)
      s->deadlk++;
    if (task_arg == nullptr) { // the outer task starts one more
      EXPECT_EQ(EG_OK, eg_group_go(
                           s->g,
                           [](eg_context *, void *a) -> eg_error * {
                             static_cast<State *>(a)->nested++;
                             return nullptr;
                           },
                           s));
    }
  };
  ASSERT_EQ(EG_OK, eg_group_on_task_done(g.get(), done, &state));
  ASSERT_EQ(EG_OK,
            eg_group_go(
                g.get(),
                [](eg_context *, void *) -> eg_error * { return nullptr; },
                nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, state.nested.load());
  EXPECT_EQ(2, state.deadlk.load());
}

// The claim of the header: a completion queue is a few lines on top of
// the callback. Results come out in completion order, with their errors.
class CompletionQueue {
public:
  struct Result {
    void *task_arg;
    int status;
    ErrorPtr error;
  };
  static void Push(void *self, void *task_arg, int status, eg_error *error) {
    auto *q = static_cast<CompletionQueue *>(self);
    std::lock_guard<std::mutex> lock(q->mu_);
    q->items_.push_back({task_arg, status, ErrorPtr(eg_error_retain(error))});
    q->cv_.notify_one();
  }
  Result Next() { // blocks until a task has completed
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty(); });
    Result r = std::move(items_.front());
    items_.pop_front();
    return r;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result> items_;
};

TEST(ExtrasDone, CompletionQueueOnTop) {
  CompletionQueue queue;
  auto g = NewGroup();
  ASSERT_EQ(EG_OK,
            eg_group_on_task_done(g.get(), CompletionQueue::Push, &queue));
  constexpr int kTasks = 4;
  Gate gates[kTasks];
  Task tasks[kTasks];
  for (int i = 0; i < kTasks; ++i) {
    tasks[i].hold = &gates[i];
    tasks[i].result = i == 1 ? eg_error_new(11, "second fails") : nullptr;
    ASSERT_EQ(EG_OK, eg_group_go(g.get(), Task::Run, &tasks[i]));
  }
  // Released last to first: the queue yields them in that order, each
  // before the group is done.
  for (int i = kTasks - 1; i >= 0; --i) {
    gates[i].Open();
    CompletionQueue::Result r = queue.Next();
    EXPECT_EQ(&tasks[i], r.task_arg);
    EXPECT_EQ(EG_OK, r.status);
    EXPECT_EQ(i == 1 ? 11 : EG_EINVAL, eg_error_code(r.error.get()));
  }
  EXPECT_EQ(11, eg_error_code(eg_group_wait(g.get())));
}

class ExtrasDoneOom : public FaultHooksTest {};

TEST_F(ExtrasDoneOom, SetupFailsCleanly) {
  Seen seen;
  auto g = NewGroup();
  eg_testing_fail_alloc_after(0);
  EXPECT_EQ(EG_ENOMEM, eg_group_on_task_done(g.get(), Seen::Done, &seen));
  eg_testing_fail_alloc_after(-1);
  EXPECT_EQ(EG_OK, eg_group_on_task_done(g.get(), Seen::Done, &seen));
  ASSERT_EQ(EG_OK, GoFn(g.get(), [](eg_context *) { return nullptr; }));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  EXPECT_EQ(1, seen.total.load());
}

} // namespace
} // namespace egtest
