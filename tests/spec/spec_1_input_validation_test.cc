// SPEC.md §1 — Input validation. Every case of
// tests/spec/cases/spec_1_input_validation.json runs here through the C++
// API and in tests/python/test_spec_1_input_validation.py through Python, so
// both languages are held to the same table.
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "slipway/status.h"
#include "slipway/validate.h"

namespace slipway {
namespace {

struct Case {
  std::string validator;
  std::string value;
  std::string environment;
  bool ok;
  std::string reason;
  std::string note;
  std::string offending;  // the value the error names
  size_t index;
};

// Readable test output instead of gtest's byte dump.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.validator << "(" << QuoteForMessage(c.value, 80) << ")"
      << (c.ok ? " accepts" : " rejects with " + c.reason);
}

std::vector<Case> LoadCases() {
  std::ifstream in(SLIPWAY_SPEC_CASES_DIR "/spec_1_input_validation.json");
  if (!in) return {};
  nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<Case> cases;
  for (const auto& c : doc.at("cases")) {
    Case k;
    k.validator = c.at("validator");
    if (c.at("value").is_string()) {
      k.value = c.at("value");
    } else {
      k.value = std::string(c.at("value").at("count").get<size_t>(),
                            c.at("value").at("repeat").get<std::string>()[0]);
    }
    k.environment = c.value("environment", "development");
    k.ok = c.at("ok");
    k.reason = c.value("reason", "");
    k.note = c.value("note", "");
    k.offending = c.value("offending", k.value);
    k.index = cases.size();
    cases.push_back(std::move(k));
  }
  return cases;
}

absl::Status RunValidator(const Case& c) {
  const std::string_view v = c.value;
  if (c.validator == "model_name") return validate::ModelName(v);
  if (c.validator == "model_version") return validate::ModelVersion(v, c.environment);
  if (c.validator == "endpoint_name") return validate::EndpointName(v);
  if (c.validator == "feature_name") return validate::FeatureName(v);
  if (c.validator == "dataset_path") return validate::DatasetPath(v);
  if (c.validator == "pipeline_name") return validate::PipelineName(v);
  if (c.validator == "experiment_name") return validate::ExperimentName(v);
  if (c.validator == "run_name") return validate::RunName(v);
  if (c.validator == "metric_key") return validate::MetricKey(v);
  if (c.validator == "param_key") return validate::ParamKey(v);
  if (c.validator == "tag_key") return validate::TagKey(v);
  if (c.validator == "param_value") return validate::ParamValue(v);
  if (c.validator == "tag_value") return validate::TagValue(v);
  return absl::UnimplementedError(absl::StrCat("unknown validator ", c.validator));
}

// The rule's subject as it appears in messages ("model_name" -> "model name").
std::string Subject(const Case& c) {
  if (c.reason == "ENVIRONMENT_UNKNOWN") return "environment";
  std::string s = c.validator;
  for (char& ch : s) {
    if (ch == '_') ch = ' ';
  }
  return s;
}

class Spec1InputValidation : public ::testing::TestWithParam<Case> {};

TEST_P(Spec1InputValidation, Case) {
  const Case& c = GetParam();
  SCOPED_TRACE(absl::StrCat(c.validator, " ", QuoteForMessage(c.value), " (",
                            c.note, ")"));
  absl::Status status = RunValidator(c);
  if (c.ok) {
    EXPECT_TRUE(status.ok()) << status;
    return;
  }
  ASSERT_FALSE(status.ok()) << "accepted a value the rule rejects";
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  ASSERT_TRUE(detail.has_value()) << status;
  EXPECT_EQ(detail->reason, c.reason);
  EXPECT_EQ(detail->value, c.offending);
  EXPECT_FALSE(detail->fix.empty());
  EXPECT_FALSE(detail->rule.empty());
  // SPEC §1: the message quotes the value, names the rule and shows a valid
  // example.
  const std::string message(status.message());
  EXPECT_THAT(message, ::testing::HasSubstr(QuoteForMessage(c.offending)));
  EXPECT_THAT(message, ::testing::HasSubstr(Subject(c)));
  EXPECT_THAT(message, ::testing::HasSubstr(detail->rule));
  EXPECT_THAT(message, ::testing::HasSubstr("e.g."));
}

INSTANTIATE_TEST_SUITE_P(
    Table, Spec1InputValidation, ::testing::ValuesIn(LoadCases()),
    [](const ::testing::TestParamInfo<Case>& info) {
      return absl::StrCat(info.param.validator, "_", info.param.index,
                          info.param.ok ? "_accepts" : "_rejects");
    });

TEST(Spec1InputValidation, CaseTableIsLoaded) {
  // Guards against a missing or empty table silently passing the suite.
  EXPECT_GT(LoadCases().size(), 200u);
}

}  // namespace
}  // namespace slipway
