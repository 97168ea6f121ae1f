// Validated names: a value of one of these types has passed its SPEC §1
// rule, so code that takes a ModelName never sees an unchecked string. The
// only way to get one is Parse(), which runs the validator of
// slipway/validate.h and returns its error unchanged.
//
// Thread-safety: immutable values, thread-safe.
#ifndef SLIPWAY_NAMES_H_
#define SLIPWAY_NAMES_H_

#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "slipway/validate.h"

namespace slipway {

// A string that passed the validator of `Tag`. Distinct Tags are distinct
// types: a ModelName does not convert to an EndpointName.
template <typename Tag>
class ValidatedName {
 public:
  const std::string& str() const { return value_; }
  std::string_view view() const { return value_; }

  friend bool operator==(const ValidatedName&, const ValidatedName&) = default;
  friend auto operator<=>(const ValidatedName&, const ValidatedName&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const ValidatedName& n) {
    return H::combine(std::move(h), n.value_);
  }

 protected:
  explicit ValidatedName(std::string value) : value_(std::move(value)) {}

 private:
  std::string value_;
};

#define SLIPWAY_DECLARE_VALIDATED_NAME(Type, ...)                          \
  class Type final : public ValidatedName<Type> {                          \
   public:                                                                 \
    static absl::StatusOr<Type> Parse(std::string_view text __VA_ARGS__);  \
                                                                           \
   private:                                                                \
    using ValidatedName<Type>::ValidatedName;                              \
  }

// SPEC §1 model name.
SLIPWAY_DECLARE_VALIDATED_NAME(ModelName);
// SPEC §1 endpoint name (registration checked when the policy has a registry).
SLIPWAY_DECLARE_VALIDATED_NAME(
    EndpointName, , const ValidationPolicy& policy = DefaultValidationPolicy());
// SPEC §1 feature name.
SLIPWAY_DECLARE_VALIDATED_NAME(
    FeatureName, , const ValidationPolicy& policy = DefaultValidationPolicy());
// SPEC §1 pipeline name (registration checked when the policy has a registry).
SLIPWAY_DECLARE_VALIDATED_NAME(
    PipelineName, , const ValidationPolicy& policy = DefaultValidationPolicy());
// SPEC §1 dataset path.
SLIPWAY_DECLARE_VALIDATED_NAME(
    DatasetPath, , const ValidationPolicy& policy = DefaultValidationPolicy());
// Tracking names and keys.
SLIPWAY_DECLARE_VALIDATED_NAME(ExperimentName);
SLIPWAY_DECLARE_VALIDATED_NAME(RunName);
SLIPWAY_DECLARE_VALIDATED_NAME(MetricKey);
SLIPWAY_DECLARE_VALIDATED_NAME(ParamKey);
SLIPWAY_DECLARE_VALIDATED_NAME(TagKey);

#undef SLIPWAY_DECLARE_VALIDATED_NAME

}  // namespace slipway

#endif  // SLIPWAY_NAMES_H_
