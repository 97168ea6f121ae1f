#include "slipway/testing/fake_clock.h"

#include <thread>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/env/status_util.h"

namespace slipway::testing {
namespace {

using ::slipway::env_test::ReasonOf;

TEST(FakeClockTest, StartsAtDefaultStart) {
  FakeClock clock;
  EXPECT_EQ(clock.Now(), absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0),
                                         absl::UTCTimeZone()));
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart());
}

TEST(FakeClockTest, StartsAtGivenTime) {
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  FakeClock clock(start);
  EXPECT_EQ(clock.Now(), start);
}

TEST(FakeClockTest, TimeStandsStillUntilMoved) {
  FakeClock clock;
  const absl::Time first = clock.Now();
  EXPECT_EQ(clock.Now(), first);
  EXPECT_EQ(clock.Now(), first);
}

TEST(FakeClockTest, AdvanceMovesTimeForward) {
  FakeClock clock;
  ASSERT_TRUE(clock.Advance(absl::Hours(24 * 7)).ok());
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart() + absl::Hours(24 * 7));
  ASSERT_TRUE(clock.Advance(absl::Milliseconds(1)).ok());
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart() + absl::Hours(24 * 7) +
                             absl::Milliseconds(1));
}

TEST(FakeClockTest, AdvanceByZeroIsAllowed) {
  FakeClock clock;
  EXPECT_TRUE(clock.Advance(absl::ZeroDuration()).ok());
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart());
}

TEST(FakeClockTest, AdvanceByNegativeIsRejectedAndKeepsTime) {
  FakeClock clock;
  absl::Status s = clock.Advance(absl::Seconds(-1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "CLOCK_BACKWARDS");
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart());
}

TEST(FakeClockTest, SetMovesForwardOrStays) {
  FakeClock clock;
  const absl::Time later = FakeClock::DefaultStart() + absl::Minutes(5);
  ASSERT_TRUE(clock.Set(later).ok());
  EXPECT_EQ(clock.Now(), later);
  EXPECT_TRUE(clock.Set(later).ok());  // Same time: allowed.
  EXPECT_EQ(clock.Now(), later);
}

TEST(FakeClockTest, SetBackwardsIsRejectedAndKeepsTime) {
  FakeClock clock;
  const absl::Time later = FakeClock::DefaultStart() + absl::Minutes(5);
  ASSERT_TRUE(clock.Set(later).ok());
  absl::Status s = clock.Set(later - absl::Nanoseconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "CLOCK_BACKWARDS");
  EXPECT_EQ(clock.Now(), later);
}

TEST(FakeClockTest, SleepForMovesTimeInsteadOfBlocking) {
  FakeClock clock;
  Clock& as_clock = clock;
  // A week of "sleep" returns at once and shows on the clock.
  as_clock.SleepFor(absl::Hours(24 * 7));
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart() + absl::Hours(24 * 7));
}

TEST(FakeClockTest, SleepForZeroOrNegativeDoesNothing) {
  FakeClock clock;
  clock.SleepFor(absl::ZeroDuration());
  clock.SleepFor(absl::Seconds(-5));
  EXPECT_EQ(clock.Now(), FakeClock::DefaultStart());
}

TEST(FakeClockTest, ConcurrentAdvancesAddUp) {
  FakeClock clock;
  constexpr int kSteps = 10'000;
  auto advance = [&clock] {
    for (int i = 0; i < kSteps; ++i) {
      if (i % 2 == 0) {
        ASSERT_TRUE(clock.Advance(absl::Milliseconds(1)).ok());
      } else {
        clock.SleepFor(absl::Milliseconds(1));
      }
      // Readers run concurrently with writers and never see time go back.
      (void)clock.Now();
    }
  };
  std::thread a(advance);
  std::thread b(advance);
  a.join();
  b.join();
  EXPECT_EQ(clock.Now(),
            FakeClock::DefaultStart() + absl::Milliseconds(2 * kSteps));
}

}  // namespace
}  // namespace slipway::testing
