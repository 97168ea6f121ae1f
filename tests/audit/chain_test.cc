// Tamper detection: a chain on a real store file is edited with direct SQL
// through the sqlite3 C API (as an attacker with the file would), and Verify
// must name the first bad seq and say why.
#include "src/audit/chain.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/audit/audit_record.h"
#include "src/audit/auditor.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_audit {
namespace {

using ::slipway::audit_test::AuditStoreTest;
using ::slipway::audit_test::MessageOf;
using ::slipway::audit_test::RawConnection;
using ::slipway::audit_test::ReasonOf;
using ::slipway::audit_test::ValueOf;
using ::testing::HasSubstr;

class ChainTest : public AuditStoreTest {
 protected:
  void SetUp() override {
    AuditStoreTest::SetUp();
    AppendRecords(10);
    ASSERT_TRUE(auditor_->Verify().ok());
  }

  // Runs SQL on the store file through a second, raw connection.
  void Tamper(const std::string& sql) {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec(sql), 0) << sqlite3_errmsg(raw.get()) << "\n" << sql;
  }

  // Verifies; expects a break of `kind` at `seq` (checked three ways: the
  // report, the status's detail, the message).
  void ExpectBreak(int64_t seq, ChainBreakKind kind) {
    absl::StatusOr<ChainReport> report = auditor_->CheckChain();
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->first_break.has_value()) << "no break found";
    EXPECT_EQ(report->first_break->seq, seq) << report->first_break->why;
    EXPECT_EQ(report->first_break->kind, kind)
        << ChainBreakKindName(report->first_break->kind) << ": "
        << report->first_break->why;
    absl::Status status = auditor_->Verify();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(ReasonOf(status), "AUDIT_CHAIN_BROKEN");
    EXPECT_EQ(ValueOf(status), std::to_string(seq));
    EXPECT_THAT(MessageOf(status),
                HasSubstr("at seq " + std::to_string(seq) + " (" +
                          std::string(ChainBreakKindName(kind)) + ")"));
  }
};

TEST_F(ChainTest, AnIntactChainVerifiesAcrossPages) {
  AppendRecords(25);
  absl::StatusOr<ChainReport> report = CheckChain(*backend_, /*page_size=*/4);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->records_checked, 35);
  EXPECT_EQ(report->anchor_count, 35);
  EXPECT_FALSE(report->first_break.has_value());
}

TEST_F(ChainTest, AnEmptyLogVerifies) {
  absl::StatusOr<std::unique_ptr<internal_storage::SqliteAuditBackend>> empty =
      internal_storage::SqliteAuditBackend::Open(dir_.File("empty.db"), {},
                                                 &clock_);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(VerifyChain(**empty).ok());
}

TEST_F(ChainTest, AnEditedFieldIsCaughtAtItsSeq) {
  Tamper("UPDATE audit_record SET user = 'mallory' WHERE seq = 6");
  ExpectBreak(6, ChainBreakKind::kEdited);
}

TEST_F(ChainTest, AnEditedOutcomeOrDurationIsCaught) {
  Tamper("UPDATE audit_record SET outcome = 'success', duration_ms = 0 "
         "WHERE seq = 3");
  Tamper("UPDATE audit_record SET outcome = 'denied' WHERE seq = 3");
  ExpectBreak(3, ChainBreakKind::kEdited);
}

TEST_F(ChainTest, ARecordRehashedAfterAnEditBreaksTheNextLink) {
  // The attacker edits seq 4 and fixes its own hash, but not seq 5's link.
  Tamper("UPDATE audit_record SET user = 'mallory' WHERE seq = 4");
  absl::StatusOr<std::vector<AuditRecord>> four =
      auditor_->Read({.min_seq = 4, .max_seq = 4});
  ASSERT_TRUE(four.ok());
  const std::string rehashed = *ExpectedHash(four->front());
  Tamper("UPDATE audit_record SET hash = '" + rehashed + "' WHERE seq = 4");
  ExpectBreak(5, ChainBreakKind::kDeleted);
}

TEST_F(ChainTest, ADeletedMiddleRecordIsCaughtAsMissing) {
  Tamper("DELETE FROM audit_record WHERE seq = 5");
  ExpectBreak(5, ChainBreakKind::kDeleted);
}

TEST_F(ChainTest, DeletedFirstRecordsAreCaught) {
  Tamper("DELETE FROM audit_record WHERE seq <= 2");
  ExpectBreak(1, ChainBreakKind::kDeleted);
}

