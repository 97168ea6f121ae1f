// Behaviour of the validators beyond the SPEC table (tests/spec): message
// shape, structured details, registration hooks, invalid UTF-8.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/testing/name_set.h"
#include "slipway/validate.h"

namespace slipway {
namespace {

using ::testing::HasSubstr;

std::string Reason(const absl::Status& s) {
  auto d = GetErrorDetail(s);
  return d ? d->reason : "<no detail>";
}

TEST(ModelNameTest, MessageQuotesValueNamesRuleAndShowsExample) {
  absl::Status s = validate::ModelName("Fraud Detection");
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"Fraud Detection\""));
  EXPECT_THAT(s.message(), HasSubstr("SPEC §1 model name"));
  EXPECT_THAT(s.message(), HasSubstr("uppercase 'F' at position 1"));
  EXPECT_THAT(s.message(), HasSubstr("e.g. \"fraud-detection\""));
}

TEST(ModelNameTest, ReportsLengthWithCounts) {
  absl::Status s = validate::ModelName(std::string(65, 'a'));
  EXPECT_THAT(s.message(), HasSubstr("65 characters long; at most 64"));
  s = validate::ModelName("a");
  EXPECT_THAT(s.message(), HasSubstr("1 character long; at least 2"));
}

TEST(ModelNameTest, ReportsSeparatorsAtTheEdges) {
  EXPECT_THAT(validate::ModelName("-ab").message(), HasSubstr("starts with '-'"));
  EXPECT_THAT(validate::ModelName("ab_").message(), HasSubstr("ends with '_'"));
}

TEST(ModelNameTest, NamesLookAlikeCharacters) {
  absl::Status s = validate::ModelName("fr\xd0\xb0ud");  // Cyrillic а
  EXPECT_THAT(s.message(), HasSubstr("U+0430"));
  EXPECT_THAT(s.message(), HasSubstr("position 3"));
}

TEST(ValidatorsTest, InvalidUtf8IsRejectedEverywhere) {
  const std::string bad = "ab\xff";
  EXPECT_EQ(Reason(validate::ModelName(bad)), "MODEL_NAME_INVALID");
  EXPECT_EQ(Reason(validate::EndpointName(bad)), "ENDPOINT_NAME_INVALID");
  EXPECT_EQ(Reason(validate::FeatureName(bad)), "FEATURE_NAME_INVALID");
  EXPECT_EQ(Reason(validate::PipelineName(bad)), "PIPELINE_NAME_INVALID");
  EXPECT_EQ(Reason(validate::DatasetPath("/data/ml/" + bad)),
            "DATASET_PATH_INVALID");
  EXPECT_EQ(Reason(validate::ExperimentName(bad)), "EXPERIMENT_NAME_INVALID");
  EXPECT_EQ(Reason(validate::MetricKey(bad)), "METRIC_KEY_INVALID");
  EXPECT_EQ(Reason(validate::ParamValue(bad)), "PARAM_VALUE_INVALID");
  EXPECT_EQ(Reason(validate::TagValue(bad)), "TAG_VALUE_INVALID");
  EXPECT_EQ(Reason(validate::ModelVersion("1.2.3-\xff")), "MODEL_VERSION_INVALID");
}

TEST(ValidatorsTest, DetailKeepsTheWholeValueWhileTheMessageIsShort) {
  const std::string huge(100000, 'A');
  absl::Status s = validate::ModelName(huge);
  EXPECT_LT(s.message().size(), 1000u);
  EXPECT_THAT(s.message(), HasSubstr("100000 bytes in all"));
  EXPECT_EQ(GetErrorDetail(s)->value, huge);
}

TEST(ValidatorsTest, ValuesCountCharactersNotBytes) {
  // 6000 two-byte characters are 12000 bytes and still within the limit.
  std::string value;
  for (int i = 0; i < 6000; ++i) value += "\xc3\xa9";
  EXPECT_TRUE(validate::ParamValue(value).ok());
  EXPECT_FALSE(validate::ParamValue(value + "\xc3\xa9").ok());
}

