#include "slipway/time.h"

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/env/status_util.h"

namespace slipway {
namespace {

using ::slipway::env_test::MessageOf;
using ::slipway::env_test::ReasonOf;
using ::slipway::env_test::ValueOf;
using ::testing::HasSubstr;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

TEST(TimeTest, ParsesUtc) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2026-01-01T00:00:00Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0));
}

TEST(TimeTest, ParsesOffsetAndFraction) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2026-01-01T01:00:00.250+01:00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0) + absl::Milliseconds(250));

  t = ParseRfc3339("2025-12-31T19:30:00-04:30");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0));
}

TEST(TimeTest, ParsesLowercaseTAndZ) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2026-01-01t00:00:00z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0));
}

TEST(TimeTest, ParsesMinusZeroOffsetAsUtc) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2026-01-01T00:00:00-00:00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0));
}

TEST(TimeTest, ParsesAnyNumberOfFractionDigits) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2026-01-01T00:00:00.5Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0) + absl::Milliseconds(500));

  t = ParseRfc3339("2026-01-01T00:00:00.123456789Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0) + absl::Nanoseconds(123456789));

  // Beyond nanoseconds the digits are truncated.
  t = ParseRfc3339("2026-01-01T00:00:00.1234567891999Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2026, 1, 1, 0, 0, 0) + absl::Nanoseconds(123456789));
}

TEST(TimeTest, LeapSecondIsTheNextMinute) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2016-12-31T23:59:60Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2017, 1, 1, 0, 0, 0));
}

TEST(TimeTest, FormatsUtcWithMillisecondsAndZ) {
  EXPECT_EQ(FormatRfc3339(Utc(2026, 1, 1, 0, 0, 0)),
            "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 7, 4, 13, 5, 9) + absl::Milliseconds(7)),
            "2026-07-04T13:05:09.007Z");
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch()), "1970-01-01T00:00:00.000Z");
}

TEST(TimeTest, FormatTruncatesBelowMillisecondsTowardThePast) {
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch() + absl::Microseconds(1999)),
            "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch() - absl::Nanoseconds(1)),
            "1969-12-31T23:59:59.999Z");
}

TEST(TimeTest, FormatOfInfiniteTimes) {
  EXPECT_EQ(FormatRfc3339(absl::InfiniteFuture()), "infinite-future");
  EXPECT_EQ(FormatRfc3339(absl::InfinitePast()), "infinite-past");
  EXPECT_FALSE(ParseRfc3339(FormatRfc3339(absl::InfiniteFuture())).ok());
}

TEST(TimeTest, TextRoundTripsToCanonicalUtc) {
  struct Case {
    std::string_view in;
    std::string_view canonical;
  };
  for (const Case& c : {
           Case{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"},
           Case{"2026-01-01T01:00:00.250+01:00", "2026-01-01T00:00:00.250Z"},
           Case{"2024-02-29T23:59:59.999-00:30", "2024-03-01T00:29:59.999Z"},
           Case{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"},
           Case{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
           Case{"0999-06-15T12:00:00.5Z", "0999-06-15T12:00:00.500Z"},
           Case{"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
       }) {
    absl::StatusOr<absl::Time> t = ParseRfc3339(c.in);
    ASSERT_TRUE(t.ok()) << c.in << ": " << t.status();
    EXPECT_EQ(FormatRfc3339(*t), c.canonical) << c.in;
    // The canonical form is a fixed point.
    absl::StatusOr<absl::Time> again = ParseRfc3339(c.canonical);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *t);
  }
}

TEST(TimeTest, MillisecondTimesRoundTripExactly) {
  // A deterministic spread over four centuries, including before the epoch.
  absl::Time t = Utc(1900, 1, 1, 0, 0, 0) + absl::Milliseconds(1);
  const absl::Duration step = absl::Hours(24 * 37) + absl::Milliseconds(7919);
  for (int i = 0; i < 4000; ++i, t += step) {
    const std::string text = FormatRfc3339(t);
    absl::StatusOr<absl::Time> back = ParseRfc3339(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status();
    ASSERT_EQ(*back, t) << text;
  }
}

TEST(TimeTest, RoundTripDropsSubMilliseconds) {
  const absl::Time t = Utc(2026, 1, 1, 0, 0, 0) + absl::Microseconds(1500);
  absl::StatusOr<absl::Time> back = ParseRfc3339(FormatRfc3339(t));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Utc(2026, 1, 1, 0, 0, 0) + absl::Milliseconds(1));
}

TEST(TimeTest, RejectsEverythingElseWithTimeInvalid) {
  for (std::string_view bad : {
           std::string_view(""),
           std::string_view("garbage"),
           std::string_view("2026-01-01"),
           std::string_view("2026-01-01T00:00:00"),        // No offset.
           std::string_view("2026-01-01T00:00:00.5"),      // No offset.
           std::string_view("2026-13-01T00:00:00Z"),       // Bad month.
           std::string_view("2026-00-01T00:00:00Z"),       // Bad month.
           std::string_view("2026-02-30T00:00:00Z"),       // Bad day.
           std::string_view("2026-04-31T00:00:00Z"),       // Bad day.
           std::string_view("2026-01-01T24:00:00Z"),       // Bad hour.
           std::string_view("2026-01-01T00:60:00Z"),       // Bad minute.
           std::string_view("2026-01-01T00:00:00+24:00"),  // Bad offset.
           std::string_view("2026-01-01T00:00:00+01:60"),  // Bad offset.
           std::string_view("2026-1-1T0:0:0Z"),            // Unpadded.
           std::string_view(" 2026-01-01T00:00:00Z"),      // Leading space.
           std::string_view("2026-01-01T00:00:00Z "),      // Trailing space.
           std::string_view("2026-01-01T00:00:00Z\n"),     // Trailing newline.
           std::string_view("2026-01-01 00:00:00Z"),       // Space separator.
           std::string_view("2026-01-01T00:00:00+0100"),   // Offset w/o colon.
           std::string_view("2026-01-01T00:00:00+01"),  // Offset w/o minutes.
           std::string_view("2026-01-01T00:00:00.Z"),   // Empty fraction.
           std::string_view("2026-01-01T00:00:00,5Z"),  // Comma fraction.
           std::string_view("+2026-01-01T00:00:00Z"),   // Signed year.
           std::string_view("12026-01-01T00:00:00Z"),   // Five-digit year.
           std::string_view("2026-01-01T00:00:00ZZ"),   // Trailing junk.
           std::string_view("2026-01-01T00:00:00\0Z", 21),  // Embedded NUL.
       }) {
    absl::StatusOr<absl::Time> t = ParseRfc3339(bad);
    ASSERT_FALSE(t.ok()) << "accepted: " << QuoteForMessage(bad);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(t.status()), "TIME_INVALID") << t.status();
    EXPECT_EQ(ValueOf(t.status()), std::string(bad));
    EXPECT_THAT(MessageOf(t.status()), HasSubstr(QuoteForMessage(bad)));
    EXPECT_THAT(MessageOf(t.status()), HasSubstr("\"2026-01-01T00:00:00Z\""));
  }
}

}  // namespace
}  // namespace slipway
