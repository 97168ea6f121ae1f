#include "src/monitoring/outcome_window.h"

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "src/codec/crc32c.h"
#include "src/monitoring/wire.h"

namespace slipway::internal_monitoring {
namespace {

using ::slipway::internal_codec::Crc32c;

std::string Reason(const absl::Status& status) {
  const auto detail = GetErrorDetail(status);
  return detail ? detail->reason : "(no detail)";
}

std::string Encode(const OutcomeWindow& w) {
  std::string out;
  EncodeOutcomeWindow(w, &out);
  return out;
}

// Appends a valid CRC-32C, for hand-made windows whose body is what is
// tested.
std::string Sealed(std::string covered) {
  const uint32_t crc = Crc32c(covered);
  for (int i = 0; i < 4; ++i) covered += static_cast<char>(crc >> (8 * i));
  return covered;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

OutcomeWindow RandomWindow(uint64_t seed) {
  std::mt19937_64 rng(seed);
  OutcomeWindow w;
  w.requests = rng() % 100'000;
  w.errors = w.requests == 0 ? 0 : rng() % (w.requests + 1);
  std::lognormal_distribution<double> latency(std::log(30.0), 1.2);
  for (uint64_t i = 0; i < w.requests % 3000; ++i)
    w.latency.Record(latency(rng));
  w.predictions = rng() % 100'000;
  w.labelled = rng() % 50'000;
  w.correct = w.labelled == 0 ? 0 : rng() % (w.labelled + 1);
  w.trials = rng() % 10'000;
  w.successes = w.trials == 0 ? 0 : rng() % (w.trials + 1);
  return w;
}

void ExpectCorrupt(std::string_view bytes, std::string_view context) {
  const absl::StatusOr<OutcomeWindow> got = DecodeOutcomeWindow(bytes);
  ASSERT_FALSE(got.ok()) << context;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << context;
  EXPECT_EQ(Reason(got.status()), kReasonWindowCorrupt)
      << context << ": " << got.status();
}

TEST(OutcomeWindowTest, MergeAddsEveryCounterAndTheHistogram) {
  OutcomeWindow a = RandomWindow(1);
  const OutcomeWindow b = RandomWindow(2);
  OutcomeWindow want;
  want.requests = a.requests + b.requests;
  want.errors = a.errors + b.errors;
  want.predictions = a.predictions + b.predictions;
  want.labelled = a.labelled + b.labelled;
  want.correct = a.correct + b.correct;
  want.successes = a.successes + b.successes;
  want.trials = a.trials + b.trials;
  want.latency = a.latency;
  want.latency.Merge(b.latency);
  a.Merge(b);
  EXPECT_EQ(a, want);
}

TEST(OutcomeWindowTest, LateLabelsMergeIntoAPastWindow) {
  // Minute 12:00 as served: 1,000 predictions, no labels yet.
  OutcomeWindow served;
  served.requests = served.predictions = 1000;
  served.latency.Record(5);
  // Labels for that minute's predictions arrive at 12:30: a window holding
  // only label counts, merged into the stored one.
  OutcomeWindow labels;
  labels.labelled = 600;
  labels.correct = 540;
  served.Merge(labels);
  EXPECT_EQ(served.predictions, 1000u);
  EXPECT_EQ(served.labelled, 600u);
  EXPECT_EQ(served.correct, 540u);
  EXPECT_EQ(served.latency.count(), 1u);
}

TEST(OutcomeWindowTest, EmptyWindowIs14Bytes) {
  const std::string bytes = Encode(OutcomeWindow());
  EXPECT_EQ(bytes.size(), 14u);
  EXPECT_EQ(bytes.substr(0, 10), Bytes({1, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  const absl::StatusOr<OutcomeWindow> back = DecodeOutcomeWindow(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, OutcomeWindow());
}

// Pins the format (docs/monitoring.md, "Stored windows").
TEST(OutcomeWindowTest, GoldenBytes) {
  OutcomeWindow w;
  w.requests = 300;
  w.errors = 1;
  w.predictions = 3;
  w.labelled = 2;
  w.correct = 1;
  w.successes = 1;
  w.trials = 2;
  w.latency.Record(1.0);  // bucket 641: (1023 << 6) - ((1013 << 6) - 1)
  const std::string want =
      Sealed(Bytes({0x01,  // version
                    0xAC, 0x02, 0x01, 0x03,
                    0x02, 0x01, 0x01, 0x02,  // counters (300 = AC 02)
                    0x00,                    // invalid latencies
                    0x01,                    // one non-empty bucket
                    0x82, 0x05, 0x01,        // gap 642 from -1, count 1
                    0,    0,    0,    0,
                    0,    0,    0xF0, 0x3F,  // sum 1.0
                    0,    0,    0,    0,
                    0,    0,    0xF0, 0x3F,  // min 1.0
                    0,    0,    0,    0,
                    0,    0,    0xF0, 0x3F}));  // max 1.0
  EXPECT_EQ(Encode(w), want);
  const absl::StatusOr<OutcomeWindow> back = DecodeOutcomeWindow(want);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, w);
}

TEST(OutcomeWindowTest, RoundTripsAndIsCanonical) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const OutcomeWindow w = RandomWindow(seed);
    const std::string bytes = Encode(w);
    const absl::StatusOr<OutcomeWindow> back = DecodeOutcomeWindow(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(*back, w) << seed;
    ASSERT_EQ(Encode(*back), bytes) << seed;
  }
}

TEST(OutcomeWindowTest, ExtremeValuesRoundTrip) {
  OutcomeWindow w;
  w.requests = w.errors = UINT64_MAX;
  w.predictions = UINT64_MAX;
  w.labelled = w.correct = UINT64_MAX - 1;
  w.trials = UINT64_MAX;
  w.successes = 0;
  w.latency.Record(0);
  w.latency.Record(LatencyHistogram::kLowestResolvedMs);
  w.latency.Record(1e-300);
  w.latency.Record(1e300);
  w.latency.Record(-1);
  const absl::StatusOr<OutcomeWindow> back = DecodeOutcomeWindow(Encode(w));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, w);
}

TEST(OutcomeWindowTest, AppendsAfterExistingBytes) {
  std::string out = "prefix";
  EncodeOutcomeWindow(RandomWindow(3), &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), Encode(RandomWindow(3)));
}

TEST(OutcomeWindowTest, EveryTruncationIsDataLoss) {
  const std::string bytes = Encode(RandomWindow(5));
  for (size_t len = 0; len < bytes.size(); ++len) {
    ExpectCorrupt(std::string_view(bytes).substr(0, len), "truncated");
  }
  ExpectCorrupt(bytes + '\0', "one byte added");
}

TEST(OutcomeWindowTest, EveryBitFlipIsDataLoss) {
  const std::string bytes = Encode(RandomWindow(6));
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    const absl::StatusOr<OutcomeWindow> got = DecodeOutcomeWindow(flipped);
    ASSERT_FALSE(got.ok()) << "bit " << bit;
    ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss)
        << "bit " << bit;
  }
}

