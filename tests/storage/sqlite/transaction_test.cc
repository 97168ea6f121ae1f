// Transactions: commit, rollback on an error status, error mapping of
// statements, busy retry driven by a fake clock against a real second
// connection, disk full, nesting and threads.
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/env.h"
#include "slipway/status.h"
#include "slipway/testing/fake_clock.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/statement.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::RawConnection;
using ::slipway::storage_test::ReasonOf;
using ::slipway::storage_test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// A FakeClock that runs `hook` on its `fire_at`-th SleepFor: "while the
// retry loop waits, the other process lets go".
class HookClock final : public Clock {
 public:
  HookClock(int fire_at, std::function<void()> hook)
      : fire_at_(fire_at), hook_(std::move(hook)) {}
  absl::Time Now() const override { return fake_.Now(); }
  void SleepFor(absl::Duration d) override {
    fake_.SleepFor(d);
    if (++sleeps_ == fire_at_) hook_();
  }
  int sleeps() const { return sleeps_; }
  absl::Duration Elapsed() const {
    return fake_.Now() - testing::FakeClock::DefaultStart();
  }

 private:
  testing::FakeClock fake_;
  int fire_at_;
  std::function<void()> hook_;
  int sleeps_ = 0;
};

int64_t CountRows(Database& db, const std::string& table = "t") {
  int64_t count = -1;
  absl::Status status = db.RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt =
        tx.Prepare("SELECT count(*) FROM " + table);
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    count = stmt->ColumnInt64(0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return count;
}

absl::Status Insert(Transaction& tx, int64_t x) {
  absl::StatusOr<Statement> stmt = tx.Prepare("INSERT INTO t(x) VALUES (?1)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt64(1, x);
  return stmt->Run();
}

class SqliteTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = OpenWith(&clock_); }

  std::unique_ptr<Database> OpenWith(Clock* clock) {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(path_, {}, clock);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return nullptr;
    EXPECT_TRUE((*db)
                    ->RunInTransaction([](Transaction& tx) {
                      return tx.Execute(
                          "CREATE TABLE IF NOT EXISTS t(x INTEGER PRIMARY "
                          "KEY) STRICT;"
                          "CREATE TABLE IF NOT EXISTS big(b BLOB) STRICT;"
                          "CREATE TABLE IF NOT EXISTS parent(id INTEGER "
                          "PRIMARY KEY) STRICT;"
                          "CREATE TABLE IF NOT EXISTS child(id INTEGER "
                          "REFERENCES parent(id)) STRICT");
                    })
                    .ok());
    return std::move(*db);
  }

  TempDir dir_;
  const std::string path_ = dir_.File("s.db");
  testing::FakeClock clock_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteTransactionTest, CommitIsVisibleToAnotherConnection) {
  ASSERT_TRUE(db_->RunInTransaction([](Transaction& tx) {
                   absl::Status s = Insert(tx, 1);
                   if (!s.ok()) return s;
                   EXPECT_TRUE(tx.is_write());
                   EXPECT_EQ(tx.Changes(), 1);
                   EXPECT_EQ(tx.LastInsertRowId(), 1);
                   return Insert(tx, 2);
                 })
                  .ok());
  RawConnection other(path_);
  EXPECT_EQ(other.Query("SELECT count(*) FROM t"), "2");
}

TEST_F(SqliteTransactionTest, ErrorStatusRollsBackAndIsReturnedUnchanged) {
  const absl::Status refusal = MakeError(
      absl::StatusCode::kFailedPrecondition, "gate refused",
      ErrorDetail{
          .reason = "GATE_REFUSED", .rule = "", .value = "", .fix = ""});
  int runs = 0;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    ++runs;
    absl::Status s = Insert(tx, 1);
    if (!s.ok()) return s;
    return refusal;
  });
  EXPECT_EQ(status, refusal);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(CountRows(*db_), 0);
  // The connection is ready for the next transaction.
  EXPECT_TRUE(
      db_->RunInTransaction([](Transaction& tx) { return Insert(tx, 1); })
          .ok());
  EXPECT_EQ(CountRows(*db_), 1);
}

