// InMemoryFileSystem cases beyond the shared contract
// (file_system_contract_test.cc): the fault hooks, capacity accounting and
// path normalization.
#include "slipway/testing/in_memory_file_system.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/env/status_util.h"

namespace slipway::testing {
namespace {

using ::slipway::env_test::MessageOf;
using ::slipway::env_test::ReasonOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::Status InjectedError() {
  return MakeError(
      absl::StatusCode::kUnavailable, "injected",
      ErrorDetail{.reason = "INJECTED", .rule = "", .value = "", .fix = ""});
}

std::string ReadOr(InMemoryFileSystem& fs, const std::string& path) {
  absl::StatusOr<std::string> r = fs.ReadFile(path);
  return r.ok() ? *r : "<" + r.status().ToString() + ">";
}

TEST(InMemoryFileSystemTest, FailNextWritesFailsExactlyNWritesAndKeepsData) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomically("/f", "old").ok());
  fs.FailNextWrites(2, InjectedError());

  for (int i = 0; i < 2; ++i) {
    const absl::Status s = fs.WriteFileAtomically("/f", "new");
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ReasonOf(s), "INJECTED");
    EXPECT_EQ(ReadOr(fs, "/f"), "old");
  }
  // A failed write to a new file creates nothing.
  EXPECT_TRUE(fs.WriteFileAtomically("/g", "third write succeeds").ok());
  EXPECT_TRUE(fs.WriteFileAtomically("/f", "new").ok());
  EXPECT_EQ(ReadOr(fs, "/f"), "new");
  EXPECT_EQ(fs.WriteCount(), 5);
}

TEST(InMemoryFileSystemTest, FailNextWritesTouchesOnlyWrites) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomically("/f", "x").ok());
  fs.FailNextWrites(1, InjectedError());
  EXPECT_TRUE(fs.CreateDirs("/d").ok());
  EXPECT_TRUE(fs.RenameFile("/f", "/d/f").ok());
  EXPECT_EQ(ReadOr(fs, "/d/f"), "x");
  EXPECT_TRUE(fs.DeleteFile("/d/f").ok());
  EXPECT_FALSE(fs.WriteFileAtomically("/f", "y").ok());  // The write fails.
}

TEST(InMemoryFileSystemTest, FailNextWritesWithOkStatusStillFails) {
  InMemoryFileSystem fs;
  fs.FailNextWrites(1, absl::OkStatus());
  const absl::Status s = fs.WriteFileAtomically("/f", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(s), "IO_ERROR");
  EXPECT_TRUE(fs.WriteFileAtomically("/f", "x").ok());
}

TEST(InMemoryFileSystemTest, FailNextWritesZeroCancelsAndLaterCallReplaces) {
  InMemoryFileSystem fs;
  fs.FailNextWrites(5, InjectedError());
  fs.FailNextWrites(0, InjectedError());
  EXPECT_TRUE(fs.WriteFileAtomically("/f", "x").ok());
  fs.FailNextWrites(5, InjectedError());
  fs.FailNextWrites(1, InjectedError());
  EXPECT_FALSE(fs.WriteFileAtomically("/f", "y").ok());
  EXPECT_TRUE(fs.WriteFileAtomically("/f", "y").ok());
}

TEST(InMemoryFileSystemTest, ClearFaultsEndsPersistentFailure) {
  InMemoryFileSystem fs;
  fs.FailNextWrites(1'000'000, InjectedError());
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(fs.WriteFileAtomically("/f", "x").ok());
  }
  fs.ClearFaults();
  EXPECT_TRUE(fs.WriteFileAtomically("/f", "x").ok());
}

TEST(InMemoryFileSystemTest, FullDiskIsResourceExhaustedAndKeepsOldContent) {
  InMemoryFileSystem fs;
  fs.SetCapacityBytes(10);
  ASSERT_TRUE(fs.WriteFileAtomically("/a", "123456").ok());

  const absl::Status s = fs.WriteFileAtomically("/b", "12345");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(ReasonOf(s), "DISK_FULL");
  EXPECT_THAT(MessageOf(s), HasSubstr("\"/b\""));
  EXPECT_THAT(MessageOf(s), HasSubstr("No space left on device"));
  absl::StatusOr<bool> b_exists = fs.Exists("/b");
  ASSERT_TRUE(b_exists.ok());
  EXPECT_FALSE(*b_exists);
  EXPECT_EQ(fs.BytesUsed(), 6u);
}

TEST(InMemoryFileSystemTest, ReplaceNeedsRoomForOldAndNewContent) {
  InMemoryFileSystem fs;
  fs.SetCapacityBytes(10);
  ASSERT_TRUE(fs.WriteFileAtomically("/a", "123456").ok());
  // 6 old + 5 new > 10: fails like ENOSPC while writing the temporary file.
  const absl::Status s = fs.WriteFileAtomically("/a", "abcde");
  EXPECT_EQ(ReasonOf(s), "DISK_FULL") << s;
  EXPECT_EQ(ReadOr(fs, "/a"), "123456");
  // 6 old + 4 new = 10: fits.
  ASSERT_TRUE(fs.WriteFileAtomically("/a", "abcd").ok());
  EXPECT_EQ(ReadOr(fs, "/a"), "abcd");
  EXPECT_EQ(fs.BytesUsed(), 4u);
}

