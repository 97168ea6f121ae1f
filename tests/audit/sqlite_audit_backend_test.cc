// SqliteAuditBackend on a real file: appends build the chain and advance the
// anchor in one transaction, reads by seq range / time / limit, the stop
// flag row, sharing one Database with the tracking backend, and refusing to
// append onto a chain edited outside slipway.
#include "src/storage/sqlite/sqlite_audit_backend.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/testing/fake_clock.h"
#include "src/audit/audit_record.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/migrations.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::audit_test::RawConnection;
using ::slipway::audit_test::ReasonOf;
using ::slipway::audit_test::TempDir;
using ::slipway::audit_test::ValueOf;
using ::testing::ElementsAre;
using ::testing::Optional;

AuditRecord At(int64_t timestamp_ms, std::string command) {
  AuditRecord r;
  r.timestamp_ms = timestamp_ms;
  r.command = std::move(command);
  r.agent = "a";
  r.user = "u";
  return r;
}

std::vector<int64_t> Seqs(const std::vector<AuditRecord>& records) {
  std::vector<int64_t> out;
  for (const AuditRecord& r : records) out.push_back(r.seq);
  return out;
}

class SqliteAuditBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = SqliteAuditBackend::Open(path_, {}, &clock_);
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = *std::move(b);
  }

  absl::StatusOr<AuditRecord> Append(AuditRecord r) {
    return backend_->AppendAudit(std::move(r), internal_audit::Seal);
  }

  TempDir dir_;
  const std::string path_ = dir_.File("s.db");
  testing::FakeClock clock_;
  std::unique_ptr<SqliteAuditBackend> backend_;
};

TEST_F(SqliteAuditBackendTest, FreshStoreHasAnEmptyAnchorAndNoFlag) {
  absl::StatusOr<AuditAnchor> anchor = backend_->ReadAuditAnchor();
  ASSERT_TRUE(anchor.ok()) << anchor.status();
  EXPECT_TRUE(anchor->present);
  EXPECT_EQ(anchor->count, 0);
  EXPECT_EQ(anchor->head_hash, kAuditGenesisHash);
  EXPECT_EQ(anchor->max_stored_seq, 0);
  EXPECT_EQ(*backend_->GetStopFlag(), std::nullopt);
  EXPECT_TRUE(backend_->ReadAudit({})->empty());
}

