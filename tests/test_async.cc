/* SPDX-License-Identifier: BSD-3-Clause */
// The experimental asynchronous API (include/errgroup_async.h): external
// tasks admitted without blocking, their completion, asynchronous waits,
// and how they share one group with pool tasks.
#include "errgroup_async.h"

#include <string>

#include "helpers.h"

namespace egtest {
namespace {

// Counts admissions delivered through the callback, in order.
struct Admissions {
  std::mutex mu;
  std::vector<std::string> order;

  static void Admitted(void* arg) {
    auto* request = static_cast<std::pair<Admissions*, std::string>*>(arg);
    std::lock_guard<std::mutex> lock(request->first->mu);
    request->first->order.push_back(request->second);
  }
  std::vector<std::string> Order() {
    std::lock_guard<std::mutex> lock(mu);
    return order;
  }
};

// Records the result of an asynchronous wait.
struct WaitResult {
  std::atomic<int> calls{0};
  std::atomic<eg_error*> error{nullptr};
  std::atomic<int> ctx_done_at_call{-1};
  eg_context* ctx = nullptr;

  static void Done(void* arg, eg_error* error) {
    auto* self = static_cast<WaitResult*>(arg);
    self->error = error;
    if (self->ctx != nullptr)
      self->ctx_done_at_call = eg_context_done(self->ctx);
    self->calls++;
  }
};

TEST(Admit, UnlimitedGroupAdmitsAtOnce) {
  GroupPtr g = NewGroup();
  EXPECT_EQ(1, eg_group_admit(g.get(), Admissions::Admitted, nullptr));
  EXPECT_EQ(1, eg_group_try_admit(g.get()));
  WaitResult wait;
  eg_error* result = nullptr;
  EXPECT_EQ(0, eg_group_wait_async(g.get(), WaitResult::Done, &wait, &result))
      << "two tasks are active";
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(0, wait.calls.load());
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(1, wait.calls.load()) << "completed by the last task's done";
  EXPECT_EQ(nullptr, wait.error.load());
}

// An admission notification that ends its task at once re-enters the group
// from inside the grant, which hands the slot to the next queued admission
// (issue 11, bug 9). 100,000 of them overflowed the stack when each grant
// called the next notification from inside itself.
struct ReentrantAdmissions {
  eg_group* group = nullptr;
  int admitted = 0;  // only ever touched by the thread that grants
  static void EndAtOnce(void* arg) {
    auto* self = static_cast<ReentrantAdmissions*>(arg);
    self->admitted++;
    eg_group_external_done(self->group, nullptr);
  }
};

constexpr int kReentrantAdmissions = 100000;

TEST(Admit, ReentrantNotificationsDoNotNest) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  ReentrantAdmissions a;
  a.group = g.get();
  ASSERT_EQ(1, eg_group_try_admit(g.get()));  // holds the only slot
  for (int i = 0; i < kReentrantAdmissions; ++i)
    ASSERT_EQ(0, eg_group_admit(g.get(), ReentrantAdmissions::EndAtOnce, &a));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));  // the holder ends
  EXPECT_EQ(kReentrantAdmissions, a.admitted);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(Admit, ReentrantNotificationsDoNotNestInWorkerMode) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_workers(g.get(), 1));
  ReentrantAdmissions a;
  a.group = g.get();
  ASSERT_EQ(1, eg_group_try_admit(g.get()));  // holds the only worker
  for (int i = 0; i < kReentrantAdmissions; ++i)
    ASSERT_EQ(0, eg_group_admit(g.get(), ReentrantAdmissions::EndAtOnce, &a));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(kReentrantAdmissions, a.admitted);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