TEST(InMemoryFileSystemTest, CapacityBelowUsageKeepsFilesAndFailsWrites) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomically("/a", "123456").ok());
  fs.SetCapacityBytes(3);
  EXPECT_EQ(ReadOr(fs, "/a"), "123456");
  EXPECT_EQ(ReasonOf(fs.WriteFileAtomically("/b", "")), "DISK_FULL");
  ASSERT_TRUE(fs.DeleteFile("/a").ok());
  EXPECT_TRUE(fs.WriteFileAtomically("/b", "123").ok());
  fs.SetCapacityBytes(InMemoryFileSystem::kUnlimited);
  EXPECT_TRUE(fs.WriteFileAtomically("/c", std::string(1000, 'x')).ok());
}

TEST(InMemoryFileSystemTest, BytesUsedFollowsWritesDeletesAndRenames) {
  InMemoryFileSystem fs;
  EXPECT_EQ(fs.BytesUsed(), 0u);
  ASSERT_TRUE(fs.WriteFileAtomically("/a", "1234").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/b", "12").ok());
  EXPECT_EQ(fs.BytesUsed(), 6u);
  ASSERT_TRUE(fs.RenameFile("/b", "/a").ok());  // Replaces 4 bytes.
  EXPECT_EQ(fs.BytesUsed(), 2u);
  ASSERT_TRUE(fs.CreateDirs("/d/e").ok());
  EXPECT_EQ(fs.BytesUsed(), 2u);
  ASSERT_TRUE(fs.DeleteFile("/a").ok());
  EXPECT_EQ(fs.BytesUsed(), 0u);
}

TEST(InMemoryFileSystemTest, PathsAreNormalizedLexically) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("a/b").ok());  // Relative: under "/".
  ASSERT_TRUE(fs.WriteFileAtomically("/a//b/./c/../f", "x").ok());
  EXPECT_EQ(ReadOr(fs, "/a/b/f"), "x");
  EXPECT_EQ(ReadOr(fs, "a/b/f"), "x");
  EXPECT_EQ(ReadOr(fs, "/../a/b/f/"), "x");
  absl::StatusOr<std::vector<std::string>> list = fs.ListDir("/a/b/");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre("f"));
}

TEST(InMemoryFileSystemTest, RootAlwaysExists) {
  InMemoryFileSystem fs;
  absl::StatusOr<bool> exists = fs.Exists("/");
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
  absl::StatusOr<std::vector<std::string>> list = fs.ListDir("/");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_TRUE(fs.CreateDirs("/").ok());
  EXPECT_FALSE(fs.RenameFile("/", "/x").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/top", "x").ok());
  list = fs.ListDir("/");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre("top"));
}

TEST(InMemoryFileSystemTest, DirectoryRenameFollowsRenameRules) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/a/sub").ok());
  ASSERT_TRUE(fs.CreateDirs("/full/x").ok());
  ASSERT_TRUE(fs.CreateDirs("/empty").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/file", "f").ok());
  // Into itself: EINVAL.
  EXPECT_EQ(ReasonOf(fs.RenameFile("/a", "/a/sub/a")), "IO_ERROR");
  // Onto a non-empty directory: ENOTEMPTY.
  EXPECT_THAT(MessageOf(fs.RenameFile("/a", "/full")),
              HasSubstr("Directory not empty"));
  // Onto a file: ENOTDIR.
  EXPECT_THAT(MessageOf(fs.RenameFile("/a", "/file")),
              HasSubstr("Not a directory"));
  // Onto an empty directory: replaces it.
  ASSERT_TRUE(fs.RenameFile("/a", "/empty").ok());
  absl::StatusOr<std::vector<std::string>> list = fs.ListDir("/");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre("empty", "file", "full"));
  list = fs.ListDir("/empty");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre("sub"));
  // A name that sorts between "/a" and "/a/..." is not part of the tree.
  ASSERT_TRUE(fs.CreateDirs("/m/d").ok());
  ASSERT_TRUE(fs.WriteFileAtomically("/m/d-x", "sibling").ok());
  ASSERT_TRUE(fs.RenameFile("/m/d", "/m/e").ok());
  EXPECT_EQ(ReadOr(fs, "/m/d-x"), "sibling");
}

TEST(InMemoryFileSystemTest, RenameToItselfIsANoOp) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomically("/f", "x").ok());
  EXPECT_TRUE(fs.RenameFile("/f", "//f").ok());
  EXPECT_EQ(ReadOr(fs, "/f"), "x");
}

TEST(InMemoryFileSystemTest, ConcurrentFaultsAndWritesAreConsistent) {
  InMemoryFileSystem fs;
  constexpr int kThreads = 4;
  constexpr int kWrites = 500;
  fs.FailNextWrites(100, InjectedError());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&fs, &failures, t] {
      for (int i = 0; i < kWrites; ++i) {
        if (!fs.WriteFileAtomically("/t" + std::to_string(t), "xy").ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 100);
  EXPECT_EQ(fs.WriteCount(), kThreads * kWrites);
  EXPECT_EQ(fs.BytesUsed(), 2u * kThreads);
}

}  // namespace
}  // namespace slipway::testing
