// Migrations: fresh stores, idempotent reopen, too-new stores, failing
// migrations, racing openers (threads and forked processes), and the
// tracking schema's constraints.
#include "src/storage/sqlite/migrations.h"

#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
using ::testing::UnorderedElementsAre;

const int64_t kLatest = static_cast<int64_t>(TrackingMigrations().size());

std::vector<std::string> Column(Database& db, const std::string& sql) {
  std::vector<std::string> out;
  absl::Status status = db.RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      out.emplace_back(stmt->ColumnText(0));
    }
  });
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

class SqliteMigrationTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> Open() {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(path_, {}, &clock_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

  TempDir dir_;
  const std::string path_ = dir_.File("s.db");
  testing::FakeClock clock_;
};

TEST_F(SqliteMigrationTest, FreshStoreGetsTheTrackingSchema) {
  std::unique_ptr<Database> db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(*ReadSchemaVersion(*db), 0);
  ASSERT_TRUE(ApplyMigrations(*db, TrackingMigrations()).ok());
  EXPECT_EQ(*ReadSchemaVersion(*db), kLatest);
  EXPECT_THAT(
      Column(*db,
             "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
             "name NOT LIKE 'sqlite_%'"),
      UnorderedElementsAre("experiment", "experiment_tag", "run", "param",
                           "tag", "metric_chunk", "metric_summary",
                           "audit_record", "audit_anchor", "emergency_stop",
                           "registered_model", "registered_model_tag",
                           "model_version", "model_version_tag",
                           "model_version_artifact", "model_version_dataset",
                           "model_alias", "approval_event",
                           "validation_record", "validation_check",
                           "deployment", "version_hold", "endpoint",
                           "endpoint_alert_rule", "routing", "pipeline",
                           "pipeline_run", "feature", "rollout",
                           "rollout_transition", "outcome_window",
                           "drift_reference", "feature_sample"));
  // Every table is STRICT.
  EXPECT_THAT(Column(*db,
                     "SELECT name FROM pragma_table_list WHERE schema = "
                     "'main' AND type = 'table' AND strict = 0 AND name NOT "
                     "LIKE 'sqlite_%'"),
              ::testing::IsEmpty());
  EXPECT_THAT(
      Column(*db,
             "SELECT name FROM pragma_table_list WHERE schema = "
             "'main' AND wr = 1"),
      UnorderedElementsAre("experiment_tag", "param", "tag", "metric_summary",
                           "registered_model_tag", "model_version_tag",
                           "model_version_artifact", "model_version_dataset",
                           "model_alias", "validation_check", "version_hold",
                           "endpoint", "endpoint_alert_rule", "routing",
                           "pipeline", "feature", "rollout_transition"));
}

TEST_F(SqliteMigrationTest, ReopeningIsIdempotentAndKeepsData) {
  {
    std::unique_ptr<Database> db = Open();
    ASSERT_TRUE(ApplyMigrations(*db, TrackingMigrations()).ok());
    ASSERT_TRUE(db->RunInTransaction([](Transaction& tx) {
                    return tx.Execute(
                        "INSERT INTO experiment(name, created_ms) VALUES "
                        "('mnist', 1)");
                  }).ok());
    // Twice on the same connection: nothing to do.
    ASSERT_TRUE(ApplyMigrations(*db, TrackingMigrations()).ok());
  }
  std::unique_ptr<Database> db = Open();
  // An up-to-date store costs one read transaction and never waits for the
  // write lock: another writer holding it does not slow the open down.
  RawConnection writer(path_);
  ASSERT_EQ(writer.Exec("BEGIN IMMEDIATE"), 0);
  absl::Status status = ApplyMigrations(*db, TrackingMigrations());
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(clock_.Now(), testing::FakeClock::DefaultStart()) << "no retries";
  ASSERT_EQ(writer.Exec("ROLLBACK"), 0);
  EXPECT_EQ(*ReadSchemaVersion(*db), kLatest);
  EXPECT_THAT(Column(*db, "SELECT name FROM experiment"),
              ::testing::ElementsAre("mnist"));
}

TEST_F(SqliteMigrationTest, StoreFromANewerSlipwayIsRefusedUnchanged) {
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TABLE future(x); PRAGMA user_version = 99"), 0);
  }
  std::unique_ptr<Database> db = Open();
  absl::Status status = ApplyMigrations(*db, TrackingMigrations());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ReasonOf(status), "STORE_TOO_NEW");
  EXPECT_THAT(MessageOf(status), HasSubstr("99"));
  EXPECT_THAT(MessageOf(status), HasSubstr("Upgrade slipway"));
  EXPECT_THAT(MessageOf(status), HasSubstr(path_));
  EXPECT_EQ(*ReadSchemaVersion(*db), 99);
  EXPECT_THAT(Column(*db, "SELECT name FROM sqlite_schema"),
              ::testing::ElementsAre("future"));
}

