#include "src/validation/rules.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway::internal_validation {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;

absl::Status Reject(const Rule& rule, std::string_view value,
                    std::string_view problem, std::string_view fix,
                    std::string_view reason) {
  if (fix.empty()) fix = rule.fix;
  if (reason.empty()) reason = rule.reason;
  std::string message =
      Cat("invalid ", rule.subject, " ", QuoteForMessage(value), ": ",
                   problem, ". Rule: ", rule.text, ". Fix: ", fix, ".");
  return MakeError(absl::StatusCode::kInvalidArgument, message,
                   ErrorDetail{std::string(reason), std::string(rule.text),
                               std::string(value), std::string(fix)});
}

// SPEC §1. The texts name the rule as the SPEC does, so a user can find it.
const Rule kModelNameRule = {
    "model name", "MODEL_NAME_INVALID",
    R"(SPEC §1 model name ^[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]$)",
    "use 2 to 64 lowercase letters, digits, '-' or '_', starting and ending "
    "with a letter or digit, e.g. \"fraud-detection\""};

const Rule kModelVersionRule = {
    "model version", "MODEL_VERSION_INVALID",
    R"(SPEC §1 model version: semver ^v?\d+\.\d+\.\d+(-[a-zA-Z0-9.]+)?$ or a positive integer revision; `latest` is rejected in production)",
    "use MAJOR.MINOR.PATCH with an optional pre-release, e.g. \"2.4.1\", "
    "\"v2.4.1\" or \"2.5.0-rc.1\", or a revision number such as \"7\""};

const Rule kEndpointNameRule = {
    "endpoint name", "ENDPOINT_NAME_INVALID",
    R"(SPEC §1 endpoint name ^[a-z0-9][a-z0-9\-]{0,61}[a-z0-9]$ (DNS-safe), registered)",
    "use 2 to 63 lowercase letters, digits or '-', starting and ending with "
    "a letter or digit, e.g. \"fraud-prod\""};

const Rule kFeatureNameRule = {
    "feature name", "FEATURE_NAME_INVALID",
    R"(SPEC §1 feature name ^[a-z][a-z0-9_]{0,127}$, not a reserved keyword)",
    "use 1 to 128 lowercase letters, digits or '_', starting with a letter, "
    "e.g. \"user_purchase_frequency_7d\""};

const Rule kDatasetPathRule = {
    "dataset path", "DATASET_PATH_INVALID",
    "SPEC §1 dataset path: absolute, under an approved prefix on a segment "
    "boundary, no traversal (.., ~, encoded dots, backslashes, NUL, empty "
    "segments)",
    "give an absolute path under an approved prefix, e.g. "
    "\"/data/ml/train.parquet\" or \"s3://ml-data/train.parquet\""};

const Rule kPipelineNameRule = {
    "pipeline name", "PIPELINE_NAME_INVALID",
    R"(SPEC §1 pipeline name ^[a-z0-9][a-z0-9\-_]{0,63}$, registered)",
    "use 1 to 64 lowercase letters, digits, '-' or '_', starting with a "
    "letter or digit, e.g. \"nightly-train\""};

const Rule kEnvironmentRule = {
    "environment", "ENVIRONMENT_UNKNOWN",
    "SPEC §7 environments: one of the policy's environment names",
    "use one of the policy's environments, e.g. \"production\""};

const Rule kExperimentNameRule = {
    "experiment name", "EXPERIMENT_NAME_INVALID",
    "experiment name: 1 to 500 characters of UTF-8 text, not blank, no "
    "control characters",
    "use readable text, e.g. \"fraud-detection/baseline\""};

const Rule kRunNameRule = {
    "run name", "RUN_NAME_INVALID",
    "run name: 1 to 250 characters of UTF-8 text, not blank, no control "
    "characters",
    "use readable text, e.g. \"lr-0.01\""};

#define SLIPWAY_KEY_RULE_TEXT(what)                                         \
  what " key: 1 to 250 characters: letters, digits, '_', '-', '.', ' ', "  \
       "':' or '/'; not starting or ending with '/', no empty, '.' or '..' " \
       "segments"

const Rule kMetricKeyRule = {"metric key", "METRIC_KEY_INVALID",
                             SLIPWAY_KEY_RULE_TEXT("metric"),
                             "use letters, digits and those separators, e.g. \"val/loss\""};
const Rule kParamKeyRule = {"param key", "PARAM_KEY_INVALID",
                            SLIPWAY_KEY_RULE_TEXT("param"),
                            "use letters, digits and those separators, e.g. \"learning_rate\""};
const Rule kTagKeyRule = {"tag key", "TAG_KEY_INVALID",
                          SLIPWAY_KEY_RULE_TEXT("tag"),
                          "use letters, digits and those separators, e.g. \"team\""};
#undef SLIPWAY_KEY_RULE_TEXT

const Rule kParamValueRule = {
    "param value", "PARAM_VALUE_INVALID",
    "param value: valid UTF-8, at most 6000 characters",
    "shorten it, e.g. to a summary or a digest, and log the full content as "
    "an artifact"};
const Rule kTagValueRule = {
    "tag value", "TAG_VALUE_INVALID",
    "tag value: valid UTF-8, at most 5000 characters",
    "shorten it, e.g. to a summary or a link, and log the full content as an "
    "artifact"};

const Rule kPolicyRule = {
    "validation policy", "POLICY_INVALID",
    "validation policy: the current environment is listed, environment "
    "names are valid and unique, dataset prefixes are absolute and clean",
    "correct the policy field named above, e.g. environment = \"production\""};

}  // namespace slipway::internal_validation
