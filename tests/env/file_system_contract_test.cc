// The FileSystem contract of slipway/env.h, run over every implementation
// slipway ships: the POSIX file system against a real temporary directory and
// the in-memory test file system. A behaviour checked here holds for both,
// so a test written against InMemoryFileSystem means the same on disk.
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/env.h"
#include "slipway/status.h"
#include "slipway/testing/in_memory_file_system.h"
#include "src/env/posix_file_system.h"
#include "tests/env/status_util.h"

namespace slipway {
namespace {

using ::slipway::env_test::MessageOf;
using ::slipway::env_test::ReasonOf;
using ::slipway::env_test::ValueOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A PosixFileSystem rooted in a fresh directory from mkdtemp, removed after
// the test.
class PosixSandbox {
 public:
  static constexpr char kName[] = "Posix";
  PosixSandbox() {
    char pattern[] = "/tmp/slipway_env_test.XXXXXX";
    if (::mkdtemp(pattern) != nullptr) root_ = pattern;
  }
  ~PosixSandbox() {
    if (!root_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(root_, ignored);
    }
  }
  FileSystem& fs() { return fs_; }
  // Empty if the sandbox could not be created.
  const std::string& root() const { return root_; }

 private:
  internal_env::PosixFileSystem fs_;
  std::string root_;
};

// An InMemoryFileSystem with the sandbox directory "/sandbox".
class InMemorySandbox {
 public:
  static constexpr char kName[] = "InMemory";
  InMemorySandbox() {
    if (fs_.CreateDirs("/sandbox").ok()) root_ = "/sandbox";
  }
  FileSystem& fs() { return fs_; }
  const std::string& root() const { return root_; }

 private:
  testing::InMemoryFileSystem fs_;
  std::string root_;
};

template <typename Sandbox>
class FileSystemContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(sandbox_.root().empty()) << "could not create the sandbox";
  }
  FileSystem& fs() { return sandbox_.fs(); }
  std::string Root() const { return sandbox_.root(); }
  // Returns the path of `relative` inside the sandbox.
  std::string Path(std::string_view relative) const {
    return sandbox_.root() + "/" + std::string(relative);
  }
  // Writes `contents` to `relative`, failing the test on error.
  void Write(std::string_view relative, std::string_view contents) {
    const absl::Status s = fs().WriteFileAtomically(Path(relative), contents);
    ASSERT_TRUE(s.ok()) << s;
  }
  // Returns the content of `relative`, or the error text.
  std::string Read(std::string_view relative) {
    absl::StatusOr<std::string> r = fs().ReadFile(Path(relative));
    return r.ok() ? *r : "<error: " + r.status().ToString() + ">";
  }
  std::vector<std::string> List(std::string_view relative = "") {
    absl::StatusOr<std::vector<std::string>> r =
        fs().ListDir(relative.empty() ? Root() : Path(relative));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<std::string>{};
  }

  Sandbox sandbox_;
};

struct SandboxName {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using Implementations = ::testing::Types<PosixSandbox, InMemorySandbox>;
TYPED_TEST_SUITE(FileSystemContractTest, Implementations, SandboxName);

TYPED_TEST(FileSystemContractTest, WriteThenReadReturnsTheSameBytes) {
  const std::string binary("a\0b\xff\n\r\x01", 7);
  this->Write("binary", binary);
  EXPECT_EQ(this->Read("binary"), binary);

  this->Write("empty", "");
  EXPECT_EQ(this->Read("empty"), "");

  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  this->Write("big", big);
  EXPECT_EQ(this->Read("big"), big);
}

TYPED_TEST(FileSystemContractTest, WriteReplacesTheWholeContent) {
  this->Write("f", "old content, long");
  this->Write("f", "new");
  EXPECT_EQ(this->Read("f"), "new");  // No tail of the longer old content.
  this->Write("f", "newer and longer than before");
  EXPECT_EQ(this->Read("f"), "newer and longer than before");
}

TYPED_TEST(FileSystemContractTest, WritesLeaveNoTemporaryFiles) {
  this->Write("f", "1");
  this->Write("f", "22");
  this->Write("g", "333");
  EXPECT_THAT(this->List(), ElementsAre("f", "g"));
}

TYPED_TEST(FileSystemContractTest, FailedWriteOntoDirectoryLeavesNoTrace) {
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("d")).ok());
  const absl::Status s =
      this->fs().WriteFileAtomically(this->Path("d"), "data");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(ReasonOf(s), "PATH_CONFLICT") << s;
  EXPECT_EQ(ValueOf(s), this->Path("d"));
  // Neither the temporary file nor anything else is left behind.
  EXPECT_THAT(this->List(), ElementsAre("d"));
  EXPECT_THAT(this->List("d"), IsEmpty());
}

