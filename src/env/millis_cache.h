// MillisCache: Clock::NowUnixMillis for a caller that reads it millions of
// times a second (a run stamping every logged point).
//
// For the system clock, most readings are one load from TickClock, whose
// thread publishes the millisecond at every boundary; every kCheckEvery-th
// reading (and every reading while that thread is parked or lagging) reads
// the clock itself and checks the thread's value against it. A reading is
// therefore never ahead of the clock, and trails it by at most 1 ms plus
// the span of fewer than kCheckEvery readings made after the thread fell
// behind (it falls behind only when the machine is too loaded to run it).
// Readings never go back by the check's doing: a check that finds the
// thread 1 ms behind holds the value until the thread catches up.
//
// The clock itself is read through a second cache: on a machine whose
// kernel keeps time with the CPU's time-stamp counter (clocksource "tsc":
// invariant and synchronised across cores), the reading is cached until the
// next millisecond boundary, found by a TSC read (~7 ns) instead of
// clock_gettime (~17 ns here). The boundary is computed from a TSC rate
// measured against the wall clock and shortened by 1 %, so a cached value
// is never late. That cache is also refreshed after kMaxHits hits, so a TSC
// that stopped counting could not freeze timestamps.
//
// Any other clock (a FakeClock) is read every time, exactly.
//
// Thread-safety: not thread-safe; one per owner (a run holds one under its
// lock). The TSC rate is measured once per process, lazily: the first
// ~20 ms of readings go to the clock directly.
#ifndef SLIPWAY_SRC_ENV_MILLIS_CACHE_H_
#define SLIPWAY_SRC_ENV_MILLIS_CACHE_H_

#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "slipway/env.h"
#include "src/env/tick_clock.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace slipway::internal_env {

class MillisCache {
 public:
  explicit MillisCache(const Clock* clock);

  ABSL_ATTRIBUTE_ALWAYS_INLINE int64_t Now() {
    if (ABSL_PREDICT_TRUE(trusted_reads_left_ > 0)) {
      --trusted_reads_left_;
      const int64_t ms = ticker_->Read();
      if (ABSL_PREDICT_TRUE(ms != 0)) {  // 0: the thread parked since the check
        if (ms > last_) last_ = ms;
        return last_;
      }
    }
    return Check();
  }

  // Readings between two checks of the TickClock against the clock.
  static constexpr int kCheckEvery = 32;
  // A parked TickClock is woken by this many readings within kWakeWindowMs:
  // a caller that reads rarely never starts its thread.
  static constexpr int kWakeReads = 16;
  static constexpr int64_t kWakeWindowMs = 10;
  static constexpr int kMaxHits = 1 << 16;

 private:
  // Reads the clock, judges the TickClock by it and returns the reading.
  int64_t Check();
  // The clock, through the TSC cache where it applies.
  int64_t Precise();
  int64_t Refresh();

  const Clock* const clock_;
  const bool use_tsc_;
  TickClock* const ticker_;  // null: not the system clock, or no thread
  int trusted_reads_left_ = 0;
  int64_t last_ = 0;  // the last value returned
  int wake_reads_ = 0;
  int64_t wake_window_start_ = 0;
  // The TSC cache.
  int hits_left_ = 0;
  int64_t ms_ = 0;
  uint64_t start_tsc_ = 0;
  uint64_t span_ticks_ = 0;
};

}  // namespace slipway::internal_env

#endif  // SLIPWAY_SRC_ENV_MILLIS_CACHE_H_
