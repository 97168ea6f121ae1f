// A fake clock for tests, notebooks and what-if simulations: time moves only
// when told to. SleepFor advances the clock instead of blocking, so code that
// waits through its Clock runs instantly under test (the rocksdb
// MockSystemClock habit).
//
// Thread-safety: thread-safe. Concurrent Advance/SleepFor calls add up: two
// threads each advancing by 1s move the clock by exactly 2s.
#ifndef SLIPWAY_TESTING_FAKE_CLOCK_H_
#define SLIPWAY_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "slipway/env.h"

namespace slipway::testing {

class FakeClock final : public Clock {
 public:
  // Starts at `start` (default: 2026-01-01T00:00:00Z, a fixed, readable time).
  explicit FakeClock(absl::Time start = DefaultStart());

  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  absl::Time Now() const override;

  // Advances the time by `d` and returns at once. Negative durations are
  // ignored, like a real sleep of negative length.
  void SleepFor(absl::Duration d) override;

  // Advances the time by `d` (zero is allowed and does nothing). Returns
  // InvalidArgument with reason CLOCK_BACKWARDS, leaving the time unchanged,
  // if `d` is negative: a fake clock, like the real one, never runs backwards.
  absl::Status Advance(absl::Duration d);

  // Sets the time to `t` (t == Now() is allowed and does nothing). Returns
  // InvalidArgument with reason CLOCK_BACKWARDS, leaving the time unchanged,
  // if `t` is before Now().
  absl::Status Set(absl::Time t);

  // Returns 2026-01-01T00:00:00Z.
  static absl::Time DefaultStart();

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace slipway::testing

#endif  // SLIPWAY_TESTING_FAKE_CLOCK_H_