TYPED_TEST(FileSystemContractTest, WriteIntoMissingDirectoryIsNotFound) {
  const std::string path = this->Path("no/such/dir/f");
  const absl::Status s = this->fs().WriteFileAtomically(path, "data");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(ReasonOf(s), "FILE_NOT_FOUND");
  EXPECT_THAT(MessageOf(s), HasSubstr(QuoteForMessage(path)));
  EXPECT_THAT(this->List(), IsEmpty());
}

TYPED_TEST(FileSystemContractTest, WriteUnderARegularFileFails) {
  this->Write("file", "keep me");
  const std::string path = this->Path("file/child");
  const absl::Status s = this->fs().WriteFileAtomically(path, "data");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ReasonOf(s), "PATH_CONFLICT");
  EXPECT_EQ(ValueOf(s), path);
  EXPECT_THAT(MessageOf(s), HasSubstr(QuoteForMessage(path)));
  EXPECT_THAT(MessageOf(s), HasSubstr("Not a directory"));
  EXPECT_EQ(this->Read("file"), "keep me");
  EXPECT_THAT(this->List(), ElementsAre("file"));
}

TYPED_TEST(FileSystemContractTest, ReadMissingFileIsNotFound) {
  const std::string path = this->Path("missing");
  absl::StatusOr<std::string> r = this->fs().ReadFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(r.status()), "FILE_NOT_FOUND");
  EXPECT_EQ(ValueOf(r.status()), path);
  EXPECT_THAT(MessageOf(r.status()), HasSubstr(QuoteForMessage(path)));
  EXPECT_THAT(MessageOf(r.status()), HasSubstr("No such file or directory"));
}

TYPED_TEST(FileSystemContractTest, EveryOperationOnAMissingPathIsNotFound) {
  const std::string missing = this->Path("missing");
  auto expect_not_found = [](const absl::Status& s) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_EQ(ReasonOf(s), "FILE_NOT_FOUND") << s;
  };
  expect_not_found(this->fs().ReadFile(missing).status());
  expect_not_found(this->fs().FileSize(missing).status());
  expect_not_found(this->fs().DeleteFile(missing));
  expect_not_found(this->fs().ListDir(missing).status());
  expect_not_found(this->fs().RenameFile(missing, this->Path("to")));
  expect_not_found(this->fs().ReadFile(this->Path("a/b/c")).status());
  expect_not_found(this->fs().ReadFile("").status());
  EXPECT_THAT(this->List(), IsEmpty());
}

TYPED_TEST(FileSystemContractTest, FileOperationsOnADirectoryArePathConflicts) {
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("d")).ok());
  const std::string dir = this->Path("d");
  EXPECT_EQ(ReasonOf(this->fs().ReadFile(dir).status()), "PATH_CONFLICT");
  EXPECT_EQ(ReasonOf(this->fs().FileSize(dir).status()), "PATH_CONFLICT");
  EXPECT_EQ(ReasonOf(this->fs().DeleteFile(dir)), "PATH_CONFLICT");
  absl::StatusOr<bool> exists = this->fs().Exists(dir);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_TRUE(*exists);  // Still there.
}

TYPED_TEST(FileSystemContractTest, ListDirOfAFileIsAPathConflict) {
  this->Write("f", "x");
  absl::StatusOr<std::vector<std::string>> r =
      this->fs().ListDir(this->Path("f"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status()), "PATH_CONFLICT");
}

