#include "src/tracking/source_info.h"

#include <string>

#include "gtest/gtest.h"
#include "slipway/testing/in_memory_file_system.h"

namespace slipway::internal_tracking {
namespace {

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

TEST(SourceInfoTest, FollowsHeadToABranchRef) {
  testing::InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/repo/.git/refs/heads").ok());
  ASSERT_TRUE(fs.CreateDirs("/repo/src").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/repo/.git/HEAD", "ref: refs/heads/main\n").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/repo/.git/refs/heads/main", kCommit + "\n").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/repo/src/train.py", "print()").ok());
  EXPECT_EQ(FindGitCommit(fs, "/repo/src/train.py"), kCommit);
}

TEST(SourceInfoTest, ReadsPackedRefsAndDetachedHeads) {
  testing::InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/a/.git").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/a/.git/HEAD", "ref: refs/heads/dev\n").ok());
  ASSERT_TRUE(fs.WriteFileAtomically(
      "/a/.git/packed-refs",
      "# pack-refs with: peeled\n" + kCommit + " refs/heads/dev\n").ok());
  EXPECT_EQ(FindGitCommit(fs, "/a/x.py"), kCommit);

  ASSERT_TRUE(fs.CreateDirs("/b/.git").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/b/.git/HEAD", kCommit + "\n").ok());
  EXPECT_EQ(FindGitCommit(fs, "/b/x.py"), kCommit);
}

TEST(SourceInfoTest, NoRepositoryOrGarbageGivesEmpty) {
  testing::InMemoryFileSystem fs;
  EXPECT_EQ(FindGitCommit(fs, "/nowhere/x.py"), "");
  ASSERT_TRUE(fs.CreateDirs("/c/.git").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/c/.git/HEAD", "garbage").ok());
  EXPECT_EQ(FindGitCommit(fs, "/c/x.py"), "");
}

TEST(SourceInfoTest, ProgramPathIsThisTest) {
  EXPECT_NE(ProgramPath().find("tracking_test"), std::string::npos);
}

}  // namespace
}  // namespace slipway::internal_tracking
