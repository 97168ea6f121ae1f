#include "slipway/status.h"

#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/errors/utf8.h"

namespace slipway {
namespace {

TEST(MakeErrorTest, DetailRoundTripsThroughThePayload) {
  ErrorDetail detail{"MODEL_NAME_INVALID", "rule text", std::string("a\0b", 3),
                     "fix it"};
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, "msg", detail);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "msg");
  std::optional<ErrorDetail> back = GetErrorDetail(s);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, detail);
}

TEST(MakeErrorTest, DetailSurvivesCopiesAndMoves) {
  absl::Status s = MakeError(absl::StatusCode::kNotFound, "m", {"R", "", "", ""});
  absl::Status copy = s;
  absl::Status moved = std::move(copy);
  EXPECT_EQ(GetErrorDetail(moved)->reason, "R");
  absl::StatusOr<int> or_status = s;
  EXPECT_EQ(GetErrorDetail(or_status.status())->reason, "R");
}

TEST(MakeErrorTest, OkCodeIsABugNotASuccess) {
  absl::Status s = MakeError(absl::StatusCode::kOk, "oops", {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
}

TEST(GetErrorDetailTest, AbsentForOkForeignAndCorruptStatuses) {
  EXPECT_FALSE(GetErrorDetail(absl::OkStatus()).has_value());
  EXPECT_FALSE(GetErrorDetail(absl::InternalError("x")).has_value());
  absl::Status corrupt = absl::InternalError("x");
  corrupt.SetPayload(kErrorDetailTypeUrl, absl::Cord("\xff\xff\xff"));
  EXPECT_FALSE(GetErrorDetail(corrupt).has_value());
}

TEST(QuoteForMessageTest, QuotesAndEscapes) {
  EXPECT_EQ(QuoteForMessage("abc"), "\"abc\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteForMessage(std::string("a\0b\n", 4)), "\"a\\x00b\\n\"");
  EXPECT_EQ(QuoteForMessage("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 kept
  EXPECT_EQ(QuoteForMessage("a\xff"), "\"a\\xff\"");            // bad byte escaped
}

TEST(QuoteForMessageTest, CutsLongValuesAndSaysSo) {
  std::string q = QuoteForMessage(std::string(1000, 'x'), 10);
  EXPECT_EQ(q, "\"xxxxxxxxxx\"... (1000 bytes in all)");
}

TEST(QuoteForMessageTest, NeverSplitsAUtf8Sequence) {
  // Cutting at 2 bytes would split the 3-byte "∕"; the quote stays valid UTF-8.
  std::string q = QuoteForMessage("a\xe2\x88\x95z", 2);
  EXPECT_TRUE(internal_utf8::IsValid(q)) << q;
}

}  // namespace
}  // namespace slipway
