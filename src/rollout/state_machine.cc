#include "src/rollout/state_machine.h"

#include <algorithm>
#include <array>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_format.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/rollout/plan.h"

namespace slipway::internal_rollout {
namespace {

using internal_strings::Cat;
using Phase = v1::RolloutState::Phase;
using Kind = v1::Transition::InputKind;

// Everything a handler reads. Handlers are pure functions of this.
struct Ctx {
  const v1::RolloutState& state;
  const v1::Plan& plan;
  const Input& input;
  absl::Time now;
};

std::string Percent(double w) { return absl::StrFormat("%g%%", w * 100); }

std::string StageName(const Ctx& c, int index) {
  if (index < 0 || index >= c.plan.stages_size()) return Cat("#", index);
  return c.plan.stages(index).name();
}

std::string ActorOf(const Input& input) {
  if (const auto* a = std::get_if<Approve>(&input)) return a->actor;
  if (const auto* r = std::get_if<Rollback>(&input)) return r->actor;
  if (const auto* a = std::get_if<Abort>(&input)) return a->actor;
  if (const auto* r = std::get_if<Resume>(&input)) return r->actor;
  return "";
}

// --- Results -----------------------------------------------------------------

StepResult Refuse(const Ctx& c, absl::StatusCode code, std::string_view reason,
                  std::string_view what, std::string_view rule,
                  std::string_view value, std::string_view fix) {
  StepResult r;
  r.status = MakeError(code, Cat(what, ". ", fix),
                       ErrorDetail{.reason = std::string(reason),
                                   .rule = std::string(rule),
                                   .value = std::string(value),
                                   .fix = std::string(fix)});
  r.next = c.state;
  r.why = std::string(r.status.message());
  return r;
}

// Nothing changes; `why` says what the rollout waits for.
StepResult Stay(const Ctx& c, std::string why) {
  StepResult r;
  r.next = c.state;
  r.why = std::move(why);
  return r;
}

// A transition to (`phase`, `stage`): the caller adjusts the rest of
// `r.next` (weights, times) before returning.
StepResult Move(const Ctx& c, Phase phase, int stage, std::string why,
                std::vector<v1::Action> actions) {
  StepResult r;
  r.next = c.state;
  r.next.set_phase(phase);
  r.next.set_stage_index(stage);
  r.next.set_last_reason(why);
  r.next.set_transition_count(c.state.transition_count() + 1);
  *r.next.mutable_updated_at() = ToProtoTime(c.now);
  if (phase != v1::RolloutState::HALTED) {
    r.next.set_halt_cause(v1::RolloutState::HALT_CAUSE_NONE);
    r.next.set_halted_from(v1::RolloutState::PENDING);
  }
  v1::Transition t;
  t.set_rollout_id(c.state.id());
  t.set_from_phase(c.state.phase());
  t.set_from_stage(c.state.stage_index());
  t.set_to_phase(phase);
  t.set_to_stage(stage);
  t.set_input(KindOf(c.input));
  t.set_actor(ActorOf(c.input));
  t.set_reason(why);
  *t.mutable_at() = ToProtoTime(c.now);
  for (const v1::Action& a : actions) *t.add_actions() = a;
  t.set_seq(r.next.transition_count());
  r.transition = std::move(t);
  r.actions = std::move(actions);
  r.why = std::move(why);
  return r;
}

// --- Actions -----------------------------------------------------------------

v1::Action SetWeightsAction(const v1::SetWeights& w) {
  v1::Action a;
  *a.mutable_set_weights() = w;
  return a;
}

v1::Action AlertAction(v1::Alert::Severity severity, std::string message) {
  v1::Action a;
  a.mutable_alert()->set_severity(severity);
  a.mutable_alert()->set_message(std::move(message));
  return a;
}

v1::Action HoldAction(const v1::RolloutState& s) {
  v1::Action a;
  a.mutable_hold_version()->set_model(s.model());
  a.mutable_hold_version()->set_version(s.candidate_version());
  return a;
}

v1::Action ReleaseAction(const v1::RolloutState& s) {
  v1::Action a;
  a.mutable_release_hold()->set_model(s.model());
  a.mutable_release_hold()->set_version(s.candidate_version());
  return a;
}

v1::Action RecordDeploymentAction(const v1::RolloutState& s) {
  v1::Action a;
  a.mutable_record_deployment()->set_endpoint(s.endpoint());
  a.mutable_record_deployment()->set_model(s.model());
  a.mutable_record_deployment()->set_version(s.candidate_version());
  return a;
}

void ApplyWeights(v1::RolloutState* s, const v1::SetWeights& w) {
  s->set_stable_weight(w.stable());
  s->set_candidate_weight(w.candidate());
  s->set_shadow(w.shadow());
}

v1::SetWeights RollbackWeights(const v1::RolloutState& s) {
  v1::SetWeights w;
  w.set_stable(s.rollback_plan().stable_weight());
  w.set_candidate(s.rollback_plan().candidate_weight());
  w.set_shadow(false);
  return w;
}

std::string RollbackTarget(const v1::RolloutState& s) {
  return Cat("version ",
             s.rollback_plan().stable_version().empty()
                 ? std::string("(none)")
                 : QuoteForMessage(s.rollback_plan().stable_version()),
             " at ", Percent(s.rollback_plan().stable_weight()));
}

// Traffic back to the rollback plan (SPEC §4), the candidate's hold lifted.
StepResult EndWithRollbackWeights(const Ctx& c, Phase phase,
                                  v1::Alert::Severity severity,
                                  std::string why) {
  const v1::SetWeights w = RollbackWeights(c.state);
  StepResult r = Move(c, phase, c.state.stage_index(), why,
                      {SetWeightsAction(w), AlertAction(severity, why),
                       ReleaseAction(c.state)});
  ApplyWeights(&r.next, w);
  return r;
}

// Enters stage `index`: its weights, its observation clock.
StepResult EnterStage(const Ctx& c, int index, std::string why,
                      std::vector<v1::Action> before = {}) {
  const v1::SetWeights w = WeightsOf(c.plan.stages(index));
  before.push_back(SetWeightsAction(w));
  StepResult r = Move(c, v1::RolloutState::IN_STAGE, index, std::move(why),
                      std::move(before));
  ApplyWeights(&r.next, w);
  *r.next.mutable_stage_entered_at() = ToProtoTime(c.now);
  return r;
}

// Waits for the approval that enters stage `index`; weights unchanged.
StepResult AwaitApproval(const Ctx& c, int index, std::string why,
                         std::vector<v1::Action> before = {}) {
  const v1::Stage& stage = c.plan.stages(index);
  before.push_back(
      AlertAction(v1::Alert::INFO,
                  Cat("rollout ", c.state.id(), " of ", c.state.model(), " ",
                      c.state.candidate_version(), " on ", c.state.endpoint(),
                      " awaits approval by role ", stage.approval_role(),
                      " to enter stage ", stage.name(), " (",
                      Percent(stage.candidate_weight()), ")")));
  return Move(c, v1::RolloutState::AWAITING_APPROVAL, index, std::move(why),
              std::move(before));
}

// Moves on from the stage in force (IN_STAGE(i)) to stage i+1, or
// completes the rollout after the last stage. `verdicts` decide
// GATE_STATISTICAL_VALIDATION.
StepResult Advance(const Ctx& c, const StageVerdicts& v, std::string because) {
  const int i = c.state.stage_index();
  if (i + 1 >= c.plan.stages_size()) {
    std::string why =
        Cat(because, "; the last stage (", StageName(c, i),
            ") is done: rollout completed, ", c.state.model(), " ",
            c.state.candidate_version(), " serves ", c.state.endpoint());
    return Move(c, v1::RolloutState::COMPLETED, i, std::move(why),
                {RecordDeploymentAction(c.state), ReleaseAction(c.state)});
  }
  const v1::Stage& next = c.plan.stages(i + 1);
  if (next.gate() == v1::Stage::GATE_STATISTICAL_VALIDATION) {
    std::vector<std::string> missing;
    if (v.error_rate != GuardrailVerdict::kHealthy)
      missing.push_back("error rate");
    if (v.latency != GuardrailVerdict::kHealthy) missing.push_back("latency");
    if (v.accuracy != GuardrailVerdict::kHealthy) missing.push_back("accuracy");
    if (!missing.empty()) {
      std::string list;
      for (const std::string& m : missing) {
        if (!list.empty()) list += ", ";
        list += m;
      }
      return Stay(c, Cat(because, "; stage ", next.name(),
                         " needs statistical validation and these guardrails "
                         "have no healthy verdict with enough data yet: ",
                         list, "; still observing ", StageName(c, i)));
    }
  }
  if (!next.approval_role().empty()) {
    return AwaitApproval(c, i + 1,
                         Cat(because, "; stage ", next.name(),
                             " needs approval by role ", next.approval_role()));
  }
  return EnterStage(c, i + 1,
                    Cat(because, "; entering stage ", next.name(), " at ",
                        Percent(next.candidate_weight())));
}

// --- Guardrails --------------------------------------------------------------

std::string FailingGuardrails(const StageVerdicts& v) {
  std::string out;
  auto add = [&out](GuardrailVerdict g, std::string_view what) {
    if (g != GuardrailVerdict::kFailing) return;
    if (!out.empty()) out += ", ";
    out += what;
  };
  add(v.error_rate, "error rate");
  add(v.latency, "p99 latency");
  add(v.accuracy, "accuracy");
  return out;
}

// SPEC §3's automatic rules. Returns a result when a guardrail or drift
// decides the step, nullopt when the tick goes on to the stage's own logic.
std::optional<StepResult> CheckGuardrails(const Ctx& c,
                                          const StageVerdicts& v) {
  const std::string where =
      c.state.phase() == v1::RolloutState::AWAITING_APPROVAL
          ? Cat("while awaiting approval for stage ",
                StageName(c, c.state.stage_index()))
          : Cat("in stage ", StageName(c, c.state.stage_index()));
  if (std::string failing = FailingGuardrails(v); !failing.empty()) {
    // SPEC §3: automatic rollback to the stable version.
    return EndWithRollbackWeights(
        c, v1::RolloutState::ROLLED_BACK, v1::Alert::CRITICAL,
        Cat("automatic rollback of ", c.state.model(), " ",
            c.state.candidate_version(), " on ", c.state.endpoint(), ": ",
            failing, " guardrail failed ", where,
            " (SPEC §3); traffic back to ", RollbackTarget(c.state)));
  }
  if (v.drift == DriftVerdict::kDrift) {
    // SPEC §3: drift halts (holds its weight) and raises an alert.
    std::string why =
        Cat("data drift beyond the guardrail ", where,
            v.drift_detail.empty() ? "" : Cat(" (", v.drift_detail, ")"),
            ": rollout of ",
            c.state.model(), " ", c.state.candidate_version(), " on ",
            c.state.endpoint(), " halted at candidate ",
            Percent(c.state.candidate_weight()),
            " (SPEC §3); a person decides: Resume or Rollback");
    StepResult r = Move(c, v1::RolloutState::HALTED, c.state.stage_index(), why,
                        {AlertAction(v1::Alert::WARNING, why)});
    r.next.set_halt_cause(v1::RolloutState::HALT_CAUSE_DRIFT);
    r.next.set_halted_from(c.state.phase());
    // The alert stays active on the endpoint until a person resumes, or
    // until a passing pipeline run follows it (the data quality gate).
    *r.next.mutable_drift_alert_at() = ToProtoTime(c.now);
    return r;
  }
  return std::nullopt;
}

// --- Handlers ----------------------------------------------------------------

StepResult OnStart(const Ctx& c) {
  const Start& in = std::get<Start>(c.input);
  if (!in.gates_checked) {
    return Refuse(c, absl::StatusCode::kFailedPrecondition, "GATES_NOT_CHECKED",
                  Cat("rollout ", c.state.id(),
                      " cannot start: the SPEC §2 "
                      "gates were not checked"),
                  "SPEC §2: all gates are checked before a production rollout "
                  "may start",
                  c.state.id(),
                  "Run CheckGates for the rollout and start it once it "
                  "returns OK.");
  }
  if (!c.state.has_rollback_plan()) {
    return Refuse(c, absl::StatusCode::kFailedPrecondition,
                  "ROLLBACK_PLAN_MISSING",
                  Cat("rollout ", c.state.id(),
                      " cannot start: no rollback "
                      "plan is recorded"),
                  "SPEC §4: a rollback plan is recorded before a deployment "
                  "starts",
                  c.state.id(),
                  "Record the stable version and weights the rollout returns "
                  "to (RolloutState.rollback_plan) before Start.");
  }
  if (c.state.model().empty() || c.state.candidate_version().empty() ||
      c.state.endpoint().empty()) {
    return Refuse(c, absl::StatusCode::kFailedPrecondition,
                  "ROLLOUT_STATE_INVALID",
                  Cat("rollout ", c.state.id(), " cannot start: it names no ",
                      c.state.endpoint().empty() ? "endpoint"
                      : c.state.model().empty()  ? "model"
                                                 : "candidate version"),
                  "a rollout names its endpoint, model and candidate version",
                  c.state.id(), "Fill the state from the deployment request.");
  }
  if (absl::Status s = ValidatePlan(c.plan); !s.ok()) {
    StepResult r = Stay(c, std::string(s.message()));
    r.status = std::move(s);
    return r;
  }
  std::vector<v1::Action> hold = {HoldAction(c.state)};
  const v1::Stage& first = c.plan.stages(0);
  StepResult r;
  if (!first.approval_role().empty()) {
    r = AwaitApproval(c, 0,
                      Cat("rollout started; stage ", first.name(),
                          " needs approval by role ", first.approval_role()),
                      std::move(hold));
    v1::SetWeights w = RollbackWeights(c.state);
    ApplyWeights(&r.next, w);
    *r.next.mutable_stage_entered_at() = ToProtoTime(c.now);
  } else {
    r = EnterStage(
        c, 0,
        Cat("rollout started: stage ", first.name(), " at ",
            first.shadow() ? std::string("0% (shadow: mirrored, not served)")
                           : Percent(first.candidate_weight())),
        std::move(hold));
  }
  *r.next.mutable_started_at() = ToProtoTime(c.now);
  r.next.clear_gate_notes();
  for (const std::string& note : in.gate_notes) r.next.add_gate_notes(note);
  return r;
}

// The A/B decision of stage i (SPEC §3). Returns a result when the verdict
// ends or holds the stage, nullopt when the stage may be left.
std::optional<StepResult> AbDecision(const Ctx& c, const v1::Stage& stage,
                                     const StageVerdicts& v,
                                     absl::Duration elapsed,
                                     std::string* because) {
  const v1::AbSettings& ab = stage.ab();
  const bool enough = v.predictions >= ab.min_predictions();
  const bool expired = elapsed >= absl::Seconds(ab.max_duration_seconds());
  const std::string progress =
      Cat(v.predictions, " of ", ab.min_predictions(), " predictions, ",
          absl::FormatDuration(elapsed), " of at most ",
          absl::FormatDuration(absl::Seconds(ab.max_duration_seconds())));
  if (!enough && !expired) {
    return Stay(c, Cat("A/B stage ", stage.name(), " observing (", progress,
                       "); the verdict is read from ", ab.min_predictions(),
                       " predictions or the maximum duration on"));
  }
  if (v.ab == AbVerdict::kCandidateWorse) {
    return EndWithRollbackWeights(
        c, v1::RolloutState::ROLLED_BACK, v1::Alert::CRITICAL,
        Cat("automatic rollback of ", c.state.model(), " ",
            c.state.candidate_version(), " on ", c.state.endpoint(),
            ": significantly worse than the stable version in A/B stage ",
            stage.name(), " (", progress, "; SPEC §3); traffic back to ",
            RollbackTarget(c.state)));
  }
  switch (v.ab) {
    case AbVerdict::kCandidateBetter:
      *because =
          Cat("A/B stage ", stage.name(),
              ": the candidate is significantly better (", progress, ")");
      return std::nullopt;
    case AbVerdict::kNotSignificant:
      *because = Cat("A/B stage ", stage.name(),
                     ": no significant difference at the decision point, so "
                     "the candidate is not worse (",
                     progress, ")");
      return std::nullopt;
    default:
      break;
  }
  // kKeepObserving: the monitoring has no verdict yet.
  if (expired) {
    *because = Cat("A/B stage ", stage.name(),
                   ": the maximum duration passed without a verdict that the "
                   "candidate is worse (",
                   progress, ")");
    return std::nullopt;
  }
  return Stay(c, Cat("A/B stage ", stage.name(), ": waiting for the verdict (",
                     progress, ")"));
}

StepResult OnTick(const Ctx& c) {
  const StageVerdicts& v = std::get<Tick>(c.input).verdicts;
  if (std::optional<StepResult> r = CheckGuardrails(c, v)) return *std::move(r);
  const int i = c.state.stage_index();
  if (c.state.phase() == v1::RolloutState::AWAITING_APPROVAL) {
    const v1::Stage& awaited = c.plan.stages(i);
    return Stay(
        c, Cat("awaiting approval by role ", awaited.approval_role(),
               " to enter stage ", awaited.name(), "; guardrails healthy"));
  }
  const v1::Stage& stage = c.plan.stages(i);
  absl::Duration elapsed = c.now - FromProtoTime(c.state.stage_entered_at());
  if (elapsed < absl::ZeroDuration()) elapsed = absl::ZeroDuration();
  std::string because;
  if (stage.ab().decide_by_significance()) {
    if (std::optional<StepResult> r =
            AbDecision(c, stage, v, elapsed, &because)) {
      return *std::move(r);
    }
  }
  const absl::Duration min_time =
      absl::Seconds(stage.min_observation_seconds());
  if (elapsed < min_time || v.samples < stage.min_samples()) {
    return Stay(c, Cat("observing stage ", stage.name(), ": ",
                       absl::FormatDuration(elapsed), " of ",
                       absl::FormatDuration(min_time), ", ", v.samples, " of ",
                       stage.min_samples(), " samples"));
  }
  if (because.empty()) {
    because = Cat("stage ", stage.name(), " observed for ",
                  absl::FormatDuration(elapsed), " with ", v.samples,
                  " samples and no guardrail failing");
  }
  return Advance(c, v, std::move(because));
}

StepResult OnTickHalted(const Ctx& c) {
  const StageVerdicts& v = std::get<Tick>(c.input).verdicts;
  const std::string failing = FailingGuardrails(v);
  if (c.state.halt_cause() == v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP) {
    // SPEC §5: no production traffic change while the stop is set, not even
    // a rollback; a person clears the stop and decides.
    return Stay(c,
                failing.empty()
                    ? std::string("halted by the emergency stop; weights held "
                                  "until a person resumes or rolls back")
                    : Cat("halted by the emergency stop: ", failing,
                          " guardrail failing, but no traffic change is made "
                          "while the stop holds; clear the stop and Rollback"));
  }
  if (!failing.empty()) {
    return EndWithRollbackWeights(
        c, v1::RolloutState::ROLLED_BACK, v1::Alert::CRITICAL,
        Cat("automatic rollback of ", c.state.model(), " ",
            c.state.candidate_version(), " on ", c.state.endpoint(), ": ",
            failing, " guardrail failed while halted for drift in stage ",
            StageName(c, c.state.stage_index()), " (SPEC §3); traffic back to ",
            RollbackTarget(c.state)));
  }
  return Stay(c, Cat("halted for data drift in stage ",
                     StageName(c, c.state.stage_index()),
                     "; weights held until a person sends Resume or Rollback"));
}

StepResult OnApprove(const Ctx& c) {
  const Approve& in = std::get<Approve>(c.input);
  const int i = c.state.stage_index();
  const v1::Stage& stage = c.plan.stages(i);
  if (in.stage_name != stage.name()) {
    return Refuse(
        c, absl::StatusCode::kFailedPrecondition, "APPROVAL_NOT_EXPECTED",
        Cat("rollout ", c.state.id(), " awaits approval for stage ",
            QuoteForMessage(stage.name()), ", not ",
            QuoteForMessage(in.stage_name)),
        "an approval enters the stage the rollout awaits", in.stage_name,
        Cat("Approve stage ", QuoteForMessage(stage.name()), " (role ",
            stage.approval_role(), ")."));
  }
  if (in.actor.empty()) {
    return Refuse(c, absl::StatusCode::kInvalidArgument,
                  "APPROVAL_ACTOR_MISSING",
                  Cat("the approval of stage ", QuoteForMessage(stage.name()),
                      " names no actor"),
                  "an approval names who gave it (it is audited)", "",
                  "Pass the approver's name (actor=..., or SLIPWAY_ACTOR).");
  }
  if (in.role != stage.approval_role()) {
    return Refuse(c, absl::StatusCode::kFailedPrecondition, "ROLE_REQUIRED",
                  Cat("entering stage ", QuoteForMessage(stage.name()),
                      " needs approval by role ", stage.approval_role(), "; ",
                      QuoteForMessage(in.actor), " has ",
                      in.role.empty() ? std::string("no role")
                                      : Cat("role ", QuoteForMessage(in.role))),
                  Cat("plan: stage ", stage.name(),
                      " is entered on approval by ", stage.approval_role()),
                  in.role,
                  Cat("Have someone with role ", stage.approval_role(),
                      " approve (role=..., or SLIPWAY_ROLE)."));
  }
  StepResult r = EnterStage(
      c, i,
      Cat("approved by ", in.actor, " (", in.role, "): entering stage ",
          stage.name(), " at ", Percent(stage.candidate_weight())));
  v1::Approval* a = r.next.add_approvals();
  a->set_stage(stage.name());
  a->set_actor(in.actor);
  a->set_role(in.role);
  *a->mutable_at() = ToProtoTime(c.now);
  return r;
}

StepResult OnRollback(const Ctx& c) {
  const Rollback& in = std::get<Rollback>(c.input);
  return EndWithRollbackWeights(
      c, v1::RolloutState::ROLLED_BACK, v1::Alert::WARNING,
      Cat("rolled back by ",
          in.actor.empty() ? std::string("a person") : in.actor,
          in.reason.empty() ? std::string() : Cat(": ", in.reason), " (stage ",
          StageName(c, c.state.stage_index()), "); traffic back to ",
          RollbackTarget(c.state)));
}

StepResult OnAbort(const Ctx& c) {
  const Abort& in = std::get<Abort>(c.input);
  const std::string who =
      Cat("aborted by ", in.actor.empty() ? std::string("a person") : in.actor,
          in.reason.empty() ? std::string() : Cat(": ", in.reason));
  if (c.state.phase() == v1::RolloutState::PENDING) {
    return Move(c, v1::RolloutState::ABORTED, c.state.stage_index(),
                Cat(who, " before it started; no traffic had moved"), {});
  }
  return EndWithRollbackWeights(
      c, v1::RolloutState::ABORTED, v1::Alert::INFO,
      Cat(who, " (stage ", StageName(c, c.state.stage_index()),
          "); traffic back to ", RollbackTarget(c.state)));
}

StepResult OnResume(const Ctx& c) {
  const Resume& in = std::get<Resume>(c.input);
  const Phase back = c.state.halted_from();
  if (back != v1::RolloutState::IN_STAGE &&
      back != v1::RolloutState::AWAITING_APPROVAL) {
    return Refuse(c, absl::StatusCode::kFailedPrecondition,
                  "ROLLOUT_STATE_INVALID",
                  Cat("rollout ", c.state.id(),
                      " is HALTED but records no phase "
                      "to resume (halted_from ",
                      PhaseName(back), ")"),
                  "a halted rollout records the phase it was halted from",
                  PhaseName(back), "Rollback or Abort it.");
  }
  const char* cause =
      c.state.halt_cause() == v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP
          ? "the emergency stop"
          : "data drift";
  StepResult r = Move(
      c, back, c.state.stage_index(),
      Cat("resumed by ", in.actor.empty() ? std::string("a person") : in.actor,
          " after ", cause, ": back to ", PhaseName(back), " (stage ",
          StageName(c, c.state.stage_index()), ")"),
      {});
  if (c.state.halt_cause() == v1::RolloutState::HALT_CAUSE_DRIFT) {
    // A person judged the drift: the alert is resolved, and the samples
    // they judged are not judged again.
    r.next.clear_drift_alert_at();
    *r.next.mutable_drift_watch_from() = ToProtoTime(c.now);
  }
  return r;
}

StepResult OnEmergencyStop(const Ctx& c) {
  if (c.state.phase() == v1::RolloutState::HALTED &&
      c.state.halt_cause() == v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP) {
    return Stay(c, "already halted by the emergency stop");
  }
  std::string why = Cat("emergency stop: rollout of ", c.state.model(), " ",
                        c.state.candidate_version(), " on ", c.state.endpoint(),
                        " halted with weights held (stable ",
                        Percent(c.state.stable_weight()), ", candidate ",
                        Percent(c.state.candidate_weight()),
                        "); SPEC §5: no traffic change while the stop is set");
  StepResult r = Move(c, v1::RolloutState::HALTED, c.state.stage_index(), why,
                      {AlertAction(v1::Alert::CRITICAL, why)});
  r.next.set_halt_cause(v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP);
  if (c.state.phase() != v1::RolloutState::HALTED) {
    r.next.set_halted_from(c.state.phase());
  }
  return r;
}

StepResult Ended(const Ctx& c) {
  return Refuse(
      c, absl::StatusCode::kFailedPrecondition, "ROLLOUT_ENDED",
      Cat("rollout ", c.state.id(), " has ended (", PhaseName(c.state.phase()),
          "); it accepts no ", InputKindName(KindOf(c.input))),
      "COMPLETED, ROLLED_BACK and ABORTED are final",
      PhaseName(c.state.phase()), "Start a new rollout to deploy again.");
}

StepResult NotExpected(const Ctx& c) {
  const Approve& in = std::get<Approve>(c.input);
  return Refuse(
      c, absl::StatusCode::kFailedPrecondition, "APPROVAL_NOT_EXPECTED",
      Cat("rollout ", c.state.id(), " is ", PhaseName(c.state.phase()),
          " and awaits no approval (approval for ",
          QuoteForMessage(in.stage_name), " refused)"),
      "approvals are accepted only in AWAITING_APPROVAL, for the "
      "awaited stage",
      in.stage_name,
      "Approve when the rollout asks for it (phase AWAITING_APPROVAL).");
}

StepResult Invalid(const Ctx& c) {
  const Kind kind = KindOf(c.input);
  std::string fix;
  switch (kind) {
    case v1::Transition::INPUT_KIND_START:
      fix = "It has started already.";
      break;
    case v1::Transition::INPUT_KIND_TICK:
      fix = "Start it first.";
      break;
    case v1::Transition::INPUT_KIND_ROLLBACK:
      fix = "Nothing has moved yet: Abort it instead.";
      break;
    case v1::Transition::INPUT_KIND_RESUME:
      fix = "Resume only a HALTED rollout.";
      break;
    case v1::Transition::INPUT_KIND_EMERGENCY_STOP:
      fix =
          "Nothing to halt: it has not started, and Start is refused while "
          "the stop is set.";
      break;
    default:
      fix = "See docs/rollouts.md for the inputs each phase accepts.";
  }
  return Refuse(
      c, absl::StatusCode::kFailedPrecondition, "ROLLOUT_TRANSITION_INVALID",
      Cat("rollout ", c.state.id(), " is ", PhaseName(c.state.phase()),
          " and cannot take ", InputKindName(kind)),
      "docs/rollouts.md: the state machine's transition table",
      Cat(PhaseName(c.state.phase()), " + ", InputKindName(kind)), fix);
}

// --- The transition table ----------------------------------------------------

using Handler = StepResult (*)(const Ctx&);

constexpr int kPhaseCount = 7;  // PENDING .. ABORTED
constexpr int kKindCount = 7;   // START .. EMERGENCY_STOP

// kTable[phase][kind - 1]: the handler of every (phase, input kind) pair.
// Columns: Start, Tick, Approve, Rollback, Abort, Resume, EmergencyStop.
// clang-format off
constexpr std::array<std::array<Handler, kKindCount>, kPhaseCount> kTable = {{
    /* PENDING */
    {OnStart, Invalid, NotExpected, Invalid, OnAbort, Invalid, Invalid},
    /* IN_STAGE */
    {Invalid, OnTick, NotExpected, OnRollback, OnAbort, Invalid, OnEmergencyStop},
    /* AWAITING_APPROVAL */
    {Invalid, OnTick, OnApprove, OnRollback, OnAbort, Invalid, OnEmergencyStop},
    /* HALTED */
    {Invalid, OnTickHalted, NotExpected, OnRollback, OnAbort, OnResume,
     OnEmergencyStop},
    /* COMPLETED */ {Ended, Ended, Ended, Ended, Ended, Ended, Ended},
    /* ROLLED_BACK */ {Ended, Ended, Ended, Ended, Ended, Ended, Ended},
    /* ABORTED */ {Ended, Ended, Ended, Ended, Ended, Ended, Ended},
}};
// clang-format on

}  // namespace

// The variant's alternatives are in InputKind order, starting at 1.
template <Kind kind, typename T>
constexpr bool kAlternativeIs =
    std::is_same_v<std::variant_alternative_t<kind - 1, Input>, T>;
static_assert(kAlternativeIs<v1::Transition::INPUT_KIND_START, Start>);
static_assert(kAlternativeIs<v1::Transition::INPUT_KIND_TICK, Tick>);
static_assert(kAlternativeIs<v1::Transition::INPUT_KIND_APPROVE, Approve>);
static_assert(kAlternativeIs<v1::Transition::INPUT_KIND_ROLLBACK, Rollback>);
static_assert(kAlternativeIs<v1::Transition::INPUT_KIND_ABORT, Abort>);
static_assert(kAlternativeIs<v1::Transition::INPUT_KIND_RESUME, Resume>);
static_assert(
    kAlternativeIs<v1::Transition::INPUT_KIND_EMERGENCY_STOP, EmergencyStop>);
static_assert(std::variant_size_v<Input> == kKindCount);
static_assert(v1::RolloutState::Phase_ARRAYSIZE == kPhaseCount);

v1::Transition::InputKind KindOf(const Input& input) {
  return static_cast<Kind>(input.index() + 1);
}

v1::SetWeights WeightsOf(const v1::Stage& stage) {
  v1::SetWeights w;
  w.set_candidate(stage.candidate_weight());
  w.set_stable(1.0 - stage.candidate_weight());
  w.set_shadow(stage.shadow());
  return w;
}

std::string_view PhaseName(v1::RolloutState::Phase phase) {
  switch (phase) {
    case v1::RolloutState::PENDING:
      return "PENDING";
    case v1::RolloutState::IN_STAGE:
      return "IN_STAGE";
    case v1::RolloutState::AWAITING_APPROVAL:
      return "AWAITING_APPROVAL";
    case v1::RolloutState::HALTED:
      return "HALTED";
    case v1::RolloutState::COMPLETED:
      return "COMPLETED";
    case v1::RolloutState::ROLLED_BACK:
      return "ROLLED_BACK";
    case v1::RolloutState::ABORTED:
      return "ABORTED";
    default:
      return "UNKNOWN_PHASE";
  }
}

std::string_view InputKindName(v1::Transition::InputKind kind) {
  switch (kind) {
    case v1::Transition::INPUT_KIND_START:
      return "START";
    case v1::Transition::INPUT_KIND_TICK:
      return "TICK";
    case v1::Transition::INPUT_KIND_APPROVE:
      return "APPROVE";
    case v1::Transition::INPUT_KIND_ROLLBACK:
      return "ROLLBACK";
    case v1::Transition::INPUT_KIND_ABORT:
      return "ABORT";
    case v1::Transition::INPUT_KIND_RESUME:
      return "RESUME";
    case v1::Transition::INPUT_KIND_EMERGENCY_STOP:
      return "EMERGENCY_STOP";
    default:
      return "UNKNOWN_INPUT";
  }
}

StepResult Step(const v1::RolloutState& state, const v1::Plan& plan,
                const Input& input, absl::Time now) {
  const Ctx c{state, plan, input, now};
  const int phase = static_cast<int>(state.phase());
  if (phase < 0 || phase >= kPhaseCount) {
    return Refuse(
        c, absl::StatusCode::kFailedPrecondition, "ROLLOUT_STATE_INVALID",
        Cat("rollout ", state.id(), " has an unknown phase ", phase),
        "phase is one of PENDING .. ABORTED", absl::StrFormat("%d", phase),
        "Restore the state from its last transition.");
  }
  const bool active = state.phase() == v1::RolloutState::IN_STAGE ||
                      state.phase() == v1::RolloutState::AWAITING_APPROVAL ||
                      state.phase() == v1::RolloutState::HALTED;
  if (active &&
      (state.stage_index() < 0 || state.stage_index() >= plan.stages_size())) {
    return Refuse(
        c, absl::StatusCode::kFailedPrecondition, "ROLLOUT_STATE_INVALID",
        Cat("rollout ", state.id(), " is at stage index ", state.stage_index(),
            " but its plan has ", plan.stages_size(), " stages"),
        "an active rollout's stage_index lies inside its plan",
        absl::StrFormat("%d", state.stage_index()),
        "Step the rollout with the plan it was started with.");
  }
  const Handler handler = kTable[phase][input.index()];
  return handler(c);
}

}  // namespace slipway::internal_rollout
