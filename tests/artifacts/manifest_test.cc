#include "src/artifacts/manifest.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/artifacts/test_util.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::artifacts_test::MessageOf;
using ::slipway::artifacts_test::ReasonOf;
using ::slipway::artifacts_test::ValueOf;
using ::testing::HasSubstr;

TEST(ArtifactRelativePathTest, AcceptsPlainRelativePaths) {
  for (const std::string& path : std::vector<std::string>{
           "a", "model.bin", "weights/layer0.bin", "a/b/c/d.txt", ".hidden",
           "a/.b", "..a", "a..", "...", "dir with space/f", "größe.txt",
           std::string(255, 'x'),
           std::string(255, 'x') + "/" + std::string(255, 'y')}) {
    EXPECT_TRUE(ValidateRelativePath(path).ok()) << path;
  }
}

TEST(ArtifactRelativePathTest, RejectsPathsThatCouldLeaveTheFolder) {
  struct Case {
    std::string path;
    std::string says;
  };
  const Case cases[] = {
      {"", "it is empty"},
      {"/abs", "absolute"},
      {"/", "absolute"},
      {"../x", "\"..\" component"},
      {"..", "\"..\" component"},
      {"a/../../x", "\"..\" component"},
      {"a/..", "\"..\" component"},
      {".", "\".\" component"},
      {"./a", "\".\" component"},
      {"a/./b", "\".\" component"},
      {"a//b", "empty name"},
      {"a/", "ends with '/'"},
      {std::string("a\0b", 3), "NUL at position 2"},
      {"a\nb", "control character"},
      {"..\\x", "'\\'"},
      {"a\\b", "'\\'"},
      {"bad\xff", "UTF-8"},
      {std::string(256, 'x'), "256 bytes long"},
      {std::string(4096, 'x'), "4096 bytes long"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    absl::Status s = ValidateRelativePath(c.path);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(s), "ARTIFACT_PATH_INVALID");
    EXPECT_EQ(ValueOf(s), c.path);
    EXPECT_THAT(MessageOf(s), HasSubstr(c.says));
  }
}

ArtifactEntry Entry(std::string path) {
  return ArtifactEntry{.relative_path = std::move(path),
                       .digest = *Sha256Of(""),
                       .size_bytes = 0};
}

TEST(ArtifactManifestTest, AcceptsDistinctPaths) {
  EXPECT_TRUE(ValidateManifest({}).ok());
  EXPECT_TRUE(
      ValidateManifest({Entry("a.txt"), Entry("a/b"), Entry("a/c/d")}).ok());
  // "ab" is not a folder of "a/b" (prefix without the slash).
  EXPECT_TRUE(ValidateManifest({Entry("a/b"), Entry("ab")}).ok());
}

TEST(ArtifactManifestTest, RejectsBadPathsDuplicatesAndFileFolderClashes) {
  absl::Status bad = ValidateManifest({Entry("ok"), Entry("../x")});
  EXPECT_EQ(ReasonOf(bad), "ARTIFACT_PATH_INVALID");
  EXPECT_EQ(ValueOf(bad), "../x");

  absl::Status abs = ValidateManifest({Entry("/etc/passwd")});
  EXPECT_EQ(ReasonOf(abs), "ARTIFACT_PATH_INVALID");

  absl::Status twice = ValidateManifest({Entry("a"), Entry("b"), Entry("a")});
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(twice), "ARTIFACT_MANIFEST_INVALID");
  EXPECT_EQ(ValueOf(twice), "a");
  EXPECT_THAT(MessageOf(twice), HasSubstr("appears twice"));

  absl::Status clash = ValidateManifest({Entry("a/b/c"), Entry("a/b")});
  EXPECT_EQ(ReasonOf(clash), "ARTIFACT_MANIFEST_INVALID");
  EXPECT_EQ(ValueOf(clash), "a/b/c");
  EXPECT_THAT(MessageOf(clash), HasSubstr("\"a/b\" is a file"));
}

}  // namespace
}  // namespace slipway::internal_artifacts
