#include "src/rollout/capacity.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_format.h"
#include "slipway/status.h"

namespace slipway::internal_rollout {
namespace {

absl::Status CapacityError(std::string what, std::string value) {
  const std::string fix =
      "Pass the current and requested capacity as non-negative numbers, and a "
      "max_increase such as 0.25 (+25%).";
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      absl::StrFormat("invalid capacity change: %s. %s", what, fix),
      ErrorDetail{.reason = "CAPACITY_INVALID",
                  .rule = "SPEC §3: a capacity change is capped at "
                          "+25% of current capacity per action",
                  .value = std::move(value),
                  .fix = fix});
}

absl::Status CheckMaxIncrease(double max_increase) {
  if (max_increase > 0 && max_increase <= 10) return absl::OkStatus();
  return CapacityError(
      absl::StrFormat("max_increase %g is outside (0, 10]", max_increase),
      absl::StrFormat("%g", max_increase));
}

}  // namespace

absl::StatusOr<CapacityDecision<int64_t>> CapCapacityChange(
    int64_t current, int64_t requested, double max_increase) {
  if (current < 0 || requested < 0) {
    return CapacityError(absl::StrFormat("replicas %d -> %d (counts are >= 0)",
                                         current, requested),
                         absl::StrFormat("%d -> %d", current, requested));
  }
  if (absl::Status s = CheckMaxIncrease(max_increase); !s.ok()) return s;
  if (requested <= current) return CapacityDecision<int64_t>{requested, false};
  int64_t step;
  if (max_increase == kMaxCapacityIncrease) {
    step = current / 4;  // exact floor(current * 0.25)
  } else {
    const long double exact = static_cast<long double>(current) * max_increase;
    step =
        exact >= static_cast<long double>(std::numeric_limits<int64_t>::max())
            ? std::numeric_limits<int64_t>::max()
            : static_cast<int64_t>(std::floor(exact));
  }
  if (step < 1) step = 1;  // a small deployment may always add one replica
  const int64_t limit = current > std::numeric_limits<int64_t>::max() - step
                            ? std::numeric_limits<int64_t>::max()
                            : current + step;
  if (requested <= limit) return CapacityDecision<int64_t>{requested, false};
  return CapacityDecision<int64_t>{limit, true};
}

absl::StatusOr<CapacityDecision<double>> CapContinuousCapacityChange(
    double current, double requested, double max_increase) {
  if (!(std::isfinite(current) && std::isfinite(requested) && current >= 0 &&
        requested >= 0)) {
    return CapacityError(absl::StrFormat("capacity %g -> %g (values are finite "
                                         "and >= 0)",
                                         current, requested),
                         absl::StrFormat("%g -> %g", current, requested));
  }
  if (absl::Status s = CheckMaxIncrease(max_increase); !s.ok()) return s;
  const double limit = current * (1 + max_increase);
  if (requested <= limit) return CapacityDecision<double>{requested, false};
  return CapacityDecision<double>{limit, true};
}

}  // namespace slipway::internal_rollout
