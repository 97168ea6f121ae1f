// Auditor: the one call path that appends. Record and Run on a real store
// file with a FakeClock: outcomes, durations, defaults from the environment,
// every SPEC §6 field round-tripping, JSON-lines export that any parser
// reads and any script can re-hash.
#include "src/audit/auditor.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "slipway/slipway.h"
#include "slipway/status.h"
#include "slipway/time.h"
#include "src/audit/audit_record.h"
#include "src/audit/sha256.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_audit {
namespace {

using ::slipway::audit_test::AuditStoreTest;
using ::slipway::audit_test::EnvVars;
using ::slipway::audit_test::MessageOf;
using ::slipway::audit_test::RawConnection;
using ::slipway::audit_test::ReasonOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

absl::Status Refused(std::string reason) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "refused",
                   ErrorDetail{.reason = std::move(reason)});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    out.emplace_back(line);
  }
  return out;
}

class AuditorTest : public AuditStoreTest {
 protected:
  AuditRecord Only() {
    absl::StatusOr<std::vector<AuditRecord>> all = auditor_->Read({});
    EXPECT_TRUE(all.ok()) << all.status();
    EXPECT_THAT(*all, SizeIs(1));
    return all->empty() ? AuditRecord{} : all->back();
  }
  AuditRecord Last() {
    absl::StatusOr<std::vector<AuditRecord>> all = auditor_->Read({.limit = 0});
    return all->empty() ? AuditRecord{} : all->back();
  }
};

TEST_F(AuditorTest, RecordStoresEveryFieldAndTheClockTime) {
  ASSERT_TRUE(clock_.Advance(absl::Milliseconds(1234)).ok());
  AuditEvent e = Event(1);
  e.outcome = AuditOutcome::kFailure;
  e.duration_ms = 77;
  e.reason = "SOME_REASON";
  e.message = "why";
  ASSERT_TRUE(auditor_->Record(e).ok());
  const AuditRecord r = Only();
  EXPECT_EQ(r.seq, 1);
  EXPECT_EQ(FormatRfc3339(absl::FromUnixMillis(r.timestamp_ms)),
            "2026-01-01T00:00:01.234Z");
  EXPECT_EQ(r.agent, "test-agent");
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.environment, "production");
  EXPECT_EQ(r.command, "model.create");
  EXPECT_EQ(r.resource_type, "model");
  EXPECT_EQ(r.resource_name, "fraud-1");
  EXPECT_EQ(r.action, "create");
  EXPECT_EQ(r.model_name, "fraud-1");
  EXPECT_EQ(r.model_version, "1.0.1");
  EXPECT_EQ(r.previous_version, "0.9.0");
  EXPECT_EQ(r.change_ticket, "MLOPS-2024-0456");
  EXPECT_EQ(r.outcome, AuditOutcome::kFailure);
  EXPECT_EQ(r.rollback_config, R"({"version":"0.9.0"})");
  EXPECT_EQ(r.duration_ms, 77);
  EXPECT_EQ(r.reason, "SOME_REASON");
  EXPECT_EQ(r.message, "why");
  EXPECT_EQ(r.prev_hash, kAuditGenesisHash);
  EXPECT_EQ(r.hash, *ExpectedHash(r));
}

TEST_F(AuditorTest, EventAgentAndUserOverrideTheDefaults) {
  AuditEvent e = Event(1);
  e.agent = "ci-bot";
  e.user = "bob";
  ASSERT_TRUE(auditor_->Record(e).ok());
  EXPECT_EQ(Only().agent, "ci-bot");
  EXPECT_EQ(Only().user, "bob");
}

TEST_F(AuditorTest, DefaultsComeFromSlipwayActorThenUser) {
  Auditor from_actor(backend_.get(), Env{.clock = &clock_},
                     {.env_vars = EnvVars({{"SLIPWAY_ACTOR", "carol"},
                                           {"USER", "root"},
                                           {"SLIPWAY_AGENT", "airflow"}})});
  EXPECT_EQ(from_actor.default_user(), "carol");
  EXPECT_EQ(from_actor.default_agent(), "airflow");
  Auditor from_user(backend_.get(), Env{.clock = &clock_},
                    {.env_vars = EnvVars({{"USER", "dave"}})});
  EXPECT_EQ(from_user.default_user(), "dave");
  EXPECT_EQ(from_user.default_agent(),
            std::string("slipway/") + slipway::Version());
  Auditor from_nothing(backend_.get(), Env{.clock = &clock_},
                       {.env_vars = EnvVars({})});
  EXPECT_EQ(from_nothing.default_user(), "unknown");
}