TYPED_TEST(FileSystemContractTest, ExistsForFilesDirectoriesAndMissing) {
  this->Write("f", "x");
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("d")).ok());
  auto exists = [this](std::string_view relative) {
    absl::StatusOr<bool> r = this->fs().Exists(this->Path(relative));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && *r;
  };
  EXPECT_TRUE(exists("f"));
  EXPECT_TRUE(exists("d"));
  EXPECT_FALSE(exists("missing"));
  EXPECT_FALSE(exists("missing/child"));  // Missing parent.
  EXPECT_FALSE(exists("f/child"));        // Parent is a regular file.
  absl::StatusOr<bool> root = this->fs().Exists(this->Root());
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(*root);
}

TYPED_TEST(FileSystemContractTest, CreateDirsCreatesNestedDirectories) {
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("a/b/c")).ok());
  EXPECT_THAT(this->List(), ElementsAre("a"));
  EXPECT_THAT(this->List("a"), ElementsAre("b"));
  EXPECT_THAT(this->List("a/b"), ElementsAre("c"));
  EXPECT_THAT(this->List("a/b/c"), IsEmpty());
  this->Write("a/b/c/f", "deep");
  EXPECT_EQ(this->Read("a/b/c/f"), "deep");
}

TYPED_TEST(FileSystemContractTest, CreateDirsIsIdempotent) {
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("a/b")).ok());
  this->Write("a/b/f", "kept");
  EXPECT_TRUE(this->fs().CreateDirs(this->Path("a/b")).ok());
  EXPECT_TRUE(this->fs().CreateDirs(this->Path("a")).ok());
  EXPECT_TRUE(this->fs().CreateDirs(this->Path("a//b/")).ok());
  EXPECT_TRUE(this->fs().CreateDirs(this->Root()).ok());
  EXPECT_EQ(this->Read("a/b/f"), "kept");
  EXPECT_THAT(this->List("a/b"), ElementsAre("f"));
}

TYPED_TEST(FileSystemContractTest, CreateDirsThroughARegularFileFails) {
  this->Write("f", "x");
  const absl::Status under = this->fs().CreateDirs(this->Path("f/sub/dir"));
  EXPECT_EQ(under.code(), absl::StatusCode::kFailedPrecondition) << under;
  EXPECT_EQ(ReasonOf(under), "PATH_CONFLICT");
  const absl::Status at = this->fs().CreateDirs(this->Path("f"));
  EXPECT_EQ(at.code(), absl::StatusCode::kFailedPrecondition) << at;
  EXPECT_EQ(ReasonOf(at), "PATH_CONFLICT");
  EXPECT_EQ(this->Read("f"), "x");
}

TYPED_TEST(FileSystemContractTest, CreateDirsOfEmptyPathIsNotFound) {
  EXPECT_EQ(this->fs().CreateDirs("").code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(FileSystemContractTest, ListDirReturnsSortedNamesOnly) {
  for (std::string_view name : {"b", "a.txt", "C", "a", "_x", "a-b"}) {
    this->Write(name, "x");
  }
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("dir/inner")).ok());
  this->Write("dir/inner/f", "x");
  // Byte order; names only; not recursive; no "." or "..".
  EXPECT_THAT(this->List(),
              ElementsAre("C", "_x", "a", "a-b", "a.txt", "b", "dir"));
  EXPECT_THAT(this->List("dir"), ElementsAre("inner"));
}

TYPED_TEST(FileSystemContractTest, FileSizeReturnsTheByteCount) {
  this->Write("empty", "");
  this->Write("f", std::string(12345, 'x'));
  absl::StatusOr<uint64_t> empty = this->fs().FileSize(this->Path("empty"));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, 0u);
  absl::StatusOr<uint64_t> size = this->fs().FileSize(this->Path("f"));
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 12345u);
}

