// Input validation (SPEC.md §1): every name and path is checked before any
// registry, tracking or deployment operation uses it, and nothing is written
// when a check fails.
//
// Each validator returns OK or InvalidArgument. A rejection's message quotes
// the value, names the rule and shows a valid example; its ErrorDetail
// (slipway/status.h) carries a stable reason such as MODEL_NAME_INVALID.
// docs/validation.md lists every rule, limit and reason.
//
// The rules that depend on the deployment (which environment is production,
// which dataset prefixes are approved, which feature names are reserved,
// which endpoints and pipelines exist) come from a ValidationPolicy.
//
// Thread-safety: the validators are pure functions and thread-safe. A
// ValidationPolicy is a value; sharing one between threads is safe as long as
// nobody mutates it (its NameRegistry must be thread-safe).
#ifndef SLIPWAY_VALIDATE_H_
#define SLIPWAY_VALIDATE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway {

// What an environment is for; gates and the `latest` rule depend on it
// (SPEC §7). The names of environments are configurable, their kinds are not.
enum class EnvironmentKind { kDevelopment, kStaging, kProduction };

// Returns "development", "staging" or "production".
std::string_view EnvironmentKindName(EnvironmentKind kind);

// Names that must be registered before validation accepts them (SPEC §1).
enum class RegisteredKind { kEndpoint, kPipeline };

// Answers "is this name registered?" for the validators. The store's
// registries implement it; tests may use slipway::testing::NameSet.
class NameRegistry {
 public:
  virtual ~NameRegistry() = default;
  // Returns whether `name` is registered as `kind`. Returns an error only
  // when the answer cannot be known (e.g. Unavailable: the store is busy);
  // validators pass such errors through unchanged.
  virtual absl::StatusOr<bool> IsRegistered(RegisteredKind kind,
                                            std::string_view name) const = 0;
};

// The deployment-specific side of validation. Every field has a default that
// matches SPEC.md; a default-constructed policy is the SPEC.
struct ValidationPolicy {
  // The environment a call acts in when it names none. Must be one of
  // `environments`. Default "development" (so `latest` is accepted by
  // default; production callers say so).
  std::string environment = "development";

  // The environment names this deployment uses and what each is for
  // (SPEC §7). Names follow the model-name character rules.
  std::vector<std::pair<std::string, EnvironmentKind>> environments = {
      {"development", EnvironmentKind::kDevelopment},
      {"staging", EnvironmentKind::kStaging},
      {"production", EnvironmentKind::kProduction},
  };

  // Approved dataset prefixes (SPEC §1). A dataset path must lie strictly
  // below one of them, and matching is on a segment boundary: "/data/ml/"
  // (or "/data/ml") approves "/data/ml/x" but not "/data/ml-evil/x". Each
  // prefix is an absolute path or a "scheme://authority/..." URI.
  std::vector<std::string> dataset_prefixes = {"s3://ml-data/", "/data/ml/"};

  // Feature names the feature registry reserves (SPEC §1); exact, lowercase.
  // Default: DefaultReservedFeatureNames().
  std::vector<std::string> reserved_feature_names;

  // Where endpoint and pipeline names are looked up. Non-owning; must outlive
  // the policy's use. Null means "no registry attached": names are checked
  // for syntax only. Stores attach their own registries.
  const NameRegistry* registry = nullptr;

  ValidationPolicy();

  // Returns the kind of the environment named `name`, or InvalidArgument
  // (reason ENVIRONMENT_UNKNOWN) listing the known names.
  absl::StatusOr<EnvironmentKind> KindOf(std::string_view name) const;

  // Checks the policy itself: `environment` is listed, environment names are
  // valid and unique, every dataset prefix is absolute, clean and free of
  // traversal forms. Returns InvalidArgument (reason POLICY_INVALID) naming
  // the bad field.
  absl::Status Check() const;
};

// The default reserved feature names: identifiers that feature stores and
// training frameworks use for their own columns, and SQL keywords that break
// generated queries. docs/validation.md lists them.
const std::vector<std::string>& DefaultReservedFeatureNames();

// The SPEC policy, built once. Immutable.
const ValidationPolicy& DefaultValidationPolicy();

// Limits for tracking keys and values (SPEC §1, "at least as permissive as
// the tools users migrate from": these equal or exceed MLflow's).
inline constexpr size_t kMaxExperimentNameLength = 500;
inline constexpr size_t kMaxRunNameLength = 250;
inline constexpr size_t kMaxKeyLength = 250;          // metric, param, tag keys
inline constexpr size_t kMaxParamValueLength = 6000;
inline constexpr size_t kMaxTagValueLength = 5000;

