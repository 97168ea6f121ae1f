// PosixFileSystem cases beyond the shared contract
// (file_system_contract_test.cc): permissions, the temporary-file protocol
// and OS-specific messages.
#include "src/env/posix_file_system.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/env/status_util.h"

namespace slipway::internal_env {
namespace {

using ::slipway::env_test::MessageOf;
using ::slipway::env_test::ReasonOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/slipway_posix_fs_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    if (root_.empty()) return;
    // Give back write permission first so a read-only test dir can go.
    std::error_code ignored;
    std::filesystem::permissions(root_ + "/ro",
                                 std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(root_, ignored);
  }
  std::string Path(const std::string& relative) const {
    return root_ + "/" + relative;
  }

  PosixFileSystem fs_;
  std::string root_;
};

TEST_F(PosixFileSystemTest, WriteIntoReadOnlyDirectoryIsPermissionDenied) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions; the EACCES mapping "
                    "is covered by FileSystemErrorsTest";
  }
  ASSERT_TRUE(fs_.CreateDirs(Path("ro")).ok());
  ASSERT_EQ(::chmod(Path("ro").c_str(), 0555), 0);
  const absl::Status s = fs_.WriteFileAtomically(Path("ro/f"), "data");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ReasonOf(s), "PERMISSION_DENIED");
  EXPECT_THAT(MessageOf(s), HasSubstr("Permission denied"));
}

TEST_F(PosixFileSystemTest, ErrorMessagesNameThePathAndTheOsError) {
  absl::StatusOr<std::string> r = fs_.ReadFile(Path("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(MessageOf(r.status()),
            absl::StrCat("open failed for ", QuoteForMessage(Path("missing")),
                         ": No such file or directory (ENOENT)"));
}

TEST_F(PosixFileSystemTest, WrittenFileIsVisibleToOtherReaders) {
  ASSERT_TRUE(fs_.WriteFileAtomically(Path("f"), "hello").ok());
  std::ifstream in(Path("f"), std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "hello");
}

TEST_F(PosixFileSystemTest, StaleTemporaryFileDoesNotBlockWrites) {
  // A crashed writer with this pid could have left the first temporary name
  // behind; O_EXCL makes the next write pick another name instead.
  const std::string stale = Path(absl::StrCat(".f.tmp-", ::getpid(), "-0"));
  {
    std::ofstream out(stale);
    out << "stale";
  }
  ASSERT_TRUE(fs_.WriteFileAtomically(Path("f"), "fresh").ok());
  absl::StatusOr<std::string> r = fs_.ReadFile(Path("f"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "fresh");
  absl::StatusOr<std::string> left = fs_.ReadFile(stale);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, "stale");  // Not ours to delete.
}

TEST_F(PosixFileSystemTest, LongFileNamesStillGetATemporaryName) {
  const std::string name(250, 'n');  // Near NAME_MAX (255).
  ASSERT_TRUE(fs_.WriteFileAtomically(Path(name), "x").ok());
  absl::StatusOr<std::vector<std::string>> list = fs_.ListDir(root_);
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(name));
}

TEST_F(PosixFileSystemTest, ReadFileFollowsGrowth) {
  // The size from fstat is only a hint: /proc files report 0 bytes.
  absl::StatusOr<std::string> r = fs_.ReadFile("/proc/self/status");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, HasSubstr("Pid:"));
}

TEST_F(PosixFileSystemTest, CreateDirsAcceptsAbsoluteAndRepeatedSlashes) {
  ASSERT_TRUE(fs_.CreateDirs(root_ + "//x///y/").ok());
  struct stat st;
  ASSERT_EQ(::stat(Path("x/y").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(fs_.CreateDirs("/").ok());
}

TEST_F(PosixFileSystemTest, ExistsThroughAnUnreadableParentIsAnError) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions";
  }
  ASSERT_TRUE(fs_.CreateDirs(Path("ro/inner")).ok());
  ASSERT_EQ(::chmod(Path("ro").c_str(), 0), 0);
  absl::StatusOr<bool> r = fs_.Exists(Path("ro/inner"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace slipway::internal_env
