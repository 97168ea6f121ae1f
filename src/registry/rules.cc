#include "src/registry/rules.h"

#include <algorithm>
#include <compare>

#include "nlohmann/json.hpp"
#include "slipway/status.h"
#include "slipway/version.h"
#include "src/errors/strings.h"

namespace slipway {

std::vector<RoleRule> RolePolicy::DefaultRoleRules() {
  const std::vector<std::string> leads = {"data-science-lead", "platform-lead",
                                          "admin"};
  return {
      {"production", "approve", leads},
      {"production", "reject", leads},
      {"production", "delete_version", {"platform-lead", "admin"}},
      {"staging", "approve", leads},
      {"staging", "reject", leads},
  };
}

namespace internal_registry {
namespace {

using internal_strings::Cat;

bool IsAliasChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

absl::Status ValidateAlias(std::string_view alias) {
  // Reserved names first: "2" and "1.0.0" are refused for what they are.
  const bool latest = alias == "latest";
  const bool version_like = !latest && ModelVersion::Parse(alias).ok();
  if (latest || version_like) {
    const std::string fix = "Choose a name such as \"champion\" or \"challenger\".";
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        Cat("alias ", QuoteForMessage(alias), " is reserved: ",
            latest ? "`latest` always resolves to the highest version"
                   : "it reads as a version number",
            ". ", fix),
        ErrorDetail{.reason = "ALIAS_RESERVED",
                    .rule = "an alias is not `latest` and not a version",
                    .value = std::string(alias),
                    .fix = fix});
  }
  const bool shape = alias.size() >= 2 && alias.size() <= 64 &&
                     IsAlnum(alias.front()) && IsAlnum(alias.back()) &&
                     std::all_of(alias.begin(), alias.end(), IsAliasChar);
  if (!shape) {
    const std::string fix =
        "Use 2 to 64 lowercase letters, digits, '-' or '_', starting and "
        "ending with a letter or digit, e.g. \"champion\".";
    return MakeError(absl::StatusCode::kInvalidArgument,
                     Cat("alias ", QuoteForMessage(alias),
                         " is not a valid alias. ", fix),
                     ErrorDetail{.reason = "ALIAS_INVALID",
                                 .rule = "^[a-z0-9][a-z0-9\\-_]{0,62}[a-z0-9]$",
                                 .value = std::string(alias),
                                 .fix = fix});
  }
  return absl::OkStatus();
}

absl::Status CheckApprovalTransition(std::string_view model,
                                     std::string_view version,
                                     ApprovalStatus from, ApprovalStatus to) {
  using S = ApprovalStatus;
  bool legal = false;
  switch (from) {
    case S::kNone:
      legal = to == S::kPendingApproval || to == S::kApproved ||
              to == S::kRejected;
      break;
    case S::kPendingApproval:
      legal = to == S::kApproved || to == S::kRejected;
      break;
    case S::kApproved:
      legal = to == S::kRejected;
      break;
    case S::kRejected:
      legal = to == S::kPendingApproval;
      break;
  }
  if (legal) return absl::OkStatus();
  std::string fix;
  if (to == S::kNone) {
    fix = "An approval never goes back to None; set Rejected to withdraw it.";
  } else if (from == to) {
    fix = Cat("It is ", ApprovalStatusName(to), " already; nothing to do.");
  } else if (from == S::kRejected) {
    fix = "Resubmit it first: set PendingApproval, then Approved.";
  } else {
    fix = "Legal moves: None -> PendingApproval/Approved/Rejected, "
          "PendingApproval -> Approved/Rejected, Approved -> Rejected, "
          "Rejected -> PendingApproval.";
  }
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("version ", version, " of ", QuoteForMessage(model), " cannot move from ",
          ApprovalStatusName(from), " to ", ApprovalStatusName(to), ". ", fix),
      ErrorDetail{.reason = "APPROVAL_TRANSITION_INVALID",
                  .rule = "approval: None -> PendingApproval -> Approved / "
                          "Rejected (slipway/registry.h)",
                  .value = Cat(ApprovalStatusName(from), " -> ",
                               ApprovalStatusName(to)),
                  .fix = fix});
}

std::string_view ApprovalAction(ApprovalStatus to) {
  switch (to) {
    case ApprovalStatus::kApproved: return "approve";
    case ApprovalStatus::kRejected: return "reject";
    default: return "request_approval";
  }
}

absl::Status CheckRole(const RolePolicy& policy,
                       const ValidationPolicy& environments,
                       std::string_view environment, std::string_view action,
                       const Actor& actor) {
  // An environment the policy does not know is treated as production: the
  // gate errs on the side of asking (the caller validates names anyway).
  absl::StatusOr<EnvironmentKind> kind = environments.KindOf(environment);
  const std::string_view kind_name =
      EnvironmentKindName(kind.ok() ? *kind : EnvironmentKind::kProduction);
  std::vector<std::string> allowed;
  bool limited = false;
  for (const RoleRule& rule : policy.rules) {
    if (rule.action != action) continue;
    if (rule.environment != environment && rule.environment != kind_name) {
      continue;
    }
    limited = true;
    allowed.insert(allowed.end(), rule.roles.begin(), rule.roles.end());
  }
  if (!limited) return absl::OkStatus();
  if (!actor.role.empty() &&
      std::find(allowed.begin(), allowed.end(), actor.role) != allowed.end()) {
    return absl::OkStatus();
  }
  std::string roles;
  for (const std::string& r : allowed) {
    if (!roles.empty()) roles += ", ";
    roles += r;
  }
  const std::string fix =
      Cat("Have someone with one of these roles do it (role=..., or "
          "SLIPWAY_ROLE): ",
          roles.empty() ? std::string("(none: the policy allows no one)") : roles,
          ".");
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("`", action, "` in ", environment, " needs one of the roles ", roles,
          "; ", actor.name.empty() ? std::string("the actor") : QuoteForMessage(actor.name),
          " has ",
          actor.role.empty() ? std::string("no role") : Cat("role ", QuoteForMessage(actor.role)),
          ". ", fix),
      ErrorDetail{.reason = "ROLE_REQUIRED",
                  .rule = Cat("policy: ", action, " in ", environment,
                              " needs one of: ", roles),
                  .value = actor.role,
                  .fix = fix});
}

