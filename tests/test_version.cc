/* SPDX-License-Identifier: BSD-3-Clause */
// The version the header announces is the version of the library linked.
#include <cstdio>
#include <string>

#include "helpers.h"

namespace {

TEST(Version, NumberMatchesHeader) {
  EXPECT_EQ(EG_VERSION_NUMBER, eg_version());
  EXPECT_EQ(EG_VERSION_MAJOR * 10000 + EG_VERSION_MINOR * 100 +
                EG_VERSION_PATCH,
            eg_version());
}

TEST(Version, StringMatchesHeader) {
  const char* version = eg_version_string();
  ASSERT_NE(nullptr, version);
  EXPECT_STREQ(EG_VERSION_STRING, version);
}

TEST(Version, StringMatchesNumberParts) {
  char expected[64];
  std::snprintf(expected, sizeof expected, "%d.%d.%d", EG_VERSION_MAJOR,
                EG_VERSION_MINOR, EG_VERSION_PATCH);
  EXPECT_STREQ(expected, EG_VERSION_STRING);
  EXPECT_STREQ(expected, eg_version_string());
}

TEST(Version, StringIsStatic) {
  EXPECT_EQ(eg_version_string(), eg_version_string());
}

}  // namespace
