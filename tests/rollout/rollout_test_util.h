// Helpers shared by the rollout tests and the SPEC §2/§3 tests: a fresh
// rollout state, healthy verdicts, action kinds as text, error reasons.
#ifndef SLIPWAY_TESTS_ROLLOUT_ROLLOUT_TEST_UTIL_H_
#define SLIPWAY_TESTS_ROLLOUT_ROLLOUT_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "slipway/status.h"
#include "slipway/v1/rollout.pb.h"
#include "src/rollout/gates.h"
#include "src/rollout/plan.h"
#include "src/rollout/state_machine.h"

namespace slipway::rollout_test {

// 2026-01-01T00:00:00Z: every test's simulated start.
inline absl::Time T0() { return absl::FromUnixSeconds(1767225600); }

inline std::string ReasonOf(const absl::Status& s) {
  std::optional<ErrorDetail> d = GetErrorDetail(s);
  return d ? d->reason
           : std::string("(no detail: ") + std::string(s.message()) + ")";
}

// A PENDING rollout of fraud 2.0.0 (stable 1.0.0) on endpoint "fraud-api",
// its rollback plan recorded (stable 100 %).
inline v1::RolloutState NewState() {
  v1::RolloutState s;
  s.set_id("r-1");
  s.set_endpoint("fraud-api");
  s.set_model("fraud");
  s.set_candidate_version("2.0.0");
  s.set_stable_version("1.0.0");
  s.set_stable_weight(1.0);
  s.set_candidate_weight(0.0);
  s.set_phase(v1::RolloutState::PENDING);
  v1::RollbackPlan* rb = s.mutable_rollback_plan();
  rb->set_stable_version("1.0.0");
  rb->set_stable_weight(1.0);
  rb->set_candidate_weight(0.0);
  *rb->mutable_recorded_at() = internal_rollout::ToProtoTime(T0());
  return s;
}

// A state in `phase` at stage `stage` of `plan`, entered at `entered`, with
// the weights that phase has (the stage's own in IN_STAGE and HALTED, the
// previous stage's in AWAITING_APPROVAL).
inline v1::RolloutState StateAt(const v1::Plan& plan,
                                v1::RolloutState::Phase phase, int stage,
                                absl::Time entered = T0()) {
  v1::RolloutState s = NewState();
  s.set_phase(phase);
  s.set_stage_index(stage);
  *s.mutable_stage_entered_at() = internal_rollout::ToProtoTime(entered);
  *s.mutable_started_at() = internal_rollout::ToProtoTime(entered);
  s.set_transition_count(3);
  int in_force =
      phase == v1::RolloutState::AWAITING_APPROVAL ? stage - 1 : stage;
  if (in_force >= 0 && in_force < plan.stages_size()) {
    v1::SetWeights w = internal_rollout::WeightsOf(plan.stages(in_force));
    s.set_stable_weight(w.stable());
    s.set_candidate_weight(w.candidate());
    s.set_shadow(w.shadow());
  }
  if (phase == v1::RolloutState::HALTED) {
    s.set_halt_cause(v1::RolloutState::HALT_CAUSE_DRIFT);
    s.set_halted_from(v1::RolloutState::IN_STAGE);
  }
  return s;
}

inline internal_rollout::StageVerdicts Healthy(int64_t samples = 5000,
                                               int64_t predictions = 5000) {
  internal_rollout::StageVerdicts v;
  v.error_rate = internal_rollout::GuardrailVerdict::kHealthy;
  v.latency = internal_rollout::GuardrailVerdict::kHealthy;
  v.accuracy = internal_rollout::GuardrailVerdict::kHealthy;
  v.samples = samples;
  v.predictions = predictions;
  return v;
}

// "SET_WEIGHTS,ALERT,RELEASE_HOLD" — the kinds of `actions`, in order.
inline std::string ActionKinds(const std::vector<v1::Action>& actions) {
  std::string out;
  for (const v1::Action& a : actions) {
    if (!out.empty()) out += ",";
    switch (a.kind_case()) {
      case v1::Action::kSetWeights:
        out += "SET_WEIGHTS";
        break;
      case v1::Action::kAlert:
        out += "ALERT";
        break;
      case v1::Action::kRecordDeployment:
        out += "RECORD_DEPLOYMENT";
        break;
      case v1::Action::kHoldVersion:
        out += "HOLD_VERSION";
        break;
      case v1::Action::kReleaseHold:
        out += "RELEASE_HOLD";
        break;
      default:
        out += "?";
        break;
    }
  }
  return out;
}

// The first action of `kind` in `actions`, or nullptr.
inline const v1::Action* FindAction(const std::vector<v1::Action>& actions,
                                    v1::Action::KindCase kind) {
  for (const v1::Action& a : actions) {
    if (a.kind_case() == kind) return &a;
  }
  return nullptr;
}

// A GateContext every gate passes with the default policy and plan.
inline internal_rollout::GateContext PassingGateContext() {
  internal_rollout::GateContext ctx;
  ctx.endpoint = "fraud-api";
  ctx.model = "fraud";
  ctx.version = "2.0.0";
  ctx.change_ticket = "MLOPS-2024-0456";
  ctx.staging_validation_passed = true;
  ctx.approval = ApprovalStatus::kApproved;
  ctx.plan = internal_rollout::DefaultPlan();
  ctx.alert_rules = {{"acc-drop", internal_rollout::AlertKind::kAccuracy},
                     {"p99", internal_rollout::AlertKind::kLatency},
                     {"psi", internal_rollout::AlertKind::kDrift}};
  ctx.last_pipeline_run =
      internal_rollout::PipelineChecks{"features", "run-7", true, true};
  return ctx;
}

}  // namespace slipway::rollout_test

#endif  // SLIPWAY_TESTS_ROLLOUT_ROLLOUT_TEST_UTIL_H_
