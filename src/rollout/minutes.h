// Minute arithmetic on Unix milliseconds, shared by the controller and the
// drift check: outcome windows and feature samples are keyed by the start
// of their minute (UTC), and a stage's readings span whole minutes.
#ifndef SLIPWAY_SRC_ROLLOUT_MINUTES_H_
#define SLIPWAY_SRC_ROLLOUT_MINUTES_H_

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "src/rollout/plan.h"

namespace slipway::internal_rollout {

inline constexpr int64_t kMinuteMs = 60'000;

// The start of the minute holding `ms` (rounds down, also before 1970).
inline int64_t FloorMinute(int64_t ms) {
  int64_t m = ms / kMinuteMs * kMinuteMs;
  if (m > ms) m -= kMinuteMs;
  return m;
}

// The first minute start at or after `ms`.
inline int64_t CeilMinute(int64_t ms) {
  const int64_t f = FloorMinute(ms);
  return f == ms ? f : f + kMinuteMs;
}

inline int64_t Ms(const google::protobuf::Timestamp& t) {
  return absl::ToUnixMillis(FromProtoTime(t));
}

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_MINUTES_H_
