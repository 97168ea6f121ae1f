// SPEC.md §2 — Approval gates (before production traffic). One test per
// sentence of the section, on the pure core that decides them
// (src/rollout/gates.h, plan.h, state_machine.h): CheckGates over a
// snapshot, ValidatePlan, and the state machine's Start.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "src/rollout/gates.h"
#include "src/rollout/plan.h"
#include "src/rollout/state_machine.h"
#include "tests/rollout/rollout_test_util.h"

namespace slipway::internal_rollout {
namespace {

using ::slipway::rollout_test::NewState;
using ::slipway::rollout_test::PassingGateContext;
using ::slipway::rollout_test::ReasonOf;
using ::slipway::rollout_test::T0;
using ::testing::HasSubstr;

std::string Message(const absl::StatusOr<GateReport>& r) {
  return std::string(r.status().message());
}

// "All of these are checked before a production rollout may start"
TEST(Spec2ApprovalGates, AllGatesAreCheckedBeforeARolloutMayStart) {
  // CheckGates evaluates each of the section's six gates (and SPEC §3's
  // manual approval after failed rollouts).
  const GateReport report = EvaluateGates(PassingGateContext(), GatePolicy{});
  ASSERT_EQ(report.results.size(), 7u);
  std::vector<std::string> names;
  for (const GateResult& g : report.results)
    names.emplace_back(GateName(g.gate));
  EXPECT_THAT(names,
              ::testing::IsSupersetOf(
                  {"change ticket", "model validation", "shadow / A-B first",
                   "canary enforcement", "monitoring active", "data quality"}));
  // The state machine refuses to start a rollout whose gates were not
  // checked, and moves no traffic.
  const StepResult r = Step(NewState(), DefaultPlan(), Start{}, T0());
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status), "GATES_NOT_CHECKED");
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(r.next.phase(), v1::RolloutState::PENDING);
}

// "each failure names the gate and what would satisfy it."
TEST(Spec2ApprovalGates, EachFailureNamesTheGateAndWhatWouldSatisfyIt) {
  struct Case {
    Gate gate;
    void (*break_it)(GateContext*);
  } cases[] = {
      {Gate::kChangeTicket,
       [](GateContext* c) { c->change_ticket = "CHG 42"; }},
      {Gate::kModelValidation,
       [](GateContext* c) { c->approval = ApprovalStatus::kPendingApproval; }},
      {Gate::kShadowFirst,
       [](GateContext* c) {
         c->plan.mutable_stages(0)->set_min_observation_seconds(60);
       }},
      {Gate::kCanary,
       [](GateContext* c) {
         c->plan.mutable_stages(1)->set_candidate_weight(0.25);
       }},
      {Gate::kMonitoring, [](GateContext* c) { c->alert_rules.clear(); }},
      {Gate::kDataQuality,
       [](GateContext* c) { c->drift_alert_active = true; }},
  };
  for (const Case& c : cases) {
    GateContext ctx = PassingGateContext();
    c.break_it(&ctx);
    absl::StatusOr<GateReport> r = CheckGates(ctx, GatePolicy{});
    ASSERT_FALSE(r.ok()) << GateName(c.gate);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(r.status()), GateReason(c.gate));
    EXPECT_THAT(Message(r),
                HasSubstr("gate \"" + std::string(GateName(c.gate)) + "\""));
    const std::string fix = GetErrorDetail(r.status())->fix;
    EXPECT_FALSE(fix.empty());
    EXPECT_THAT(Message(r), HasSubstr(fix));
  }
}

// "Change ticket (if available): an ID in a configurable format (example
// MLOPS-2024-0456)."
TEST(Spec2ApprovalGates, ChangeTicketIsAnIdInAConfigurableFormat) {
  GateContext ctx = PassingGateContext();
  ctx.change_ticket = "MLOPS-2024-0456";
  EXPECT_TRUE(CheckGates(ctx, GatePolicy{}).ok());
  ctx.change_ticket = "MLOPS-2024-456";
  absl::StatusOr<GateReport> r = CheckGates(ctx, GatePolicy{});
  EXPECT_EQ(ReasonOf(r.status()), "GATE_CHANGE_TICKET");
  EXPECT_THAT(Message(r), HasSubstr("\"MLOPS-2024-456\""));
  EXPECT_EQ(GetErrorDetail(r.status())->value, "MLOPS-2024-456");

  GatePolicy servicenow;
  servicenow.change_ticket_format = R"(^CHG\d{7}$)";
  ctx.change_ticket = "CHG0001234";
  EXPECT_TRUE(CheckGates(ctx, servicenow).ok());
}

// "(if available)": "a policy may switch it off: the library then records
// the skipped safeguard in the audit log and goes on. It never blocks a
// user because a formal process does not exist in their setup."
TEST(Spec2ApprovalGates, ChangeTicketIfAvailableIsSkippedWithANoteToAudit) {
  GateContext ctx = PassingGateContext();
  ctx.change_ticket.clear();
  absl::StatusOr<GateReport> r = CheckGates(ctx, GatePolicy{});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_THAT(r->notes[0], HasSubstr("change ticket gate skipped"));
  // The notes travel into the rollout's state, for the audit record.
  const StepResult started =
      Step(NewState(), DefaultPlan(),
           Start{.gates_checked = true, .gate_notes = r->notes}, T0());
  ASSERT_TRUE(started.status.ok());
  ASSERT_EQ(started.next.gate_notes_size(), 1);
  EXPECT_EQ(started.next.gate_notes(0), r->notes[0]);

  GatePolicy off;
  off.change_ticket = GateRequirement::kOff;
  ctx.change_ticket = "not-a-ticket";
  r = CheckGates(ctx, off);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->notes[0], HasSubstr("switched off by policy"));

  GatePolicy required;
  required.change_ticket = GateRequirement::kRequired;
  ctx.change_ticket.clear();
  EXPECT_EQ(ReasonOf(CheckGates(ctx, required).status()), "GATE_CHANGE_TICKET");
}

