#include "src/tracking/downsample.h"

#include <cmath>

#include "gtest/gtest.h"

namespace slipway::internal_tracking {
namespace {

MetricHistory Ramp(size_t n) {
  MetricHistory h;
  for (size_t i = 0; i < n; ++i) {
    h.steps.push_back(static_cast<int64_t>(i));
    h.timestamps_ms.push_back(static_cast<int64_t>(i) * 10);
    h.values.push_back(std::sin(static_cast<double>(i) / 100.0));
  }
  return h;
}

TEST(DownsampleTest, SmallHistoriesAndZeroAreUntouched) {
  MetricHistory h = Ramp(10);
  Downsample(0, &h);
  EXPECT_EQ(h.values.size(), 10u);
  Downsample(10, &h);
  EXPECT_EQ(h.values.size(), 10u);
}

TEST(DownsampleTest, KeepsEndsAndExtremesWithinTheBudget) {
  MetricHistory h = Ramp(100000);
  h.values[54321] = 1e9;    // a spike
  h.values[12345] = -1e9;   // a dip
  Downsample(400, &h);
  EXPECT_LE(h.values.size(), 400u);
  EXPECT_GT(h.values.size(), 300u);
  EXPECT_EQ(h.steps.front(), 0);
  EXPECT_EQ(h.steps.back(), 99999);
  bool spike = false, dip = false;
  for (size_t i = 0; i < h.values.size(); ++i) {
    spike = spike || h.values[i] == 1e9;
    dip = dip || h.values[i] == -1e9;
    if (i > 0) EXPECT_LT(h.steps[i - 1], h.steps[i]);  // original order kept
    EXPECT_EQ(h.timestamps_ms[i], h.steps[i] * 10);     // columns stay aligned
  }
  EXPECT_TRUE(spike);
  EXPECT_TRUE(dip);
}

TEST(DownsampleTest, NanNeverCountsAsMinOrMax) {
  MetricHistory h = Ramp(1000);
  for (size_t i = 1; i < 999; ++i) h.values[i] = std::nan("");
  h.values[500] = 7;
  Downsample(4, &h);
  ASSERT_EQ(h.values.size(), 3u);  // first, the only number, last
  EXPECT_EQ(h.values[1], 7);
}

}  // namespace
}  // namespace slipway::internal_tracking
