// Test helpers: checks that a status is the query module's InvalidArgument
// with a given reason at a given 1-based character position.
#ifndef SLIPWAY_TESTS_QUERY_ERROR_MATCHERS_H_
#define SLIPWAY_TESTS_QUERY_ERROR_MATCHERS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_query {

// Succeeds when `status` is InvalidArgument with detail reason `reason` and
// a message naming `position`; the failure message shows the whole error.
inline ::testing::AssertionResult IsQueryError(const absl::Status& status,
                                               std::string_view reason,
                                               size_t position) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure()
           << "expected InvalidArgument, got " << status;
  }
  const std::optional<ErrorDetail> detail = GetErrorDetail(status);
  if (!detail.has_value()) {
    return ::testing::AssertionFailure() << "no ErrorDetail on " << status;
  }
  if (detail->reason != reason) {
    return ::testing::AssertionFailure()
           << "reason " << detail->reason << ", want " << reason << "\n"
           << status.message();
  }
  const std::string want = "at position " + std::to_string(position) + ":";
  if (std::string_view(status.message().data(), status.message().size())
          .find(want) == std::string_view::npos) {
    return ::testing::AssertionFailure()
           << "message does not say \"" << want << "\":\n"
           << status.message();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace slipway::internal_query

#endif  // SLIPWAY_TESTS_QUERY_ERROR_MATCHERS_H_
