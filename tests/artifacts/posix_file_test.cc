#include "src/artifacts/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/artifacts/test_util.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::artifacts_test::ListNames;
using ::slipway::artifacts_test::PathExists;
using ::slipway::artifacts_test::ReadFileOrDie;
using ::slipway::artifacts_test::ReasonOf;
using ::slipway::artifacts_test::TempDir;
using ::slipway::artifacts_test::WriteFileOrDie;

TEST(ArtifactPosixFileTest, TempFileIsRemovedUnlessRenamed) {
  TempDir dir;
  absl::StatusOr<ScopedFd> fd = OpenDirectory(dir.path());
  ASSERT_TRUE(fd.ok()) << fd.status();
  std::atomic<uint64_t> counter{0};
  {
    absl::StatusOr<TempFile> temp =
        TempFile::Create(fd->get(), dir.path(), "t-", &counter);
    ASSERT_TRUE(temp.ok()) << temp.status();
    ASSERT_TRUE(temp->Append("dropped").ok());
    EXPECT_EQ(ListNames(dir.path()).size(), 1u);
  }
  EXPECT_TRUE(ListNames(dir.path()).empty());
  {
    absl::StatusOr<TempFile> temp =
        TempFile::Create(fd->get(), dir.path(), "t-", &counter);
    ASSERT_TRUE(temp.ok()) << temp.status();
    ASSERT_TRUE(temp->Append("kept").ok());
    ASSERT_TRUE(temp->SyncAndClose(0444).ok());
    ASSERT_TRUE(temp->RenameTo(fd->get(), "final", dir.Sub("final")).ok());
  }
  EXPECT_EQ(ListNames(dir.path()), std::vector<std::string>{"final"});
  EXPECT_EQ(ReadFileOrDie(dir.Sub("final")), "kept");
  struct stat st;
  ASSERT_EQ(::stat(dir.Sub("final").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
}

TEST(ArtifactPosixFileTest, TempFileSkipsNamesThatExist) {
  TempDir dir;
  absl::StatusOr<ScopedFd> fd = OpenDirectory(dir.path());
  ASSERT_TRUE(fd.ok());
  std::atomic<uint64_t> counter{0};
  // A stale file from a "crashed" process with our pid and counter 0.
  const std::string stale = dir.Sub("t-" + std::to_string(::getpid()) + "-0");
  WriteFileOrDie(stale, "stale");
  absl::StatusOr<TempFile> temp =
      TempFile::Create(fd->get(), dir.path(), "t-", &counter);
  ASSERT_TRUE(temp.ok()) << temp.status();
  EXPECT_NE(temp->path(), stale);
  EXPECT_EQ(ReadFileOrDie(stale), "stale");
}

TEST(ArtifactPosixFileTest, OpenForReadRefusesFoldersAndFifos) {
  TempDir dir;
  uint64_t size = 0;
  absl::StatusOr<ScopedFd> folder = OpenForRead(dir.path(), &size);
  EXPECT_EQ(folder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(folder.status()), "PATH_CONFLICT");

  ASSERT_EQ(::mkfifo(dir.Sub("fifo").c_str(), 0600), 0);
  absl::StatusOr<ScopedFd> fifo = OpenForRead(dir.Sub("fifo"), &size);
  EXPECT_EQ(fifo.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(fifo.status()), "PATH_CONFLICT");

  absl::StatusOr<ScopedFd> missing = OpenForRead(dir.Sub("nope"), &size);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(missing.status()), "FILE_NOT_FOUND");

  WriteFileOrDie(dir.Sub("f"), "12345");
  absl::StatusOr<ScopedFd> file = OpenForRead(dir.Sub("f"), &size);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(size, 5u);
  char buffer[16];
  absl::StatusOr<size_t> n = ReadFull(file->get(), buffer, sizeof(buffer), "f");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buffer, *n), "12345");
}

TEST(ArtifactPosixFileTest, OpenOrCreateSubdirNeverFollowsLinks) {
  TempDir dir;
  TempDir outside;
  absl::StatusOr<ScopedFd> fd = OpenDirectory(dir.path());
  ASSERT_TRUE(fd.ok());
  bool created = false;
  absl::StatusOr<ScopedFd> sub =
      OpenOrCreateSubdir(fd->get(), "sub", dir.Sub("sub"), &created);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_TRUE(created);
  sub = OpenOrCreateSubdir(fd->get(), "sub", dir.Sub("sub"), &created);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_FALSE(created);

  ASSERT_EQ(::symlink(outside.path().c_str(), dir.Sub("link").c_str()), 0);
  absl::StatusOr<ScopedFd> link =
      OpenOrCreateSubdir(fd->get(), "link", dir.Sub("link"), &created);
  EXPECT_EQ(link.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(link.status()), "PATH_CONFLICT");

  WriteFileOrDie(dir.Sub("file"), "x");
  absl::StatusOr<ScopedFd> file =
      OpenOrCreateSubdir(fd->get(), "file", dir.Sub("file"), &created);
  EXPECT_EQ(ReasonOf(file.status()), "PATH_CONFLICT");
}

TEST(ArtifactPosixFileTest, CreateDirsAndListDirectory) {
  TempDir dir;
  ASSERT_TRUE(CreateDirs(dir.Sub("a/b/c")).ok());
  ASSERT_TRUE(CreateDirs(dir.Sub("a/b/c/")).ok());  // Exists: OK.
  WriteFileOrDie(dir.Sub("a/f"), "x");
  ASSERT_EQ(::symlink("f", dir.Sub("a/l").c_str()), 0);
  absl::StatusOr<std::vector<DirEntry>> entries = ListDirectory(dir.Sub("a"));
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].name, "b");
  EXPECT_EQ((*entries)[0].type, FileType::kDirectory);
  EXPECT_EQ((*entries)[1].name, "f");
  EXPECT_EQ((*entries)[1].type, FileType::kRegular);
  EXPECT_EQ((*entries)[2].name, "l");
  EXPECT_EQ((*entries)[2].type, FileType::kSymlink);

  absl::Status under_file = CreateDirs(dir.Sub("a/f/g"));
  EXPECT_FALSE(under_file.ok());
  EXPECT_EQ(ReasonOf(under_file), "PATH_CONFLICT");
  EXPECT_TRUE(PathExists(dir.Sub("a/b/c")));
}

}  // namespace
}  // namespace slipway::internal_artifacts
