// The Clock of Env::Default(): the wall clock. The only wall-clock reader in
// slipway (STYLE: nothing outside src/env/ calls the clock directly).
//
// Thread-safety: thread-safe and stateless.
#ifndef SLIPWAY_SRC_ENV_SYSTEM_CLOCK_H_
#define SLIPWAY_SRC_ENV_SYSTEM_CLOCK_H_

#include "absl/time/time.h"
#include "slipway/env.h"

namespace slipway::internal_env {

class SystemClock final : public Clock {
 public:
  SystemClock() = default;

  SystemClock(const SystemClock&) = delete;
  SystemClock& operator=(const SystemClock&) = delete;

  // absl::Now(): the wall clock, which an operator or NTP may step.
  absl::Time Now() const override;

  // clock_gettime(CLOCK_REALTIME) in whole milliseconds, without the
  // absl::Time round trip. (CLOCK_REALTIME_COARSE would cost 4 ns instead
  // of ~25, but was measured lagging by 7 ms here: timestamps stay exact.)
  int64_t NowUnixMillis() const override;

  // absl::SleepFor(d); returns at once for d <= 0.
  void SleepFor(absl::Duration d) override;
};

}  // namespace slipway::internal_env

#endif  // SLIPWAY_SRC_ENV_SYSTEM_CLOCK_H_
