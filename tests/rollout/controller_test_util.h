// A store file with the controller's dependencies over it, seeded with an
// endpoint in production and one in staging, versions and a pipeline run;
// helpers that write one minute of outcomes. Shared by the controller's
// tests and its crash tests.
#ifndef SLIPWAY_TESTS_ROLLOUT_CONTROLLER_TEST_UTIL_H_
#define SLIPWAY_TESTS_ROLLOUT_CONTROLLER_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "slipway/env.h"
#include "slipway/status.h"
#include "slipway/testing/fake_clock.h"
#include "src/audit/auditor.h"
#include "src/audit/emergency_stop.h"
#include "src/monitoring/outcome_window.h"
#include "src/rollout/controller.h"
#include "src/rollout/plan.h"
#include "src/storage/store_backends.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::controller_test {

using internal_rollout::Controller;
using internal_rollout::ControllerOptions;
using internal_rollout::DeployOptions;
using v1::RolloutState;

// 2023-11-14 22:14:00 UTC: on a minute boundary.
inline absl::Time Start() { return absl::FromUnixSeconds(1'700'000'040); }

inline std::string ReasonOf(const absl::Status& s) {
  std::optional<ErrorDetail> d = GetErrorDetail(s);
  return d.has_value() ? d->reason : std::string(s.message());
}

// One minute of one variant's outcomes.
struct Minute {
  uint64_t requests = 1000;
  uint64_t errors = 2;
  double latency_ms = 10;
  uint64_t latency_samples = 200;
  uint64_t labelled = 600;
  uint64_t correct = 540;
  uint64_t successes = 500;
  uint64_t trials = 1000;
};

inline internal_monitoring::OutcomeWindow WindowOf(const Minute& m) {
  internal_monitoring::OutcomeWindow w;
  w.requests = m.requests;
  w.errors = m.errors;
  for (uint64_t i = 0; i < m.latency_samples; ++i) w.latency.Record(m.latency_ms);
  w.predictions = m.requests;
  w.labelled = m.labelled;
  w.correct = m.correct;
  w.successes = m.successes;
  w.trials = m.trials;
  return w;
}

// A plan for guardrail tests in staging: 1 % for 30 min, then 100 % after a
// platform-lead approval.
inline v1::Plan CanaryPlan() {
  v1::Plan p;
  v1::Stage* c = p.add_stages();
  c->set_name("canary-1");
  c->set_candidate_weight(0.01);
  c->set_min_observation_seconds(30 * 60);
  v1::Stage* f = p.add_stages();
  f->set_name("full");
  f->set_candidate_weight(1);
  f->set_approval_role("platform-lead");
  internal_rollout::FillPlanDefaults(&p);
  return p;
}

class ControllerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    Seed();
  }

  void Open(ControllerOptions options = {}) {
    ctl_.reset();
    stop_.reset();
    auditor_.reset();
    backends_ = internal_storage::StoreBackends{};
    absl::StatusOr<internal_storage::StoreBackends> b =
        // The real clock paces busy retries between processes.
        internal_storage::OpenStoreBackends(path(), {}, nullptr);
    ASSERT_TRUE(b.ok()) << b.status();
    backends_ = *std::move(b);
    auto no_vars = [](std::string_view) -> std::optional<std::string> {
      return std::nullopt;
    };
    auditor_ = std::make_unique<internal_audit::Auditor>(
        backends_.audit.get(), Env{.clock = &clock_},
        internal_audit::AuditorOptions{
            .agent = "test", .user = "tester", .env_vars = no_vars});
    internal_audit::EmergencyStopOptions so;
    so.file_path = dir_.File("slipway.STOP");
    so.env_vars = no_vars;
    so.warn = [](std::string_view) {};
    stop_ = std::make_unique<internal_audit::EmergencyStop>(
        backends_.audit.get(), auditor_.get(), Env{.clock = &clock_}, so);
    if (!options.alert) {
      options.alert = [](const RolloutState&, const v1::Alert&) {};
    }
    ctl_ = std::make_unique<Controller>(
        internal_rollout::ControllerDeps{.rollouts = backends_.rollouts.get(),
                                         .registry = backends_.registry.get(),
                                         .auditor = auditor_.get(),
                                         .stop = stop_.get(),
                                         .clock = &clock_},
        std::move(options));
  }

  void AddVersion(std::string_view version, bool approved = true) {
    internal_storage::NewModelVersion v;
    v.info.model = "fraud";
    v.info.version = std::string(version);
    ASSERT_TRUE(backends_.registry->InsertVersion(v).ok());
    if (!approved) return;
    ApprovalEvent e;
    e.from = ApprovalStatus::kNone;
    e.to = ApprovalStatus::kApproved;
    e.actor = "lead";
    e.role = "platform-lead";
    e.environment = "production";
    ASSERT_TRUE(
        backends_.registry->SetApproval("fraud", version, e).ok());
    ValidationRecord r;
    r.model = "fraud";
    r.version = std::string(version);
    r.environment = "staging";
    r.passed = true;
    ASSERT_TRUE(backends_.registry->AddValidation(r).ok());
  }

  void Seed() {
    for (const char* name : {"fraud-prod", "fraud-stg"}) {
      internal_storage::EndpointRecord e;
      e.name = name;
      e.environment =
          std::string_view(name) == "fraud-prod" ? "production" : "staging";
      e.model = "fraud";
      e.stable_version = "1.0.0";
      e.alert_rules = {{"accuracy", 0.05}, {"drift", 3}, {"latency", 1.5}};
      ASSERT_TRUE(backends_.rollouts->CreateEndpoint(e).ok());
      internal_storage::PipelineRecord p;
      p.name = name;
      p.environment = e.environment;
      ASSERT_TRUE(backends_.rollouts->CreatePipeline(p).ok());
      internal_storage::PipelineRunRecord run;
      run.pipeline = name;
      run.run_ms = absl::ToUnixMillis(clock_.Now());
      run.schema_check_passed = true;
      run.distribution_check_passed = true;
      ASSERT_TRUE(backends_.rollouts->AddPipelineRun(run).ok());
    }
    AddVersion("1.0.0");
    AddVersion("2.0.0");
  }

  std::string path() const { return dir_.File(db_name_); }

  // Closes the store (before a fork: a child opens its own).
  void Close() {
    ctl_.reset();
    stop_.reset();
    auditor_.reset();
    backends_ = internal_storage::StoreBackends{};
  }

  // Writes the minute that starts at `at` for both versions.
  void Record(std::string_view endpoint, absl::Time at, const Minute& stable,
              const Minute& candidate, std::string_view cand = "2.0.0") {
    ASSERT_TRUE(ctl_->RecordOutcomes(endpoint, "1.0.0", at, WindowOf(stable),
                                     "r1")
                    .ok());
    ASSERT_TRUE(ctl_->RecordOutcomes(endpoint, cand, at, WindowOf(candidate),
                                     "r1")
                    .ok());
  }

  // Advances one minute, writing the minute that just passed.
  void PassMinute(std::string_view endpoint, const Minute& stable,
                  const Minute& candidate) {
    Record(endpoint, clock_.Now(), stable, candidate);
    ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  }

  RolloutState Get(const std::string& id) {
    absl::StatusOr<RolloutState> s = ctl_->Get(id);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : RolloutState{};
  }

  // Success records of rollout transitions, and all rollout records.
  int AuditCount(std::string_view outcome) {
    absl::StatusOr<std::vector<internal_storage::AuditRecord>> all =
        auditor_->Read({});
    EXPECT_TRUE(all.ok());
    int n = 0;
    for (const auto& r : *all) {
      if (r.command.starts_with("rollout.") &&
          internal_storage::AuditOutcomeName(r.outcome) == outcome) {
        ++n;
      }
    }
    return n;
  }

  internal_storage::AuditRecord LastAudit() {
    absl::StatusOr<std::vector<internal_storage::AuditRecord>> all =
        auditor_->Read({});
    EXPECT_TRUE(all.ok() && !all->empty());
    return all->back();
  }

  std::string db_name_ = "store.db";
  storage_test::TempDir dir_;
  testing::FakeClock clock_{Start()};
  internal_storage::StoreBackends backends_;
  std::unique_ptr<internal_audit::Auditor> auditor_;
  std::unique_ptr<internal_audit::EmergencyStop> stop_;
  std::unique_ptr<Controller> ctl_;
};

}  // namespace slipway::controller_test

#endif  // SLIPWAY_TESTS_ROLLOUT_CONTROLLER_TEST_UTIL_H_