void SortByPrecedence(std::vector<ModelVersionInfo>& versions) {
  // Parsed once; a stored version always parses (it was validated).
  std::vector<std::pair<std::optional<ModelVersion>, size_t>> keys;
  keys.reserve(versions.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    absl::StatusOr<ModelVersion> v = ModelVersion::Parse(versions[i].version);
    keys.emplace_back(v.ok() ? std::optional<ModelVersion>(*v) : std::nullopt, i);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    if (!a.first || !b.first) return a.first.has_value() < b.first.has_value();
    return (*a.first <=> *b.first) == std::partial_ordering::less;
  });
  std::vector<ModelVersionInfo> sorted;
  sorted.reserve(versions.size());
  for (const auto& [key, i] : keys) sorted.push_back(std::move(versions[i]));
  versions = std::move(sorted);
}

absl::Status ValidateJsonObject(std::string_view text, std::string_view field,
                                std::string_view reason) {
  const nlohmann::json parsed =
      nlohmann::json::parse(text.begin(), text.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && parsed.is_object()) return absl::OkStatus();
  const std::string fix = Cat("Pass a JSON object, e.g. {\"framework\": \"torch\"}",
                              " (a Python dict).");
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      Cat(field, " is not a JSON object",
          parsed.is_discarded() ? " (it does not parse)" : "", ". ", fix),
      ErrorDetail{.reason = std::string(reason),
                  .rule = Cat(field, " is a JSON object"),
                  .value = std::string(text.substr(0, 200)),
                  .fix = fix});
}

}  // namespace internal_registry
}  // namespace slipway
