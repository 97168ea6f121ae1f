// The registry's pure rules: alias names, the approval graph, the role
// policy, and the version order. No storage, no clock.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_REGISTRY_RULES_H_
#define SLIPWAY_SRC_REGISTRY_RULES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "slipway/registry.h"
#include "slipway/validate.h"

namespace slipway::internal_registry {

// An alias: the model-name pattern (SPEC §1: lowercase letters, digits,
// '-' and '_', 2 to 64 characters), not `latest` (reserved: it resolves to
// the highest version) and not something that reads as a version ("2",
// "1.0.0"), so `GetModelVersion(model, x)` is never ambiguous. Reasons
// ALIAS_INVALID, ALIAS_RESERVED.
absl::Status ValidateAlias(std::string_view alias);

// FailedPrecondition APPROVAL_TRANSITION_INVALID unless `from -> to` is a
// legal move (slipway/registry.h lists them).
absl::Status CheckApprovalTransition(std::string_view model,
                                     std::string_view version,
                                     ApprovalStatus from, ApprovalStatus to);

// The role-policy action of an approval move: "approve", "reject" or
// "request_approval".
std::string_view ApprovalAction(ApprovalStatus to);

// FailedPrecondition ROLE_REQUIRED (a GateError) when `policy` limits
// `action` in `environment` to roles `actor.role` is not among, naming the
// roles that would do. OK when the action is open there. A rule applies to
// the environment it names, and a rule naming a kind ("production",
// "staging", "development") to every environment of that kind in
// `environments`, so renamed environments keep their gates.
absl::Status CheckRole(const RolePolicy& policy,
                       const ValidationPolicy& environments,
                       std::string_view environment, std::string_view action,
                       const Actor& actor);

// Sorts versions of one model by precedence (semver: pre-releases before
// their release; revisions numerically), lowest first.
void SortByPrecedence(std::vector<ModelVersionInfo>& versions);

// Whether `text` is `{}`-style JSON object text; InvalidArgument
// `reason` (e.g. METADATA_INVALID) naming `field` otherwise.
absl::Status ValidateJsonObject(std::string_view text, std::string_view field,
                                std::string_view reason);

}  // namespace slipway::internal_registry

#endif  // SLIPWAY_SRC_REGISTRY_RULES_H_
