// ApprovalStatus names (slipway/registry.h): the spelling users pass and the
// store keeps.
#include <string>
#include <string_view>

#include "slipway/registry.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway {

std::string_view ApprovalStatusName(ApprovalStatus status) {
  switch (status) {
    case ApprovalStatus::kNone: return "None";
    case ApprovalStatus::kPendingApproval: return "PendingApproval";
    case ApprovalStatus::kApproved: return "Approved";
    case ApprovalStatus::kRejected: return "Rejected";
  }
  return "None";
}

absl::StatusOr<ApprovalStatus> ParseApprovalStatus(std::string_view name) {
  for (ApprovalStatus s :
       {ApprovalStatus::kNone, ApprovalStatus::kPendingApproval,
        ApprovalStatus::kApproved, ApprovalStatus::kRejected}) {
    if (name == ApprovalStatusName(s)) return s;
  }
  const std::string fix =
      "Use one of None, PendingApproval, Approved, Rejected (exact case).";
  return MakeError(absl::StatusCode::kInvalidArgument,
                   internal_strings::Cat("approval status ",
                                         QuoteForMessage(name),
                                         " is not one of them. ", fix),
                   ErrorDetail{.reason = "APPROVAL_STATUS_INVALID",
                               .rule = "an approval status is None, "
                                       "PendingApproval, Approved or Rejected",
                               .value = std::string(name),
                               .fix = fix});
}

}  // namespace slipway
