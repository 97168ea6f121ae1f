#include "src/rollout/capacity.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>

#include "gtest/gtest.h"
#include "tests/rollout/rollout_test_util.h"

namespace slipway::internal_rollout {
namespace {

using ::slipway::rollout_test::ReasonOf;

struct Case {
  int64_t current;
  int64_t requested;
  int64_t allowed;
  bool capped;
};

TEST(CapCapacityChangeTest, ReplicaCounts) {
  const Case cases[] = {
      // +25 % exactly is allowed; more is cut to +25 %.
      {4, 5, 5, false},
      {4, 6, 5, true},
      {8, 10, 10, false},
      {8, 11, 10, true},
      {100, 125, 125, false},
      {100, 126, 125, true},
      {100, 1000, 125, true},
      {10, 13, 12, true},  // floor(2.5) = 2
      {10, 12, 12, false},
      // Small counts: +25 % rounds down to 0, so one replica may be added.
      {0, 1, 1, false},
      {0, 5, 1, true},
      {1, 2, 2, false},
      {1, 3, 2, true},
      {2, 3, 3, false},
      {3, 5, 4, true},
      // Decreases and no change are not capped.
      {10, 2, 2, false},
      {10, 0, 0, false},
      {7, 7, 7, false},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CapacityDecision<int64_t>> d =
        CapCapacityChange(c.current, c.requested);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->allowed, c.allowed) << c.current << " -> " << c.requested;
    EXPECT_EQ(d->capped, c.capped) << c.current << " -> " << c.requested;
  }
}

TEST(CapCapacityChangeTest, LargeCountsHaveNoRoundingError) {
  const int64_t big = int64_t{1} << 60;
  absl::StatusOr<CapacityDecision<int64_t>> d =
      CapCapacityChange(big, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allowed, big + big / 4);
  EXPECT_TRUE(d->capped);
  d = CapCapacityChange(std::numeric_limits<int64_t>::max() - 1,
                        std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allowed, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(d->capped);
}

TEST(CapCapacityChangeTest, APolicyMayChangeTheLimit) {
  absl::StatusOr<CapacityDecision<int64_t>> d = CapCapacityChange(10, 20, 0.5);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allowed, 15);
  EXPECT_TRUE(d->capped);
}

TEST(CapCapacityChangeTest, InvalidInputs) {
  for (auto [current, requested, max] :
       {std::tuple{int64_t{-1}, int64_t{2}, 0.25},
        std::tuple{int64_t{2}, int64_t{-2}, 0.25},
        std::tuple{int64_t{2}, int64_t{3}, 0.0},
        std::tuple{int64_t{2}, int64_t{3}, -0.1},
        std::tuple{int64_t{2}, int64_t{3}, 11.0}}) {
    absl::StatusOr<CapacityDecision<int64_t>> d =
        CapCapacityChange(current, requested, max);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(d.status()), "CAPACITY_INVALID");
  }
}

TEST(CapContinuousCapacityChangeTest, ExactlyTwentyFivePercent) {
  auto d = CapContinuousCapacityChange(4.0, 5.0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allowed, 5.0);
  EXPECT_FALSE(d->capped);
  d = CapContinuousCapacityChange(4.0, 8.0);
  EXPECT_EQ(d->allowed, 5.0);
  EXPECT_TRUE(d->capped);
  d = CapContinuousCapacityChange(4.0, 1.0);
  EXPECT_EQ(d->allowed, 1.0);
  EXPECT_FALSE(d->capped);
  d = CapContinuousCapacityChange(0.0, 1.0);  // no minimum step
  EXPECT_EQ(d->allowed, 0.0);
  EXPECT_TRUE(d->capped);
  EXPECT_EQ(ReasonOf(CapContinuousCapacityChange(-1, 1).status()),
            "CAPACITY_INVALID");
  EXPECT_EQ(ReasonOf(CapContinuousCapacityChange(1, std::nan("")).status()),
            "CAPACITY_INVALID");
}

}  // namespace
}  // namespace slipway::internal_rollout
