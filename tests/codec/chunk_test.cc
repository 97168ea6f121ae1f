#include "src/codec/chunk.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "src/codec/crc32c.h"

namespace slipway::internal_codec {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

double FromBits(uint64_t bits) { return std::bit_cast<double>(bits); }

std::string Reason(const absl::Status& status) {
  const auto detail = GetErrorDetail(status);
  return detail ? detail->reason : "(no detail)";
}

std::string Encode(const PointColumns& p) {
  std::string out;
  const auto summary = EncodeChunk(p.steps, p.timestamps_ms, p.values, &out);
  EXPECT_TRUE(summary.ok()) << summary.status();
  return out;
}

// Equal bit for bit (NaN payloads and the sign of zero included).
void ExpectSameBits(const PointColumns& got, const PointColumns& want) {
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.timestamps_ms.size(), want.size());
  ASSERT_EQ(got.values.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got.steps[i], want.steps[i]) << "point " << i;
    ASSERT_EQ(got.timestamps_ms[i], want.timestamps_ms[i]) << "point " << i;
    ASSERT_EQ(std::bit_cast<uint64_t>(got.values[i]),
              std::bit_cast<uint64_t>(want.values[i]))
        << "point " << i;
  }
}

void ExpectRoundTrip(const PointColumns& p) {
  const std::string bytes = Encode(p);
  PointColumns back;
  const absl::Status s = DecodeChunk(bytes, &back);
  ASSERT_TRUE(s.ok()) << s;
  ExpectSameBits(back, p);
}

// Appends a valid CRC, for hand-made chunks whose body is what is tested.
std::string Sealed(std::string covered) {
  const uint32_t crc = Crc32c(covered);
  for (int i = 0; i < 4; ++i) covered += static_cast<char>(crc >> (8 * i));
  return covered;
}

PointColumns Points(std::vector<int64_t> steps, std::vector<int64_t> ts,
                    std::vector<double> values) {
  return PointColumns{std::move(steps), std::move(ts), std::move(values)};
}

// A noisy training-loss curve logged every step, timestamps 1-3 ms apart.
PointColumns NoisyLoss(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.01);
  std::uniform_int_distribution<int64_t> gap(1, 3);
  PointColumns p;
  int64_t t = 1'700'000'000'000;
  for (size_t i = 0; i < n; ++i) {
    p.steps.push_back(static_cast<int64_t>(i));
    p.timestamps_ms.push_back(t += gap(rng));
    p.values.push_back(std::exp(-static_cast<double>(i) / 1e5) + noise(rng));
  }
  return p;
}

// ---------------------------------------------------------------------------
// Round trips.

TEST(ChunkTest, RoundTripsOnePoint) {
  ExpectRoundTrip(Points({7}, {1'700'000'000'123}, {0.5}));
  ExpectRoundTrip(Points({kMin}, {kMax}, {-0.0}));
}

TEST(ChunkTest, RoundTripsTheMaximumNumberOfPoints) {
  ExpectRoundTrip(NoisyLoss(kMaxPointsPerChunk, 1));
}

TEST(ChunkTest, RoundTripsEdgeValuesBitExactly) {
  const std::vector<double> specials = {
      0.0,
      -0.0,
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
      -std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::signaling_NaN(),
      FromBits(0x7FF0000000000001),  // NaN, smallest payload
      FromBits(0xFFFFFFFFFFFFFFFF),  // NaN, all payload bits, negative
      FromBits(0x7FF8DEADBEEF0042),  // NaN with a payload
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      FromBits(0x000FFFFFFFFFFFFF),  // largest subnormal
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      1.0,
      -1.0,
  };
  PointColumns p;
  // Every special after every special, so each XOR pattern is exercised.
  for (double a : specials) {
    for (double b : specials) {
      p.values.push_back(a);
      p.values.push_back(b);
    }
  }
  const std::vector<int64_t> ints = {kMin, kMax, 0, -1, 1, kMin + 1, kMax - 1};
  for (size_t i = 0; i < p.values.size(); ++i) {
    p.steps.push_back(ints[i % ints.size()]);
    p.timestamps_ms.push_back(ints[(i * 3 + 1) % ints.size()]);
  }
  ASSERT_LE(p.size(), kMaxPointsPerChunk);
  ExpectRoundTrip(p);
}