// Deferred, a notification still comes in order, after the one that
// re-entered has returned.
TEST(Admit, DeferredNotificationsKeepTheirOrder) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  struct Request {
    eg_group* group;
    std::vector<int>* log;
    int id;
  };
  std::vector<int> log;
  std::vector<Request> requests;
  for (int i = 0; i < 3; ++i) requests.push_back(Request{g.get(), &log, i});
  auto end_at_once = [](void* arg) {
    auto* r = static_cast<Request*>(arg);
    r->log->push_back(r->id);
    eg_group_external_done(r->group, nullptr);
    r->log->push_back(100 + r->id);  // the next one has not run yet
  };
  ASSERT_EQ(1, eg_group_try_admit(g.get()));
  for (auto& r : requests) ASSERT_EQ(0, eg_group_admit(g.get(), end_at_once, &r));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ((std::vector<int>{0, 100, 1, 101, 2, 102}), log);
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(Admit, QueuedRequestsAreAdmittedFirstComeFirstServed) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  ASSERT_EQ(1, eg_group_try_admit(g.get()));  // holds the only slot
  EXPECT_EQ(0, eg_group_try_admit(g.get()));

  Admissions admissions;
  std::pair<Admissions*, std::string> a{&admissions, "A"}, c{&admissions, "C"};
  ASSERT_EQ(0, eg_group_admit(g.get(), Admissions::Admitted, &a));
  std::atomic<bool> b_ran{false};
  std::thread b_caller([&] {
    EXPECT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
                b_ran = true;
                return nullptr;
              }));
  });
  ASSERT_TRUE(
      WaitUntil([&] { return eg_testing_blocked_go_callers(g.get()) == 2; }));
  ASSERT_EQ(0, eg_group_admit(g.get(), Admissions::Admitted, &c));
  EXPECT_EQ(3, eg_testing_blocked_go_callers(g.get()));
  EXPECT_TRUE(admissions.Order().empty());

  // The holder returns: A is admitted, from inside this call.
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(std::vector<std::string>{"A"}, admissions.Order());
  EXPECT_EQ(0, eg_group_try_admit(g.get())) << "the slot went to A";
  // A returns: B, the blocked go caller, is next.
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  b_caller.join();
  // B's task returns on its own and hands the slot to C.
  ASSERT_TRUE(WaitUntil([&] { return admissions.Order().size() == 2; }));
  EXPECT_TRUE(b_ran.load());
  EXPECT_EQ((std::vector<std::string>{"A", "C"}), admissions.Order());
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
}

TEST(Admit, AdmittedRequestIsCountedBeforeItIsNotified) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 1, nullptr));
  ASSERT_EQ(1, eg_group_try_admit(g.get()));
  Admissions admissions;
  std::pair<Admissions*, std::string> a{&admissions, "A"};
  ASSERT_EQ(0, eg_group_admit(g.get(), Admissions::Admitted, &a));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  ASSERT_EQ(1u, admissions.Order().size());
  // A is active now, so the group is not idle.
  WaitResult wait;
  eg_error* result = nullptr;
  EXPECT_EQ(0, eg_group_wait_async(g.get(), WaitResult::Done, &wait, &result));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(1, wait.calls.load());
}

TEST(Admit, LimitZeroNeverAdmitsAndFreeingDropsTheRequest) {
  GroupPtr g = NewGroup();
  ASSERT_EQ(EG_OK, eg_group_set_limit(g.get(), 0, nullptr));
  Admissions admissions;
  std::pair<Admissions*, std::string> a{&admissions, "A"};
  EXPECT_EQ(0, eg_group_admit(g.get(), Admissions::Admitted, &a));
  EXPECT_EQ(0, eg_group_try_admit(g.get()));
  EXPECT_EQ(nullptr, eg_group_wait(g.get()));
  g.reset();  // LeakSanitizer checks the queued request is freed
  EXPECT_TRUE(admissions.Order().empty());
}

TEST(ExternalDone, FirstErrorIsRecordedAndCancelsTheContext) {
  CountedErrors errors;
  auto gc = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(1, eg_group_try_admit(gc.group.get()));
  ASSERT_EQ(1, eg_group_try_admit(gc.group.get()));
  eg_error* first = errors.Make(1, "first");
  EXPECT_EQ(1, eg_group_external_done(gc.group.get(), first));
  EXPECT_TRUE(eg_context_done(gc.ctx.get()));
  EXPECT_EQ(first, eg_context_cause(gc.ctx.get()));
  EXPECT_EQ(0, eg_group_external_done(gc.group.get(), errors.Make(2)));
  EXPECT_EQ(1, errors.released()) << "the losing error is released at once";
  EXPECT_EQ(first, eg_group_wait(gc.group.get()));
}

TEST(ExternalDone, SharesTheGroupWithPoolTasks) {
  auto gc = NewGroupWithContext(eg_context_background());
  ASSERT_EQ(1, eg_group_try_admit(gc.group.get()));
  Latch pool_task_saw_cancel(1);
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [&](eg_context* ctx) {
              EXPECT_EQ(EG_OK, eg_context_wait(ctx, -1));
              pool_task_saw_cancel.CountDown();
              return nullptr;
            }));
  eg_error* failure = eg_error_new(7, "external failure");
  EXPECT_EQ(1, eg_group_external_done(gc.group.get(), failure));
  pool_task_saw_cancel.Wait();
  EXPECT_EQ(failure, eg_group_wait(gc.group.get()));
}

