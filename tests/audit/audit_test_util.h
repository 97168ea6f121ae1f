// Shared by the audit tests: a store file in a temp directory with its
// audit backend, an Auditor on a FakeClock, and helpers to read statuses.
#ifndef SLIPWAY_TESTS_AUDIT_AUDIT_TEST_UTIL_H_
#define SLIPWAY_TESTS_AUDIT_AUDIT_TEST_UTIL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "slipway/env.h"
#include "slipway/status.h"
#include "slipway/testing/fake_clock.h"
#include "src/audit/auditor.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::audit_test {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::RawConnection;
using ::slipway::storage_test::ReasonOf;
using ::slipway::storage_test::TempDir;

// The ErrorDetail value of `status`, or "<no detail>".
inline std::string ValueOf(const absl::Status& status) {
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->value : "<no detail>";
}

// An EnvVarReader over a fixed map (nothing from the process environment).
inline internal_audit::EnvVarReader EnvVars(
    std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](
             std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A store file "s.db" in a fresh directory, its audit backend and an
// Auditor (agent "test-agent", user "alice") on a FakeClock.
class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    auditor_.reset();
    backend_.reset();
    absl::StatusOr<std::unique_ptr<internal_storage::SqliteAuditBackend>> b =
        internal_storage::SqliteAuditBackend::Open(path_, {}, &clock_);
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = *std::move(b);
    auditor_ = std::make_unique<internal_audit::Auditor>(
        backend_.get(), Env{.clock = &clock_},
        internal_audit::AuditorOptions{.agent = "test-agent",
                                       .user = "alice",
                                       .env_vars = EnvVars({})});
  }

  // An event with every text field set, distinct per `i`.
  static internal_audit::AuditEvent Event(int i) {
    internal_audit::AuditEvent e;
    e.environment = "production";
    e.command = "model.create";
    e.resource_type = "model";
    e.resource_name = "fraud-" + std::to_string(i);
    e.action = "create";
    e.model_name = "fraud-" + std::to_string(i);
    e.model_version = "1.0." + std::to_string(i);
    e.previous_version = "0.9.0";
    e.change_ticket = "MLOPS-2024-0456";
    e.rollback_config = R"({"version":"0.9.0"})";
    return e;
  }

  // Appends `n` records (Event(1) .. Event(n)), advancing the clock 1 s
  // before each.
  void AppendRecords(int n) {
    for (int i = 1; i <= n; ++i) {
      ASSERT_TRUE(clock_.Advance(absl::Seconds(1)).ok());
      absl::Status s = auditor_->Record(Event(i));
      ASSERT_TRUE(s.ok()) << s;
    }
  }

  TempDir dir_;
  const std::string path_ = dir_.File("s.db");
  testing::FakeClock clock_;
  std::unique_ptr<internal_storage::SqliteAuditBackend> backend_;
  std::unique_ptr<internal_audit::Auditor> auditor_;
};

}  // namespace slipway::audit_test

#endif  // SLIPWAY_TESTS_AUDIT_AUDIT_TEST_UTIL_H_
