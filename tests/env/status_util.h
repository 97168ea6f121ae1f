// Small helpers for asserting on slipway statuses in the env tests.
#ifndef SLIPWAY_TESTS_ENV_STATUS_UTIL_H_
#define SLIPWAY_TESTS_ENV_STATUS_UTIL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "slipway/status.h"

namespace slipway::env_test {

// Returns the ErrorDetail reason of `status`, or "<no detail>".
inline std::string ReasonOf(const absl::Status& status) {
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason : "<no detail>";
}

// Returns the ErrorDetail value of `status`, or "<no detail>".
inline std::string ValueOf(const absl::Status& status) {
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->value : "<no detail>";
}

// The message of `status` as a std::string (absl::string_view is not
// std::string_view in Debian's Abseil).
inline std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}

}  // namespace slipway::env_test

#endif  // SLIPWAY_TESTS_ENV_STATUS_UTIL_H_