TEST(ChunkTest, RoundTripsIrregularSteps) {
  // Non-monotonic, repeated, negative steps and timestamps.
  ExpectRoundTrip(Points({5, 5, 5, 3, 100, -7, -7, 0, kMax, kMin, kMax},
                         {-1000, -999, -999, -2000, 0, 1, 1, 1, -5, 5, kMin},
                         {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(ChunkTest, RandomizedRoundTrips) {
  std::mt19937_64 rng(20240601);
  // Integer generators: each picks a shape of series.
  auto ints = [&](size_t n, int shape) {
    std::vector<int64_t> v(n);
    int64_t x = static_cast<int64_t>(rng());
    const int64_t stride = static_cast<int64_t>(rng() % 1000) - 500;
    for (size_t i = 0; i < n; ++i) {
      switch (shape) {
        case 0: v[i] = static_cast<int64_t>(rng()); break;      // anything
        case 1: v[i] = x + static_cast<int64_t>(i) * stride; break;  // strided (wraps)
        case 2: v[i] = (x += static_cast<int64_t>(rng() % 7) - 3); break;  // jitter
        case 3: v[i] = static_cast<int64_t>(rng() >> (rng() % 64)); break;  // all widths
        default: v[i] = static_cast<int64_t>(rng() % 3) - 1; break;  // tiny
      }
    }
    return v;
  };
  auto doubles = [&](size_t n, int shape) {
    std::vector<double> v(n);
    double x = static_cast<double>(rng() % 1000);
    for (size_t i = 0; i < n; ++i) {
      switch (shape) {
        case 0: v[i] = FromBits(rng()); break;  // any bit pattern
        case 1: v[i] = x; break;               // constant
        case 2: v[i] = x += 1.0; break;        // integer counts
        case 3: v[i] = std::sin(static_cast<double>(i) / 100); break;  // smooth
        default:  // few distinct bit patterns, so windows are reused
          v[i] = FromBits((rng() % 4) << (rng() % 60));
          break;
      }
    }
    return v;
  };
  for (int iteration = 0; iteration < 300; ++iteration) {
    const size_t n = iteration < 50 ? 1 + iteration : 1 + rng() % kMaxPointsPerChunk;
    PointColumns p{ints(n, static_cast<int>(rng() % 5)),
                   ints(n, static_cast<int>(rng() % 5)),
                   doubles(n, static_cast<int>(rng() % 5))};
    SCOPED_TRACE(iteration);
    ExpectRoundTrip(p);
  }
}

TEST(ChunkTest, EncodeAppendsAndDecodeAppends) {
  const PointColumns a = Points({1, 2}, {10, 20}, {0.1, 0.2});
  const PointColumns b = Points({3}, {30}, {0.3});
  std::string bytes = "prefix";
  ASSERT_TRUE(EncodeChunk(a.steps, a.timestamps_ms, a.values, &bytes).ok());
  const size_t a_end = bytes.size();
  ASSERT_TRUE(EncodeChunk(b.steps, b.timestamps_ms, b.values, &bytes).ok());
  ASSERT_EQ(bytes.substr(0, 6), "prefix");

  PointColumns out;
  const std::string_view all(bytes);
  ASSERT_TRUE(DecodeChunk(all.substr(6, a_end - 6), &out).ok());
  ASSERT_TRUE(DecodeChunk(all.substr(a_end), &out).ok());
  ExpectSameBits(out, Points({1, 2, 3}, {10, 20, 30}, {0.1, 0.2, 0.3}));
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// The exact bytes of a small chunk, as docs/storage.md walks through them. A
// change here is a format change: bump kChunkFormatVersion instead.
TEST(ChunkTest, GoldenBytes) {
  const PointColumns p = Points({1, 2, 3}, {1000, 1001, 1003}, {1.0, 1.0, 1.5});
  const std::string hex = Hex(Encode(p));
  EXPECT_EQ(hex, "0103949cfa1291ff800000000000036010b7bb72e5");
}

// Chunks produced by a separate implementation (a short Python encoder and
// decoder written from docs/storage.md alone): the doc is enough to
// interoperate, window reuse and special values included.
TEST(ChunkTest, MatchesAnImplementationWrittenFromTheSpec) {
  struct Case {
    PointColumns points;
    std::string hex;
  };
  const std::vector<Case> cases = {
      {Points({0, 1, 2, 3, 4, 5}, {0, 10, 20, 30, 40, 50},
              {1.0, 1.5, 1.0, 1.5, 3.0, 3.0}),
       "01064818a01ff80000000000006c036e12bff81e04369e"},
      {Points({kMin, kMax, 0, -1, 5, 5, 3, kMax}, {-5, kMax, kMin, 0, 0, 0, 1, 2},
              {0.0, -0.0, std::numeric_limits<double>::infinity(),
               -std::numeric_limits<double>::infinity(), FromBits(0x7FF8000000000000),
               std::numeric_limits<double>::denorm_min(),
               std::numeric_limits<double>::max(), FromBits(0x7FF8DEADBEEF0042)}),
       "0108fffffffffffffffffc7ffffffffffffffff7ffffffffffffffffcc3b0b9fffffffffff"
       "ffffff309ffffffffffffffffbffffffffffffffffebffffffffffffffffdfffffffffff"
       "ffffff480000000000000001800e02fffe800c0640070fdffe0000000000006ffdffffff"
       "ffffffd001721524110ffbd0773aef23"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Hex(Encode(c.points)), c.hex);
    PointColumns back;
    ASSERT_TRUE(DecodeChunk(Unhex(c.hex), &back).ok());
    ExpectSameBits(back, c.points);
  }
}

// ---------------------------------------------------------------------------
// Summary.

TEST(ChunkTest, SummaryDescribesThePoints) {
  std::string out;
  const auto s = EncodeChunk(std::vector<int64_t>{10, 3, 12, 11},
                             std::vector<int64_t>{100, 200, 300, 400},
                             std::vector<double>{0.5, -2.0, 7.0, 1.0}, &out);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->count, 4u);
  EXPECT_EQ(s->first_step, 10);
  EXPECT_EQ(s->last_step, 11);
  EXPECT_EQ(s->min_step, 3);
  EXPECT_EQ(s->max_step, 12);
  EXPECT_EQ(s->last_timestamp_ms, 400);
  EXPECT_EQ(s->last_value, 1.0);
  EXPECT_EQ(s->min_value, -2.0);
  EXPECT_EQ(s->max_value, 7.0);
}

TEST(ChunkTest, SummaryIgnoresNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::string out;
  auto s = EncodeChunk(std::vector<int64_t>{1, 2, 3, 4},
                       std::vector<int64_t>{1, 2, 3, 4},
                       std::vector<double>{nan, 3.0, nan, -inf}, &out);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->min_value, -inf);
  EXPECT_EQ(s->max_value, 3.0);
  EXPECT_EQ(s->last_value, -inf);

  s = EncodeChunk(std::vector<int64_t>{1, 2}, std::vector<int64_t>{1, 2},
                  std::vector<double>{-1.0, nan}, &out);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(std::isnan(s->last_value));
  EXPECT_EQ(s->min_value, -1.0);
  EXPECT_EQ(s->max_value, -1.0);

  s = EncodeChunk(std::vector<int64_t>{1, 2}, std::vector<int64_t>{1, 2},
                  std::vector<double>{nan, nan}, &out);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(std::isnan(s->min_value));
  EXPECT_TRUE(std::isnan(s->max_value));

  s = EncodeChunk(std::vector<int64_t>{1}, std::vector<int64_t>{1},
                  std::vector<double>{nan}, &out);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(std::isnan(s->min_value));
}

// ---------------------------------------------------------------------------
// Invalid input to the encoder.

TEST(ChunkTest, RejectsEmptyOversizedAndRaggedColumns) {
  std::string out = "kept";
  const std::vector<int64_t> none;
  const std::vector<double> no_values;
  auto s = EncodeChunk(none, none, no_values, &out);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(s.status()), kReasonChunkInvalid);

  const std::vector<int64_t> big(kMaxPointsPerChunk + 1, 1);
  const std::vector<double> big_values(kMaxPointsPerChunk + 1, 1.0);
  s = EncodeChunk(big, big, big_values, &out);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("4097"));

  s = EncodeChunk(std::vector<int64_t>{1, 2}, std::vector<int64_t>{1},
                  std::vector<double>{1, 2}, &out);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(s.status()), kReasonChunkInvalid);
  EXPECT_EQ(out, "kept");
}

