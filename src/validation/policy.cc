// ValidationPolicy: defaults (SPEC §1, §7), environment lookup and the
// policy's own consistency check.
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "slipway/validate.h"
#include "src/validation/dataset_path.h"
#include "src/validation/rules.h"
#include "src/errors/strings.h"

namespace slipway {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;

using internal_validation::Reject;

std::string_view EnvironmentKindName(EnvironmentKind kind) {
  switch (kind) {
    case EnvironmentKind::kDevelopment: return "development";
    case EnvironmentKind::kStaging: return "staging";
    case EnvironmentKind::kProduction: return "production";
  }
  return "unknown";
}

const std::vector<std::string>& DefaultReservedFeatureNames() {
  // Columns that feature stores and training frameworks manage themselves,
  // and SQL keywords that break generated queries. Documented in
  // docs/validation.md; a policy may replace the list.
  static const auto* names = new std::vector<std::string>{
      // Feature-registry bookkeeping columns.
      "id", "entity_id", "event_timestamp", "created_timestamp", "timestamp",
      "feature_name", "feature_value", "label", "target",
      // SQL keywords that cannot be bare column names.
      "all", "and", "as", "by", "case", "select", "from", "where", "group",
      "order", "limit", "join", "table", "null", "true", "false", "not", "or",
      "in", "is", "on", "union", "insert", "update", "delete", "create",
      "drop", "alter", "distinct", "having", "into", "values", "default",
      "primary", "key", "index", "user"};
  return *names;
}

const ValidationPolicy& DefaultValidationPolicy() {
  static const auto* policy = new ValidationPolicy();
  return *policy;
}

ValidationPolicy::ValidationPolicy()
    : reserved_feature_names(DefaultReservedFeatureNames()) {}

absl::StatusOr<EnvironmentKind> ValidationPolicy::KindOf(
    std::string_view name) const {
  std::vector<std::string> known;
  for (const auto& [env_name, kind] : environments) {
    if (env_name == name) return kind;
    known.push_back(env_name);
  }
  return Reject(internal_validation::kEnvironmentRule, name,
                Cat("it is not an environment of this policy (known: ",
                             absl::StrJoin(known, ", "), ")"));
}

absl::Status ValidationPolicy::Check() const {
  const auto& rule = internal_validation::kPolicyRule;
  absl::flat_hash_set<std::string_view> seen;
  for (const auto& [env_name, kind] : environments) {
    if (!validate::ModelName(env_name).ok()) {
      return Reject(rule, env_name,
                    "environments: the name breaks the model-name character "
                    "rules");
    }
    if (!seen.insert(env_name).second) {
      return Reject(rule, env_name, "environments: the name is listed twice");
    }
  }
  if (absl::Status s = KindOf(environment).status(); !s.ok()) {
    return Reject(rule, environment,
                  "environment: the current environment is not listed in "
                  "environments");
  }
  for (const std::string& prefix : dataset_prefixes) {
    if (absl::Status s = internal_validation::CheckDatasetPrefix(prefix);
        !s.ok()) {
      return Reject(rule, prefix,
                    Cat("dataset_prefixes: ", s.message()));
    }
  }
  for (const std::string& name : reserved_feature_names) {
    if (name.empty()) {
      return Reject(rule, name, "reserved_feature_names: an entry is empty");
    }
  }
  return absl::OkStatus();
}

}  // namespace slipway