namespace validate {

// SPEC §1 model name: ^[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]$ (2 to 64
// characters). Reason MODEL_NAME_INVALID.
absl::Status ModelName(std::string_view name);

// SPEC §1 model version: semver ^v?\d+\.\d+\.\d+(-[a-zA-Z0-9.]+)?$ or a
// positive integer revision (1 to 9223372036854775807, no leading zeros), or
// the alias `latest`, which is rejected when `environment` is a production
// environment (reason LATEST_IN_PRODUCTION). At most 128 characters (a
// storage bound; docs/validation.md). Reasons MODEL_VERSION_INVALID,
// LATEST_IN_PRODUCTION, ENVIRONMENT_UNKNOWN.
absl::Status ModelVersion(std::string_view version, std::string_view environment,
                          const ValidationPolicy& policy = DefaultValidationPolicy());
// As above, in `policy.environment`.
absl::Status ModelVersion(std::string_view version,
                          const ValidationPolicy& policy = DefaultValidationPolicy());

// SPEC §1 endpoint name: ^[a-z0-9][a-z0-9\-]{0,61}[a-z0-9]$ (DNS-safe, 2 to
// 63 characters), and registered when `policy.registry` is set. Reasons
// ENDPOINT_NAME_INVALID, ENDPOINT_NOT_REGISTERED.
absl::Status EndpointName(std::string_view name,
                          const ValidationPolicy& policy = DefaultValidationPolicy());

// SPEC §1 feature name: ^[a-z][a-z0-9_]{0,127}$ and not reserved. Reasons
// FEATURE_NAME_INVALID, FEATURE_NAME_RESERVED.
absl::Status FeatureName(std::string_view name,
                         const ValidationPolicy& policy = DefaultValidationPolicy());

// SPEC §1 dataset path: absolute, strictly under an approved prefix on a
// segment boundary, free of traversal forms (`..`, `.`, `~`, encoded dots or
// separators, backslashes, NUL and other control characters, empty
// segments, Unicode look-alikes of '.', '/' and '\'). One trailing '/' is
// allowed (a directory). Reasons DATASET_PATH_INVALID,
// DATASET_PATH_NOT_APPROVED.
absl::Status DatasetPath(std::string_view path,
                         const ValidationPolicy& policy = DefaultValidationPolicy());

// SPEC §1 pipeline name: ^[a-z0-9][a-z0-9\-_]{0,63}$ (1 to 64 characters),
// and registered when `policy.registry` is set. Reasons
// PIPELINE_NAME_INVALID, PIPELINE_NOT_REGISTERED.
absl::Status PipelineName(std::string_view name,
                          const ValidationPolicy& policy = DefaultValidationPolicy());

// An environment name listed in `policy.environments`. Reason
// ENVIRONMENT_UNKNOWN.
absl::Status EnvironmentName(std::string_view name,
                             const ValidationPolicy& policy = DefaultValidationPolicy());

// Experiment name: 1 to 500 characters of valid UTF-8 text, not only white
// space, without control characters. Reason EXPERIMENT_NAME_INVALID.
absl::Status ExperimentName(std::string_view name);

// Run name: as an experiment name, 1 to 250 characters. Reason RUN_NAME_INVALID.
absl::Status RunName(std::string_view name);

// Metric, param and tag keys: 1 to 250 characters of letters (any script),
// digits, '_', '-', '.', ' ', ':' and '/', not starting or ending with '/',
// without empty, '.' or '..' path segments (MLflow's rule, never stricter).
// Reasons METRIC_KEY_INVALID, PARAM_KEY_INVALID, TAG_KEY_INVALID.
absl::Status MetricKey(std::string_view key);
absl::Status ParamKey(std::string_view key);
absl::Status TagKey(std::string_view key);

// Param and tag values: valid UTF-8, at most 6000 (param) or 5000 (tag)
// characters; longer is an error, never silently cut. Reasons
// PARAM_VALUE_INVALID, TAG_VALUE_INVALID.
absl::Status ParamValue(std::string_view value);
absl::Status TagValue(std::string_view value);

// Every key and value of a batch of params (ParamKey, ParamValue) or tags
// (TagKey, TagValue); returns the first error.
absl::Status Params(const std::vector<std::pair<std::string, std::string>>& params);
absl::Status Tags(const std::vector<std::pair<std::string, std::string>>& tags);

}  // namespace validate
}  // namespace slipway

#endif  // SLIPWAY_VALIDATE_H_
