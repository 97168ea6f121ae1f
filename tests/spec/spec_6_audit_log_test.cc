// SPEC.md §6 — Audit log. One test per sentence of the section, on a real
// store file through the Auditor (the one call path that appends).
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "slipway/status.h"
#include "slipway/time.h"
#include "src/audit/audit_record.h"
#include "src/audit/auditor.h"
#include "src/audit/sha256.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_audit {
namespace {

using ::slipway::audit_test::AuditStoreTest;
using ::slipway::audit_test::RawConnection;
using ::slipway::audit_test::ReasonOf;
using ::slipway::audit_test::ValueOf;
using ::testing::SizeIs;

class Spec6AuditLog : public AuditStoreTest {};

// "Every state-changing operation — including denied and failed ones —
// appends one structured JSON record"
TEST_F(Spec6AuditLog, EveryOperationIncludingDeniedAndFailedAppendsOneRecord) {
  ASSERT_TRUE(auditor_->Run(Event(1), [] { return absl::OkStatus(); }).ok());
  ASSERT_FALSE(auditor_
                   ->Run(Event(2),
                         [] {
                           return MakeError(
                               absl::StatusCode::kFailedPrecondition, "gate",
                               ErrorDetail{.reason = "GATE_CHANGE_TICKET"});
                         })
                   .ok());
  ASSERT_FALSE(
      auditor_->Run(Event(3), [] { return absl::UnavailableError("busy"); })
          .ok());
  absl::StatusOr<std::vector<AuditRecord>> log = auditor_->Read({});
  ASSERT_THAT(*log, SizeIs(3));
  EXPECT_EQ((*log)[0].outcome, AuditOutcome::kSuccess);
  EXPECT_EQ((*log)[1].outcome, AuditOutcome::kDenied);
  EXPECT_EQ((*log)[2].outcome, AuditOutcome::kFailure);
  for (const AuditRecord& r : *log) {
    EXPECT_TRUE(nlohmann::json::parse(JsonLine(r)).is_object());
  }
}

// "timestamp (RFC 3339 UTC), agent, user, environment, command,
// resource_type, resource_name, action, model_name, model_version,
// previous_version, change_ticket, outcome (success | failure | denied),
// rollback_config, duration_ms"
TEST_F(Spec6AuditLog, EachRecordHasEveryListedField) {
  ASSERT_TRUE(clock_.Advance(absl::Milliseconds(1500)).ok());
  ASSERT_TRUE(auditor_
                  ->Run(Event(1),
                        [&] {
                          return clock_.Advance(absl::Milliseconds(40));
                        })
                  .ok());
  nlohmann::json j =
      nlohmann::json::parse(JsonLine(auditor_->Read({})->front()));
  EXPECT_EQ(j["timestamp"], "2026-01-01T00:00:01.500Z");
  EXPECT_TRUE(ParseRfc3339(j["timestamp"].get<std::string>()).ok());
  EXPECT_EQ(j["agent"], "test-agent");
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["environment"], "production");
  EXPECT_EQ(j["command"], "model.create");
  EXPECT_EQ(j["resource_type"], "model");
  EXPECT_EQ(j["resource_name"], "fraud-1");
  EXPECT_EQ(j["action"], "create");
  EXPECT_EQ(j["model_name"], "fraud-1");
  EXPECT_EQ(j["model_version"], "1.0.1");
  EXPECT_EQ(j["previous_version"], "0.9.0");
  EXPECT_EQ(j["change_ticket"], "MLOPS-2024-0456");
  EXPECT_EQ(j["outcome"], "success");
  EXPECT_EQ(j["rollback_config"], R"({"version":"0.9.0"})");
  EXPECT_EQ(j["duration_ms"], 40);
}

// "Records are append-only"
TEST_F(Spec6AuditLog, RecordsAreAppendOnly) {
  AppendRecords(3);
  const std::vector<AuditRecord> before = *auditor_->Read({});
  AppendRecords(3);
  const std::vector<AuditRecord> after = *auditor_->Read({});
  ASSERT_THAT(after, SizeIs(6));
  // Appending never rewrites what is there; new records only go after.
  EXPECT_EQ(std::vector<AuditRecord>(after.begin(), after.begin() + 3), before);
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].seq, i + 1);
}

// "and tamper-evident (each carries the hash of the one before),"
TEST_F(Spec6AuditLog, RecordsAreTamperEvidentEachCarryingThePreviousHash) {
  AppendRecords(5);
  const std::vector<AuditRecord> log = *auditor_->Read({});
  EXPECT_EQ(log[0].prev_hash, kAuditGenesisHash);
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_EQ(log[i].prev_hash, log[i - 1].hash);
    EXPECT_EQ(log[i].hash, *Sha256Hex(log[i].prev_hash, CanonicalJson(log[i])));
  }
  EXPECT_TRUE(auditor_->Verify().ok());
  RawConnection raw(path_);
  ASSERT_EQ(raw.Exec("UPDATE audit_record SET outcome = 'success', "
                     "change_ticket = '' WHERE seq = 2"),
            0);
  absl::Status broken = auditor_->Verify();
  EXPECT_EQ(broken.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(broken), "AUDIT_CHAIN_BROKEN");
  EXPECT_EQ(ValueOf(broken), "2");
}

// "queryable from the store"
TEST_F(Spec6AuditLog, RecordsAreQueryableFromTheStore) {
  AppendRecords(5);
  Reopen();  // a later process reading the same file
  absl::StatusOr<std::vector<AuditRecord>> range =
      auditor_->Read({.min_seq = 2, .max_seq = 3});
  ASSERT_THAT(*range, SizeIs(2));
  EXPECT_EQ((*range)[0].resource_name, "fraud-2");
  absl::StatusOr<std::vector<AuditRecord>> since = auditor_->Read(
      {.since_ms = absl::ToUnixMillis(testing::FakeClock::DefaultStart() +
                                      absl::Seconds(5))});
  ASSERT_THAT(*since, SizeIs(1));
  EXPECT_EQ((*since)[0].seq, 5);
}

// "and exportable as JSON lines."
TEST_F(Spec6AuditLog, RecordsAreExportableAsJsonLines) {
  AppendRecords(4);
  std::ostringstream out;
  ASSERT_EQ(*auditor_->ExportJsonLines(out), 4);
  std::vector<std::string> lines =
      absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(4));
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j["seq"], i + 1);
    EXPECT_EQ(lines[i], JsonLine((*auditor_->Read({}))[i]));
  }
}

}  // namespace
}  // namespace slipway::internal_audit
