/* SPDX-License-Identifier: BSD-3-Clause */
// eg_error values: construction, reference counting, payloads, the static
// errors and eg_strerror's texts.
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "helpers.h"

namespace {

using egtest::CountedErrors;
using egtest::Latch;

TEST(Error, NewKeepsCodeAndCopiesMessage) {
  char message[] = "disk on fire";
  eg_error* err = eg_error_new(42, message);
  ASSERT_NE(nullptr, err);
  std::memset(message, 'x', sizeof message - 1);  // the error owns a copy
  EXPECT_EQ(42, eg_error_code(err));
  EXPECT_STREQ("disk on fire", eg_error_message(err));
  EXPECT_EQ(nullptr, eg_error_payload(err));
  eg_error_release(err);
}

TEST(Error, NewWithNullMessageGivesEmptyMessage) {
  eg_error* err = eg_error_new(-3, nullptr);
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(-3, eg_error_code(err));
  ASSERT_NE(nullptr, eg_error_message(err));
  EXPECT_STREQ("", eg_error_message(err));
  eg_error_release(err);
}

TEST(Error, DistinctErrorsAreDistinctObjects) {
  eg_error* a = eg_error_new(1, "same");
  eg_error* b = eg_error_new(1, "same");
  EXPECT_NE(a, b);
  eg_error_release(a);
  eg_error_release(b);
}

TEST(Error, WrapKeepsPayloadAndReleasesItOnceOnLastReference) {
  CountedErrors counted;
  eg_error* err = counted.Make(7, "wrapped");
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(7, eg_error_code(err));
  EXPECT_STREQ("wrapped", eg_error_message(err));
  EXPECT_EQ(static_cast<void*>(&counted), eg_error_payload(err));

  EXPECT_EQ(err, eg_error_retain(err));
  EXPECT_EQ(err, eg_error_retain(err));
  eg_error_release(err);
  eg_error_release(err);
  EXPECT_EQ(0, counted.released()) << "freed while a reference remained";
  eg_error_release(err);
  EXPECT_EQ(1, counted.released());
}

TEST(Error, WrapWithoutReleaseCallbackIsFine) {
  int payload = 5;
  eg_error* err = eg_error_wrap(1, nullptr, &payload, nullptr);
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(&payload, eg_error_payload(err));
  EXPECT_STREQ("", eg_error_message(err));
  eg_error_release(err);
}

TEST(Error, ConcurrentRetainReleaseFreesExactlyOnce) {
  CountedErrors counted;
  eg_error* err = counted.Make(1, "shared");
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  Latch start(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.Wait();
      for (int i = 0; i < kRounds; ++i) {
        eg_error* mine = eg_error_retain(err);
        EXPECT_EQ(err, mine);
        EXPECT_EQ(1, eg_error_code(mine));
        eg_error_release(mine);
      }
    });
  }
  start.CountDown();
  for (auto& t : threads) t.join();
  EXPECT_EQ(0, counted.released());
  eg_error_release(err);
  EXPECT_EQ(1, counted.released());
}

TEST(Error, LastReleaseMayHappenOnAnotherThread) {
  CountedErrors counted;
  eg_error* err = counted.Make(1, "moving");
  std::thread([err] { eg_error_release(err); }).join();
  EXPECT_EQ(1, counted.released());
}

TEST(Error, StaticCanceledHasGoText) {
  eg_error* err = eg_error_canceled();
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(EG_ECANCELED, eg_error_code(err));
  EXPECT_STREQ("context canceled", eg_error_message(err));
  EXPECT_EQ(err, eg_error_canceled());
}

TEST(Error, StaticDeadlineExceededHasGoText) {
  eg_error* err = eg_error_deadline_exceeded();
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(EG_EDEADLINE_EXCEEDED, eg_error_code(err));
  EXPECT_STREQ("context deadline exceeded", eg_error_message(err));
  EXPECT_EQ(err, eg_error_deadline_exceeded());
}

TEST(Error, StaticNomemHasNomemCode) {
  eg_error* err = eg_error_nomem();
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(EG_ENOMEM, eg_error_code(err));
  EXPECT_EQ(err, eg_error_nomem());
}

TEST(Error, StaticErrorsAreDistinct) {
  std::set<eg_error*> statics{eg_error_canceled(), eg_error_deadline_exceeded(),
                              eg_error_nomem()};
  EXPECT_EQ(3u, statics.size());
}

TEST(Error, StaticErrorsSurviveReleases) {
  // Releasing a static error many times must never free it (ASan would
  // report a bad free or use after free).
  for (eg_error* err : {eg_error_canceled(), eg_error_deadline_exceeded(),
                        eg_error_nomem()}) {
    for (int i = 0; i < 10; ++i) eg_error_release(err);
    EXPECT_EQ(err, eg_error_retain(err));
    eg_error_release(err);
  }
  EXPECT_STREQ("context canceled", eg_error_message(eg_error_canceled()));
  EXPECT_STREQ("context deadline exceeded",
               eg_error_message(eg_error_deadline_exceeded()));
  EXPECT_EQ(EG_ENOMEM, eg_error_code(eg_error_nomem()));
}

TEST(Error, NullIsHandledEverywhere) {
  EXPECT_EQ(nullptr, eg_error_retain(nullptr));
  eg_error_release(nullptr);
  EXPECT_EQ(EG_EINVAL, eg_error_code(nullptr));
  ASSERT_NE(nullptr, eg_error_message(nullptr));
  EXPECT_STREQ("", eg_error_message(nullptr));
  EXPECT_EQ(nullptr, eg_error_payload(nullptr));
}

TEST(StrError, ContextCodesUseGoTexts) {
  EXPECT_STREQ("context canceled", eg_strerror(EG_ECANCELED));
  EXPECT_STREQ("context deadline exceeded",
               eg_strerror(EG_EDEADLINE_EXCEEDED));
}

TEST(StrError, EveryCodeHasItsOwnDescription) {
  std::set<std::string> texts;
  for (int code : {EG_OK, EG_EINVAL, EG_ENOMEM, EG_EAGAIN, EG_EBUSY,
                   EG_ETIMEDOUT, EG_ECANCELED, EG_EDEADLINE_EXCEEDED,
                   EG_EDEADLK, EG_ESKIPPED}) {
    const char* text = eg_strerror(code);
    ASSERT_NE(nullptr, text) << "code " << code;
    EXPECT_STRNE("", text) << "code " << code;
    EXPECT_STRNE("unknown error", text) << "code " << code;
    texts.insert(text);
  }
  EXPECT_EQ(10u, texts.size()) << "two codes share a description";
}

TEST(StrError, UnknownCodesGiveUnknownError) {
  for (int code : {1, 42, -10, -100, 12345, -2147483647 - 1, 2147483647}) {
    ASSERT_NE(nullptr, eg_strerror(code));
    EXPECT_STREQ("unknown error", eg_strerror(code)) << "code " << code;
  }
}

TEST(StrError, StaticErrorMessagesMatchStrerror) {
  EXPECT_STREQ(eg_strerror(EG_ECANCELED),
               eg_error_message(eg_error_canceled()));
  EXPECT_STREQ(eg_strerror(EG_EDEADLINE_EXCEEDED),
               eg_error_message(eg_error_deadline_exceeded()));
}

}  // namespace