TEST_F(SqliteAuditBackendTest, AppendLinksEachRecordToThePreviousOne) {
  absl::StatusOr<AuditRecord> first = Append(At(10, "a"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, kAuditGenesisHash);
  EXPECT_EQ(first->hash, *internal_audit::ExpectedHash(*first));
  absl::StatusOr<AuditRecord> second = Append(At(20, "b"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);

  absl::StatusOr<AuditAnchor> anchor = backend_->ReadAuditAnchor();
  EXPECT_EQ(anchor->count, 2);
  EXPECT_EQ(anchor->head_hash, second->hash);
  EXPECT_EQ(anchor->max_stored_seq, 2);
  // Stored exactly as returned.
  EXPECT_THAT(*backend_->ReadAudit({}), ElementsAre(*first, *second));
}

TEST_F(SqliteAuditBackendTest, ReadsBySeqRangeTimeAndLimit) {
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(Append(At(i * 100, "c")).ok());
  EXPECT_THAT(Seqs(*backend_->ReadAudit({.min_seq = 3, .max_seq = 5})),
              ElementsAre(3, 4, 5));
  EXPECT_THAT(Seqs(*backend_->ReadAudit({.since_ms = 800})),
              ElementsAre(8, 9, 10));
  EXPECT_THAT(Seqs(*backend_->ReadAudit({.min_seq = 2, .limit = 2})),
              ElementsAre(2, 3));
  EXPECT_EQ(backend_->ReadAudit({.limit = 0})->size(), 10u);  // 0: no limit
}

TEST_F(SqliteAuditBackendTest, ASealErrorAbortsTheAppendAndWritesNothing) {
  absl::StatusOr<AuditRecord> r = backend_->AppendAudit(
      At(1, "x"), [](AuditRecord&) { return absl::InternalError("boom"); });
  EXPECT_EQ(r.status().message(), "boom");
  EXPECT_EQ(backend_->ReadAuditAnchor()->count, 0);
  EXPECT_TRUE(backend_->ReadAudit({})->empty());
}

TEST_F(SqliteAuditBackendTest, StopFlagIsSetReplacedAndCleared) {
  const StopFlag flag{.actor = "alice", .reason = "incident 42", .set_ms = 5};
  ASSERT_TRUE(backend_->SetStopFlag(flag).ok());
  EXPECT_THAT(*backend_->GetStopFlag(), Optional(flag));
  const StopFlag again{.actor = "bob", .reason = "still bad", .set_ms = 9};
  ASSERT_TRUE(backend_->SetStopFlag(again).ok());
  EXPECT_THAT(*backend_->GetStopFlag(), Optional(again));
  EXPECT_THAT(*backend_->ClearStopFlag(), Optional(again));
  EXPECT_EQ(*backend_->GetStopFlag(), std::nullopt);
  EXPECT_EQ(*backend_->ClearStopFlag(), std::nullopt);  // clearing twice: fine
}

TEST_F(SqliteAuditBackendTest, SharesADatabaseItDoesNotOwn) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(dir_.File("shared.db"), {}, &clock_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(ApplyMigrations(**db, TrackingMigrations()).ok());
  {
    SqliteAuditBackend shared(db->get());
    absl::StatusOr<AuditRecord> r =
        shared.AppendAudit(At(1, "x"), internal_audit::Seal);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  // The Database outlives the backend and still holds the record.
  SqliteAuditBackend again(db->get());
  EXPECT_EQ(again.ReadAuditAnchor()->count, 1);
  EXPECT_EQ(&again.database(), db->get());
}

TEST_F(SqliteAuditBackendTest, RefusesToAppendWhenTheAnchorRowIsGone) {
  ASSERT_TRUE(Append(At(1, "a")).ok());
  RawConnection raw(path_);
  ASSERT_EQ(raw.Exec("DELETE FROM audit_anchor"), 0);
  absl::StatusOr<AuditRecord> r = Append(At(2, "b"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(r.status()), "AUDIT_CHAIN_BROKEN");
  EXPECT_EQ(backend_->ReadAuditAnchor()->present, false);
}

TEST_F(SqliteAuditBackendTest, RefusesToAppendOverARecordBeyondTheAnchor) {
  ASSERT_TRUE(Append(At(1, "a")).ok());
  RawConnection raw(path_);
  // A row slipped in by hand, anchor untouched.
  ASSERT_EQ(raw.Exec("INSERT INTO audit_record SELECT 2, timestamp_ms, agent, "
                     "user, environment, command, resource_type, "
                     "resource_name, action, model_name, model_version, "
                     "previous_version, change_ticket, outcome, "
                     "rollback_config, duration_ms, reason, message, "
                     "prev_hash, hash FROM audit_record WHERE seq = 1"),
            0);
  absl::StatusOr<AuditRecord> r = Append(At(2, "b"));
  EXPECT_EQ(ReasonOf(r.status()), "AUDIT_CHAIN_BROKEN") << r.status();
  EXPECT_EQ(ValueOf(r.status()), "2");
  EXPECT_EQ(backend_->ReadAuditAnchor()->count, 1);
  EXPECT_EQ(backend_->ReadAuditAnchor()->max_stored_seq, 2);
}

TEST_F(SqliteAuditBackendTest, SchemaRefusesMalformedRows) {
  ASSERT_TRUE(Append(At(1, "a")).ok());
  RawConnection raw(path_);
  EXPECT_NE(raw.Exec("UPDATE audit_record SET outcome = 'maybe'"), 0);
  EXPECT_NE(raw.Exec("UPDATE audit_record SET hash = 'short'"), 0);
  EXPECT_NE(raw.Exec("UPDATE audit_record SET duration_ms = -1"), 0);
  EXPECT_NE(raw.Exec("INSERT INTO audit_anchor VALUES (2, 0, '" +
                     std::string(kAuditGenesisHash) + "')"),
            0);
  EXPECT_NE(raw.Exec("INSERT INTO emergency_stop VALUES (2, 'a', 'b', 0)"), 0);
  EXPECT_NE(raw.Exec("UPDATE audit_record SET timestamp_ms = 'noon'"), 0);
}

TEST_F(SqliteAuditBackendTest, AnOutcomeOutsideTheSchemaReadsAsCorrupt) {
  // CHECK constraints can be bypassed with writable_schema tricks or an
  // older file; the reader still refuses to invent an outcome.
  ASSERT_TRUE(Append(At(1, "a")).ok());
  RawConnection raw(path_);
  ASSERT_EQ(raw.Exec("PRAGMA ignore_check_constraints = ON; "
                     "UPDATE audit_record SET outcome = 'maybe'"),
            0);
  absl::StatusOr<std::vector<AuditRecord>> rows = backend_->ReadAudit({});
  EXPECT_EQ(ReasonOf(rows.status()), "STORE_CORRUPT") << rows.status();
}

TEST(SqliteAuditMigrationTest, AStoreAtVersion1GainsTheAuditTablesAndKeepsData) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  testing::FakeClock clock;
  {
    // A store written before migration 2 existed.
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(path, {}, &clock);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(ApplyMigrations(**db, TrackingMigrations().subspan(0, 1)).ok());
    ASSERT_TRUE((*db)->RunInTransaction([](Transaction& tx) {
                       return tx.Execute(
                           "INSERT INTO experiment(name, created_ms) "
                           "VALUES ('mnist', 1)");
                     }).ok());
    ASSERT_EQ(*ReadSchemaVersion(**db), 1);
  }
  absl::StatusOr<std::unique_ptr<SqliteAuditBackend>> backend =
      SqliteAuditBackend::Open(path, {}, &clock);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ(*ReadSchemaVersion((*backend)->database()),
            static_cast<int64_t>(TrackingMigrations().size()));
  EXPECT_EQ((*backend)->ReadAuditAnchor()->count, 0);
  RawConnection raw(path);
  EXPECT_EQ(raw.Query("SELECT name FROM experiment"), "mnist");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM pragma_table_list WHERE name IN "
                      "('audit_record', 'audit_anchor', 'emergency_stop') "
                      "AND strict = 1"),
            "3");
}

}  // namespace
}  // namespace slipway::internal_storage
