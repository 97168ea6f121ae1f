// SPEC §3: "A feature pipeline change is validated on a 1,000-record sample
// first: no nulls, non-zero variance, values inside the expected range."
// The rule's boundaries, one at a time.
#include "src/monitoring/sample_check.h"

#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace slipway::internal_monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// n values spread evenly over [lo, hi] (both ends included).
std::vector<double> Spread(size_t n, double lo, double hi) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  }
  return v;
}

TEST(SampleCheckTest, AGoodSampleOf1000RowsPasses) {
  const SampleCheck c = CheckFeatureSample(Spread(1000, 0, 10), 0.0, 10.0);
  EXPECT_TRUE(c.passed());
  EXPECT_THAT(c.problems, IsEmpty());
  EXPECT_EQ(c.rows, 1000);
  EXPECT_EQ(c.nulls, 0);
  EXPECT_EQ(c.below_min, 0);
  EXPECT_EQ(c.above_max, 0);
  EXPECT_EQ(c.min, 0);
  EXPECT_EQ(c.max, 10);
  EXPECT_GT(c.variance, 0);
}

TEST(SampleCheckTest, NineHundredNinetyNineRowsFail) {
  EXPECT_EQ(kMinFeatureSampleRows, 1000);
  const SampleCheck c = CheckFeatureSample(Spread(999, 0, 1), std::nullopt,
                                           std::nullopt);
  EXPECT_FALSE(c.passed());
  ASSERT_THAT(c.problems, SizeIs(1));
  EXPECT_THAT(c.problems[0], HasSubstr("999 rows"));
  EXPECT_THAT(c.problems[0], HasSubstr("1000"));
  EXPECT_TRUE(CheckFeatureSample(Spread(1000, 0, 1), std::nullopt,
                                 std::nullopt)
                  .passed());
  // The row minimum is a parameter.
  EXPECT_TRUE(CheckFeatureSample(Spread(10, 0, 1), std::nullopt, std::nullopt,
                                 /*min_rows=*/10)
                  .passed());
  EXPECT_FALSE(CheckFeatureSample(Spread(9, 0, 1), std::nullopt, std::nullopt,
                                  /*min_rows=*/10)
                   .passed());
}

TEST(SampleCheckTest, OneNullFailsAndNullsCountAsRows) {
  std::vector<double> v = Spread(1000, 0, 1);
  v[500] = kNaN;
  const SampleCheck c = CheckFeatureSample(v, 0.0, 1.0);
  EXPECT_FALSE(c.passed());
  EXPECT_EQ(c.rows, 1000);  // a null is a row: the sample is big enough
  EXPECT_EQ(c.nulls, 1);
  ASSERT_THAT(c.problems, SizeIs(1));
  EXPECT_THAT(c.problems[0], HasSubstr("1 null"));
  // min, max and variance are over the non-null values.
  EXPECT_EQ(c.min, 0);
  EXPECT_EQ(c.max, 1);
  EXPECT_FALSE(std::isnan(c.variance));
  EXPECT_GT(c.variance, 0);
}

TEST(SampleCheckTest, AllNullsFailWithNoVariance) {
  const SampleCheck c =
      CheckFeatureSample(std::vector<double>(1000, kNaN), 0.0, 1.0);
  EXPECT_EQ(c.nulls, 1000);
  EXPECT_TRUE(std::isnan(c.min));
  EXPECT_TRUE(std::isnan(c.variance));
  ASSERT_THAT(c.problems, SizeIs(2));
  EXPECT_THAT(c.problems[0], HasSubstr("1000 null"));
  EXPECT_THAT(c.problems[1], HasSubstr("variance"));
}

TEST(SampleCheckTest, AnInfiniteValueFails) {
  for (double inf : {kInf, -kInf}) {
    std::vector<double> v = Spread(1000, 0, 1);
    v[3] = inf;
    const SampleCheck c = CheckFeatureSample(v, std::nullopt, std::nullopt);
    EXPECT_FALSE(c.passed()) << inf;
    ASSERT_THAT(c.problems, SizeIs(1)) << inf;
    EXPECT_THAT(c.problems[0], HasSubstr("1 infinite"));
    EXPECT_TRUE(std::isnan(c.variance));
    EXPECT_EQ(inf > 0 ? c.max : c.min, inf);
  }
  // With bounds it is also out of range.
  std::vector<double> v = Spread(1000, 0, 1);
  v[0] = kInf;
  const SampleCheck c = CheckFeatureSample(v, 0.0, 1.0);
  EXPECT_EQ(c.above_max, 1);
  EXPECT_THAT(c.problems, SizeIs(2));
}

