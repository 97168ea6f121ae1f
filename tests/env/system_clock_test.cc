#include "src/env/system_clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace slipway::internal_env {
namespace {

TEST(SystemClockTest, NowIsTheWallClock) {
  SystemClock clock;
  const absl::Time before = absl::Now();
  const absl::Time now = clock.Now();
  const absl::Time after = absl::Now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(SystemClockTest, SleepForNonPositiveReturnsAtOnce) {
  SystemClock clock;
  // Must return without blocking; a hang here would time the test out.
  clock.SleepFor(absl::ZeroDuration());
  clock.SleepFor(absl::Seconds(-10));
  clock.SleepFor(-absl::InfiniteDuration());
  SUCCEED();
}

}  // namespace
}  // namespace slipway::internal_env

namespace slipway::internal_env {
namespace {

TEST(SystemClockMillisTest, AgreesWithNow) {
  SystemClock clock;
  const int64_t before = absl::ToUnixMillis(clock.Now());
  const int64_t ms = clock.NowUnixMillis();
  const int64_t after = absl::ToUnixMillis(clock.Now());
  EXPECT_LE(before, ms);
  EXPECT_LE(ms, after);
}

}  // namespace
}  // namespace slipway::internal_env
