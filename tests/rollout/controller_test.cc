// The rollout controller over a real store file, with a FakeClock: the
// default plan walked to completion, the automatic rollbacks, the emergency
// stop, the manual-approval rule and the audit of every transition.
#include "src/rollout/controller.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/rollout/controller_test_util.h"

namespace slipway::controller_test {
namespace {

class ControllerTest : public ControllerFixture {
 protected:
  // Ticks every `every` minutes (recording each minute) until the rollout
  // ends or `max_minutes` pass, approving each awaited stage with its role.
  RolloutState Walk(const std::string& id, std::string_view endpoint,
                    const Minute& stable, const Minute& cand,
                    int max_minutes, int every = 5) {
    RolloutState s = Get(id);
    for (int m = 0; m < max_minutes; ++m) {
      PassMinute(endpoint, stable, cand);
      if (m % every != every - 1) continue;
      absl::StatusOr<int> t = ctl_->Tick();
      EXPECT_TRUE(t.ok()) << t.status();
      s = Get(id);
      if (s.phase() == RolloutState::AWAITING_APPROVAL) {
        const v1::Stage& stage = s.plan().stages(s.stage_index());
        absl::StatusOr<RolloutState> a = ctl_->Approve(
            id, stage.name(), "lead@example.com", stage.approval_role());
        EXPECT_TRUE(a.ok()) << a.status();
        s = Get(id);
      }
      if (s.phase() == RolloutState::COMPLETED ||
          s.phase() == RolloutState::ROLLED_BACK ||
          s.phase() == RolloutState::ABORTED) {
        break;
      }
    }
    return s;
  }

  std::string DeployCanary(std::string_view version = "2.0.0") {
    DeployOptions o;
    o.plan = CanaryPlan();
    absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", version, "fraud-stg", o);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return "";
    EXPECT_EQ(s->phase(), RolloutState::IN_STAGE);
    EXPECT_DOUBLE_EQ(s->candidate_weight(), 0.01);
    return s->id();
  }
};

TEST_F(ControllerTest, GoodCandidateWalksEveryStageAndCompletes) {
  DeployOptions o;
  o.change_ticket = "MLOPS-2024-0456";
  o.actor = "deployer@example.com";
  absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", "2.0.0", "fraud-prod", o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->phase(), RolloutState::IN_STAGE);
  EXPECT_EQ(s->plan().stages(s->stage_index()).name(), "shadow");
  // SPEC §4: the rollback plan is recorded before the rollout starts.
  EXPECT_EQ(s->rollback_plan().stable_version(), "1.0.0");
  EXPECT_DOUBLE_EQ(s->rollback_plan().stable_weight(), 1);
  absl::StatusOr<internal_storage::RoutingSnapshot> r =
      backends_.rollouts->GetRouting("fraud-prod");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->shadow);
  EXPECT_EQ(r->candidate_version, "2.0.0");

  std::vector<std::string> stages_seen;
  RolloutState st = Walk(s->id(), "fraud-prod", Minute{}, Minute{},
                         8 * 24 * 60, 5);
  ASSERT_EQ(st.phase(), RolloutState::COMPLETED) << st.last_reason();
  absl::StatusOr<std::vector<internal_storage::TransitionRecord>> ts =
      backends_.rollouts->ListTransitions(s->id());
  ASSERT_TRUE(ts.ok());
  std::string path;
  for (const auto& t : *ts) path += t.to_phase + ",";
  // shadow, canary-1, awaiting canary-2, canary-2, ab, awaiting full, full,
  // completed.
  EXPECT_EQ(st.approvals_size(), 2) << path;
  EXPECT_EQ(static_cast<int64_t>(ts->size()), st.transition_count());

