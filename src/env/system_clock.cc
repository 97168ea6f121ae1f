#include "src/env/system_clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace slipway::internal_env {

absl::Time SystemClock::Now() const { return absl::Now(); }

void SystemClock::SleepFor(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  absl::SleepFor(d);
}

}  // namespace slipway::internal_env