// ---------------------------------------------------------------------------
// Corruption.

void ExpectCorrupt(std::string_view bytes, std::string_view message_part = "") {
  PointColumns out = Points({1}, {2}, {3.0});
  const absl::Status s = DecodeChunk(bytes, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_EQ(Reason(s), kReasonChunkCorrupt) << s;
  EXPECT_THAT(s.message(), HasSubstr(message_part));
  // Unchanged on error.
  ExpectSameBits(out, Points({1}, {2}, {3.0}));
}

TEST(ChunkTest, EverySingleBitFlipIsDetected) {
  const std::string good = Encode(NoisyLoss(40, 3));
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    SCOPED_TRACE(bit);
    PointColumns out;
    const absl::Status s = DecodeChunk(bad, &out);
    ASSERT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_TRUE(out.steps.empty());
  }
}

TEST(ChunkTest, EveryTruncationIsDetected) {
  const std::string good = Encode(NoisyLoss(100, 4));
  for (size_t len = 0; len < good.size(); ++len) {
    SCOPED_TRACE(len);
    ExpectCorrupt(std::string_view(good).substr(0, len));
  }
  ExpectCorrupt(good + '\0');
  ExpectCorrupt(good.substr(0, 3), "truncated");
}

TEST(ChunkTest, ChecksumMismatchSaysSo) {
  std::string bad = Encode(NoisyLoss(10, 5));
  bad[5] ^= 0x10;
  ExpectCorrupt(bad, "checksum mismatch");
}