  r = backends_.rollouts->GetRouting("fraud-prod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stable_version, "2.0.0");
  EXPECT_EQ(r->candidate_version, "");
  EXPECT_DOUBLE_EQ(r->candidate_weight, 0);
  absl::StatusOr<internal_storage::EndpointRecord> ep =
      backends_.rollouts->GetEndpoint("fraud-prod");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->stable_version, "2.0.0");
  absl::StatusOr<std::vector<internal_storage::VersionHold>> held =
      backends_.registry->ProtectedVersions("fraud", 3);
  ASSERT_TRUE(held.ok());
  bool deployed = false;
  for (const auto& h : *held) {
    EXPECT_FALSE(h.reason.starts_with("held by")) << h.reason;
    if (h.version == "2.0.0") deployed = true;
  }
  EXPECT_TRUE(deployed);
  // One audit record per transition, and a sound chain.
  EXPECT_EQ(AuditCount("success"), st.transition_count());
  EXPECT_TRUE(auditor_->Verify().ok());
}

TEST_F(ControllerTest, ActiveRolloutHoldsItsCandidate) {
  std::string id = DeployCanary();
  absl::StatusOr<std::vector<internal_storage::VersionHold>> held =
      backends_.registry->ProtectedVersions("fraud", 3);
  ASSERT_TRUE(held.ok());
  bool holds = false;
  for (const auto& h : *held) {
    if (h.version == "2.0.0" && h.reason.starts_with("held by rollout:" + id)) {
      holds = true;
    }
  }
  EXPECT_TRUE(holds);
}

TEST_F(ControllerTest, ErrorRateAboveTwoPercentForFiveMinutesRollsBack) {
  std::string id = DeployCanary();
  Minute bad;
  bad.requests = 300;
  bad.errors = 9;  // 3 %
  for (int m = 0; m < 5; ++m) {
    PassMinute("fraud-stg", Minute{}, bad);
    ASSERT_TRUE(ctl_->Tick().ok());
    if (m < 4) EXPECT_EQ(Get(id).phase(), RolloutState::IN_STAGE) << m;
  }
  RolloutState s = Get(id);
  EXPECT_EQ(s.phase(), RolloutState::ROLLED_BACK) << s.last_reason();
  absl::StatusOr<internal_storage::RoutingSnapshot> r =
      backends_.rollouts->GetRouting("fraud-stg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stable_version, "1.0.0");
  EXPECT_DOUBLE_EQ(r->candidate_weight, 0);
  EXPECT_EQ(r->candidate_version, "");
  absl::StatusOr<internal_storage::RolloutRecord> rec =
      backends_.rollouts->GetRollout(id);
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(rec->failed);
  EXPECT_FALSE(rec->active);
  EXPECT_EQ(AuditCount("success"), s.transition_count());
  EXPECT_TRUE(auditor_->Verify().ok());
}

TEST_F(ControllerTest, FourBadWindowsThenAGoodOneDoNotRollBack) {
  std::string id = DeployCanary();
  Minute bad;
  bad.requests = 300;
  bad.errors = 9;
  for (int m = 0; m < 4; ++m) {
    PassMinute("fraud-stg", Minute{}, bad);
    ASSERT_TRUE(ctl_->Tick().ok());
  }
  for (int m = 0; m < 4; ++m) {
    PassMinute("fraud-stg", Minute{}, m == 0 ? Minute{} : bad);
    ASSERT_TRUE(ctl_->Tick().ok());
  }
  EXPECT_EQ(Get(id).phase(), RolloutState::IN_STAGE);
}

TEST_F(ControllerTest, P99FiftyOnePercentAboveStableRollsBack) {
  std::string id = DeployCanary();
  Minute slow;
  slow.latency_ms = 15.1;
  PassMinute("fraud-stg", Minute{}, slow);
  ASSERT_TRUE(ctl_->Tick().ok());
  EXPECT_EQ(Get(id).phase(), RolloutState::ROLLED_BACK);
}

TEST_F(ControllerTest, P99FortyNinePercentAboveStableDoesNotRollBack) {
  std::string id = DeployCanary();
  Minute slow;
  slow.latency_ms = 14.9;
  for (int m = 0; m < 10; ++m) {
    PassMinute("fraud-stg", Minute{}, slow);
    ASSERT_TRUE(ctl_->Tick().ok());
  }
  EXPECT_EQ(Get(id).phase(), RolloutState::IN_STAGE);
  absl::StatusOr<internal_rollout::StageReadings> rd = ctl_->Readings(Get(id));
  ASSERT_TRUE(rd.ok());
  EXPECT_GT(rd->p99_ratio, 1.4);
  EXPECT_LT(rd->p99_ratio, 1.5);
}

TEST_F(ControllerTest, ThinWindowsNeitherTripNorPass) {
  std::string id = DeployCanary();
  Minute thin;
  thin.requests = 50;
  thin.errors = 25;
  for (int m = 0; m < 10; ++m) {
    PassMinute("fraud-stg", Minute{}, thin);
    ASSERT_TRUE(ctl_->Tick().ok());
  }
  EXPECT_EQ(Get(id).phase(), RolloutState::IN_STAGE);
}

TEST_F(ControllerTest, EmergencyStopHaltsAndRefusesTrafficChanges) {
  DeployOptions o;
  absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", "2.0.0", "fraud-prod", o);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(stop_->Activate("incident 42", "oncall").ok());
  absl::StatusOr<internal_storage::RoutingSnapshot> before =
      backends_.rollouts->GetRouting("fraud-prod");
  ASSERT_TRUE(before.ok());
  PassMinute("fraud-prod", Minute{}, Minute{});
  absl::StatusOr<int> t = ctl_->Tick();
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, 1);
  RolloutState halted = Get(s->id());
  EXPECT_EQ(halted.phase(), RolloutState::HALTED);
  EXPECT_EQ(halted.halt_cause(), RolloutState::HALT_CAUSE_EMERGENCY_STOP);
  absl::StatusOr<internal_storage::RoutingSnapshot> after =
      backends_.rollouts->GetRouting("fraud-prod");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->generation, before->generation);  // weights unchanged
  // Halted once: the next ticks do nothing, even with failing guardrails.
  Minute bad;
  bad.requests = 300;
  bad.errors = 30;
  for (int m = 0; m < 6; ++m) {
    PassMinute("fraud-prod", Minute{}, bad);
    t = ctl_->Tick();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, 0);
  }
  EXPECT_EQ(Get(s->id()).phase(), RolloutState::HALTED);
  // A person's traffic changes are refused and audited as denied.
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<RolloutState> r =
        i == 0   ? ctl_->Rollback(s->id(), "manual", "ops")
        : i == 1 ? ctl_->Resume(s->id(), "ops")
                 : ctl_->Approve(s->id(), "canary-2", "ops", "data-science-lead");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ReasonOf(r.status()), "EMERGENCY_STOP_ACTIVE");
    internal_storage::AuditRecord last = LastAudit();
    EXPECT_EQ(internal_storage::AuditOutcomeName(last.outcome), "denied");
    EXPECT_TRUE(last.command.starts_with("rollout.")) << last.command;
  }
  // So is a new deployment in production.
  AddVersion("3.0.0");
  ASSERT_TRUE(ctl_->Abort(s->id(), "x", "ops").status().code() ==
              absl::StatusCode::kFailedPrecondition);
  // Cleared: Resume goes back to the stage.
  ASSERT_TRUE(stop_->Clear("oncall").ok());
  absl::StatusOr<RolloutState> resumed = ctl_->Resume(s->id(), "ops");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->phase(), RolloutState::IN_STAGE);
  EXPECT_EQ(AuditCount("success"), resumed->transition_count());
  EXPECT_TRUE(auditor_->Verify().ok());
}

