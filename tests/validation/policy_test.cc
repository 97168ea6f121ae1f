#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/validate.h"

namespace slipway {
namespace {

using ::testing::HasSubstr;

TEST(ValidationPolicyTest, DefaultIsTheSpec) {
  const ValidationPolicy& p = DefaultValidationPolicy();
  EXPECT_TRUE(p.Check().ok()) << p.Check();
  EXPECT_EQ(p.environment, "development");
  EXPECT_THAT(p.dataset_prefixes,
              ::testing::ElementsAre("s3://ml-data/", "/data/ml/"));
  EXPECT_EQ(*p.KindOf("production"), EnvironmentKind::kProduction);
  EXPECT_EQ(*p.KindOf("staging"), EnvironmentKind::kStaging);
  EXPECT_EQ(p.registry, nullptr);
  EXPECT_EQ(p.reserved_feature_names, DefaultReservedFeatureNames());
}

TEST(ValidationPolicyTest, UnknownEnvironmentListsKnownOnes) {
  absl::Status s = DefaultValidationPolicy().KindOf("prod").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(s)->reason, "ENVIRONMENT_UNKNOWN");
  EXPECT_THAT(s.message(), HasSubstr("development, staging, production"));
  EXPECT_TRUE(validate::EnvironmentName("staging").ok());
}

TEST(ValidationPolicyTest, CheckRejectsBadPolicies) {
  ValidationPolicy p;
  p.environment = "qa";
  EXPECT_EQ(GetErrorDetail(p.Check())->reason, "POLICY_INVALID");

  p = ValidationPolicy();
  p.environments.push_back({"production", EnvironmentKind::kStaging});
  EXPECT_THAT(p.Check().message(), HasSubstr("listed twice"));

  p = ValidationPolicy();
  p.environments.push_back({"Prod Env", EnvironmentKind::kProduction});
  EXPECT_FALSE(p.Check().ok());

  for (const char* prefix : {"data/ml/", "/data/../ml/", "/data/~ml", ""}) {
    p = ValidationPolicy();
    p.dataset_prefixes = {prefix};
    absl::Status s = p.Check();
    EXPECT_EQ(GetErrorDetail(s)->reason, "POLICY_INVALID") << prefix;
    EXPECT_THAT(s.message(), HasSubstr("dataset_prefixes")) << prefix;
  }
}

TEST(ValidationPolicyTest, EnvironmentKindNames) {
  EXPECT_EQ(EnvironmentKindName(EnvironmentKind::kProduction), "production");
  EXPECT_EQ(EnvironmentKindName(EnvironmentKind::kDevelopment), "development");
}

}  // namespace
}  // namespace slipway
