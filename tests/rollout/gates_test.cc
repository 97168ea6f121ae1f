#include "src/rollout/gates.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rollout/rollout_test_util.h"

namespace slipway::internal_rollout {
namespace {

using ::slipway::rollout_test::PassingGateContext;
using ::slipway::rollout_test::ReasonOf;
using ::testing::HasSubstr;

// Checks that CheckGates refuses `ctx` with `reason`, a message naming the
// gate, and a fix.
void ExpectGateFails(const GateContext& ctx, const GatePolicy& policy,
                     std::string_view reason, std::string_view needle) {
  absl::StatusOr<GateReport> r = CheckGates(ctx, policy);
  ASSERT_FALSE(r.ok()) << reason;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status()), reason);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr(std::string(needle)));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("gate \""));
  EXPECT_FALSE(GetErrorDetail(r.status())->fix.empty());
}

TEST(GatesTest, AllPassForAReadyRollout) {
  absl::StatusOr<GateReport> r = CheckGates(PassingGateContext(), GatePolicy{});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results.size(), std::size(kAllGates));
  for (const GateResult& g : r->results) {
    EXPECT_EQ(g.outcome, GateOutcome::kPassed) << GateName(g.gate);
  }
  EXPECT_TRUE(r->notes.empty());
}

TEST(GatesTest, NamesAndReasons) {
  EXPECT_EQ(GateName(Gate::kChangeTicket), "change ticket");
  EXPECT_EQ(GateReason(Gate::kChangeTicket), "GATE_CHANGE_TICKET");
  EXPECT_EQ(GateReason(Gate::kModelValidation), "GATE_MODEL_VALIDATION");
  EXPECT_EQ(GateReason(Gate::kShadowFirst), "GATE_SHADOW_FIRST");
  EXPECT_EQ(GateReason(Gate::kCanary), "GATE_CANARY");
  EXPECT_EQ(GateReason(Gate::kMonitoring), "GATE_MONITORING");
  EXPECT_EQ(GateReason(Gate::kDataQuality), "GATE_DATA_QUALITY");
  EXPECT_EQ(GateReason(Gate::kManualApproval), "GATE_MANUAL_APPROVAL");
}

TEST(ChangeTicketGateTest, OptionalByDefaultSkippedWithANote) {
  GateContext ctx = PassingGateContext();
  ctx.change_ticket.clear();
  absl::StatusOr<GateReport> r = CheckGates(ctx, GatePolicy{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->results[0].outcome, GateOutcome::kSkipped);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_THAT(r->notes[0], HasSubstr("no ticket given"));
  EXPECT_THAT(r->notes[0], HasSubstr("if available"));
}

TEST(ChangeTicketGateTest, RequiredMissingMalformedAndOff) {
  GatePolicy required;
  required.change_ticket = GateRequirement::kRequired;
  GateContext ctx = PassingGateContext();
  EXPECT_TRUE(CheckGates(ctx, required).ok());
  ctx.change_ticket.clear();
  ExpectGateFails(ctx, required, "GATE_CHANGE_TICKET",
                  "no change ticket was given");

  // A ticket given must be well formed, optional or not.
  for (const char* bad :
       {"MLOPS-24-0456", "mlops-2024-0456", "MLOPS-2024-0456 ",
        "MLOPS-2024-04567", "X MLOPS-2024-0456"}) {
    GateContext c = PassingGateContext();
    c.change_ticket = bad;
    ExpectGateFails(c, GatePolicy{}, "GATE_CHANGE_TICKET",
                    "does not match the format");
  }
  GateContext long_ticket = PassingGateContext();
  long_ticket.change_ticket = "A" + std::string(300, 'B') + "-2024-0456";
  ExpectGateFails(long_ticket, GatePolicy{}, "GATE_CHANGE_TICKET",
                  "does not match");

  GatePolicy off;
  off.change_ticket = GateRequirement::kOff;
  GateContext c = PassingGateContext();
  c.change_ticket = "anything";
  absl::StatusOr<GateReport> r = CheckGates(c, off);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->results[0].outcome, GateOutcome::kSkipped);
  EXPECT_THAT(r->notes[0], HasSubstr("switched off by policy"));
}

