// Parse() of the validated name types (slipway/names.h): run the validator,
// then wrap the string.
#include "slipway/names.h"

#include <string>

namespace slipway {
#define SLIPWAY_DEFINE_PARSE(Type, call, ...)                                \
  absl::StatusOr<Type> Type::Parse(std::string_view text __VA_ARGS__) {      \
    if (absl::Status s = call; !s.ok()) return s;                            \
    return Type(std::string(text));                                          \
  }

SLIPWAY_DEFINE_PARSE(ModelName, validate::ModelName(text))
SLIPWAY_DEFINE_PARSE(EndpointName, validate::EndpointName(text, policy), ,
                     const ValidationPolicy& policy)
SLIPWAY_DEFINE_PARSE(FeatureName, validate::FeatureName(text, policy), ,
                     const ValidationPolicy& policy)
SLIPWAY_DEFINE_PARSE(PipelineName, validate::PipelineName(text, policy), ,
                     const ValidationPolicy& policy)
SLIPWAY_DEFINE_PARSE(DatasetPath, validate::DatasetPath(text, policy), ,
                     const ValidationPolicy& policy)
SLIPWAY_DEFINE_PARSE(ExperimentName, validate::ExperimentName(text))
SLIPWAY_DEFINE_PARSE(RunName, validate::RunName(text))
SLIPWAY_DEFINE_PARSE(MetricKey, validate::MetricKey(text))
SLIPWAY_DEFINE_PARSE(ParamKey, validate::ParamKey(text))
SLIPWAY_DEFINE_PARSE(TagKey, validate::TagKey(text))

#undef SLIPWAY_DEFINE_PARSE

}  // namespace slipway