TEST_F(ChainTest, DeletedNewestRecordIsCaughtByTheAnchor) {
  Tamper("DELETE FROM audit_record WHERE seq = 10");
  ExpectBreak(10, ChainBreakKind::kDeleted);
  EXPECT_THAT(MessageOf(auditor_->Verify()), HasSubstr("anchor counts 10"));
}

TEST_F(ChainTest, DeletedNewestRecordsAreCaughtEvenAfterLaterAppends) {
  Tamper("DELETE FROM audit_record WHERE seq >= 8");
  AppendRecords(2);  // continues from the anchor: seq 11 and 12
  ExpectBreak(8, ChainBreakKind::kDeleted);
}

TEST_F(ChainTest, SwappedRecordsAreCaughtAsReordered) {
  // Swap the contents of seq 3 and 4, keeping the seq numbers.
  const std::string columns =
      "timestamp_ms, agent, user, environment, command, resource_type, "
      "resource_name, action, model_name, model_version, previous_version, "
      "change_ticket, outcome, rollback_config, duration_ms, reason, message, "
      "prev_hash, hash";
  Tamper("CREATE TEMP TABLE a AS SELECT * FROM audit_record WHERE seq = 3;"
         "CREATE TEMP TABLE b AS SELECT * FROM audit_record WHERE seq = 4;"
         "UPDATE audit_record SET (" + columns + ") = (SELECT " + columns +
         " FROM b) WHERE seq = 3;"
         "UPDATE audit_record SET (" + columns + ") = (SELECT " + columns +
         " FROM a) WHERE seq = 4;");
  ExpectBreak(3, ChainBreakKind::kReordered);
  EXPECT_THAT(MessageOf(auditor_->Verify()), HasSubstr("seq 4"));
}

TEST_F(ChainTest, RenumberedRecordsAreCaught) {
  // Delete seq 5 and shift the later ones down to close the gap.
  Tamper("DELETE FROM audit_record WHERE seq = 5;"
         "UPDATE audit_record SET seq = seq - 1 WHERE seq > 5;"
         "UPDATE audit_anchor SET count = 9");
  absl::StatusOr<ChainReport> report = auditor_->CheckChain();
  ASSERT_TRUE(report->first_break.has_value());
  EXPECT_EQ(report->first_break->seq, 5);
}

TEST_F(ChainTest, AnEditedAnchorHeadIsCaught) {
  Tamper("UPDATE audit_anchor SET head_hash = '" + std::string(64, 'f') + "'");
  ExpectBreak(10, ChainBreakKind::kAnchorMismatch);
}

TEST_F(ChainTest, ADeletedAnchorIsCaught) {
  Tamper("DELETE FROM audit_anchor");
  ExpectBreak(1, ChainBreakKind::kAnchorMismatch);
}

TEST_F(ChainTest, RecordsBeyondTheAnchorAreCaught) {
  Tamper("INSERT INTO audit_record SELECT 11, timestamp_ms, agent, user, "
         "environment, command, resource_type, resource_name, action, "
         "model_name, model_version, previous_version, change_ticket, "
         "outcome, rollback_config, duration_ms, reason, message, hash, "
         "hash FROM audit_record WHERE seq = 10");
  ExpectBreak(11, ChainBreakKind::kAnchorMismatch);
}

TEST_F(ChainTest, AForgeryThatRewritesEveryLaterHashAndTheAnchorIsNotCaught) {
  // Documented limit (docs/audit.md): tamper-evident, not tamper-proof.
  Tamper("UPDATE audit_record SET user = 'mallory' WHERE seq = 9");
  for (int64_t seq = 9; seq <= 10; ++seq) {
    AuditRecord r = auditor_->Read({.min_seq = seq, .max_seq = seq})->front();
    if (seq > 9) {
      r.prev_hash =
          auditor_->Read({.min_seq = seq - 1, .max_seq = seq - 1})->front().hash;
    }
    const std::string hash = *ExpectedHash(r);
    Tamper("UPDATE audit_record SET prev_hash = '" + r.prev_hash +
           "', hash = '" + hash + "' WHERE seq = " + std::to_string(seq));
  }
  const std::string head = auditor_->Read({.min_seq = 10})->front().hash;
  Tamper("UPDATE audit_anchor SET head_hash = '" + head + "'");
  EXPECT_TRUE(auditor_->Verify().ok());
}

}  // namespace
}  // namespace slipway::internal_audit
