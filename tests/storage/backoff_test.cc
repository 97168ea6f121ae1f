// Backoff: bounded exponential backoff with jitter, through a fake clock.
#include "src/storage/backoff.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "slipway/testing/fake_clock.h"

namespace slipway::internal_storage {
namespace {

TEST(StorageBackoffTest, FirstRetryWaitsBetweenHalfAndAllOfTheInitialDelay) {
  testing::FakeClock clock;
  Backoff backoff(&clock, absl::Seconds(30));
  ASSERT_TRUE(backoff.SleepBeforeRetry());
  EXPECT_GE(backoff.Elapsed(), Backoff::kInitialDelay / 2);
  EXPECT_LE(backoff.Elapsed(), Backoff::kInitialDelay);
  EXPECT_EQ(backoff.retries(), 1);
}

TEST(StorageBackoffTest, DelaysGrowAndNeverExceedTheCap) {
  testing::FakeClock clock;
  Backoff backoff(&clock, absl::Hours(1));
  absl::Duration previous_elapsed = absl::ZeroDuration();
  absl::Duration longest = absl::ZeroDuration();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(backoff.SleepBeforeRetry());
    const absl::Duration delay = backoff.Elapsed() - previous_elapsed;
    previous_elapsed = backoff.Elapsed();
    EXPECT_LE(delay, Backoff::kMaxDelay) << "retry " << i;
    longest = std::max(longest, delay);
  }
  // Once at the cap, delays are drawn from [cap/2, cap].
  EXPECT_GE(longest, Backoff::kMaxDelay / 2);
}

TEST(StorageBackoffTest, StopsExactlyAtTheDeadline) {
  testing::FakeClock clock;
  Backoff backoff(&clock, absl::Seconds(1));
  int retries = 0;
  while (backoff.SleepBeforeRetry()) ++retries;
  // The last sleep is cut to the time left, so the final attempt happens at
  // the deadline itself, not past it.
  EXPECT_EQ(backoff.Elapsed(), absl::Seconds(1));
  EXPECT_EQ(backoff.retries(), retries);
  EXPECT_GT(retries, 10);
  EXPECT_LT(retries, 100);
}

TEST(StorageBackoffTest, ZeroOrNegativeDeadlineNeverSleeps) {
  testing::FakeClock clock;
  Backoff zero(&clock, absl::ZeroDuration());
  EXPECT_FALSE(zero.SleepBeforeRetry());
  Backoff negative(&clock, absl::Seconds(-5));
  EXPECT_FALSE(negative.SleepBeforeRetry());
  EXPECT_EQ(clock.Now(), testing::FakeClock::DefaultStart());
}

}  // namespace
}  // namespace slipway::internal_storage
