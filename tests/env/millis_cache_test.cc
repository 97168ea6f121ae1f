#include "src/env/millis_cache.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <set>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "slipway/env.h"
#include "slipway/testing/fake_clock.h"
#include "src/env/tick_clock.h"

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

// The system clock through the cache: no reading is ever ahead of a direct
// reading taken just after it, and (with the clock thread running, so
// through it) practically all are at most 1 ms behind one taken just
// before. The exceptions allowed are readings made while the clock thread
// was kept off a core by the load of a parallel test run.
TEST(MillisCacheTest, SystemClockReadingsAreNeverAheadAndAtMostOneMsBehind) {
  const Clock* clock = Env::Default().clock;
  MillisCache cache(clock);
  const int64_t begin = clock->NowUnixMillis();
  int64_t boundaries = 0;
  int64_t last = 0;
  int64_t late = 0;
  int64_t readings = 0;
  for (; readings < 3'000'000 && boundaries < 200; ++readings) {
    const int64_t before = clock->NowUnixMillis();
    const int64_t cached = cache.Now();
    const int64_t after = clock->NowUnixMillis();
    ASSERT_LE(cached, after) << "reading " << readings;
    ASSERT_GE(cached, last) << "reading " << readings;  // never back
    if (cached < before - 1) ++late;
    if (cached != last) ++boundaries;
    last = cached;
  }
  EXPECT_GT(clock->NowUnixMillis() - begin, 20);  // past the calibration
  EXPECT_GT(boundaries, 20);
  EXPECT_LE(late, readings / 1000) << late << " of " << readings;
  EXPECT_NE(TickClock::Get().Read(), 0) << "the clock thread is not running";
}

// TickClock runs while it is read, publishes the clock's millisecond, and
// parks after a window of kWindowTicks ticks with too few readings.
TEST(TickClockTest, TicksWhileReadAndParksWhenIdle) {
  const Clock* clock = Env::Default().clock;
  TickClock& ticker = TickClock::Get();
  ASSERT_TRUE(ticker.enabled());
  ticker.Wake();
  int64_t first = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while ((first = ticker.Read()) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Microseconds(100));
  }
  ASSERT_NE(first, 0) << "the clock thread never ticked";
  EXPECT_LE(first, clock->NowUnixMillis());
  std::set<int64_t> seen;
  const absl::Time until = absl::Now() + absl::Milliseconds(30);
  while (absl::Now() < until) {
    const int64_t ms = ticker.Read();
    const int64_t now = clock->NowUnixMillis();
    ASSERT_LE(ms, now);
    seen.insert(ms);
    absl::SleepFor(absl::Microseconds(50));
  }
  EXPECT_GE(seen.size(), 5u) << "30 ms of reading saw too few ticks";

  // Read once every 20 ms (5 ticks in 100, under kMinReadTicks) for three
  // windows: parked (Read() says 0, publishing nothing) by the end of the
  // second.
  int64_t read = 0;
  for (int i = 0; i < 3 * TickClock::kWindowTicks / 20; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    read = ticker.Read();
  }
  EXPECT_EQ(read, 0) << "still ticking for a reader of 50 readings a second";
  ticker.Wake();
  const absl::Time deadline2 = absl::Now() + absl::Seconds(5);
  int64_t again = 0;
  while ((again = ticker.Read()) == 0 && absl::Now() < deadline2) {
    absl::SleepFor(absl::Microseconds(100));
  }
  EXPECT_GT(again, first);
}

// The thread does not survive fork(): the child starts stopped and runs
// its own once woken.
TEST(TickClockTest, AForkedChildStartsItsOwnThread) {
  TickClock& ticker = TickClock::Get();
  ticker.Wake();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (ticker.Read() != 0) ::_exit(2);  // a stale value from the parent
    ticker.Wake();
    int64_t a = 0;
    for (int i = 0; i < 5000 && (a = ticker.Read()) == 0; ++i) ::usleep(1000);
    if (a == 0) ::_exit(3);
    ::usleep(20'000);
    const int64_t b = ticker.Read();
    ::_exit(b > a ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "2: stale value after fork, 3: never ticked, 4: stopped ticking";
}

}  // namespace
}  // namespace slipway::internal_env
