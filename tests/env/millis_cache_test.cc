#include "src/env/millis_cache.h"

#include <cstdint>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "slipway/env.h"
#include "slipway/testing/fake_clock.h"

namespace slipway::internal_env {
namespace {

// Another clock than the system one is read on every call: a fake clock's
// moves show at once.
TEST(MillisCacheTest, FollowsAFakeClockExactly) {
  testing::FakeClock clock;
  MillisCache cache(&clock);
  const int64_t start = clock.NowUnixMillis();
  EXPECT_EQ(cache.Now(), start);
  ASSERT_TRUE(clock.Advance(absl::Microseconds(999)).ok());
  EXPECT_EQ(cache.Now(), clock.NowUnixMillis());
  ASSERT_TRUE(clock.Advance(absl::Microseconds(1)).ok());
  EXPECT_EQ(cache.Now(), start + 1);
  ASSERT_TRUE(clock.Advance(absl::Hours(2)).ok());
  EXPECT_EQ(cache.Now(), start + 1 + 2 * 3600 * 1000);
}

// The system clock through the cache: every reading lies between direct
// readings taken just before and just after it, i.e. it is never stale,
// across many millisecond boundaries (and past the TSC calibration).
TEST(MillisCacheTest, SystemClockReadingsAreNeverStale) {
  const Clock* clock = Env::Default().clock;
  MillisCache cache(clock);
  const int64_t begin = clock->NowUnixMillis();
  int64_t boundaries = 0;
  int64_t last = 0;
  for (int i = 0; i < 3'000'000 && boundaries < 200; ++i) {
    const int64_t before = clock->NowUnixMillis();
    const int64_t cached = cache.Now();
    const int64_t after = clock->NowUnixMillis();
    ASSERT_LE(before, cached) << "iteration " << i;
    ASSERT_LE(cached, after) << "iteration " << i;
    if (cached != last) ++boundaries;
    last = cached;
  }
  EXPECT_GT(clock->NowUnixMillis() - begin, 20);  // past the calibration
  EXPECT_GT(boundaries, 20);
}

}  // namespace
}  // namespace slipway::internal_env