TEST(ChangeTicketGateTest, TheFormatIsConfigurable) {
  GatePolicy policy;
  policy.change_ticket_format = R"(^CHG\d{7}$)";
  GateContext ctx = PassingGateContext();
  ctx.change_ticket = "CHG0012345";
  EXPECT_TRUE(CheckGates(ctx, policy).ok());
  ctx.change_ticket = "MLOPS-2024-0456";
  ExpectGateFails(ctx, policy, "GATE_CHANGE_TICKET", "^CHG\\d{7}$");

  policy.change_ticket_format = "([";
  absl::StatusOr<GateReport> r = CheckGates(ctx, policy);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(r.status()), "GATE_POLICY_INVALID");
  // A broken policy refuses even where gates are not enforced.
  policy.enforce = false;
  EXPECT_EQ(ReasonOf(CheckGates(ctx, policy).status()), "GATE_POLICY_INVALID");
}

TEST(ModelValidationGateTest, PassedInStagingAndApproved) {
  GateContext ctx = PassingGateContext();
  ctx.staging_validation_passed.reset();
  ExpectGateFails(ctx, {}, "GATE_MODEL_VALIDATION", "no validation in staging");
  ctx.staging_validation_passed = false;
  ExpectGateFails(ctx, {}, "GATE_MODEL_VALIDATION",
                  "validation in staging failed");
  for (ApprovalStatus a :
       {ApprovalStatus::kNone, ApprovalStatus::kPendingApproval,
        ApprovalStatus::kRejected}) {
    GateContext c = PassingGateContext();
    c.approval = a;
    ExpectGateFails(c, {}, "GATE_MODEL_VALIDATION",
                    "approval status is " + std::string(ApprovalStatusName(a)));
  }
}

TEST(ShadowFirstGateTest, TwentyFourHoursOfShadowOrAbBeforeFullTraffic) {
  GateContext ctx = PassingGateContext();
  ctx.plan.mutable_stages(0)->set_min_observation_seconds(23 * 3600);
  ExpectGateFails(ctx, {}, "GATE_SHADOW_FIRST",
                  "23 h of shadow or A/B observation");
  // Hours the version already ran as shadow elsewhere count.
  ctx.observed_shadow_or_ab_hours = 1;
  EXPECT_TRUE(CheckGates(ctx, {}).ok());

  // A plan without shadow: its A/B stage's minimum observation counts.
  GateContext no_shadow = PassingGateContext();
  no_shadow.plan.mutable_stages()->DeleteSubrange(0, 1);
  ExpectGateFails(no_shadow, {}, "GATE_SHADOW_FIRST", "0 h planned");
  no_shadow.plan.mutable_stages(2)->set_min_observation_seconds(24 * 3600);
  EXPECT_TRUE(CheckGates(no_shadow, {}).ok());
}

TEST(CanaryGateTest, FirstServingStageAtMostTenPercent) {
  GateContext ctx = PassingGateContext();
  ctx.plan.mutable_stages(1)->set_candidate_weight(0.10);
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  ctx.plan.mutable_stages(1)->set_candidate_weight(0.11);
  ExpectGateFails(ctx, {}, "GATE_CANARY", "\"canary-1\" routes 11%");
  GateContext none = PassingGateContext();
  none.plan.clear_stages();
  // No stages: no shadow hours and no serving stage; the first failure
  // reported is shadow-first, and canary is listed with it.
  absl::StatusOr<GateReport> r = CheckGates(none, {});
  EXPECT_EQ(ReasonOf(r.status()), "GATE_SHADOW_FIRST");
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("canary enforcement"));
}

