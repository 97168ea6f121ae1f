// Bounded exponential backoff with jitter, waiting through a slipway::Clock so
// that tests drive it with a FakeClock and never sleep for real.
//
// Used by every retry loop of the storage backends (SQLite's busy store
// today; PostgreSQL serialization failures later). The loop shape is:
//
//   Backoff backoff(clock, options.busy_deadline);
//   while (true) {
//     if (TryOnce() succeeded) return ...;
//     if (!backoff.SleepBeforeRetry()) return <Unavailable after deadline>;
//   }
//
// The first attempt happens at once; the last one happens at (or just after)
// the deadline, so a deadline of zero still means exactly one attempt.
//
// Thread-safety: not thread-safe; one Backoff belongs to one retry loop.
#ifndef SLIPWAY_SRC_STORAGE_BACKOFF_H_
#define SLIPWAY_SRC_STORAGE_BACKOFF_H_

#include <cstdint>

#include "absl/time/time.h"
#include "slipway/env.h"

namespace slipway::internal_storage {

class Backoff {
 public:
  // The first delay, and the cap on any single delay. Doubling from 1 ms
  // reaches the cap after 7 retries; a 30 s deadline then means ~300 more
  // attempts, each of which costs one failed lock attempt (microseconds).
  static constexpr absl::Duration kInitialDelay = absl::Milliseconds(1);
  static constexpr absl::Duration kMaxDelay = absl::Milliseconds(100);

  // Starts the clock: the deadline is `clock->Now() + deadline`. `clock` must
  // outlive this object. A negative deadline acts as zero.
  Backoff(Clock* clock, absl::Duration deadline);

  // When the deadline has passed, returns false without sleeping. Otherwise
  // sleeps (through the clock) the next delay, cut to the time left, and
  // returns true. Delays double from kInitialDelay up to kMaxDelay, each
  // drawn uniformly from [delay/2, delay] ("equal jitter") so that processes
  // that collided once do not collide again in lockstep.
  bool SleepBeforeRetry();

  // Retries so far (sleeps taken).
  int retries() const { return retries_; }

  // Time since construction, by the clock.
  absl::Duration Elapsed() const;

 private:
  Clock* clock_;
  absl::Time start_;
  absl::Time deadline_;
  absl::Duration next_delay_ = kInitialDelay;
  int retries_ = 0;
  uint64_t rng_state_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_BACKOFF_H_