// eg_group_external_record: the error is recorded (first, the context
// canceled, kept in order) while the task still counts as active; its
// eg_group_external_done(NULL) then ends it.
TEST(ExternalRecord, RecordsWithoutEndingTheTask) {
  CountedErrors errors;
  auto gc = NewGroupWithContext(eg_context_background());
  eg_group* g = gc.group.get();
  ASSERT_EQ(EG_OK, eg_group_keep_errors(g, 4));
  ASSERT_EQ(1, eg_group_try_admit(g));
  ASSERT_EQ(1, eg_group_try_admit(g));
  EXPECT_EQ(0, eg_group_external_record(g, nullptr));
  eg_error* first = errors.Make(1, "first");
  EXPECT_EQ(1, eg_group_external_record(g, first));
  EXPECT_TRUE(eg_context_done(gc.ctx.get()));
  EXPECT_EQ(first, eg_context_cause(gc.ctx.get()));
  EXPECT_EQ(0, eg_group_idle(g)) << "the recording task is still active";
  eg_error* second = errors.Make(2, "second");
  EXPECT_EQ(0, eg_group_external_done(g, second));
  eg_error* kept[2] = {nullptr, nullptr};
  ASSERT_EQ(2, eg_group_errors(g, kept, 2, nullptr));
  EXPECT_EQ(first, kept[0]) << "recorded first, kept first";
  EXPECT_EQ(second, kept[1]);
  eg_error_release(kept[0]);
  eg_error_release(kept[1]);
  eg_error* result = nullptr;
  EXPECT_EQ(EG_ETIMEDOUT, eg_group_wait_timeout(g, 0, &result));
  EXPECT_EQ(0, eg_group_external_done(g, nullptr));
  EXPECT_EQ(1, eg_group_idle(g));
  EXPECT_EQ(first, eg_group_wait(g));
}

TEST(ExternalRecord, ALosingErrorIsReleasedAtOnce) {
  CountedErrors errors;
  GroupPtr g = NewGroup();
  ASSERT_EQ(1, eg_group_try_admit(g.get()));
  ASSERT_EQ(1, eg_group_try_admit(g.get()));
  eg_error* first = errors.Make(1);
  EXPECT_EQ(1, eg_group_external_record(g.get(), first));
  EXPECT_EQ(0, eg_group_external_record(g.get(), errors.Make(2)));
  EXPECT_EQ(1, errors.released());
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr));
  EXPECT_EQ(first, eg_group_wait(g.get()));
  EXPECT_EQ(EG_EINVAL, eg_group_external_record(nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_external_record(nullptr, errors.Make(3)));
  EXPECT_EQ(2, errors.released()) << "refused: the reference is released";
}

TEST(WaitAsync, CompletesAtOnceWhenIdle) {
  auto gc = NewGroupWithContext(eg_context_background());
  WaitResult wait;
  eg_error* result = reinterpret_cast<eg_error*>(1);
  EXPECT_EQ(1, eg_group_wait_async(gc.group.get(), WaitResult::Done, &wait,
                                   &result));
  EXPECT_EQ(nullptr, result);
  EXPECT_EQ(0, wait.calls.load()) << "done is not called when idle";
  EXPECT_EQ(EG_ECANCELED, eg_context_err(gc.ctx.get()));
  EXPECT_EQ(eg_error_canceled(), eg_context_cause(gc.ctx.get()));
}

TEST(WaitAsync, CallsDoneOnceAfterCancelingWithTheFirstError) {
  auto gc = NewGroupWithContext(eg_context_background());
  Gate release;
  ASSERT_EQ(EG_OK, GoFn(gc.group.get(), [&](eg_context*) {
              release.Wait();
              return eg_error_new(3, "late failure");
            }));
  WaitResult first_wait, second_wait;
  first_wait.ctx = second_wait.ctx = gc.ctx.get();
  eg_error* result = nullptr;
  ASSERT_EQ(0, eg_group_wait_async(gc.group.get(), WaitResult::Done,
                                   &first_wait, &result));
  ASSERT_EQ(0, eg_group_wait_async(gc.group.get(), WaitResult::Done,
                                   &second_wait, &result));
  release.Open();
  ASSERT_TRUE(WaitUntil([&] {
    return first_wait.calls.load() == 1 && second_wait.calls.load() == 1;
  }));
  eg_error* error = first_wait.error.load();
  ASSERT_NE(nullptr, error);
  EXPECT_EQ(3, eg_error_code(error));
  EXPECT_EQ(error, second_wait.error.load());
  EXPECT_EQ(error, eg_context_cause(gc.ctx.get()));
  EXPECT_EQ(1, first_wait.ctx_done_at_call.load()) << "canceled before done";
  EXPECT_EQ(error, eg_group_wait(gc.group.get())) << "sticky";
  EXPECT_TRUE(StaysFalse([&] { return first_wait.calls.load() > 1; }));
}

