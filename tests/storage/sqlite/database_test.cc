// Database: opening files and memory, connection settings, open errors,
// read-only stores and fork safety.
#include "src/storage/sqlite/database.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/testing/fake_clock.h"
#include "src/storage/sqlite/statement.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::RawConnection;
using ::slipway::storage_test::ReasonOf;
using ::slipway::storage_test::TempDir;
using ::testing::HasSubstr;

// Returns the first column of `sql`'s first row as text, read inside a write
// transaction (some PRAGMA queries count as writes to SQLite).
std::string QueryText(Database& db, const std::string& sql) {
  std::string out;
  absl::Status status = db.RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row) out = std::string(stmt->ColumnText(0));
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

absl::Status Exec(Database& db, const std::string& sql) {
  return db.RunInTransaction([&](Transaction& tx) { return tx.Execute(sql); });
}

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Database>> OpenFile(
      const std::string& name, DatabaseOptions options = {}) {
    return Database::Open(dir_.File(name), options, &clock_);
  }

  TempDir dir_;
  testing::FakeClock clock_;
};

TEST_F(SqliteDatabaseTest, OpensAPrivateInMemoryDatabase) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(Database::kMemory, {}, &clock_);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE((*db)->is_memory());
  ASSERT_TRUE(
      Exec(**db, "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (7)").ok());
  EXPECT_EQ(QueryText(**db, "SELECT x FROM t"), "7");
  EXPECT_EQ(QueryText(**db, "PRAGMA journal_mode"), "memory");
  EXPECT_EQ(QueryText(**db, "PRAGMA foreign_keys"), "1");

  // A second :memory: database is a different, empty one.
  absl::StatusOr<std::unique_ptr<Database>> other =
      Database::Open(Database::kMemory, {}, &clock_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(QueryText(**other, "SELECT count(*) FROM sqlite_schema"), "0");
}

TEST_F(SqliteDatabaseTest, CreatesAFileWithWalAndTheConnectionSettings) {
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(std::filesystem::exists(dir_.File("s.db")));
  EXPECT_EQ((*db)->path(), dir_.File("s.db"));
  EXPECT_EQ(QueryText(**db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(**db, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(QueryText(**db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(QueryText(**db, "PRAGMA busy_timeout"), "0");
  // WAL is a property of the file: another connection sees it.
  RawConnection raw(dir_.File("s.db"));
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteDatabaseTest, NewFilesUse16KiBPages) {
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(Exec(**db, "CREATE TABLE t(x INTEGER)").ok());
  EXPECT_EQ(QueryText(**db, "PRAGMA page_size"), "16384");
  EXPECT_EQ(QueryText(**db, "PRAGMA wal_autocheckpoint"), "1000");
}

TEST_F(SqliteDatabaseTest, AnExistingFileKeepsItsPageSize) {
  {
    RawConnection raw(dir_.File("s.db"));
    ASSERT_EQ(raw.Exec("PRAGMA page_size=4096; CREATE TABLE t(x INTEGER)"),
              SQLITE_OK);
  }
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(QueryText(**db, "PRAGMA page_size"), "4096");
}

TEST_F(SqliteDatabaseTest, BackgroundCheckpointsLeaveTheWalToTheOwner) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenFile("s.db", DatabaseOptions{.background_checkpoints = true});
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(QueryText(**db, "PRAGMA wal_autocheckpoint"), "0");
  ASSERT_TRUE(Exec(**db, "CREATE TABLE t(b BLOB)").ok());
  // 24 MiB in one commit: far past the 1,000 pages at which a commit would
  // otherwise checkpoint.
  ASSERT_TRUE(Exec(**db,
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                   "FROM n WHERE i < 24) "
                   "INSERT INTO t SELECT randomblob(1048576) FROM n")
                  .ok());
  const int64_t pages = (*db)->wal_pages();
  EXPECT_GE(pages, 1500);
  const std::string wal = dir_.File("s.db") + "-wal";
  EXPECT_GE(std::filesystem::file_size(wal), 24u << 20);

  // Below the threshold: nothing happens.
  ASSERT_TRUE((*db)->CheckpointIfLarge(pages + 1).ok());
  EXPECT_EQ((*db)->wal_pages(), pages);
  // At it: the pages are copied and the next commit starts the WAL over.
  ASSERT_TRUE((*db)->CheckpointIfLarge(1000).ok());
  EXPECT_EQ((*db)->wal_pages(), 0);
  ASSERT_TRUE(Exec(**db, "INSERT INTO t VALUES (x'01')").ok());
  EXPECT_LT((*db)->wal_pages(), 10);
  EXPECT_EQ(QueryText(**db, "SELECT count(*) FROM t"), "25");
  // The data is in the database file itself now.
  RawConnection raw(dir_.File("s.db"));
  EXPECT_EQ(raw.Query("SELECT count(*) FROM t"), "25");
}

TEST_F(SqliteDatabaseTest, WithoutBackgroundCheckpointsCheckpointIfLargeDoesNothing) {
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(Exec(**db, "CREATE TABLE t(x INTEGER)").ok());
  EXPECT_TRUE((*db)->CheckpointIfLarge(0).ok());
  EXPECT_EQ((*db)->wal_pages(), 0);
}

TEST_F(SqliteDatabaseTest, FullSyncUsesSynchronousFull) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenFile("s.db", DatabaseOptions{.full_sync = true});
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(QueryText(**db, "PRAGMA synchronous"), "2");  // FULL
}

TEST_F(SqliteDatabaseTest, DataSurvivesCloseAndReopen) {
  {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(
        Exec(**db, "CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('kept')")
            .ok());
  }
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(QueryText(**db, "SELECT x FROM t"), "kept");
}

TEST_F(SqliteDatabaseTest, EmptyPathIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open("", {}, &clock_);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(db.status()), "PATH_INVALID");
}

TEST_F(SqliteDatabaseTest, MissingDirectoryIsNotFoundNamingThePath) {
  const std::string path = dir_.File("no/such/dir/s.db");
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(path, {}, &clock_);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound) << db.status();
  EXPECT_EQ(ReasonOf(db.status()), "FILE_NOT_FOUND");
  EXPECT_THAT(MessageOf(db.status()), HasSubstr(path));
  EXPECT_THAT(MessageOf(db.status()), HasSubstr("SQLITE_CANTOPEN"));
}

TEST_F(SqliteDatabaseTest, DirectoryIsPathConflict) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(dir_.path(), {}, &clock_);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition)
      << db.status();
  EXPECT_EQ(ReasonOf(db.status()), "PATH_CONFLICT");
}