TEST(ChunkTest, UnknownVersionIsUnsupportedNotCorrupt) {
  std::string chunk = Encode(NoisyLoss(3, 6));
  chunk.resize(chunk.size() - 4);
  chunk[0] = 2;
  PointColumns out;
  const absl::Status s = DecodeChunk(Sealed(chunk), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Reason(s), kReasonChunkVersionUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("version 2"));
}

// Well-sealed chunks whose contents are malformed: what a buggy writer (or a
// corruption the CRC happens to miss) could produce.
TEST(ChunkTest, MalformedBodiesAreCorrupt) {
  const std::string zeros(16, '\0');
  // Count 0, and count 4097 (LEB128 0x81 0x20).
  ExpectCorrupt(Sealed("\x01\x00" + zeros), "outside 1..4096");
  ExpectCorrupt(Sealed("\x01\x81\x20" + zeros), "outside 1..4096");
  // A count in three LEB128 bytes.
  ExpectCorrupt(Sealed("\x01\x81\x80\x00" + zeros), "LEB128");
  // 4096 points cannot fit in 16 bytes: rejected before allocating.
  ExpectCorrupt(Sealed("\x01\x80\x20" + zeros), "does not fit");
  // One point; the body needs 1 + 1 + 64 bits = 9 bytes: 10 is one too many.
  ExpectCorrupt(Sealed("\x01\x01" + std::string(10, '\0')), "follow the last column");
  // Padding bits must be zero: steps "0", timestamps "0", value 64 zero
  // bits, then 6 padding bits, the last set.
  ExpectCorrupt(Sealed("\x01\x01" + std::string(8, '\0') + "\x01"), "padding");
  // Two points, the second value's control bits "10" (reuse a window) before
  // any window was set: steps 00, timestamps 00, 64 value bits, then 10.
  {
    // Bits 0-3 are the two integer columns ("0" each), 4-67 the first value,
    // 68-69 the second value's control bits: byte 8 = 0000 1000.
    const std::string body = std::string(8, '\0') + "\x08" + std::string(1, '\0');
    ExpectCorrupt(Sealed("\x01\x02" + body), "window");
  }
  // A new window of 31 leading zeros and 64 meaningful bits: 95 > 64.
  {
    // Control "11" at bits 68-69, leading zeros 11111 at 70-74, length - 1
    // 111111 at 75-80.
    std::string body(8, '\0');
    body += "\x0f\xff\x80";
    body += std::string(9, '\0');
    ExpectCorrupt(Sealed("\x01\x02" + body), "window");
  }
  // The steps column asks for a 64-bit payload the bytes do not have.
  ExpectCorrupt(Sealed("\x01\x01\xff\xff" + std::string(8, '\0')), "past the end");
}

// ---------------------------------------------------------------------------
// Size.

double BytesPerPoint(const PointColumns& p) {
  return static_cast<double>(Encode(p).size()) / static_cast<double>(p.size());
}

TEST(ChunkTest, StepsLoggedEveryStepCostAboutOneBit) {
  PointColumns p;
  for (size_t i = 0; i < kMaxPointsPerChunk; ++i) {
    p.steps.push_back(1000 + static_cast<int64_t>(i));
    p.timestamps_ms.push_back(1'700'000'000'000 + 250 * static_cast<int64_t>(i));
    p.values.push_back(0.25);
  }
  // Three columns at ~1 bit each.
  EXPECT_LE(BytesPerPoint(p), 3.1 / 8);
}

TEST(ChunkTest, NoisyLossFitsTheTenBytesPerPointBudget) {
  EXPECT_LE(BytesPerPoint(NoisyLoss(kMaxPointsPerChunk, 8)), 10.0);
}

}  // namespace
}  // namespace slipway::internal_codec
