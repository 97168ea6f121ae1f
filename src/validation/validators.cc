// The validators of slipway/validate.h, except dataset paths
// (dataset_path.cc) and model versions (model_version.cc).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "slipway/validate.h"
#include "src/errors/strings.h"
#include "src/validation/name_pattern.h"
#include "src/validation/rules.h"
#include "src/validation/text.h"

namespace slipway {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;
namespace validate {
namespace {

using internal_validation::CheckNamePattern;
using internal_validation::CodePoint;
using internal_validation::DescribeCodePoint;
using internal_validation::IsControl;
using internal_validation::IsDigit;
using internal_validation::IsLowerAlnum;
using internal_validation::IsLowerAlpha;
using internal_validation::IsUnicodeSpace;
using internal_validation::LookAlikeOf;
using internal_validation::NamePattern;
using internal_validation::Reject;
using internal_validation::Rule;
using internal_validation::Utf8Walker;

bool LowerAlnumDashUnderscore(char c) {
  return IsLowerAlnum(c) || c == '-' || c == '_';
}
bool LowerAlnumDash(char c) { return IsLowerAlnum(c) || c == '-'; }
bool LowerAlnumUnderscore(char c) { return IsLowerAlnum(c) || c == '_'; }
bool LowerAlpha(char c) { return IsLowerAlpha(c); }
bool LowerAlnum(char c) { return IsLowerAlnum(c); }

// SPEC §1: ^[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]$
constexpr NamePattern kModelNamePattern = {
    &internal_validation::kModelNameRule,
    2,
    64,
    LowerAlnum,
    LowerAlnumDashUnderscore,
    LowerAlnum,
    "a lowercase letter or digit",
    "lowercase letters, digits, '-' and '_'",
    "a lowercase letter or digit"};
// SPEC §1: ^[a-z0-9][a-z0-9\-]{0,61}[a-z0-9]$
constexpr NamePattern kEndpointNamePattern = {
    &internal_validation::kEndpointNameRule,
    2,
    63,
    LowerAlnum,
    LowerAlnumDash,
    LowerAlnum,
    "a lowercase letter or digit",
    "lowercase letters, digits and '-'",
    "a lowercase letter or digit"};
// SPEC §1: ^[a-z][a-z0-9_]{0,127}$
constexpr NamePattern kFeatureNamePattern = {
    &internal_validation::kFeatureNameRule,
    1,
    128,
    LowerAlpha,
    LowerAlnumUnderscore,
    nullptr,
    "a lowercase letter",
    "lowercase letters, digits and '_'",
    ""};
// SPEC §1: ^[a-z0-9][a-z0-9\-_]{0,63}$
constexpr NamePattern kPipelineNamePattern = {
    &internal_validation::kPipelineNameRule,
    1,
    64,
    LowerAlnum,
    LowerAlnumDashUnderscore,
    nullptr,
    "a lowercase letter or digit",
    "lowercase letters, digits, '-' and '_'",
    ""};

// Registration check shared by endpoints and pipelines (SPEC §1 "must be a
// registered endpoint/pipeline").
absl::Status CheckRegistered(const ValidationPolicy& policy,
                             RegisteredKind kind, const Rule& rule,
                             std::string_view name) {
  if (policy.registry == nullptr) return absl::OkStatus();
  absl::StatusOr<bool> registered = policy.registry->IsRegistered(kind, name);
  if (!registered.ok()) return registered.status();
  if (*registered) return absl::OkStatus();
  const bool endpoint = kind == RegisteredKind::kEndpoint;
  return Reject(
      rule, name,
      Cat("no ", endpoint ? "endpoint" : "pipeline",
          " with this name is registered"),
      endpoint ? "register it first, e.g. store.register_endpoint("
                 "\"fraud-prod\", ...), or check the spelling"
               : "register it first, e.g. store.register_pipeline("
                 "\"nightly-train\", ...), or check the spelling",
      endpoint ? "ENDPOINT_NOT_REGISTERED" : "PIPELINE_NOT_REGISTERED");
}

// Free text (experiment and run names): valid UTF-8, no control
// characters, not blank, at most `max` characters.
absl::Status CheckFreeText(const Rule& rule, std::string_view value,
                           size_t max) {
  if (value.empty()) return Reject(rule, value, "it is empty");
  Utf8Walker walker(value);
  CodePoint cp;
  size_t count = 0;
  bool blank = true;
  while (walker.Next(&cp)) {
    ++count;
    if (IsControl(cp.value)) {
      return Reject(rule, value,
                    Cat(DescribeCodePoint(cp.value), " at position ",
                        cp.position, " is not allowed"));
    }
    blank = blank && IsUnicodeSpace(cp.value);
  }
  if (!walker.ok()) {
    return Reject(rule, value,
                  Cat("it is not valid UTF-8 (bad byte at offset ",
                      walker.bad_offset(), ")"));
  }
  if (blank) return Reject(rule, value, "it is only white space");
  if (count > max) {
    return Reject(rule, value,
                  Cat("it is ", count, " characters long; at most ", max,
                      " are allowed"));
  }
  return absl::OkStatus();
}

bool IsKeyAsciiChar(char c) {
  return internal_validation::IsAsciiAlnum(c) || c == '_' || c == '-' ||
         c == '.' || c == ' ' || c == ':' || c == '/';
}

// Metric, param and tag keys. MLflow's rule (`^[/\w.\- :]*$`, and a key
// must not change under posixpath.normpath) is the floor: everything it
// accepts that is not path-like is accepted here. Non-ASCII letters are
// accepted as MLflow's Unicode \w does; separators' look-alikes,
// invisible characters, Unicode spaces and controls are not.
absl::Status CheckKey(const Rule& rule, std::string_view key) {
  if (key.empty()) return Reject(rule, key, "it is empty");
  Utf8Walker walker(key);
  CodePoint cp;
  size_t count = 0;
  while (walker.Next(&cp)) {
    ++count;
    const char32_t c = cp.value;
    const bool ok = c < 0x80 ? IsKeyAsciiChar(static_cast<char>(c))
                             : !IsControl(c) && !IsUnicodeSpace(c) &&
                                   LookAlikeOf(c).empty();
    if (!ok) {
      return Reject(rule, key,
                    Cat(DescribeCodePoint(c), " at position ", cp.position,
                        " is not allowed (only letters, digits, '_', "
                        "'-', '.', ' ', ':' and '/')"));
    }
  }
  if (!walker.ok()) {
    return Reject(rule, key,
                  Cat("it is not valid UTF-8 (bad byte at offset ",
                      walker.bad_offset(), ")"));
  }
  if (count > kMaxKeyLength) {
    return Reject(rule, key,
                  Cat("it is ", count, " characters long; at most ",
                      kMaxKeyLength, " are allowed"));
  }
  // Keys may be used as file names by exporters: they must not resolve to
  // another key when treated as a path.
  if (key.front() == '/') return Reject(rule, key, "it starts with '/'");
  if (key.back() == '/') return Reject(rule, key, "it ends with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) return Reject(rule, key, "it contains '//'");
    if (segment == "." || segment == "..") {
      return Reject(rule, key,
                    Cat("it contains a '", segment, "' path segment"));
    }
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::Status CheckValue(const Rule& rule, std::string_view value, size_t max) {
  Utf8Walker walker(value);
  CodePoint cp;
  size_t count = 0;
  while (walker.Next(&cp)) ++count;
  if (!walker.ok()) {
    return Reject(rule, value,
                  Cat("it is not valid UTF-8 (bad byte at offset ",
                      walker.bad_offset(), ")"));
  }
  if (count > max) {
    return Reject(rule, value,
                  Cat("it is ", count, " characters long; at most ", max,
                      " are allowed (values are never cut)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ModelName(std::string_view name) {
  return CheckNamePattern(kModelNamePattern, name);
}

absl::Status EndpointName(std::string_view name,
                          const ValidationPolicy& policy) {
  if (absl::Status s = CheckNamePattern(kEndpointNamePattern, name); !s.ok()) {
    return s;
  }
  return CheckRegistered(policy, RegisteredKind::kEndpoint,
                         internal_validation::kEndpointNameRule, name);
}

absl::Status FeatureName(std::string_view name,
                         const ValidationPolicy& policy) {
  if (absl::Status s = CheckNamePattern(kFeatureNamePattern, name); !s.ok()) {
    return s;
  }
  for (const std::string& reserved : policy.reserved_feature_names) {
    if (name == reserved) {
      return Reject(internal_validation::kFeatureNameRule, name,
                    "it is a reserved keyword of the feature registry",
                    Cat("choose another name, e.g. \"", name,
                        "_value\" (the policy's reserved_feature_names lists "
                        "the reserved words; docs/validation.md the defaults)"),
                    "FEATURE_NAME_RESERVED");
    }
  }
  return absl::OkStatus();
}

absl::Status PipelineName(std::string_view name,
                          const ValidationPolicy& policy) {
  if (absl::Status s = CheckNamePattern(kPipelineNamePattern, name); !s.ok()) {
    return s;
  }
  return CheckRegistered(policy, RegisteredKind::kPipeline,
                         internal_validation::kPipelineNameRule, name);
}

absl::Status EnvironmentName(std::string_view name,
                             const ValidationPolicy& policy) {
  return policy.KindOf(name).status();
}

absl::Status ExperimentName(std::string_view name) {
  return CheckFreeText(internal_validation::kExperimentNameRule, name,
                       kMaxExperimentNameLength);
}

absl::Status RunName(std::string_view name) {
  return CheckFreeText(internal_validation::kRunNameRule, name,
                       kMaxRunNameLength);
}

absl::Status MetricKey(std::string_view key) {
  return CheckKey(internal_validation::kMetricKeyRule, key);
}
absl::Status ParamKey(std::string_view key) {
  return CheckKey(internal_validation::kParamKeyRule, key);
}
absl::Status TagKey(std::string_view key) {
  return CheckKey(internal_validation::kTagKeyRule, key);
}

absl::Status ParamValue(std::string_view value) {
  return CheckValue(internal_validation::kParamValueRule, value,
                    kMaxParamValueLength);
}
absl::Status TagValue(std::string_view value) {
  return CheckValue(internal_validation::kTagValueRule, value,
                    kMaxTagValueLength);
}

absl::Status Params(
    const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [key, value] : params) {
    if (absl::Status s = ParamKey(key); !s.ok()) return s;
    if (absl::Status s = ParamValue(value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Tags(
    const std::vector<std::pair<std::string, std::string>>& tags) {
  for (const auto& [key, value] : tags) {
    if (absl::Status s = TagKey(key); !s.ok()) return s;
    if (absl::Status s = TagValue(value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace validate
}  // namespace slipway