TEST_F(AuditorTest, RunRecordsSuccessWithTheDurationOnTheClock) {
  const absl::Time start = clock_.Now();
  absl::Status s = auditor_->Run(Event(1), [&] {
    EXPECT_TRUE(clock_.Advance(absl::Milliseconds(250)).ok());
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  const AuditRecord r = Only();
  EXPECT_EQ(r.outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(r.duration_ms, 250);
  EXPECT_EQ(r.timestamp_ms, absl::ToUnixMillis(start));  // when it started
  EXPECT_EQ(r.reason, "");
}

TEST_F(AuditorTest, RunRecordsFailureWithTheErrorAndReturnsIt) {
  absl::Status s = auditor_->Run(Event(1), [] {
    return MakeError(absl::StatusCode::kNotFound, "no such model",
                     ErrorDetail{.reason = "MODEL_NOT_FOUND"});
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(s), "MODEL_NOT_FOUND");
  const AuditRecord r = Only();
  EXPECT_EQ(r.outcome, AuditOutcome::kFailure);
  EXPECT_EQ(r.reason, "MODEL_NOT_FOUND");
  EXPECT_EQ(r.message, "no such model");
}

TEST_F(AuditorTest, RunRecordsRefusalsByARuleAsDenied) {
  for (const char* reason :
       {"EMERGENCY_STOP_ACTIVE", "ROLE_REQUIRED", "GATE_CHANGE_TICKET"}) {
    absl::Status s = auditor_->Run(Event(1), [&] { return Refused(reason); });
    EXPECT_EQ(ReasonOf(s), reason);
    EXPECT_EQ(Last().outcome, AuditOutcome::kDenied) << reason;
    EXPECT_EQ(Last().reason, reason);
  }
  // FailedPrecondition from the store itself is a failure, not a denial.
  ASSERT_FALSE(
      auditor_->Run(Event(1), [] { return Refused("STORE_FORKED"); }).ok());
  EXPECT_EQ(Last().outcome, AuditOutcome::kFailure);
  // A plain error without a detail records its code.
  ASSERT_FALSE(
      auditor_->Run(Event(1), [] { return absl::UnavailableError("x"); }).ok());
  EXPECT_EQ(Last().outcome, AuditOutcome::kFailure);
  EXPECT_EQ(Last().reason, "UNAVAILABLE");
}

TEST_F(AuditorTest, RunTakesAnExplicitOutcome) {
  AuditEvent e = Event(1);
  e.outcome = AuditOutcome::kDenied;
  ASSERT_FALSE(auditor_
                   ->Run(e, [] {
                     return absl::PermissionDeniedError("role missing");
                   })
                   .ok());
  EXPECT_EQ(Only().outcome, AuditOutcome::kDenied);
}

TEST_F(AuditorTest, RunPassesValuesThroughAndLetsTheOperationFillTheEvent) {
  absl::StatusOr<int> v =
      auditor_->Run(Event(1), [](AuditEvent& e) -> absl::StatusOr<int> {
        e.previous_version = "0.8.0";  // learned inside the operation
        return 42;
      });
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  EXPECT_EQ(Only().previous_version, "0.8.0");
  absl::StatusOr<int> err = auditor_->Run(
      Event(2), []() -> absl::StatusOr<int> { return absl::AbortedError("x"); });
  EXPECT_EQ(err.status().code(), absl::StatusCode::kAborted);
}

TEST_F(AuditorTest, ARefusalAlreadyAuditedIsNotRecordedTwice) {
  absl::Status s = auditor_->Run(Event(1), [] {
    return MarkAudited(Refused("EMERGENCY_STOP_ACTIVE"), 99);
  });
  EXPECT_TRUE(IsAudited(s));
  EXPECT_TRUE(auditor_->Read({})->empty());
}

TEST_F(AuditorTest, AfterASuccessAFailedAppendIsReturned) {
  RawConnection raw(path_);
  ASSERT_EQ(raw.Exec("DELETE FROM audit_anchor"), 0);  // appends now refused
  absl::Status s = auditor_->Run(Event(1), [] { return absl::OkStatus(); });
  EXPECT_EQ(ReasonOf(s), "AUDIT_CHAIN_BROKEN");
  EXPECT_THAT(MessageOf(s), HasSubstr("succeeded and took effect"));
  // After a failure the operation's own error wins, with a note.
  absl::Status f = auditor_->Run(Event(1), [] { return Refused("X"); });
  EXPECT_EQ(ReasonOf(f), "X");
  EXPECT_THAT(MessageOf(f), HasSubstr("audit record could not be written"));
}

TEST_F(AuditorTest, InvalidUtf8IsRecordedWithReplacementCharacters) {
  AuditEvent e = Event(1);
  e.resource_name = "bad\xff";
  ASSERT_TRUE(auditor_->Record(e).ok());
  EXPECT_EQ(Only().resource_name, "bad\xEF\xBF\xBD");
  EXPECT_TRUE(auditor_->Verify().ok());
}

TEST_F(AuditorTest, ExportWritesOneParsableJsonLinePerRecordWithEveryField) {
  AppendRecords(3);
  std::ostringstream out;
  absl::StatusOr<int64_t> n = auditor_->ExportJsonLines(out);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_THAT(lines, SizeIs(3));
  std::string prev(kAuditGenesisHash);
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    for (const char* key :
         {"timestamp", "agent", "user", "environment", "command",
          "resource_type", "resource_name", "action", "model_name",
          "model_version", "previous_version", "change_ticket", "outcome",
          "rollback_config", "duration_ms"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
    EXPECT_EQ(j["seq"], i + 1);
    EXPECT_EQ(j["timestamp"], FormatRfc3339(absl::FromUnixMillis(
                                  absl::ToUnixMillis(
                                      testing::FakeClock::DefaultStart() +
                                      absl::Seconds(i + 1)))));
    EXPECT_EQ(j["resource_name"], "fraud-" + std::to_string(i + 1));
    EXPECT_EQ(j["outcome"], "success");
    // What a script holding only the export would do: strip the hash key,
    // hash prev_hash followed by the rest.
    const std::string hash = j["hash"];
    const std::string suffix = R"(,"hash":")" + hash + R"("})";
    ASSERT_TRUE(lines[i].ends_with(suffix));
    const std::string body =
        lines[i].substr(0, lines[i].size() - suffix.size()) + "}";
    EXPECT_EQ(j["prev_hash"], prev);
    EXPECT_EQ(*Sha256Hex(prev, body), hash);
    prev = hash;
  }
}

TEST_F(AuditorTest, ExportSinceATimeAndToAFile) {
  AppendRecords(5);  // at start + 1 s ... start + 5 s
  std::ostringstream out;
  ASSERT_EQ(*auditor_->ExportJsonLines(
                out, testing::FakeClock::DefaultStart() + absl::Seconds(4)),
            2);
  EXPECT_THAT(Lines(out.str()), SizeIs(2));
  EXPECT_EQ(nlohmann::json::parse(Lines(out.str())[0])["seq"], 4);

  const std::string file = dir_.File("audit.jsonl");
  ASSERT_EQ(*auditor_->ExportJsonLines(file), 5);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(Lines(text.str()), SizeIs(5));
  // Into a missing directory: the file system's error.
  EXPECT_EQ(ReasonOf(auditor_->ExportJsonLines(dir_.File("no/such/x.jsonl"))
                         .status()),
            "FILE_NOT_FOUND");
}

TEST_F(AuditorTest, ReadsBySeqRangeAndTime) {
  AppendRecords(6);
  absl::StatusOr<std::vector<AuditRecord>> some =
      auditor_->Read({.min_seq = 2, .max_seq = 4});
  ASSERT_THAT(*some, SizeIs(3));
  EXPECT_EQ(some->front().seq, 2);
  absl::StatusOr<std::vector<AuditRecord>> recent = auditor_->Read(
      {.since_ms = absl::ToUnixMillis(testing::FakeClock::DefaultStart() +
                                      absl::Seconds(5))});
  ASSERT_THAT(*recent, SizeIs(2));
  EXPECT_EQ(recent->front().seq, 5);
}

TEST_F(AuditorTest, RecordsSurviveReopeningTheStore) {
  AppendRecords(2);
  Reopen();
  AppendRecords(1);
  EXPECT_THAT(*auditor_->Read({}), SizeIs(3));
  EXPECT_TRUE(auditor_->Verify().ok());
}

}  // namespace
}  // namespace slipway::internal_audit