// "Model validation: the version has passed its recorded validation checks
// (accuracy, bias, latency benchmarks) in staging and its approval status
// is Approved."
TEST(Spec2ApprovalGates, ModelValidationPassedInStagingAndApproved) {
  GateContext ctx = PassingGateContext();
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  ctx.staging_validation_passed.reset();
  EXPECT_EQ(ReasonOf(CheckGates(ctx, {}).status()), "GATE_MODEL_VALIDATION");
  ctx.staging_validation_passed = false;
  EXPECT_EQ(ReasonOf(CheckGates(ctx, {}).status()), "GATE_MODEL_VALIDATION");
  ctx = PassingGateContext();
  ctx.approval = ApprovalStatus::kRejected;
  absl::StatusOr<GateReport> r = CheckGates(ctx, {});
  EXPECT_EQ(ReasonOf(r.status()), "GATE_MODEL_VALIDATION");
  EXPECT_THAT(Message(r), HasSubstr("Approved"));
}

// "Shadow / A-B first: a new version runs as shadow or A/B variant before
// full traffic; at least 24 hours of observation."
TEST(Spec2ApprovalGates, ShadowOrAbFirstWithTwentyFourHoursOfObservation) {
  // The default plan starts with a 24 h shadow stage.
  const v1::Plan plan = DefaultPlan();
  EXPECT_TRUE(plan.stages(0).shadow());
  EXPECT_EQ(plan.stages(0).min_observation_seconds(), 24 * 3600);
  EXPECT_TRUE(CheckGates(PassingGateContext(), {}).ok());

  // A plan that goes to traffic without 24 h of shadow or A/B is refused.
  GateContext ctx = PassingGateContext();
  ctx.plan.mutable_stages(0)->set_min_observation_seconds(24 * 3600 - 1);
  absl::StatusOr<GateReport> r = CheckGates(ctx, {});
  EXPECT_EQ(ReasonOf(r.status()), "GATE_SHADOW_FIRST");
  EXPECT_THAT(Message(r), HasSubstr("less than 24 h"));
}

// "Canary enforcement: the first production stage that serves traffic
// routes at most 10%."
TEST(Spec2ApprovalGates, TheFirstServingStageRoutesAtMostTenPercent) {
  GateContext ctx = PassingGateContext();
  ctx.plan.mutable_stages(1)->set_candidate_weight(0.10);
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  EXPECT_TRUE(ValidatePlan(ctx.plan).ok());
  ctx.plan.mutable_stages(1)->set_candidate_weight(0.11);
  ctx.plan.mutable_stages(2)->set_candidate_weight(0.11);
  EXPECT_EQ(ReasonOf(CheckGates(ctx, {}).status()), "GATE_CANARY");
  // The plan itself is refused too, and Start with it moves nothing.
  EXPECT_EQ(ReasonOf(ValidatePlan(ctx.plan)), "PLAN_INVALID");
  const StepResult r =
      Step(NewState(), ctx.plan, Start{.gates_checked = true}, T0());
  EXPECT_EQ(ReasonOf(r.status), "PLAN_INVALID");
  EXPECT_TRUE(r.actions.empty());
}

// "Monitoring active: the endpoint has at least 3 alert rules — accuracy,
// latency and drift."
TEST(Spec2ApprovalGates, MonitoringActiveNeedsAccuracyLatencyAndDriftRules) {
  GateContext ctx = PassingGateContext();
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  for (size_t drop = 0; drop < 3; ++drop) {
    GateContext c = PassingGateContext();
    c.alert_rules.erase(c.alert_rules.begin() + drop);
    c.alert_rules.push_back(
        {"errors", AlertKind::kErrorRate});  // still 3 rules
    absl::StatusOr<GateReport> r = CheckGates(c, {});
    EXPECT_EQ(ReasonOf(r.status()), "GATE_MONITORING");
    EXPECT_THAT(Message(r), HasSubstr("none for"));
  }
}

// "Data quality: the last pipeline run's schema and distribution checks
// passed, and no drift alert is active."
TEST(Spec2ApprovalGates, DataQualityChecksPassedAndNoDriftAlert) {
  EXPECT_TRUE(CheckGates(PassingGateContext(), {}).ok());
  GateContext schema = PassingGateContext();
  schema.last_pipeline_run->schema_passed = false;
  EXPECT_EQ(ReasonOf(CheckGates(schema, {}).status()), "GATE_DATA_QUALITY");
  GateContext distribution = PassingGateContext();
  distribution.last_pipeline_run->distribution_passed = false;
  EXPECT_EQ(ReasonOf(CheckGates(distribution, {}).status()),
            "GATE_DATA_QUALITY");
  GateContext drift = PassingGateContext();
  drift.drift_alert_active = true;
  EXPECT_EQ(ReasonOf(CheckGates(drift, {}).status()), "GATE_DATA_QUALITY");
}

}  // namespace
}  // namespace slipway::internal_rollout
