// ModelVersion parsing, canonical form and semver precedence.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/version.h"

namespace slipway {
namespace {

ModelVersion V(const std::string& text) {
  absl::StatusOr<ModelVersion> v = ModelVersion::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return *v;
}

TEST(ModelVersionTest, KindsAndCanonicalForms) {
  EXPECT_EQ(V("v1.2.3").kind(), ModelVersion::Kind::kSemver);
  EXPECT_EQ(V("v1.2.3").canonical(), "1.2.3");
  EXPECT_EQ(V("v1.2.3").text(), "v1.2.3");
  EXPECT_EQ(V("01.002.3").canonical(), "1.2.3");
  EXPECT_EQ(V("1.2.3-rc.01").canonical(), "1.2.3-rc.1");
  EXPECT_EQ(V("1.2.3-rc.1").prerelease(), "rc.1");
  EXPECT_EQ(V("42").kind(), ModelVersion::Kind::kRevision);
  EXPECT_EQ(V("42").revision(), 42);
  EXPECT_EQ(V("latest").kind(), ModelVersion::Kind::kLatest);
}

TEST(ModelVersionTest, SpellingsOfOneVersionAreEqual) {
  EXPECT_EQ(V("1.2.3"), V("v1.2.3"));
  EXPECT_EQ(V("1.2.3"), V("01.2.3"));
  EXPECT_TRUE((V("1.2.3") <=> V("v01.02.03")) == 0);
  EXPECT_NE(V("1.2.3"), V("1.2.4"));
}

TEST(ModelVersionTest, SemverPrecedence) {
  // The ordered list from semver.org §11, plus numeric-width cases.
  const std::vector<std::string> ordered = {
      "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
      "1.0.1",        "1.2.0",         "1.10.0",           "2.0.0",
      "10.0.0",       "99999999999999999999.0.0"};
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_TRUE(V(ordered[i]) < V(ordered[i + 1]))
        << ordered[i] << " < " << ordered[i + 1];
    EXPECT_TRUE(V(ordered[i + 1]) > V(ordered[i]));
  }
}

TEST(ModelVersionTest, RevisionsOrderNumerically) {
  EXPECT_TRUE(V("2") < V("10"));
  EXPECT_TRUE(V("10") > V("9"));
}

TEST(ModelVersionTest, DifferentKindsAndLatestAreUnordered) {
  EXPECT_EQ(V("1.0.0") <=> V("1"), std::partial_ordering::unordered);
  EXPECT_EQ(V("latest") <=> V("1.0.0"), std::partial_ordering::unordered);
  EXPECT_NE(V("1"), V("1.0.0"));
}

TEST(ModelVersionTest, LatestIsRefusedInProductionWithAClearReason) {
  absl::StatusOr<ModelVersion> v = ModelVersion::Parse("latest", "production");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(GetErrorDetail(v.status())->reason, "LATEST_IN_PRODUCTION");
  EXPECT_THAT(v.status().message(), ::testing::HasSubstr("resolve the alias"));
}

TEST(ModelVersionTest, PolicyEnvironmentIsTheDefault) {
  ValidationPolicy policy;
  policy.environment = "production";
  EXPECT_FALSE(validate::ModelVersion("latest", policy).ok());
  EXPECT_TRUE(validate::ModelVersion("2.4.1", policy).ok());
}

TEST(ModelVersionTest, RenamedProductionEnvironmentStillRefusesLatest) {
  // SPEC §7: environment names are configurable, their kind is what counts.
  ValidationPolicy policy;
  policy.environments = {{"dev", EnvironmentKind::kDevelopment},
                         {"prod", EnvironmentKind::kProduction}};
  policy.environment = "dev";
  EXPECT_TRUE(validate::ModelVersion("latest", "dev", policy).ok());
  EXPECT_EQ(GetErrorDetail(validate::ModelVersion("latest", "prod", policy))->reason,
            "LATEST_IN_PRODUCTION");
  EXPECT_EQ(GetErrorDetail(validate::ModelVersion("1.0.0", "production", policy))->reason,
            "ENVIRONMENT_UNKNOWN");
}

TEST(ModelVersionTest, HintsForCommonMistakes) {
  using ::testing::HasSubstr;
  EXPECT_THAT(validate::ModelVersion("1.2").message(), HasSubstr("2 numeric fields"));
  EXPECT_THAT(validate::ModelVersion("007").message(), HasSubstr("e.g. \"7\""));
  EXPECT_THAT(validate::ModelVersion("0").message(), HasSubstr("start at 1"));
  EXPECT_THAT(validate::ModelVersion("1.2.3+b").message(), HasSubstr("build metadata"));
  EXPECT_THAT(validate::ModelVersion("V1.2.3").message(), HasSubstr("uppercase 'V'"));
  EXPECT_THAT(validate::ModelVersion(std::string(129, '1')).message(),
              HasSubstr("at most 128"));
}

}  // namespace
}  // namespace slipway