TEST_F(SqliteTransactionTest, DuplicateKeyIsAlreadyExistsAndRollsBack) {
  ASSERT_TRUE(
      db_->RunInTransaction([](Transaction& tx) { return Insert(tx, 1); })
          .ok());
  absl::Status status = db_->RunInTransaction([](Transaction& tx) {
    absl::Status s = Insert(tx, 2);
    if (!s.ok()) return s;
    return Insert(tx, 1);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(ReasonOf(status), "STORE_DUPLICATE_KEY");
  EXPECT_THAT(MessageOf(status), HasSubstr(path_));
  EXPECT_THAT(MessageOf(status), HasSubstr("INSERT INTO t"));
  EXPECT_EQ(CountRows(*db_), 1);
}

TEST_F(SqliteTransactionTest, ForeignKeysAreEnforced) {
  absl::Status status = db_->RunInTransaction([](Transaction& tx) {
    return tx.Execute("INSERT INTO child(id) VALUES (42)");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ReasonOf(status), "STORE_MISSING_REFERENCE");
}

TEST_F(SqliteTransactionTest, NestedTransactionIsRefusedNotDeadlocked) {
  absl::Status inner;
  ASSERT_TRUE(db_->RunInTransaction([&](Transaction&) {
                   inner = db_->RunReadTransaction(
                       [](Transaction&) { return absl::OkStatus(); });
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(inner.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(inner), "NESTED_TRANSACTION");
}

TEST_F(SqliteTransactionTest, BodyThatSwallowsARolledBackErrorIsReported) {
  absl::Status status = db_->RunInTransaction([](Transaction& tx) {
    absl::Status ignored = tx.Execute("ROLLBACK");
    EXPECT_TRUE(ignored.ok()) << ignored;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(status), "TRANSACTION_ENDED_BY_BODY");
}

TEST_F(SqliteTransactionTest, WriterHeldPastTheDeadlineIsUnavailable) {
  RawConnection other(path_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(other.Exec("INSERT INTO t(x) VALUES (100)"), SQLITE_OK);

  int runs = 0;
  const auto real_start = std::chrono::steady_clock::now();
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    ++runs;
    return Insert(tx, 1);
  });
  const auto real_elapsed = std::chrono::steady_clock::now() - real_start;

  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(ReasonOf(status), "STORE_BUSY");
  EXPECT_THAT(MessageOf(status), HasSubstr(path_));
  EXPECT_THAT(MessageOf(status), HasSubstr("BEGIN IMMEDIATE"));
  EXPECT_THAT(MessageOf(status), Not(HasSubstr("database is locked")));
  EXPECT_EQ(runs, 0);
  // The whole 30 s deadline passed on the fake clock, none of it for real.
  EXPECT_EQ(clock_.Now() - testing::FakeClock::DefaultStart(),
            absl::Seconds(30));
  EXPECT_LT(real_elapsed, std::chrono::seconds(5));

  // Once the other writer is gone, writing works again.
  ASSERT_EQ(other.Exec("ROLLBACK"), SQLITE_OK);
  EXPECT_TRUE(
      db_->RunInTransaction([](Transaction& tx) { return Insert(tx, 1); })
          .ok());
}

TEST_F(SqliteTransactionTest, LockReleasedDuringTheRetriesThenTheWriteCommits) {
  RawConnection other(path_);
  HookClock clock(/*fire_at=*/5,
                  [&] { EXPECT_EQ(other.Exec("COMMIT"), SQLITE_OK); });
  std::unique_ptr<Database> db = OpenWith(&clock);
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(clock.sleeps(), 0);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(other.Exec("INSERT INTO t(x) VALUES (100)"), SQLITE_OK);

  int runs = 0;
  absl::Status status = db->RunInTransaction([&](Transaction& tx) {
    ++runs;
    return Insert(tx, 1);
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(clock.sleeps(), 5);
  EXPECT_LT(clock.Elapsed(), absl::Seconds(1));
  EXPECT_EQ(CountRows(*db), 2);
}

TEST_F(SqliteTransactionTest, ZeroDeadlineMakesExactlyOneAttempt) {
  RawConnection other(path_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(
      path_, DatabaseOptions{.busy_deadline = absl::ZeroDuration()}, &clock_);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status status =
      (*db)->RunInTransaction([](Transaction& tx) { return Insert(tx, 1); });
  EXPECT_EQ(ReasonOf(status), "STORE_BUSY");
  EXPECT_THAT(MessageOf(status), HasSubstr("(1 attempts)"));
  EXPECT_EQ(clock_.Now(), testing::FakeClock::DefaultStart());
  other.Exec("ROLLBACK");
}

TEST_F(SqliteTransactionTest, ReadsGoOnWhileAnotherWriterHoldsTheLock) {
  ASSERT_TRUE(
      db_->RunInTransaction([](Transaction& tx) { return Insert(tx, 1); })
          .ok());
  RawConnection other(path_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(other.Exec("INSERT INTO t(x) VALUES (2)"), SQLITE_OK);
  // WAL: the reader is neither blocked nor shown uncommitted rows.
  EXPECT_EQ(CountRows(*db_), 1);
  EXPECT_EQ(clock_.Now(), testing::FakeClock::DefaultStart());
  ASSERT_EQ(other.Exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(CountRows(*db_), 2);
}

TEST_F(SqliteTransactionTest, ReadTransactionSeesOneSnapshot) {
  RawConnection other(path_);
  std::vector<int64_t> counts;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<Statement> stmt = tx.Prepare("SELECT count(*) FROM t");
      if (!stmt.ok()) return stmt.status();
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      counts.push_back(stmt->ColumnInt64(0));
      // Another writer commits in the middle of our read transaction.
      if (i == 0)
        EXPECT_EQ(other.Exec("INSERT INTO t(x) VALUES (5)"), SQLITE_OK);
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(counts, ::testing::ElementsAre(0, 0));
  EXPECT_EQ(CountRows(*db_), 1);
}

// SQLITE_FULL, produced by capping the database size with
// PRAGMA max_page_count (a per-connection limit): ResourceExhausted
// DISK_FULL, nothing half-written, and the store still passes
// integrity_check and takes writes once there is room.
TEST_F(SqliteTransactionTest,
       DiskFullIsResourceExhaustedAndTheStoreStaysIntact) {
  ASSERT_TRUE(db_->RunInTransaction([](Transaction& tx) {
                   return tx.Execute(
                       "INSERT INTO big(b) VALUES (zeroblob(5000));"
                       "PRAGMA max_page_count = 12");
                 })
                  .ok());
  const int64_t before = CountRows(*db_, "big");
  const std::string chunk(20000, 'x');
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt =
        tx.Prepare("INSERT INTO big(b) VALUES (?1)");
    if (!stmt.ok()) return stmt.status();
    for (int i = 0; i < 50; ++i) {
      stmt->Reset();
      stmt->BindBlob(1, chunk);
      if (absl::Status s = stmt->Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(ReasonOf(status), "DISK_FULL");
  EXPECT_THAT(MessageOf(status), HasSubstr(path_));
  EXPECT_THAT(MessageOf(status), HasSubstr("SQLITE_FULL"));
  EXPECT_EQ(CountRows(*db_, "big"), before) << "all or nothing";

  std::string integrity;
  ASSERT_TRUE(db_->RunReadTransaction([&](Transaction& tx) {
                   absl::StatusOr<Statement> stmt =
                       tx.Prepare("PRAGMA integrity_check");
                   if (!stmt.ok()) return stmt.status();
                   absl::StatusOr<bool> row = stmt->Step();
                   if (!row.ok()) return row.status();
                   integrity = std::string(stmt->ColumnText(0));
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(integrity, "ok");
  RawConnection other(path_);
  EXPECT_EQ(other.Query("PRAGMA integrity_check"), "ok");

  // Room again: the same connection writes.
  EXPECT_TRUE(db_->RunInTransaction([&](Transaction& tx) {
                   absl::Status s =
                       tx.Execute("PRAGMA max_page_count = 100000");
                   if (!s.ok()) return s;
                   absl::StatusOr<Statement> stmt =
                       tx.Prepare("INSERT INTO big(b) VALUES (?1)");
                   if (!stmt.ok()) return stmt.status();
                   stmt->BindBlob(1, chunk);
                   return stmt->Run();
                 })
                  .ok());
  EXPECT_EQ(CountRows(*db_, "big"), before + 1);
}

TEST_F(SqliteTransactionTest, ThreadsShareOneDatabaseSafely) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status s = db_->RunInTransaction(
            [&](Transaction& tx) { return Insert(tx, t * 1000 + i); });
        if (!s.ok()) {
          results[t] = s;
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountRows(*db_), kThreads * kPerThread);
}

}  // namespace
}  // namespace slipway::internal_storage