TEST_F(SqliteDatabaseTest, FileThatIsNotADatabaseIsDataLoss) {
  {
    std::ofstream out(dir_.File("notes.txt"));
    for (int i = 0; i < 200; ++i) out << "these are not the pages you want\n";
  }
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("notes.txt");
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  EXPECT_EQ(ReasonOf(db.status()), "STORE_CORRUPT");
  EXPECT_THAT(MessageOf(db.status()), HasSubstr(dir_.File("notes.txt")));
  EXPECT_THAT(MessageOf(db.status()), HasSubstr("SQLITE_NOTADB"));
  // Read-only opening notices too (at open, not at first use).
  absl::StatusOr<std::unique_ptr<Database>> ro =
      OpenFile("notes.txt", DatabaseOptions{.read_only = true});
  EXPECT_EQ(ro.status().code(), absl::StatusCode::kDataLoss) << ro.status();
}

// Root ignores file modes, so a read-only *file* cannot be simulated with
// chmod here; SQLITE_OPEN_READONLY (DatabaseOptions::read_only) produces the
// same SQLITE_READONLY result from SQLite as a read-only file would.
TEST_F(SqliteDatabaseTest, ReadOnlyStoreRefusesWritesAndServesReads) {
  {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(
        Exec(**db, "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1)").ok());
  }
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenFile("s.db", DatabaseOptions{.read_only = true});
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status write = Exec(**db, "INSERT INTO t VALUES (2)");
  EXPECT_EQ(write.code(), absl::StatusCode::kPermissionDenied) << write;
  EXPECT_EQ(ReasonOf(write), "STORE_READ_ONLY");
  EXPECT_THAT(MessageOf(write), HasSubstr(dir_.File("s.db")));

  int64_t count = -1;
  absl::Status read = (*db)->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare("SELECT count(*) FROM t");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    count = stmt->ColumnInt64(0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  EXPECT_EQ(count, 1);
}

TEST_F(SqliteDatabaseTest, ReadOnlyOpenOfAMissingFileIsNotFound) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenFile("missing.db", DatabaseOptions{.read_only = true});
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound) << db.status();
  EXPECT_FALSE(std::filesystem::exists(dir_.File("missing.db")));
}

TEST_F(SqliteDatabaseTest, ForkedChildGetsStoreForkedAndParentCarriesOn) {
  absl::StatusOr<std::unique_ptr<Database>> db = OpenFile("s.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(Exec(**db, "CREATE TABLE t(x INTEGER)").ok());

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No gtest assertions in the child: report through the exit code.
    absl::Status write = Exec(**db, "INSERT INTO t VALUES (1)");
    absl::Status read = (*db)->RunReadTransaction(
        [](Transaction&) { return absl::OkStatus(); });
    int code = 0;
    if (write.code() != absl::StatusCode::kFailedPrecondition ||
        ReasonOf(write) != "STORE_FORKED") {
      code |= 1;
    }
    if (ReasonOf(read) != "STORE_FORKED") code |= 2;
    // The destructor must leak, not close, the inherited connection.
    db->reset();
    // And a fresh Database in the child works.
    absl::StatusOr<std::unique_ptr<Database>> own =
        Database::Open(dir_.File("s.db"), {}, nullptr);
    if (!own.ok() || !Exec(**own, "INSERT INTO t VALUES (2)").ok()) code |= 4;
    ::_exit(code);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0)
      << "bit 1: write not STORE_FORKED; 2: read not STORE_FORKED; "
         "4: the child's own connection failed";
  // The parent's connection is unharmed by the child.
  ASSERT_TRUE(Exec(**db, "INSERT INTO t VALUES (3)").ok());
  EXPECT_EQ(QueryText(**db, "SELECT group_concat(x) FROM t ORDER BY x"), "2,3");
  EXPECT_EQ(QueryText(**db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace slipway::internal_storage
