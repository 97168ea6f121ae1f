// The SPEC §1 rules as data: what each rule is called, its text, its
// reason code and a valid example, plus the one function that turns a
// violation into a status. Every validator rejects through Reject(), so all
// messages have the same shape:
//
//   invalid model name "Fraud": uppercase 'F' at position 1 is not allowed.
//   Rule: SPEC §1 model name ^[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]$. Fix: use
//   lowercase letters, ..., e.g. "fraud-detection".
#ifndef SLIPWAY_SRC_VALIDATION_RULES_H_
#define SLIPWAY_SRC_VALIDATION_RULES_H_

#include <string_view>

#include "absl/status/status.h"

namespace slipway::internal_validation {

struct Rule {
  std::string_view subject;  // "model name"
  std::string_view reason;   // "MODEL_NAME_INVALID"
  std::string_view text;     // "SPEC §1 model name ^...$"
  std::string_view fix;      // "use ..., e.g. \"fraud-detection\""
};

// InvalidArgument for `value` breaking `rule` because of `problem`, with
// the detail {reason, rule.text, value, fix}. `reason` overrides the rule's
// reason when not empty (e.g. LATEST_IN_PRODUCTION under the version rule);
// `fix` overrides the rule's fix when not empty.
absl::Status Reject(const Rule& rule, std::string_view value,
                    std::string_view problem, std::string_view fix = {},
                    std::string_view reason = {});

extern const Rule kModelNameRule;
extern const Rule kModelVersionRule;
extern const Rule kEndpointNameRule;
extern const Rule kFeatureNameRule;
extern const Rule kDatasetPathRule;
extern const Rule kPipelineNameRule;
extern const Rule kEnvironmentRule;
extern const Rule kExperimentNameRule;
extern const Rule kRunNameRule;
extern const Rule kMetricKeyRule;
extern const Rule kParamKeyRule;
extern const Rule kTagKeyRule;
extern const Rule kParamValueRule;
extern const Rule kTagValueRule;
extern const Rule kPolicyRule;

}  // namespace slipway::internal_validation

#endif  // SLIPWAY_SRC_VALIDATION_RULES_H_
