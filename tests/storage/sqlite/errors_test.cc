// The one mapping from SQLite result codes to slipway statuses.
#include "src/storage/sqlite/errors.h"

#include <sqlite3.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::ReasonOf;
using ::testing::HasSubstr;

struct Case {
  int rc;
  absl::StatusCode code;
  const char* reason;
};

TEST(StorageSqliteErrorsTest, EveryResultCodeMapsAsDocumented) {
  const Case cases[] = {
      {SQLITE_FULL, absl::StatusCode::kResourceExhausted, "DISK_FULL"},
      {SQLITE_CORRUPT, absl::StatusCode::kDataLoss, "STORE_CORRUPT"},
      {SQLITE_CORRUPT_INDEX, absl::StatusCode::kDataLoss, "STORE_CORRUPT"},
      {SQLITE_NOTADB, absl::StatusCode::kDataLoss, "STORE_CORRUPT"},
      {SQLITE_BUSY, absl::StatusCode::kUnavailable, "STORE_BUSY"},
      {SQLITE_BUSY_SNAPSHOT, absl::StatusCode::kUnavailable, "STORE_BUSY"},
      {SQLITE_LOCKED, absl::StatusCode::kUnavailable, "STORE_BUSY"},
      {SQLITE_CONSTRAINT_UNIQUE, absl::StatusCode::kAlreadyExists,
       "STORE_DUPLICATE_KEY"},
      {SQLITE_CONSTRAINT_PRIMARYKEY, absl::StatusCode::kAlreadyExists,
       "STORE_DUPLICATE_KEY"},
      {SQLITE_CONSTRAINT_FOREIGNKEY, absl::StatusCode::kFailedPrecondition,
       "STORE_MISSING_REFERENCE"},
      {SQLITE_CONSTRAINT_NOTNULL, absl::StatusCode::kInternal,
       "STORE_CONSTRAINT"},
      {SQLITE_CONSTRAINT_CHECK, absl::StatusCode::kInternal,
       "STORE_CONSTRAINT"},
      {SQLITE_READONLY, absl::StatusCode::kPermissionDenied, "STORE_READ_ONLY"},
      {SQLITE_READONLY_DBMOVED, absl::StatusCode::kPermissionDenied,
       "STORE_READ_ONLY"},
      {SQLITE_PERM, absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED"},
      // Without a connection there is no OS error to refine CANTOPEN.
      {SQLITE_CANTOPEN, absl::StatusCode::kInternal, "IO_ERROR"},
      {SQLITE_IOERR_WRITE, absl::StatusCode::kInternal, "IO_ERROR"},
      {SQLITE_IOERR_FSYNC, absl::StatusCode::kInternal, "IO_ERROR"},
      {SQLITE_NOMEM, absl::StatusCode::kResourceExhausted, "OUT_OF_MEMORY"},
      {SQLITE_TOOBIG, absl::StatusCode::kResourceExhausted,
       "STORE_VALUE_TOO_BIG"},
      {SQLITE_ERROR, absl::StatusCode::kInternal, "STORE_ERROR"},
      {SQLITE_MISUSE, absl::StatusCode::kInternal, "STORE_ERROR"},
      {SQLITE_RANGE, absl::StatusCode::kInternal, "STORE_ERROR"},
  };
  for (const Case& c : cases) {
    absl::Status status = SqliteError(nullptr, c.rc, "step", "/data/s.db");
    EXPECT_EQ(status.code(), c.code) << SqliteCodeName(c.rc) << " " << c.rc;
    EXPECT_EQ(ReasonOf(status), c.reason) << SqliteCodeName(c.rc);
    EXPECT_THAT(MessageOf(status), HasSubstr("\"/data/s.db\""));
    EXPECT_THAT(MessageOf(status), HasSubstr(SqliteCodeName(c.rc)));
    EXPECT_THAT(MessageOf(status),
                HasSubstr("extended code " + std::to_string(c.rc)));
    EXPECT_EQ(GetErrorDetail(status)->value, "/data/s.db");
  }
}

TEST(StorageSqliteErrorsTest, SuccessCodeIsReportedAsABug) {
  absl::Status status = SqliteError(nullptr, SQLITE_DONE, "step", "x.db");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(MessageOf(status), HasSubstr("slipway bug"));
}

TEST(StorageSqliteErrorsTest, BusyCodesAreRecognisedWithExtendedCodes) {
  EXPECT_TRUE(IsBusy(SQLITE_BUSY));
  EXPECT_TRUE(IsBusy(SQLITE_BUSY_RECOVERY));
  EXPECT_TRUE(IsBusy(SQLITE_BUSY_SNAPSHOT));
  EXPECT_TRUE(IsBusy(SQLITE_LOCKED_SHAREDCACHE));
  EXPECT_FALSE(IsBusy(SQLITE_FULL));
  EXPECT_FALSE(IsBusy(SQLITE_OK));
}

TEST(StorageSqliteErrorsTest, StoreBusyErrorSaysWhatToDo) {
  absl::Status status =
      StoreBusyError("/data/s.db", "BEGIN IMMEDIATE", absl::Seconds(30), 312);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(status), "STORE_BUSY");
  EXPECT_THAT(MessageOf(status), HasSubstr("\"/data/s.db\""));
  EXPECT_THAT(MessageOf(status), HasSubstr("30s"));
  EXPECT_THAT(MessageOf(status), HasSubstr("312 attempts"));
  EXPECT_THAT(MessageOf(status), HasSubstr("busy_deadline"));
  EXPECT_THAT(MessageOf(status), ::testing::Not(HasSubstr("locked")))
      << "never the raw \"database is locked\"";
}

}  // namespace
}  // namespace slipway::internal_storage
