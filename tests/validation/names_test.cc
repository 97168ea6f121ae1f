#include "slipway/names.h"

#include <type_traits>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway {
namespace {

TEST(ValidatedNameTest, ParseAcceptsValidAndReturnsValidatorErrors) {
  absl::StatusOr<ModelName> name = ModelName::Parse("fraud-detection");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->str(), "fraud-detection");

  absl::StatusOr<ModelName> bad = ModelName::Parse("Fraud");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status(), validate::ModelName("Fraud"));
}

TEST(ValidatedNameTest, KindsAreDistinctTypes) {
  static_assert(!std::is_convertible_v<ModelName, EndpointName>);
  static_assert(!std::is_constructible_v<ModelName, std::string>);
  static_assert(!std::is_convertible_v<std::string, FeatureName>);
}

TEST(ValidatedNameTest, ComparableAndHashable) {
  absl::flat_hash_set<MetricKey> keys;
  keys.insert(*MetricKey::Parse("loss"));
  keys.insert(*MetricKey::Parse("loss"));
  keys.insert(*MetricKey::Parse("acc"));
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_LT(*MetricKey::Parse("acc"), *MetricKey::Parse("loss"));
}

TEST(ValidatedNameTest, PolicyAwareParsers) {
  ValidationPolicy policy;
  policy.dataset_prefixes = {"/mnt/x/"};
  EXPECT_TRUE(DatasetPath::Parse("/mnt/x/a", policy).ok());
  EXPECT_FALSE(DatasetPath::Parse("/data/ml/a", policy).ok());
  EXPECT_TRUE(DatasetPath::Parse("/data/ml/a").ok());
  EXPECT_FALSE(FeatureName::Parse("id").ok());
  EXPECT_TRUE(PipelineName::Parse("nightly").ok());
  EXPECT_TRUE(EndpointName::Parse("fraud-prod").ok());
}

}  // namespace
}  // namespace slipway
