#include "src/env/system_clock.h"

#include <time.h>

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace slipway::internal_env {

absl::Time SystemClock::Now() const { return absl::Now(); }

int64_t SystemClock::NowUnixMillis() const {
  timespec ts;
  if (::clock_gettime(CLOCK_REALTIME, &ts) != 0) {
    return absl::ToUnixMillis(absl::Now());  // cannot happen on Linux
  }
  // Floor division, like absl::ToUnixMillis (tv_nsec is in [0, 1e9)).
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

void SystemClock::SleepFor(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  absl::SleepFor(d);
}

}  // namespace slipway::internal_env