TEST(RegistrationTest, EndpointMustBeRegisteredWhenARegistryIsAttached) {
  testing::NameSet names;
  names.Add(RegisteredKind::kEndpoint, "fraud-prod");
  ValidationPolicy policy;
  policy.registry = &names;
  EXPECT_TRUE(validate::EndpointName("fraud-prod", policy).ok());
  absl::Status s = validate::EndpointName("fraud-staging", policy);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(s), "ENDPOINT_NOT_REGISTERED");
  EXPECT_THAT(s.message(), HasSubstr("\"fraud-staging\""));
  EXPECT_THAT(s.message(), HasSubstr("register_endpoint"));
  // Syntax is checked before the registry is asked.
  EXPECT_EQ(Reason(validate::EndpointName("Fraud", policy)),
            "ENDPOINT_NAME_INVALID");
}

TEST(RegistrationTest, PipelineMustBeRegisteredWhenARegistryIsAttached) {
  testing::NameSet names;
  names.Add(RegisteredKind::kPipeline, "nightly-train");
  names.Add(RegisteredKind::kEndpoint, "hourly-train");
  ValidationPolicy policy;
  policy.registry = &names;
  EXPECT_TRUE(validate::PipelineName("nightly-train", policy).ok());
  // An endpoint of that name does not make it a pipeline.
  EXPECT_EQ(Reason(validate::PipelineName("hourly-train", policy)),
            "PIPELINE_NOT_REGISTERED");
}

class UnavailableRegistry final : public NameRegistry {
 public:
  absl::StatusOr<bool> IsRegistered(RegisteredKind, std::string_view) const override {
    return absl::UnavailableError("store busy");
  }
};

TEST(RegistrationTest, RegistryErrorsPassThroughUnchanged) {
  UnavailableRegistry registry;
  ValidationPolicy policy;
  policy.registry = &registry;
  EXPECT_EQ(validate::EndpointName("fraud-prod", policy).code(),
            absl::StatusCode::kUnavailable);
}

TEST(FeatureNameTest, ReservedListComesFromThePolicy) {
  ValidationPolicy policy;
  policy.reserved_feature_names = {"amount"};
  EXPECT_TRUE(validate::FeatureName("id", policy).ok());
  absl::Status s = validate::FeatureName("amount", policy);
  EXPECT_EQ(Reason(s), "FEATURE_NAME_RESERVED");
  EXPECT_THAT(s.message(), HasSubstr("reserved keyword"));
}

TEST(KeyTest, AcceptsWhatMlflowAccepts) {
  for (const char* key : {"loss", "val/loss", "a b", "a:b", "a.b", "a-b",
                          "train/epoch 1/loss", "_x", "1", "..a", "a..b"}) {
    EXPECT_TRUE(validate::MetricKey(key).ok()) << key;
  }
}

TEST(KeyTest, ErrorsNameTheKind) {
  EXPECT_THAT(validate::ParamKey("").message(), HasSubstr("param key"));
  EXPECT_THAT(validate::TagKey("").message(), HasSubstr("tag key"));
  EXPECT_THAT(validate::MetricKey("").message(), HasSubstr("metric key"));
}

}  // namespace
}  // namespace slipway

namespace slipway {
namespace {

TEST(BatchValidationTest, ParamsAndTagsReportTheFirstBadEntry) {
  EXPECT_TRUE(validate::Params({{"lr", "0.01"}, {"batch", "256"}}).ok());
  absl::Status s = validate::Params({{"lr", "0.01"}, {"/bad", "x"}});
  EXPECT_EQ(GetErrorDetail(s)->reason, "PARAM_KEY_INVALID");
  EXPECT_EQ(GetErrorDetail(s)->value, "/bad");
  s = validate::Tags({{"team", std::string(5001, 'x')}});
  EXPECT_EQ(GetErrorDetail(s)->reason, "TAG_VALUE_INVALID");
  EXPECT_TRUE(validate::Tags({}).ok());
}

}  // namespace
}  // namespace slipway
