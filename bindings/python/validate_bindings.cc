// slipway/validate.h as the submodule _slipway.validate. Defaults and rules
// stay in C++: a None policy means DefaultValidationPolicy(), a None
// environment means the policy's own.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings/python/bindings.h"
#include "bindings/python/status_translation.h"
#include "slipway/validate.h"
#include "slipway/version.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

const ValidationPolicy& PolicyOrDefault(const ValidationPolicy* policy) {
  return policy != nullptr ? *policy : DefaultValidationPolicy();
}

// A validator with a policy: (value, policy=None) -> None.
template <absl::Status (*F)(std::string_view, const ValidationPolicy&)>
void DefPolicyValidator(py::module_& v, const char* name, const char* doc) {
  v.def(
      name,
      [](const std::string& value, const ValidationPolicy* policy) {
        ThrowIfError(F(value, PolicyOrDefault(policy)));
      },
      py::arg("value"), py::arg("policy") = py::none(), doc);
}

// A validator without a policy: (value) -> None.
template <absl::Status (*F)(std::string_view)>
void DefValidator(py::module_& v, const char* name, const char* doc) {
  v.def(
      name, [](const std::string& value) { ThrowIfError(F(value)); },
      py::arg("value"), doc);
}

}  // namespace

void RegisterValidateBindings(py::module_& m) {
  py::enum_<EnvironmentKind>(m, "EnvironmentKind")
      .value("DEVELOPMENT", EnvironmentKind::kDevelopment)
      .value("STAGING", EnvironmentKind::kStaging)
      .value("PRODUCTION", EnvironmentKind::kProduction);

  py::class_<ValidationPolicy>(m, "ValidationPolicy",
                               "The deployment-specific side of validation "
                               "(slipway/validate.h). Defaults are SPEC.md.")
      .def(py::init<>())
      .def_readwrite("environment", &ValidationPolicy::environment)
      .def_readwrite("environments", &ValidationPolicy::environments)
      .def_readwrite("dataset_prefixes", &ValidationPolicy::dataset_prefixes)
      .def_readwrite("reserved_feature_names",
                     &ValidationPolicy::reserved_feature_names)
      .def("check",
           [](const ValidationPolicy& p) { ThrowIfError(p.Check()); })
      .def("kind_of", [](const ValidationPolicy& p, const std::string& name) {
        return ValueOrThrow(p.KindOf(name));
      });

  m.def("default_reserved_feature_names", &DefaultReservedFeatureNames);

  py::module_ v = m.def_submodule("validate", "SPEC §1 validators");
  DefValidator<&validate::ModelName>(v, "model_name", "SPEC §1 model name.");
  DefPolicyValidator<&validate::EndpointName>(v, "endpoint_name",
                                              "SPEC §1 endpoint name.");
  DefPolicyValidator<&validate::FeatureName>(v, "feature_name",
                                             "SPEC §1 feature name.");
  DefPolicyValidator<&validate::DatasetPath>(v, "dataset_path",
                                             "SPEC §1 dataset path.");
  DefPolicyValidator<&validate::PipelineName>(v, "pipeline_name",
                                              "SPEC §1 pipeline name.");
  DefPolicyValidator<&validate::EnvironmentName>(v, "environment_name",
                                                 "SPEC §7 environment name.");
  DefValidator<&validate::ExperimentName>(v, "experiment_name", "Experiment name.");
  DefValidator<&validate::RunName>(v, "run_name", "Run name.");
  DefValidator<&validate::MetricKey>(v, "metric_key", "Metric key.");
  DefValidator<&validate::ParamKey>(v, "param_key", "Param key.");
  DefValidator<&validate::TagKey>(v, "tag_key", "Tag key.");
  DefValidator<&validate::ParamValue>(v, "param_value", "Param value.");
  DefValidator<&validate::TagValue>(v, "tag_value", "Tag value.");
  v.def(
      "model_version",
      [](const std::string& value, std::optional<std::string> environment,
         const ValidationPolicy* policy) {
        const ValidationPolicy& p = PolicyOrDefault(policy);
        ThrowIfError(environment ? validate::ModelVersion(value, *environment, p)
                                 : validate::ModelVersion(value, p));
      },
      py::arg("value"), py::arg("environment") = py::none(),
      py::arg("policy") = py::none(), "SPEC §1 model version.");

  py::class_<ModelVersion> version(m, "ModelVersion",
                                   "A parsed model version (slipway/version.h).");
  py::enum_<ModelVersion::Kind>(version, "Kind")
      .value("SEMVER", ModelVersion::Kind::kSemver)
      .value("REVISION", ModelVersion::Kind::kRevision)
      .value("LATEST", ModelVersion::Kind::kLatest);
  version
      .def_static(
          "parse",
          [](const std::string& text, std::optional<std::string> environment,
             const ValidationPolicy* policy) {
            const ValidationPolicy& p = PolicyOrDefault(policy);
            return ValueOrThrow(environment
                                    ? ModelVersion::Parse(text, *environment, p)
                                    : ModelVersion::Parse(text, p));
          },
          py::arg("text"), py::arg("environment") = py::none(),
          py::arg("policy") = py::none())
      .def_property_readonly("kind", &ModelVersion::kind)
      .def_property_readonly("text", &ModelVersion::text)
      .def_property_readonly("canonical", &ModelVersion::canonical)
      .def_property_readonly("revision", &ModelVersion::revision)
      .def_property_readonly("prerelease", &ModelVersion::prerelease)
      .def("__eq__", [](const ModelVersion& a, const ModelVersion& b) { return a == b; })
      .def("__lt__", [](const ModelVersion& a, const ModelVersion& b) { return a < b; })
      .def("__le__", [](const ModelVersion& a, const ModelVersion& b) { return a <= b; })
      .def("__gt__", [](const ModelVersion& a, const ModelVersion& b) { return a > b; })
      .def("__ge__", [](const ModelVersion& a, const ModelVersion& b) { return a >= b; })
      .def("__hash__", [](const ModelVersion& v) {
        return py::hash(py::make_tuple(static_cast<int>(v.kind()), v.canonical()));
      })
      .def("__str__", &ModelVersion::canonical)
      .def("__repr__", [](const ModelVersion& v) {
        return "ModelVersion('" + v.text() + "')";
      });
}

}  // namespace slipway::python
