#include "src/validation/text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace slipway::internal_validation {
namespace {

using ::testing::HasSubstr;

TEST(Utf8WalkerTest, WalksCodePointsWithPositions) {
  Utf8Walker w("a\xc3\xa9\xe2\x88\x95");  // "aé∕"
  CodePoint cp;
  ASSERT_TRUE(w.Next(&cp));
  EXPECT_EQ(cp.value, U'a');
  ASSERT_TRUE(w.Next(&cp));
  EXPECT_EQ(cp.value, U'\u00e9');
  EXPECT_EQ(cp.position, 2u);
  ASSERT_TRUE(w.Next(&cp));
  EXPECT_EQ(cp.value, U'\u2215');
  EXPECT_EQ(cp.offset, 3u);
  EXPECT_FALSE(w.Next(&cp));
  EXPECT_TRUE(w.ok());
}

TEST(Utf8WalkerTest, StopsAtIllFormedBytes) {
  for (std::string bad : {std::string("ab\xff"), std::string("a\xc0\xae"),
                          std::string("\xed\xa0\x80"), std::string("\xe2\x88"),
                          std::string("\xf4\x90\x80\x80")}) {
    Utf8Walker w(bad);
    CodePoint cp;
    while (w.Next(&cp)) {
    }
    EXPECT_FALSE(w.ok()) << "accepted ill-formed UTF-8";
  }
}

TEST(DescribeCodePointTest, NamesWhatUsersSee) {
  EXPECT_EQ(DescribeCodePoint(' '), "a space");
  EXPECT_EQ(DescribeCodePoint(0), "NUL (\\x00)");
  EXPECT_EQ(DescribeCodePoint('F'), "'F'");
  EXPECT_THAT(DescribeCodePoint(0xFF0E), HasSubstr("look-alike of '.'"));
  EXPECT_THAT(DescribeCodePoint(0x2215), HasSubstr("look-alike of '/'"));
  EXPECT_THAT(DescribeCodePoint(0x0430), HasSubstr("U+0430"));
  EXPECT_THAT(DescribeCodePoint(0x0430), HasSubstr("look-alike of 'a'"));
  EXPECT_THAT(DescribeCodePoint(0xFF46), HasSubstr("look-alike of 'f'"));
  EXPECT_THAT(DescribeCodePoint(0x5B9F), HasSubstr("non-ASCII"));
}

TEST(LookAlikeTest, ListsSeparatorsAndInvisibles) {
  EXPECT_FALSE(LookAlikeOf(0xFF0E).empty());
  EXPECT_FALSE(LookAlikeOf(0xFF3C).empty());
  EXPECT_FALSE(LookAlikeOf(0x200B).empty());
  EXPECT_TRUE(LookAlikeOf(U'a').empty());
  EXPECT_TRUE(LookAlikeOf(0x5B9F).empty());  // a CJK letter is just a letter
}

}  // namespace
}  // namespace slipway::internal_validation
