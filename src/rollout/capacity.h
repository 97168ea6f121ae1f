// SPEC §3: "A capacity change (replicas, scaling) is capped at +25% of
// current capacity per action." Pure arithmetic the controller (and any
// scaling call) applies before it asks for more capacity.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_ROLLOUT_CAPACITY_H_
#define SLIPWAY_SRC_ROLLOUT_CAPACITY_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace slipway::internal_rollout {

// SPEC §3: at most +25 % of current capacity per action.
inline constexpr double kMaxCapacityIncrease = 0.25;

// The capacity one action may set, and whether the request was cut down.
template <typename T>
struct CapacityDecision {
  T allowed = 0;
  bool capped = false;
};

// Replica counts. A decrease (or no change) is allowed as asked. An increase
// is capped at current + floor(current * max_increase), but at least
// current + 1: rounded down, +25 % of 1, 2 or 3 replicas is no replica at
// all, and a cap that can never add one would freeze a small deployment.
// So 1 -> 2, 2 -> 3, 3 -> 4, 4 -> 5, 8 -> 10, 100 -> 125 (exactly +25 % is
// not capped), and scaling from 0 may add one replica. The increase is
// computed in integers for max_increase = 0.25 (no rounding error at any
// size). InvalidArgument CAPACITY_INVALID for a negative count or a
// max_increase outside (0, 10].
absl::StatusOr<CapacityDecision<int64_t>> CapCapacityChange(
    int64_t current, int64_t requested,
    double max_increase = kMaxCapacityIncrease);

// Continuous capacity (e.g. a CPU or throughput quota): an increase is
// capped at exactly current * (1 + max_increase); no minimum step, so from
// 0 nothing may be added. InvalidArgument CAPACITY_INVALID for a negative
// or non-finite value or a max_increase outside (0, 10].
absl::StatusOr<CapacityDecision<double>> CapContinuousCapacityChange(
    double current, double requested,
    double max_increase = kMaxCapacityIncrease);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_CAPACITY_H_