TEST_F(ControllerTest, EmergencyStopRefusesDeployInProduction) {
  ASSERT_TRUE(stop_->Activate("incident", "oncall").ok());
  absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", "2.0.0", "fraud-prod");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ReasonOf(s.status()), "EMERGENCY_STOP_ACTIVE");
  EXPECT_EQ(internal_storage::AuditOutcomeName(LastAudit().outcome), "denied");
  absl::StatusOr<std::vector<internal_storage::RolloutRecord>> all =
      backends_.rollouts->ListRollouts("fraud-prod", false);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(ControllerTest, TwoFailedRolloutsRequireManualApproval) {
  AddVersion("3.0.0");
  AddVersion("4.0.0");
  for (const char* v : {"2.0.0", "3.0.0"}) {
    absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", v, "fraud-prod");
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE(ctl_->Rollback(s->id(), "bad", "ops").ok());
  }
  absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", "4.0.0", "fraud-prod");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ReasonOf(s.status()), "GATE_MANUAL_APPROVAL");
  EXPECT_EQ(internal_storage::AuditOutcomeName(LastAudit().outcome), "denied");
  DeployOptions o;
  o.manual_approval =
      internal_rollout::ManualApproval{"lead@example.com", "platform-lead"};
  s = ctl_->Deploy("fraud", "4.0.0", "fraud-prod", o);
  ASSERT_TRUE(s.ok()) << s.status();
}

TEST_F(ControllerTest, GatesRefuseInProductionAndWarnInStaging) {
  AddVersion("3.0.0", /*approved=*/false);
  absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", "3.0.0", "fraud-prod");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ReasonOf(s.status()), "GATE_MODEL_VALIDATION");
  s = ctl_->Deploy("fraud", "3.0.0", "fraud-stg");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->gate_notes().empty());
}

