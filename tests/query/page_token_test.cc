#include "src/query/page_token.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_query {
namespace {

using ::testing::HasSubstr;

Filter F(std::string_view text) { return ParseFilter(text).value(); }

std::vector<OrderBy> O(std::vector<std::string> terms) {
  return ParseOrderBy(terms).value();
}

uint64_t Fingerprint(std::vector<std::string> experiments, std::string_view filter,
                     std::vector<std::string> order_by) {
  return QueryFingerprint(experiments, F(filter), O(order_by));
}

bool IsInvalidToken(const absl::Status& st) {
  std::optional<ErrorDetail> d = GetErrorDetail(st);
  return st.code() == absl::StatusCode::kInvalidArgument && d.has_value() &&
         d->reason == "PAGE_TOKEN_INVALID";
}

TEST(PageTokenTest, RoundTrips) {
  const uint64_t fp = Fingerprint({"1"}, "metrics.acc > 0.9", {"metrics.acc DESC"});
  for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{100}, uint64_t{1} << 40,
                          std::numeric_limits<uint64_t>::max()}) {
    const std::string token = EncodePageToken(offset, fp);
    EXPECT_EQ(token.size(), 34u);
    for (char c : token) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')
          << token;
    }
    absl::StatusOr<uint64_t> back = DecodePageToken(token, fp);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, offset);
  }
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<uint64_t> first = DecodePageToken("", 1234);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 0u);
}

TEST(PageTokenTest, TokenOfAnotherSearchIsRejected) {
  const uint64_t fp = Fingerprint({"1"}, "metrics.acc > 0.9", {"metrics.acc DESC"});
  const std::string token = EncodePageToken(50, fp);
  for (uint64_t other : {
           Fingerprint({"2"}, "metrics.acc > 0.9", {"metrics.acc DESC"}),
           Fingerprint({"1", "2"}, "metrics.acc > 0.9", {"metrics.acc DESC"}),
           Fingerprint({"1"}, "metrics.acc > 0.8", {"metrics.acc DESC"}),
           Fingerprint({"1"}, "", {"metrics.acc DESC"}),
           Fingerprint({"1"}, "metrics.acc > 0.9", {"metrics.acc ASC"}),
           Fingerprint({"1"}, "metrics.acc > 0.9", {}),
       }) {
    ASSERT_NE(other, fp);
    absl::Status st = DecodePageToken(token, other).status();
    EXPECT_TRUE(IsInvalidToken(st)) << st;
    EXPECT_THAT(st.message(), HasSubstr("different search"));
  }
}

TEST(PageTokenTest, FingerprintIgnoresSpellingAndExperimentOrder) {
  EXPECT_EQ(Fingerprint({"1", "2"}, "metrics.acc > 0.9 AND params.x = 'a'",
                        {"metrics.acc desc"}),
            Fingerprint({"2", "1", "2"}, "metric.acc>0.9 and params.x=\"a\"",
                        {"metrics.`acc` DESC"}));
}

TEST(PageTokenTest, FingerprintFieldsDoNotRunTogether) {
  EXPECT_NE(Fingerprint({"ab", "c"}, "", {}), Fingerprint({"a", "bc"}, "", {}));
  EXPECT_NE(Fingerprint({"1"}, "", {"params.a", "params.b"}),
            Fingerprint({"1"}, "", {"params.b", "params.a"}));
}

TEST(PageTokenTest, FingerprintIsStableAcrossProcesses) {
  // Pinned: a token handed out before a restart must still decode after it.
  // Changing this value invalidates every outstanding token; bump the token
  // version instead.
  EXPECT_EQ(EncodePageToken(7, 0x0123456789abcdefULL),
            EncodePageToken(7, 0x0123456789abcdefULL));
  const uint64_t fp = Fingerprint({"1"}, "metrics.acc > 0.9", {"metrics.acc DESC"});
  EXPECT_EQ(fp, Fingerprint({"1"}, "metrics.acc > 0.9", {"metrics.acc DESC"}));
  EXPECT_EQ(EncodePageToken(7, 0x0123456789abcdefULL),
            "AQcAAAAAAAAA782riWdFIwEBIZb_OkTCgg");
}

TEST(PageTokenTest, EveryFlippedCharacterIsDetected) {
  const uint64_t fp = Fingerprint({"1"}, "", {});
  const std::string token = EncodePageToken(100, fp);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : alphabet) {
      if (c == token[i]) continue;
      std::string tampered = token;
      tampered[i] = c;
      absl::StatusOr<uint64_t> r = DecodePageToken(tampered, fp);
      EXPECT_TRUE(IsInvalidToken(r.status()))
          << "accepted " << tampered << " as offset " << (r.ok() ? *r : 0);
    }
  }
}

TEST(PageTokenTest, MalformedTokensAreRejected) {
  const uint64_t fp = Fingerprint({"1"}, "", {});
  const std::string token = EncodePageToken(3, fp);
  for (const std::string& bad : {
           std::string("x"),
           token.substr(1),
           token + "A",
           token + "==",
           std::string(34, '!'),
           std::string(34, 'A'),
           token.substr(0, 33) + "+",  // standard, not url-safe, base64
           std::string(token.data(), 33) + std::string(1, '\0'),
           std::string(100000, 'A'),
           std::string("' OR 1=1 --"),
       }) {
    absl::Status st = DecodePageToken(bad, fp).status();
    EXPECT_TRUE(IsInvalidToken(st)) << bad.substr(0, 40) << ": " << st;
  }
}

TEST(PageTokenTest, ErrorKeepsTheTokenAndSaysWhatToDo) {
  absl::Status st = DecodePageToken("garbage", 1).status();
  std::optional<ErrorDetail> d = GetErrorDetail(st);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->value, "garbage");
  EXPECT_THAT(d->fix, HasSubstr("next_page_token"));
  EXPECT_THAT(st.message(), HasSubstr("\"garbage\""));
}

TEST(PageTokenTest, DistinctOffsetsGiveDistinctTokens) {
  std::set<std::string> seen;
  for (uint64_t i = 0; i < 1000; ++i) seen.insert(EncodePageToken(i, 42));
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace slipway::internal_query
