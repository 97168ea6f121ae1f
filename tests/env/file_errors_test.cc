#include "src/env/file_errors.h"

#include <cerrno>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/env/status_util.h"

namespace slipway::internal_env {
namespace {

using ::slipway::env_test::MessageOf;
using ::slipway::env_test::ReasonOf;
using ::testing::HasSubstr;

// The suite name contains "FileSystem" so that the module's ctest filter
// (-R 'Env|Clock|Time|FileSystem|Id') selects it.
TEST(FileSystemErrorsTest, MapsErrnoToCodeAndReason) {
  struct Case {
    int error_number;
    absl::StatusCode code;
    const char* reason;
  };
  for (const Case& c : {
           Case{ENOENT, absl::StatusCode::kNotFound, "FILE_NOT_FOUND"},
           Case{ENOSPC, absl::StatusCode::kResourceExhausted, "DISK_FULL"},
           Case{EDQUOT, absl::StatusCode::kResourceExhausted, "DISK_FULL"},
           Case{EMFILE, absl::StatusCode::kResourceExhausted,
                "TOO_MANY_OPEN_FILES"},
           Case{ENFILE, absl::StatusCode::kResourceExhausted,
                "TOO_MANY_OPEN_FILES"},
           Case{EACCES, absl::StatusCode::kPermissionDenied,
                "PERMISSION_DENIED"},
           Case{EPERM, absl::StatusCode::kPermissionDenied,
                "PERMISSION_DENIED"},
           Case{EROFS, absl::StatusCode::kPermissionDenied,
                "PERMISSION_DENIED"},
           Case{EIO, absl::StatusCode::kInternal, "IO_ERROR"},
           Case{ENOTDIR, absl::StatusCode::kFailedPrecondition, "PATH_CONFLICT"},
           Case{EISDIR, absl::StatusCode::kFailedPrecondition, "PATH_CONFLICT"},
           Case{ENAMETOOLONG, absl::StatusCode::kInvalidArgument, "PATH_INVALID"},
           Case{0, absl::StatusCode::kInternal, "IO_ERROR"},
       }) {
    const absl::Status s = FileError(c.error_number, "open", "/data/f");
    EXPECT_EQ(s.code(), c.code) << c.error_number;
    EXPECT_EQ(ReasonOf(s), c.reason) << c.error_number;
  }
}

TEST(FileSystemErrorsTest, MessageNamesCallPathAndOsError) {
  const absl::Status s =
      FileError(ENOSPC, "write", "/data/run \"1\"", " (via \"tmp\")");
  EXPECT_EQ(MessageOf(s),
            "write failed for \"/data/run \\\"1\\\"\" (via \"tmp\"): "
            "No space left on device (ENOSPC)");
}

TEST(FileSystemErrorsTest, DetailCarriesPathRuleAndFix) {
  const absl::Status s = FileError(ENOENT, "open", "/data/missing");
  std::optional<ErrorDetail> detail = GetErrorDetail(s);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->reason, "FILE_NOT_FOUND");
  EXPECT_EQ(detail->value, "/data/missing");
  EXPECT_EQ(detail->rule, "open(2) -> ENOENT");
  EXPECT_FALSE(detail->fix.empty());
}

TEST(FileSystemErrorsTest, ErrnoTextAndName) {
  EXPECT_EQ(ErrnoText(ENOENT), "No such file or directory");
  EXPECT_EQ(ErrnoName(ENOENT), "ENOENT");
  EXPECT_THAT(ErrnoName(99999), HasSubstr("99999"));
}

}  // namespace
}  // namespace slipway::internal_env
