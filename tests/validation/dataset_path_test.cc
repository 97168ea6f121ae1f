// Dataset paths beyond the SPEC table: custom prefixes, prefix forms,
// boundaries and the messages users read.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/validate.h"
#include "src/validation/dataset_path.h"

namespace slipway {
namespace {

using ::testing::HasSubstr;

std::string Reason(const absl::Status& s) {
  auto d = GetErrorDetail(s);
  return d ? d->reason : (s.ok() ? "OK" : "<no detail>");
}

TEST(DatasetPathTest, PrefixWithOrWithoutSlashMatchesOnSegmentBoundary) {
  for (const char* prefix : {"/mnt/features", "/mnt/features/"}) {
    ValidationPolicy policy;
    policy.dataset_prefixes = {prefix};
    EXPECT_TRUE(validate::DatasetPath("/mnt/features/x.csv", policy).ok()) << prefix;
    EXPECT_EQ(Reason(validate::DatasetPath("/mnt/features-evil/x", policy)),
              "DATASET_PATH_NOT_APPROVED") << prefix;
    EXPECT_EQ(Reason(validate::DatasetPath("/mnt/featuresx", policy)),
              "DATASET_PATH_NOT_APPROVED") << prefix;
    EXPECT_EQ(Reason(validate::DatasetPath("/mnt/features", policy)),
              "DATASET_PATH_NOT_APPROVED") << prefix;
  }
}

TEST(DatasetPathTest, NotApprovedMessageListsThePrefixes) {
  absl::Status s = validate::DatasetPath("/data/ml-evil/x");
  EXPECT_THAT(s.message(), HasSubstr("s3://ml-data/"));
  EXPECT_THAT(s.message(), HasSubstr("/data/ml/"));
  EXPECT_THAT(s.message(), HasSubstr("segment boundary"));
}

TEST(DatasetPathTest, NoApprovedPrefixesApprovesNothing) {
  ValidationPolicy policy;
  policy.dataset_prefixes.clear();
  absl::Status s = validate::DatasetPath("/data/ml/x", policy);
  EXPECT_EQ(Reason(s), "DATASET_PATH_NOT_APPROVED");
  EXPECT_THAT(s.message(), HasSubstr("none are configured"));
}

TEST(DatasetPathTest, TraversalIsRefusedEvenUnderAnApprovedPrefix) {
  // Each of these starts with an approved prefix; none may be accepted.
  for (const char* path :
       {"/data/ml/../../etc/shadow", "/data/ml/x/../../../etc",
        "s3://ml-data/../other-bucket/x", "/data/ml/%2E./x", "/data/ml/.%2e/x",
        "/data/ml/%25%32%65", "/data/ml/x%5c..%5c..", "/data/ml/\xef\xbc\x8e\xef\xbc\x8e/x",
        "/data/ml/\xe2\x80\xa5/x"}) {
    EXPECT_EQ(Reason(validate::DatasetPath(path)), "DATASET_PATH_INVALID") << path;
  }
}

TEST(DatasetPathTest, MessagesSayWhatIsWrong) {
  EXPECT_THAT(validate::DatasetPath("/data/ml/../x").message(), HasSubstr("'..'"));
  EXPECT_THAT(validate::DatasetPath("data/x").message(), HasSubstr("relative"));
  EXPECT_THAT(validate::DatasetPath("/data/ml//x").message(), HasSubstr("empty segment"));
  EXPECT_THAT(validate::DatasetPath(std::string("/data/ml/a\0b", 12)).message(),
              HasSubstr("NUL"));
  EXPECT_THAT(validate::DatasetPath("/data/ml/%2e%2e").message(),
              HasSubstr("percent-encoded"));
}

TEST(DatasetPathTest, OverlongPathsAreRejected) {
  std::string path = "/data/ml/" + std::string(5000, 'a');
  EXPECT_THAT(validate::DatasetPath(path).message(), HasSubstr("at most 4096"));
}

TEST(DatasetPathTest, IsStrictlyUnder) {
  using internal_validation::IsStrictlyUnder;
  EXPECT_TRUE(IsStrictlyUnder("/a/b", "/a"));
  EXPECT_TRUE(IsStrictlyUnder("/a/b", "/a/"));
  EXPECT_FALSE(IsStrictlyUnder("/a/", "/a/"));
  EXPECT_FALSE(IsStrictlyUnder("/a/", "/a"));
  EXPECT_FALSE(IsStrictlyUnder("/ab", "/a"));
  EXPECT_FALSE(IsStrictlyUnder("/a", "/a"));
  EXPECT_FALSE(IsStrictlyUnder("/a/b", ""));
}

}  // namespace
}  // namespace slipway