TEST_F(ControllerTest, WrongRoleIsDeniedAndAudited) {
  std::string id = DeployCanary();
  for (int m = 0; m < 31; ++m) PassMinute("fraud-stg", Minute{}, Minute{});
  ASSERT_TRUE(ctl_->Tick().ok());
  ASSERT_EQ(Get(id).phase(), RolloutState::AWAITING_APPROVAL);
  absl::StatusOr<RolloutState> a =
      ctl_->Approve(id, "full", "dev", "data-science-lead");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(ReasonOf(a.status()), "ROLE_REQUIRED");
  EXPECT_EQ(internal_storage::AuditOutcomeName(LastAudit().outcome), "denied");
  a = ctl_->Approve(id, "full", "lead", "platform-lead");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->phase(), RolloutState::IN_STAGE);
  PassMinute("fraud-stg", Minute{}, Minute{});
  ASSERT_TRUE(ctl_->Tick().ok());
  EXPECT_EQ(Get(id).phase(), RolloutState::COMPLETED);
}

TEST_F(ControllerTest, DriftReportHalts) {
  std::string id = DeployCanary();
  PassMinute("fraud-stg", Minute{}, Minute{});
  absl::StatusOr<RolloutState> s = ctl_->ReportDrift(id, "amount", 2.5, "");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->phase(), RolloutState::IN_STAGE);
  s = ctl_->ReportDrift(id, "amount", 3.5, "");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->phase(), RolloutState::HALTED);
  EXPECT_EQ(s->halt_cause(), RolloutState::HALT_CAUSE_DRIFT);
}

TEST_F(ControllerTest, CrashBetweenCommitAndActIsReconciledByTick) {
  // The hook kills the actions after the commit (as a crash would): the
  // hold is never set; the next tick sets it.
  ControllerOptions o;
  bool skip = true;
  o.hook = [&skip](std::string_view point) {
    if (point == "committed" && skip) throw 1;
  };
  Open(o);
  DeployOptions d;
  d.plan = CanaryPlan();
  try {
    (void)ctl_->Deploy("fraud", "2.0.0", "fraud-stg", d);
  } catch (int) {
  }
  skip = false;
  absl::StatusOr<std::vector<internal_storage::VersionHold>> held =
      backends_.registry->ProtectedVersions("fraud", 0);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->empty());
  ASSERT_TRUE(ctl_->Tick().ok());
  held = backends_.registry->ProtectedVersions("fraud", 0);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->size(), 1u);
}

}  // namespace
}  // namespace slipway::controller_test
