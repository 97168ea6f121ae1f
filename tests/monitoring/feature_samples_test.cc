#include "src/monitoring/feature_samples.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "src/codec/crc32c.h"

namespace slipway::internal_monitoring {
namespace {

using ::slipway::internal_codec::Crc32c;

std::string Reason(const absl::Status& status) {
  const auto detail = GetErrorDetail(status);
  return detail ? detail->reason : "(no detail)";
}

std::string Encode(const std::vector<double>& values) {
  std::string out;
  EncodeFeatureSamples(values, &out);
  return out;
}

std::vector<uint64_t> Bits(const std::vector<double>& values) {
  std::vector<uint64_t> out;
  for (double v : values) out.push_back(std::bit_cast<uint64_t>(v));
  return out;
}

// Replaces the trailing CRC-32C of `bytes` with the right one for the rest,
// so a test reaches the checks behind the checksum.
std::string Reseal(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  const uint32_t crc = Crc32c(bytes);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(crc >> (8 * i)));
  return bytes;
}

void ExpectCorrupt(const std::string& bytes, const std::string& what) {
  std::vector<double> out = {42.0};
  const absl::Status s = DecodeFeatureSamples(bytes, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << what << ": " << s;
  EXPECT_EQ(Reason(s), kReasonFeatureSamplesCorrupt) << what;
  // The output is left as it was.
  ASSERT_EQ(out.size(), 1u) << what;
  EXPECT_EQ(out[0], 42.0) << what;
}

std::vector<double> Awkward() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return {0.0,
          -0.0,
          1.0,
          -1.5,
          kInf,
          -kInf,
          std::numeric_limits<double>::denorm_min(),
          std::numeric_limits<double>::max(),
          std::numeric_limits<double>::lowest(),
          std::numeric_limits<double>::quiet_NaN(),
          // A NaN with a payload and the sign bit set.
          std::bit_cast<double>(uint64_t{0xFFF8'0000'DEAD'BEEF}),
          // A signalling NaN bit pattern.
          std::bit_cast<double>(uint64_t{0x7FF0'0000'0000'0001})};
}

TEST(FeatureSamplesTest, EmptyRoundTrips) {
  const std::string bytes = Encode({});
  // [version][count 0][crc x4]
  EXPECT_EQ(bytes.size(), 6u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 1);
  std::vector<double> out;
  ASSERT_TRUE(DecodeFeatureSamples(bytes, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(FeatureSamplesTest, OneValueRoundTrips) {
  const std::string bytes = Encode({3.25});
  EXPECT_EQ(bytes.size(), 1u + 1u + 8u + 4u);
  std::vector<double> out;
  ASSERT_TRUE(DecodeFeatureSamples(bytes, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], 3.25);
}

TEST(FeatureSamplesTest, AwkwardValuesKeepTheirBitPatterns) {
  const std::vector<double> in = Awkward();
  std::vector<double> out;
  ASSERT_TRUE(DecodeFeatureSamples(Encode(in), &out).ok());
  // Bit for bit: -0.0 stays negative, each NaN keeps its payload and sign.
  EXPECT_EQ(Bits(out), Bits(in));
  EXPECT_TRUE(std::signbit(out[1]));
}

TEST(FeatureSamplesTest, TenThousandValuesRoundTripAndAppend) {
  std::mt19937_64 rng(7);
  std::vector<double> in(10'000);
  for (double& v : in) v = std::bit_cast<double>(rng());  // any bit pattern
  const std::vector<double> awkward = Awkward();
  // Spread over the array (distinct slots, all in range).
  ASSERT_LT(awkward.size() * 97, in.size());
  for (size_t i = 0; i < awkward.size(); ++i) in[i * 97] = awkward[i];
  const std::string bytes = Encode(in);
  // A two-byte LEB128 count (2^7 <= 10,000 < 2^14).
  EXPECT_EQ(bytes.size(), 1u + 2u + 8u * in.size() + 4u);
  std::vector<double> out = {1.0, 2.0};
  ASSERT_TRUE(DecodeFeatureSamples(bytes, &out).ok());
  ASSERT_EQ(out.size(), in.size() + 2);
  EXPECT_EQ(out[0], 1.0);
  EXPECT_EQ(out[1], 2.0);
  EXPECT_EQ(Bits(std::vector<double>(out.begin() + 2, out.end())), Bits(in));
}

TEST(FeatureSamplesTest, EncodeAppendsToWhatIsThere) {
  std::string out = "prefix";
  EncodeFeatureSamples(std::vector<double>{1.0}, &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  std::vector<double> values;
  ASSERT_TRUE(DecodeFeatureSamples(std::string_view(out).substr(6), &values).ok());
  EXPECT_EQ(values, std::vector<double>{1.0});
}

TEST(FeatureSamplesTest, EverySingleByteFlipIsCorrupt) {
  for (const std::vector<double>& in :
       {std::vector<double>{}, std::vector<double>{1.0, -2.0, 0.5},
        std::vector<double>(200, 7.0)}) {
    const std::string good = Encode(in);
    for (size_t i = 0; i < good.size(); ++i) {
      for (int mask : {0x01, 0x80, 0xFF}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        ExpectCorrupt(bad, "byte " + std::to_string(i) + " of " +
                               std::to_string(good.size()) + " ^ " +
                               std::to_string(mask));
      }
    }
  }
}

TEST(FeatureSamplesTest, EveryTruncationAndExtensionIsCorrupt) {
  const std::string good = Encode({1.0, 2.0, 3.0, -0.0, 1e300});
  for (size_t n = 0; n < good.size(); ++n) {
    ExpectCorrupt(good.substr(0, n), "first " + std::to_string(n) + " bytes");
    ExpectCorrupt(good.substr(n + 1), "dropped " + std::to_string(n + 1));
  }
  ExpectCorrupt(good + '\0', "one byte appended");
  ExpectCorrupt(good + good, "two encodings");
}

TEST(FeatureSamplesTest, UnknownVersionIsRefusedEvenWithAValidChecksum) {
  for (int version : {0, 2, 0x81, 0xFF}) {
    std::string bytes = Encode({1.0, 2.0});
    bytes[0] = static_cast<char>(version);
    ExpectCorrupt(Reseal(bytes), "version " + std::to_string(version));
  }
}

TEST(FeatureSamplesTest, CountThatDisagreesWithThePayloadIsRefused) {
  const std::string good = Encode({1.0, 2.0});
  ASSERT_EQ(static_cast<uint8_t>(good[1]), 2);
  for (int count : {0, 1, 3, 127}) {
    std::string bytes = good;
    bytes[1] = static_cast<char>(count);
    ExpectCorrupt(Reseal(bytes), "count " + std::to_string(count));
  }
  // A count near 2^64 (whose 8·n wraps around) with a valid checksum.
  std::string huge;
  huge.push_back(1);
  for (int i = 0; i < 9; ++i) huge.push_back(static_cast<char>(0xFF));
  huge.push_back(0x01);
  huge.append(16, '\0');
  huge.append(4, '\0');
  ExpectCorrupt(Reseal(huge), "count 2^64 - 1");
  // 2^61: 8·n wraps to 0, and the payload is empty.
  std::string wraps;
  wraps.push_back(1);
  for (int i = 0; i < 8; ++i) wraps.push_back(static_cast<char>(0x80));
  wraps.push_back(0x20);  // 2^61 = 0x20 << 56
  wraps.append(4, '\0');
  ExpectCorrupt(Reseal(wraps), "count 2^61");
  // A non-canonical count (a redundant zero group) for 2 values.
  std::string padded;
  padded.push_back(1);
  padded.push_back(static_cast<char>(0x82));
  padded.push_back(0x00);
  padded.append(good.substr(2, 16));
  padded.append(4, '\0');
  ExpectCorrupt(Reseal(padded), "non-canonical count");
}

}  // namespace
}  // namespace slipway::internal_monitoring
