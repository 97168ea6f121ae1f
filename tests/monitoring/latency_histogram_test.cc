#include "src/monitoring/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"

namespace slipway::internal_monitoring {
namespace {

using H = LatencyHistogram;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The exact nearest-rank quantile the histogram estimates: the smallest
// sample with at least ceil(q·n) samples <= it.
double ExactQuantile(std::vector<double> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(q * n)));
  rank = std::min(rank, samples.size());
  return samples[rank - 1];
}

TEST(LatencyHistogramTest, NoHeapAndFixedSize) {
  // No pointer inside: copying is a memcpy and nothing is ever allocated.
  static_assert(std::is_trivially_copyable_v<H>);
  EXPECT_EQ(H::kBucketCount, 1730u);
  EXPECT_LE(sizeof(H), 14'000u);
}

TEST(LatencyHistogramTest, EmptyHistogram) {
  H h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0);
  EXPECT_TRUE(std::isnan(h.mean()));
  EXPECT_TRUE(std::isnan(h.Quantile(0.5)));
  EXPECT_EQ(h.min(), kInf);
  EXPECT_EQ(h.max(), -kInf);
}

TEST(LatencyHistogramTest, InvalidValuesAreCountedApart) {
  H h;
  h.Record(kNaN);
  h.Record(-1);
  h.Record(kInf);
  h.Record(-kInf);
  h.Record(-1e-300);
  EXPECT_EQ(h.invalid_count(), 5u);
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0);
  h.Record(-0.0);  // counts as 0
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_FALSE(std::signbit(h.min()));
  EXPECT_EQ(h.bucket(H::kUnderflowBucket), 1u);
}