TEST_F(SqliteMigrationTest, FailingMigrationRollsBackAndNamesItself) {
  const Migration migrations[] = {
      {1, "first", "CREATE TABLE a(x INTEGER) STRICT"},
      {2, "broken",
       "CREATE TABLE b(x INTEGER) STRICT; INSERT INTO nowhere "
       "VALUES (1)"},
  };
  std::unique_ptr<Database> db = Open();
  absl::Status status = ApplyMigrations(*db, migrations);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(MessageOf(status), HasSubstr("migration 2 (broken)"));
  EXPECT_THAT(MessageOf(status), HasSubstr("nowhere"));
  EXPECT_EQ(ReasonOf(status), "STORE_ERROR") << "the detail is kept";
  // Migration 1 stays applied; migration 2 left nothing behind.
  EXPECT_EQ(*ReadSchemaVersion(*db), 1);
  EXPECT_THAT(Column(*db, "SELECT name FROM sqlite_schema"),
              ::testing::ElementsAre("a"));
}

TEST_F(SqliteMigrationTest, MigrationListWithAGapIsABug) {
  const Migration migrations[] = {
      {1, "one", "CREATE TABLE a(x)"},
      {3, "three", "CREATE TABLE c(x)"},
  };
  std::unique_ptr<Database> db = Open();
  absl::Status status = ApplyMigrations(*db, migrations);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(status), "MIGRATIONS_INVALID");
  EXPECT_EQ(*ReadSchemaVersion(*db), 0);
}