TEST(MonitoringGateTest, ThreeRulesForAccuracyLatencyAndDrift) {
  GateContext ctx = PassingGateContext();
  ctx.alert_rules.pop_back();  // no drift rule
  ExpectGateFails(ctx, {}, "GATE_MONITORING", "2 alert rules, none for drift");
  ctx.alert_rules.push_back({"errors", AlertKind::kErrorRate});
  ExpectGateFails(ctx, {}, "GATE_MONITORING", "none for drift");
  ctx.alert_rules.push_back({"ks", AlertKind::kDrift});
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  ctx.alert_rules.clear();
  ExpectGateFails(ctx, {}, "GATE_MONITORING",
                  "none for accuracy, latency, drift");
  GatePolicy four;
  four.min_alert_rules = 4;
  ExpectGateFails(PassingGateContext(), four, "GATE_MONITORING",
                  "3 alert rules");
}

TEST(DataQualityGateTest, LastRunPassedAndNoDriftAlert) {
  GateContext ctx = PassingGateContext();
  ctx.last_pipeline_run.reset();
  ExpectGateFails(ctx, {}, "GATE_DATA_QUALITY", "no pipeline run");
  ctx = PassingGateContext();
  ctx.last_pipeline_run->schema_passed = false;
  ExpectGateFails(ctx, {}, "GATE_DATA_QUALITY",
                  "the schema check of the last run");
  ctx = PassingGateContext();
  ctx.last_pipeline_run->distribution_passed = false;
  ExpectGateFails(ctx, {}, "GATE_DATA_QUALITY", "distribution check");
  ctx = PassingGateContext();
  ctx.drift_alert_active = true;
  ExpectGateFails(ctx, {}, "GATE_DATA_QUALITY", "a drift alert is active");
}

TEST(ManualApprovalGateTest, TwoConsecutiveFailuresNeedALead) {
  GateContext ctx = PassingGateContext();
  ctx.consecutive_failed_rollouts = 1;
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  ctx.consecutive_failed_rollouts = 2;
  ExpectGateFails(ctx, {}, "GATE_MANUAL_APPROVAL",
                  "2 consecutive rollouts on the endpoint failed and no manual "
                  "approval was given");
  ctx.manual_approval = ManualApproval{"sam", "engineer"};
  ExpectGateFails(ctx, {}, "GATE_MANUAL_APPROVAL", "is in role \"engineer\"");
  ctx.manual_approval = ManualApproval{"pat", "platform-lead"};
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  ctx.manual_approval = ManualApproval{"", "platform-lead"};
  ExpectGateFails(ctx, {}, "GATE_MANUAL_APPROVAL", "no manual approval");
}

TEST(GatesTest, EveryFailingGateIsListed) {
  GateContext ctx = PassingGateContext();
  ctx.approval = ApprovalStatus::kPendingApproval;
  ctx.alert_rules.clear();
  ctx.drift_alert_active = true;
  absl::StatusOr<GateReport> r = CheckGates(ctx, {});
  EXPECT_EQ(ReasonOf(r.status()), "GATE_MODEL_VALIDATION");
  EXPECT_THAT(
      std::string(r.status().message()),
      HasSubstr("Other gates failing too: monitoring active, data quality."));
  GateReport all = EvaluateGates(ctx, {});
  int failed = 0;
  for (const GateResult& g : all.results)
    failed += g.outcome == GateOutcome::kFailed;
  EXPECT_EQ(failed, 3);
}

TEST(GatesTest, OutsideProductionFailuresWarnWithNotes) {
  GateContext ctx = PassingGateContext();
  ctx.approval = ApprovalStatus::kNone;
  ctx.alert_rules.clear();
  GatePolicy staging;
  staging.enforce = false;
  absl::StatusOr<GateReport> r = CheckGates(ctx, staging);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->notes.size(), 2u);
  EXPECT_THAT(r->notes[0], HasSubstr("gate \"model validation\" not enforced"));
  EXPECT_THAT(r->notes[1],
              HasSubstr("gate \"monitoring active\" not enforced"));
  EXPECT_EQ(r->results[1].outcome, GateOutcome::kNotEnforced);
  EXPECT_EQ(ReasonOf(r->results[1].status), "GATE_MODEL_VALIDATION");
}

}  // namespace
}  // namespace slipway::internal_rollout