TEST(WaitAsync, FreeingTheGroupWhileAWaitIsPendingIsDeferred) {
  eg_group* g = nullptr;
  ASSERT_EQ(EG_OK, eg_group_new(&g));
  ASSERT_EQ(1, eg_group_try_admit(g));
  WaitResult wait;
  eg_error* result = nullptr;
  ASSERT_EQ(0, eg_group_wait_async(g, WaitResult::Done, &wait, &result));
  eg_group_free(g);  // deferred: a task and a wait are pending
  // The task may still report; the wait completes, then the group goes
  // (ASan checks nothing is touched after that).
  EXPECT_EQ(1, eg_group_external_done(g, eg_error_new(1, "after free")));
  EXPECT_EQ(1, wait.calls.load());
  EXPECT_NE(nullptr, wait.error.load()) << "it was valid during the call";
}

TEST(WaitAsync, RacesWithTheLastTaskWithoutLosingTheWait) {
  for (int round = 0; round < 2000; ++round) {
    GroupPtr g = NewGroup();
    ASSERT_EQ(1, eg_group_try_admit(g.get()));
    WaitResult wait;
    std::thread finisher(
        [&] { EXPECT_EQ(0, eg_group_external_done(g.get(), nullptr)); });
    eg_error* result = nullptr;
    int rc = eg_group_wait_async(g.get(), WaitResult::Done, &wait, &result);
    finisher.join();
    ASSERT_TRUE(rc == 1 || rc == 0);
    EXPECT_EQ(rc == 1 ? 0 : 1, wait.calls.load()) << "round " << round;
  }
}

// The last task's thread calls `done` after that task was counted out, so
// no task of the group runs there any more: a wait for the group from `done`
// returns its result at once (nothing is active), not EG_EDEADLK.
TEST(WaitAsync, DoneOnTheLastTasksThreadMayWaitForTheIdleGroup) {
  struct WaitAgain {
    eg_group* group = nullptr;
    std::atomic<eg_error*> again{nullptr};
    std::atomic<int> calls{0};
    static void Done(void* arg, eg_error*) {
      auto* self = static_cast<WaitAgain*>(arg);
      self->again = eg_group_wait(self->group);
      self->calls++;
    }
  };
  GroupPtr g = NewGroup();
  Gate release;
  ASSERT_EQ(EG_OK, GoFn(g.get(), [&](eg_context*) {
              release.Wait();
              return nullptr;
            }));
  WaitAgain wait;
  wait.group = g.get();
  eg_error* result = nullptr;
  ASSERT_EQ(0, eg_group_wait_async(g.get(), WaitAgain::Done, &wait, &result));
  release.Open();
  ASSERT_TRUE(WaitUntil([&] { return wait.calls.load() == 1; }));
  eg_error* again = wait.again.load();
  EXPECT_EQ(nullptr, again) << eg_error_message(again);
}

TEST(PayloadRelease, TellsWhichFunctionWrappedThePayload) {
  CountedErrors errors;
  ErrorPtr wrapped(errors.Make(1));
  ErrorPtr plain(eg_error_new(1, "plain"));
  EXPECT_NE(nullptr, eg_error_payload_release(wrapped.get()));
  EXPECT_EQ(nullptr, eg_error_payload_release(plain.get()));
  EXPECT_EQ(nullptr, eg_error_payload_release(nullptr));
}

TEST(AsyncBadInput, NullArgumentsAreRefused) {
  GroupPtr g = NewGroup();
  eg_error* result = nullptr;
  EXPECT_EQ(EG_EINVAL, eg_group_admit(nullptr, Admissions::Admitted, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_admit(g.get(), nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_try_admit(nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_external_done(nullptr, nullptr));
  EXPECT_EQ(EG_EINVAL, eg_group_external_done(nullptr, eg_error_new(1, "x")))
      << "the error's reference is released, not leaked";
  EXPECT_EQ(EG_EINVAL,
            eg_group_wait_async(nullptr, WaitResult::Done, nullptr, &result));
  EXPECT_EQ(EG_EINVAL, eg_group_wait_async(g.get(), nullptr, nullptr, &result));
  EXPECT_EQ(EG_EINVAL,
            eg_group_wait_async(g.get(), WaitResult::Done, nullptr, nullptr));
}

}  // namespace
}  // namespace egtest