TEST_F(SqliteMigrationTest, TwoThreadsOpeningAFreshFileBothSucceed) {
  for (int round = 0; round < 5; ++round) {
    const std::string path = dir_.File("race" + std::to_string(round) + ".db");
    absl::Status results[2];
    std::thread threads[2];
    for (int t = 0; t < 2; ++t) {
      threads[t] = std::thread([&, t] {
        // Real clock: the threads genuinely contend for the file.
        absl::StatusOr<std::unique_ptr<Database>> db =
            Database::Open(path, {}, nullptr);
        results[t] =
            db.ok() ? ApplyMigrations(**db, TrackingMigrations()) : db.status();
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
    RawConnection raw(path);
    EXPECT_EQ(raw.Query("PRAGMA user_version"), std::to_string(kLatest));
  }
}

TEST_F(SqliteMigrationTest, TwoProcessesOpeningAFreshFileBothSucceed) {
  for (int round = 0; round < 5; ++round) {
    const std::string path = dir_.File("fork" + std::to_string(round) + ".db");
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    pid_t children[2];
    for (pid_t& child : children) {
      child = ::fork();
      ASSERT_GE(child, 0);
      if (child == 0) {
        ::close(gate[1]);
        char byte;
        // Both children wait here, then start together when the parent
        // closes the pipe.
        (void)::read(gate[0], &byte, 1);
        absl::StatusOr<std::unique_ptr<Database>> db =
            Database::Open(path, {}, nullptr);
        absl::Status status =
            db.ok() ? ApplyMigrations(**db, TrackingMigrations()) : db.status();
        if (!status.ok()) {
          std::fprintf(stderr, "child: %s\n", status.ToString().c_str());
        }
        ::_exit(status.ok() ? 0 : 10 + static_cast<int>(status.code()));
      }
    }
    ::close(gate[0]);
    ::close(gate[1]);
    for (pid_t child : children) {
      int wstatus = 0;
      ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
      ASSERT_TRUE(WIFEXITED(wstatus));
      EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "10 + the status code";
    }
    RawConnection raw(path);
    EXPECT_EQ(raw.Query("PRAGMA user_version"), std::to_string(kLatest));
    EXPECT_EQ(raw.Query("SELECT count(*) FROM sqlite_schema WHERE name = "
                        "'metric_summary'"),
              "1");
    EXPECT_EQ(raw.Query("PRAGMA integrity_check"), "ok");
  }
}

class SqliteTrackingSchemaTest : public SqliteMigrationTest {
 protected:
  void SetUp() override {
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(ApplyMigrations(*db_, TrackingMigrations()).ok());
    ASSERT_TRUE(Write("INSERT INTO experiment(experiment_id, name, "
                      "created_ms) VALUES (1, 'e', 0);"
                      "INSERT INTO run(run_id, experiment_id, name, status, "
                      "start_ms) VALUES ('" +
                      std::string(kRun) + "', 1, 'r', 'RUNNING', 0)")
                    .ok());
  }
  absl::Status Write(const std::string& sql) {
    return db_->RunInTransaction(
        [&](Transaction& tx) { return tx.Execute(sql); });
  }

  static constexpr char kRun[] = "0123456789abcdef0123456789abcdef";
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteTrackingSchemaTest, ConstraintsHoldTheShapeOfTheData) {
  // A run id is 32 lowercase hex digits.
  absl::Status bad_id = Write(
      "INSERT INTO run(run_id, experiment_id, name, status, start_ms) "
      "VALUES ('0123456789ABCDEF0123456789ABCDEF', 1, 'r', 'RUNNING', 0)");
  EXPECT_EQ(ReasonOf(bad_id), "STORE_CONSTRAINT") << bad_id;
  // Status is one of the known spellings.
  absl::Status bad_status =
      Write("UPDATE run SET status = 'running' WHERE run_id = '" +
            std::string(kRun) + "'");
  EXPECT_EQ(ReasonOf(bad_status), "STORE_CONSTRAINT");
  // STRICT: a text where an integer belongs is refused, not stored.
  absl::Status bad_type =
      Write("UPDATE run SET start_ms = 'yesterday' WHERE run_id = '" +
            std::string(kRun) + "'");
  EXPECT_EQ(bad_type.code(), absl::StatusCode::kInternal) << bad_type;
  // Params belong to an existing run; write-once by primary key.
  absl::Status orphan = Write(
      "INSERT INTO param VALUES ('ffffffffffffffffffffffffffffffff', "
      "'lr', '0.1')");
  EXPECT_EQ(ReasonOf(orphan), "STORE_MISSING_REFERENCE");
  ASSERT_TRUE(Write("INSERT INTO param VALUES ('" + std::string(kRun) +
                    "', 'lr', '0.1')")
                  .ok());
  absl::Status again = Write("INSERT INTO param VALUES ('" + std::string(kRun) +
                             "', 'lr', '0.2')");
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  // Summaries hold 8-byte encoded doubles.
  absl::Status short_value = Write(
      "INSERT INTO metric_summary VALUES ('" + std::string(kRun) +
      "', 'loss', 1, x'00', 0, 0, x'0000000000000000', x'0000000000000000')");
  EXPECT_EQ(ReasonOf(short_value), "STORE_CONSTRAINT");
  // Deleting a run removes what hangs off it.
  ASSERT_TRUE(Write("DELETE FROM run").ok());
  EXPECT_THAT(Column(*db_, "SELECT count(*) FROM param"),
              ::testing::ElementsAre("0"));
}

TEST_F(SqliteTrackingSchemaTest,
       SummaryKeepsNanAndInfinitiesAndSearchesByValue) {
  using Limits = std::numeric_limits<double>;
  const double lasts[] = {Limits::quiet_NaN(), Limits::infinity(), 0.95, -0.0};
  ASSERT_TRUE(db_->RunInTransaction([&](Transaction& tx) {
                   absl::StatusOr<Statement> stmt = tx.Prepare(
                       "INSERT INTO metric_summary(run_id, key, count, "
                       "last_value, last_step, last_ms, min_value, max_value) "
                       "VALUES (?1, ?2, 1, ?3, 0, 0, ?3, ?3)");
                   if (!stmt.ok()) return stmt.status();
                   for (int i = 0; i < 4; ++i) {
                     stmt->Reset();
                     stmt->BindText(1, kRun);
                     stmt->BindText(2, "m" + std::to_string(i));
                     stmt->BindSortableDouble(3, lasts[i]);
                     if (absl::Status s = stmt->Run(); !s.ok()) return s;
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  // `metrics.* > 0.9` the way a query compiler would write it: NaN excluded.
  std::vector<std::string> keys;
  std::vector<uint64_t> bits;
  ASSERT_TRUE(db_->RunReadTransaction([&](Transaction& tx) {
                   absl::StatusOr<Statement> stmt = tx.Prepare(
                       "SELECT key, last_value FROM metric_summary WHERE "
                       "last_value > ?1 AND last_value <= ?2 ORDER BY key");
                   if (!stmt.ok()) return stmt.status();
                   stmt->BindSortableDouble(1, 0.9);
                   stmt->BindSortableDouble(2, Limits::infinity());
                   while (true) {
                     absl::StatusOr<bool> row = stmt->Step();
                     if (!row.ok()) return row.status();
                     if (!*row) break;
                     keys.emplace_back(stmt->ColumnText(0));
                   }
                   absl::StatusOr<Statement> all = tx.Prepare(
                       "SELECT last_value FROM metric_summary ORDER BY key");
                   if (!all.ok()) return all.status();
                   while (true) {
                     absl::StatusOr<bool> row = all->Step();
                     if (!row.ok()) return row.status();
                     if (!*row) break;
                     absl::StatusOr<double> v = all->ColumnSortableDouble(0);
                     if (!v.ok()) return v.status();
                     bits.push_back(std::bit_cast<uint64_t>(*v));
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_THAT(keys, ::testing::ElementsAre("m1", "m2"));
  ASSERT_EQ(bits.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(bits[i], std::bit_cast<uint64_t>(lasts[i])) << i;
  }
}

}  // namespace
}  // namespace slipway::internal_storage
