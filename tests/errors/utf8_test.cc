#include "src/errors/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace slipway::internal_utf8 {
namespace {

TEST(Utf8Test, ValidSequences) {
  EXPECT_TRUE(IsValid(""));
  EXPECT_TRUE(IsValid("ascii"));
  EXPECT_TRUE(IsValid("\xc3\xa9\xe2\x88\x95\xf0\x9f\x98\x80"));
  EXPECT_EQ(CodePointCount("\xc3\xa9\xe2\x88\x95\xf0\x9f\x98\x80"), 3u);
  EXPECT_EQ(Decode("\xf0\x9f\x98\x80", 0, 4), U'\U0001F600');
}

TEST(Utf8Test, RejectsIllFormedSequences) {
  for (std::string bad : {"\x80", "\xc0\xae", "\xc1\xbf", "\xe0\x80\xae",
                          "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                          "\xe2\x88", "\xff", "a\xc3"}) {
    EXPECT_FALSE(IsValid(bad)) << "accepted ill-formed bytes";
  }
}

}  // namespace
}  // namespace slipway::internal_utf8