TEST(OutcomeWindowTest, NewerVersionIsVersionUnsupported) {
  std::string body = Encode(OutcomeWindow());
  body.resize(body.size() - 4);
  body[0] = 2;
  const absl::StatusOr<OutcomeWindow> got = DecodeOutcomeWindow(Sealed(body));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Reason(got.status()), kReasonWindowVersionUnsupported);
}

// Sealed windows with a valid CRC whose contents break a rule.
TEST(OutcomeWindowTest, MalformedContentIsCorrupt) {
  const std::string zeros7 = Bytes({0, 0, 0, 0, 0, 0, 0});
  const std::string one_ms = Bytes({0, 0, 0, 0, 0, 0, 0xF0, 0x3F});
  const std::string two_ms = Bytes({0, 0, 0, 0, 0, 0, 0x00, 0x40});
  const std::string minus_one = Bytes({0, 0, 0, 0, 0, 0, 0xF0, 0xBF});
  const std::string nan = Bytes({0, 0, 0, 0, 0, 0, 0xF8, 0x7F});
  const std::string v = Bytes({1});
  struct Case {
    const char* what;
    std::string body;
  } cases[] = {
      {"non-canonical varint (0 as 80 00)",
       v + Bytes({0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0})},
      {"varint longer than 10 bytes",
       v +
           Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                  0x01}) +
           zeros7 + Bytes({0, 0})},
      {"varint over 64 bits",
       v + Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0,
                  0, 0, 0, 0, 0, 0, 0})},
      {"errors > requests", v + Bytes({1, 2, 0, 0, 0, 0, 0, 0, 0})},
      {"correct > labelled", v + Bytes({0, 0, 0, 1, 2, 0, 0, 0, 0})},
      {"successes > trials", v + Bytes({0, 0, 0, 0, 0, 3, 2, 0, 0})},
      {"bytes left over", v + zeros7 + Bytes({0, 0, 0})},
      {"more buckets than exist", v + zeros7 + Bytes({0, 0xC3, 0x0D})},  // 1731
      {"bucket gap 0",
       v + zeros7 + Bytes({0, 1, 0, 1}) + one_ms + one_ms + one_ms},
      {"bucket past the overflow bucket",
       v + zeros7 + Bytes({0, 1, 0xC3, 0x0D, 1}) + one_ms + one_ms + one_ms},
      {"bucket count 0",
       v + zeros7 + Bytes({0, 1, 0x82, 0x05, 0}) + one_ms + one_ms + one_ms},
      {"histogram doubles truncated",
       v + zeros7 + Bytes({0, 1, 0x82, 0x05, 1}) + one_ms},
      {"negative sum",
       v + zeros7 + Bytes({0, 1, 0x82, 0x05, 1}) + minus_one + one_ms + one_ms},
      {"NaN min",
       v + zeros7 + Bytes({0, 1, 0x82, 0x05, 1}) + one_ms + nan + one_ms},
      {"min outside the first bucket",
       v + zeros7 + Bytes({0, 1, 0x82, 0x05, 1}) + one_ms + two_ms + two_ms},
      {"one value with min != max",
       v + zeros7 + Bytes({0, 1, 0x82, 0x05, 1}) + one_ms + one_ms +
           Bytes({0, 0, 0, 0, 0, 0x20, 0xF0, 0x3F})},  // 1.0078125, same bucket
      {"counts overflow 64 bits",
       v + zeros7 +
           Bytes({0, 2, 0x82, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                  0xFF, 0xFF, 0x01, 0x40, 0x01}) +
           one_ms + one_ms + two_ms},
  };
  for (const Case& c : cases) ExpectCorrupt(Sealed(c.body), c.what);
  // The well-formed neighbour of the last cases decodes: 1 ms and 2 ms.
  const absl::StatusOr<OutcomeWindow> ok = DecodeOutcomeWindow(
      Sealed(v + zeros7 + Bytes({0, 2, 0x82, 0x05, 1, 0x40, 1}) +
             Bytes({0, 0, 0, 0, 0, 0, 8, 0x40}) + one_ms + two_ms));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->latency.count(), 2u);
  EXPECT_EQ(ok->latency.sum(), 3.0);
}

TEST(OutcomeWindowTest, CorruptErrorCarriesADetail) {
  const absl::StatusOr<OutcomeWindow> got =
      DecodeOutcomeWindow("garbage-bytes!!");
  ASSERT_FALSE(got.ok());
  const auto detail = GetErrorDetail(got.status());
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->reason, "WINDOW_CORRUPT");
  EXPECT_EQ(detail->value, "garbage-bytes!!");
  EXPECT_FALSE(detail->rule.empty());
  EXPECT_FALSE(detail->fix.empty());
}

TEST(WireTest, VarintsAreCanonical) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128},
                     uint64_t{300}, uint64_t{1} << 63, UINT64_MAX}) {
    std::string s;
    wire::PutVarint(v, &s);
    std::string_view in = s;
    uint64_t back = 0;
    ASSERT_TRUE(wire::GetVarint(&in, &back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(in.empty());
  }
  uint64_t v = 0;
  std::string_view redundant("\x81\x00", 2);
  EXPECT_FALSE(wire::GetVarint(&redundant, &v));
  std::string_view truncated("\x81", 1);
  EXPECT_FALSE(wire::GetVarint(&truncated, &v));
}

}  // namespace
}  // namespace slipway::internal_monitoring