TEST(LatencyHistogramTest, BucketLayout) {
  EXPECT_EQ(H::kLowestResolvedMs, 0.0009765625);
  EXPECT_EQ(H::kOverflowMs, 131072.0);
  EXPECT_EQ(H::BucketIndex(0), H::kUnderflowBucket);
  EXPECT_EQ(H::BucketIndex(1e-300), H::kUnderflowBucket);
  EXPECT_EQ(H::BucketIndex(std::nextafter(H::kLowestResolvedMs, 0)),
            H::kUnderflowBucket);
  EXPECT_EQ(H::BucketIndex(H::kLowestResolvedMs), 1u);
  EXPECT_EQ(H::BucketIndex(std::nextafter(H::kOverflowMs, 0)),
            H::kOverflowBucket - 1);
  EXPECT_EQ(H::BucketIndex(H::kOverflowMs), H::kOverflowBucket);
  EXPECT_EQ(H::BucketIndex(1e300), H::kOverflowBucket);
  EXPECT_EQ(H::BucketLowerBound(H::kUnderflowBucket), 0);
  EXPECT_EQ(H::BucketUpperBound(H::kOverflowBucket), kInf);
  // 1 µs and 100 s are resolved.
  EXPECT_GT(H::BucketIndex(0.001), H::kUnderflowBucket);
  EXPECT_LT(H::BucketIndex(100'000), H::kOverflowBucket);
  for (size_t i = 1; i < H::kOverflowBucket; ++i) {
    const double lo = H::BucketLowerBound(i);
    const double hi = H::BucketUpperBound(i);
    ASSERT_LT(lo, hi) << i;
    ASSERT_EQ(H::BucketIndex(lo), i) << lo;
    ASSERT_EQ(H::BucketIndex(std::nextafter(hi, 0)), i) << hi;
    ASSERT_EQ(H::BucketLowerBound(i + 1), hi) << i;
    ASSERT_LE(hi - lo, lo / 64) << i;
    // The midpoint is within the stated bound of every value in the bucket.
    const double mid = 0.5 * (lo + hi);
    ASSERT_LE(std::abs(mid - lo) / lo, H::kQuantileRelativeError) << i;
    ASSERT_LE(std::abs(mid - std::nextafter(hi, 0)) / std::nextafter(hi, 0),
              H::kQuantileRelativeError)
        << i;
  }
}

TEST(LatencyHistogramTest, CountSumMinMaxMean) {
  H h;
  for (double v : {3.0, 1.0, 2.0, 10.0}) h.Record(v);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum(), 16.0);
  EXPECT_EQ(h.mean(), 4.0);
  EXPECT_EQ(h.min(), 1.0);
  EXPECT_EQ(h.max(), 10.0);
}

TEST(LatencyHistogramTest, ExtremeRanksAreExact) {
  H h;
  for (double v : {0.123456, 7.5, 7.6, 42.4242}) h.Record(v);
  EXPECT_EQ(h.Quantile(0), 0.123456);
  EXPECT_EQ(h.Quantile(-5), 0.123456);
  EXPECT_EQ(h.Quantile(0.25), 0.123456);  // rank 1
  EXPECT_EQ(h.Quantile(1), 42.4242);
  EXPECT_EQ(h.Quantile(7), 42.4242);
  EXPECT_TRUE(std::isnan(h.Quantile(kNaN)));
  H one;
  one.Record(5.55);
  EXPECT_EQ(one.Quantile(0.5), 5.55);
  EXPECT_EQ(one.Quantile(0.99), 5.55);
}

TEST(LatencyHistogramTest, QuantileOfEqualValuesIsExact) {
  H h;
  for (int i = 0; i < 1000; ++i) h.Record(12.34);
  for (double q : {0.01, 0.5, 0.99}) EXPECT_EQ(h.Quantile(q), 12.34) << q;
}

TEST(LatencyHistogramTest, UnresolvedRangesReportTheExtremes) {
  H low;
  for (int i = 0; i < 100; ++i) low.Record(0.0001 * (1 + i % 3));  // below 1 µs
  EXPECT_EQ(low.Quantile(0.5), 0.0001);  // the minimum
  H high;
  for (int i = 0; i < 100; ++i) high.Record(200'000.0 + i);  // above 131 s
  EXPECT_EQ(high.Quantile(0.5), 200'099.0);                  // the maximum
}

struct Distribution {
  const char* name;
  // Draws one latency in ms.
  double (*draw)(std::mt19937_64&);
};

double LogNormal(std::mt19937_64& rng) {
  // Median 20 ms, long right tail (sigma 1 in log space).
  return std::lognormal_distribution<double>(std::log(20.0), 1.0)(rng);
}
double Bimodal(std::mt19937_64& rng) {
  // A cache: 90 % hits around 2 ms, 10 % misses around 150 ms.
  if (std::bernoulli_distribution(0.9)(rng)) {
    return std::max(0.01, std::normal_distribution<double>(2.0, 0.3)(rng));
  }
  return std::max(0.01, std::normal_distribution<double>(150.0, 25.0)(rng));
}
double LogUniformWide(std::mt19937_64& rng) {
  // 1 µs .. 100 s, every octave equally likely.
  return std::exp(std::uniform_real_distribution<double>(
      std::log(0.001), std::log(100'000.0))(rng));
}

TEST(LatencyHistogramTest, QuantilesWithinStatedErrorOfExact) {
  const Distribution distributions[] = {
      {"lognormal", LogNormal},
      {"bimodal", Bimodal},
      {"log-uniform 1us-100s", LogUniformWide}};
  const double qs[] = {0.001, 0.01, 0.1,  0.25, 0.5,
                       0.75,  0.9,  0.95, 0.99, 0.999};
  for (const Distribution& d : distributions) {
    for (size_t n : {100u, 1'000u, 100'000u}) {
      for (uint64_t seed = 1; seed <= 5; ++seed) {
        std::mt19937_64 rng(seed * 7919 + n);
        std::vector<double> samples(n);
        H h;
        for (double& s : samples) {
          s = d.draw(rng);
          h.Record(s);
        }
        for (double q : qs) {
          const double exact = ExactQuantile(samples, q);
          const double got = h.Quantile(q);
          ASSERT_LE(std::abs(got - exact) / exact, H::kQuantileRelativeError)
              << d.name << " n=" << n << " seed=" << seed << " q=" << q
              << " exact=" << exact << " got=" << got;
        }
      }
    }
  }
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(42);
  H a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const double v = LogNormal(rng);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Record(kNaN);
  all.Record(kNaN);
  H ab = a;
  ab.Merge(b);
  H ba = b;
  ba.Merge(a);
  EXPECT_EQ(ab.count(), all.count());
  EXPECT_EQ(ab.invalid_count(), 1u);
  EXPECT_EQ(ab.min(), all.min());
  EXPECT_EQ(ab.max(), all.max());
  EXPECT_NEAR(ab.sum(), all.sum(), 1e-9 * all.sum());  // addition order differs
  for (size_t i = 0; i < H::kBucketCount; ++i)
    ASSERT_EQ(ab.bucket(i), all.bucket(i)) << i;
  for (double q : {0.5, 0.99}) {
    EXPECT_EQ(ab.Quantile(q), all.Quantile(q));
    EXPECT_EQ(ba.Quantile(q), all.Quantile(q));
  }
  H empty;
  H copy = all;
  copy.Merge(empty);
  EXPECT_EQ(copy, all);
  empty.Merge(all);
  EXPECT_EQ(empty, all);
}

TEST(LatencyHistogramTest, StoredFormRoundTrips) {
  std::mt19937_64 rng(7);
  H h;
  for (int i = 0; i < 1000; ++i) h.Record(Bimodal(rng));
  h.Record(0);
  h.Record(1e9);
  h.Record(-3);
  std::string bytes;
  h.EncodeTo(&bytes);
  std::string_view in = bytes;
  H back;
  std::string what;
  ASSERT_TRUE(H::DecodeFrom(&in, &back, &what)) << what;
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(back, h);
}

}  // namespace
}  // namespace slipway::internal_monitoring