TEST(SampleCheckTest, ConstantValuesHaveZeroVarianceAndFail) {
  for (double value : {0.0, -3.5, 1e9, 1e-300}) {
    const SampleCheck c = CheckFeatureSample(std::vector<double>(5000, value),
                                             std::nullopt, std::nullopt);
    EXPECT_FALSE(c.passed()) << value;
    EXPECT_EQ(c.variance, 0) << value;
    ASSERT_THAT(c.problems, SizeIs(1)) << value;
    EXPECT_THAT(c.problems[0], HasSubstr("zero variance"));
  }
  // One different value is enough.
  std::vector<double> v(1000, 5.0);
  v[999] = 5.0000001;
  const SampleCheck c = CheckFeatureSample(v, std::nullopt, std::nullopt);
  EXPECT_TRUE(c.passed()) << c.problems[0];
  EXPECT_GT(c.variance, 0);
}

TEST(SampleCheckTest, ValuesExactlyAtTheBoundsPassJustOutsideFail) {
  const double lo = -2.5;
  const double hi = 7.25;
  EXPECT_TRUE(CheckFeatureSample(Spread(1000, lo, hi), lo, hi).passed());

  std::vector<double> below = Spread(1000, lo, hi);
  below[10] = std::nextafter(lo, -kInf);
  SampleCheck c = CheckFeatureSample(below, lo, hi);
  EXPECT_FALSE(c.passed());
  EXPECT_EQ(c.below_min, 1);
  EXPECT_EQ(c.above_max, 0);
  ASSERT_THAT(c.problems, SizeIs(1));
  EXPECT_THAT(c.problems[0], HasSubstr("1 values below the expected minimum"));

  std::vector<double> above = Spread(1000, lo, hi);
  above[10] = std::nextafter(hi, kInf);
  c = CheckFeatureSample(above, lo, hi);
  EXPECT_FALSE(c.passed());
  EXPECT_EQ(c.below_min, 0);
  EXPECT_EQ(c.above_max, 1);
  ASSERT_THAT(c.problems, SizeIs(1));
  EXPECT_THAT(c.problems[0], HasSubstr("1 values above the expected maximum"));
}

TEST(SampleCheckTest, AnAbsentBoundIsNotChecked) {
  const std::vector<double> v = Spread(1000, -1e12, 1e12);
  EXPECT_TRUE(CheckFeatureSample(v, std::nullopt, std::nullopt).passed());
  // Only a minimum: anything above is fine, below is not.
  EXPECT_TRUE(CheckFeatureSample(v, -1e12, std::nullopt).passed());
  EXPECT_EQ(CheckFeatureSample(v, 0.0, std::nullopt).below_min, 500);
  EXPECT_EQ(CheckFeatureSample(v, 0.0, std::nullopt).above_max, 0);
  // Only a maximum.
  EXPECT_TRUE(CheckFeatureSample(v, std::nullopt, 1e12).passed());
  EXPECT_EQ(CheckFeatureSample(v, std::nullopt, 0.0).above_max, 500);
  EXPECT_EQ(CheckFeatureSample(v, std::nullopt, 0.0).below_min, 0);
}

TEST(SampleCheckTest, EveryProblemIsReportedInOrder) {
  std::vector<double> v(10, 3.0);  // too few, and constant ...
  v.push_back(kNaN);                // ... a null,
  v.push_back(-1.0);                // one below,
  v.push_back(99.0);                // two above
  v.push_back(100.0);
  const SampleCheck c = CheckFeatureSample(v, 0.0, 10.0);
  EXPECT_EQ(c.rows, 14);
  EXPECT_EQ(c.nulls, 1);
  EXPECT_EQ(c.below_min, 1);
  EXPECT_EQ(c.above_max, 2);
  EXPECT_EQ(c.min, -1.0);
  EXPECT_EQ(c.max, 100.0);
  ASSERT_THAT(c.problems, SizeIs(4));
  EXPECT_THAT(c.problems[0], HasSubstr("14 rows"));
  EXPECT_THAT(c.problems[1], HasSubstr("1 null"));
  EXPECT_THAT(c.problems[2], HasSubstr("1 values below the expected minimum 0"));
  EXPECT_THAT(c.problems[2], HasSubstr("smallest -1"));
  EXPECT_THAT(c.problems[3], HasSubstr("2 values above the expected maximum 10"));
  EXPECT_THAT(c.problems[3], HasSubstr("largest 100"));

  // All six at once: too few rows, a null, an infinite value (which hides
  // the variance rule), below and above.
  const SampleCheck all =
      CheckFeatureSample(std::vector<double>{kNaN, kInf, -5, 1, 2}, 0.0, 1.5);
  EXPECT_THAT(all.problems, SizeIs(5));
}