TYPED_TEST(FileSystemContractTest, DeleteFileRemovesIt) {
  this->Write("f", "x");
  this->Write("g", "y");
  ASSERT_TRUE(this->fs().DeleteFile(this->Path("f")).ok());
  absl::StatusOr<bool> exists = this->fs().Exists(this->Path("f"));
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
  EXPECT_THAT(this->List(), ElementsAre("g"));
  const absl::Status again = this->fs().DeleteFile(this->Path("f"));
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound) << again;
  EXPECT_EQ(ReasonOf(again), "FILE_NOT_FOUND");
}

TYPED_TEST(FileSystemContractTest, RenameFileMovesAndReplaces) {
  this->Write("from", "new");
  this->Write("to", "old");
  ASSERT_TRUE(this->fs().RenameFile(this->Path("from"), this->Path("to")).ok());
  EXPECT_EQ(this->Read("to"), "new");
  EXPECT_THAT(this->List(), ElementsAre("to"));

  // Into another directory, to a new name.
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("d")).ok());
  ASSERT_TRUE(this->fs().RenameFile(this->Path("to"), this->Path("d/x")).ok());
  EXPECT_EQ(this->Read("d/x"), "new");
  EXPECT_THAT(this->List(), ElementsAre("d"));
}

TYPED_TEST(FileSystemContractTest, RenameFileMovesADirectoryTree) {
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("src/sub")).ok());
  this->Write("src/sub/f", "payload");
  this->Write("src/g", "g");
  ASSERT_TRUE(this->fs().RenameFile(this->Path("src"), this->Path("dst")).ok());
  EXPECT_THAT(this->List(), ElementsAre("dst"));
  EXPECT_THAT(this->List("dst"), ElementsAre("g", "sub"));
  EXPECT_EQ(this->Read("dst/sub/f"), "payload");
}

TYPED_TEST(FileSystemContractTest, RenameFileOntoADirectoryFails) {
  this->Write("f", "x");
  ASSERT_TRUE(this->fs().CreateDirs(this->Path("d")).ok());
  const absl::Status s =
      this->fs().RenameFile(this->Path("f"), this->Path("d"));
  EXPECT_EQ(ReasonOf(s), "PATH_CONFLICT") << s;
  EXPECT_THAT(MessageOf(s), HasSubstr(QuoteForMessage(this->Path("d"))));
  EXPECT_EQ(this->Read("f"), "x");
}

TYPED_TEST(FileSystemContractTest, ConcurrentReplacesNeverShowAMix) {
  // Two writers replace one file with uniform contents of different letters
  // while a reader checks that every read is entirely one or the other.
  constexpr int kRounds = 40;
  const std::string a(64 * 1024, 'a');
  const std::string b(64 * 1024, 'b');
  this->Write("shared", a);
  auto writer = [this](const std::string& contents) {
    for (int i = 0; i < kRounds; ++i) {
      const absl::Status s =
          this->fs().WriteFileAtomically(this->Path("shared"), contents);
      ASSERT_TRUE(s.ok()) << s;
    }
  };
  std::thread wa(writer, a);
  std::thread wb(writer, b);
  for (int i = 0; i < 2 * kRounds; ++i) {
    absl::StatusOr<std::string> r = this->fs().ReadFile(this->Path("shared"));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(*r == a || *r == b)
        << "mixed read of " << r->size() << " bytes";
  }
  wa.join();
  wb.join();
  EXPECT_THAT(this->List(), ElementsAre("shared"));
}

TYPED_TEST(FileSystemContractTest, ConcurrentWritersToDistinctFiles) {
  constexpr int kThreads = 4;
  constexpr int kFiles = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kFiles; ++i) {
        const std::string name =
            "t" + std::to_string(t) + "_" + std::to_string(i);
        const absl::Status s =
            this->fs().WriteFileAtomically(this->Path(name), name);
        ASSERT_TRUE(s.ok()) << s;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(this->List().size(), static_cast<size_t>(kThreads * kFiles));
  EXPECT_EQ(this->Read("t3_7"), "t3_7");
}

}  // namespace
}  // namespace slipway