TEST(SampleCheckTest, EmptySampleFails) {
  const SampleCheck c = CheckFeatureSample({}, 0.0, 1.0);
  EXPECT_EQ(c.rows, 0);
  EXPECT_THAT(c.problems, SizeIs(2));
  EXPECT_THAT(c.problems[1], HasSubstr("no values"));
}

// Values 1e9 + noise of 1e-3: E[x²] - E[x]² would cancel to zero (or below)
// in doubles; the variance must still come out near 1e-6.
TEST(SampleCheckTest, VarianceOfALargeOffsetWithTinyNoiseIsRight) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0, 1e-3);
  std::vector<double> v(100'000);
  std::vector<double> deviations(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    deviations[i] = noise(rng);
    v[i] = 1e9 + deviations[i];
  }
  // The exact population variance of what was stored (the stored values
  // are rounded to the grid of 1e9, about 1.2e-7).
  long double mean = 0;
  for (double x : v) mean += static_cast<long double>(x) - 1e9L;
  mean /= v.size();
  long double m2 = 0;
  for (double x : v) {
    const long double d = (static_cast<long double>(x) - 1e9L) - mean;
    m2 += d * d;
  }
  const double expected = static_cast<double>(m2 / v.size());
  const SampleCheck c = CheckFeatureSample(v, std::nullopt, std::nullopt);
  EXPECT_TRUE(c.passed());
  EXPECT_NEAR(c.variance, expected, expected * 1e-3);
  EXPECT_NEAR(c.variance, 1e-6, 2e-8);

  // Two values at 1e15 one ulp apart (0.125): variance 1/256.
  std::vector<double> two(1000, 1e15);
  for (size_t i = 0; i < two.size(); i += 2) two[i] = 1e15 + 0.125;
  const SampleCheck t = CheckFeatureSample(two, std::nullopt, std::nullopt);
  EXPECT_TRUE(t.passed());
  EXPECT_DOUBLE_EQ(t.variance, 0.125 * 0.125 / 4);
}

// "Non-zero variance" is a question of whether the values differ, which
// has an exact answer even where the variance itself underflows (values
// near 1e-200: the squares are below the smallest double) or overflows
// (values near ±1e308: the differences are infinite).
TEST(SampleCheckTest, ZeroVarianceIsJudgedExactlyAtExtremeScales) {
  std::vector<double> tiny(1000, 1e-200);
  for (size_t i = 0; i < tiny.size(); i += 2) tiny[i] = 2e-200;
  SampleCheck c = CheckFeatureSample(tiny, std::nullopt, std::nullopt);
  EXPECT_TRUE(c.passed()) << (c.problems.empty() ? "" : c.problems[0]);
  EXPECT_GE(c.variance, 0);

  const double big = std::numeric_limits<double>::max();
  std::vector<double> huge(1000, big);
  for (size_t i = 0; i < huge.size(); i += 2) huge[i] = -big;
  c = CheckFeatureSample(huge, std::nullopt, std::nullopt);
  EXPECT_TRUE(c.passed()) << (c.problems.empty() ? "" : c.problems[0]);
  EXPECT_GT(c.variance, 0);  // +inf: above any double

  // The smallest subnormal against zero still differs.
  std::vector<double> sub(1000, 0.0);
  sub[500] = std::numeric_limits<double>::denorm_min();
  EXPECT_TRUE(CheckFeatureSample(sub, std::nullopt, std::nullopt).passed());
  // And -0.0 equals 0.0: no variance.
  std::vector<double> zeros(1000, 0.0);
  zeros[1] = -0.0;
  c = CheckFeatureSample(zeros, std::nullopt, std::nullopt);
  ASSERT_THAT(c.problems, SizeIs(1));
  EXPECT_THAT(c.problems[0], HasSubstr("zero variance"));
}

}  // namespace
}  // namespace slipway::internal_monitoring
