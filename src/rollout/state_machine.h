// The rollout state machine (DESIGN.md decision 7, design 0004): given a
// rollout's state, its plan, one input and the time, Step returns the next
// state and the actions the controller must take. It is pure: no I/O, no
// clock (time enters only as `now`), no randomness, no globals. The
// controller persists the returned state and transition before it acts on
// the actions, so a crash re-derives them from the persisted state.
//
// Phases (slipway.v1.RolloutState.Phase) and what moves them. "i" is
// state.stage_index; "guardrail fails" means a kFailing error-rate,
// latency or accuracy verdict (SPEC §3's automatic rollback rules).
//
//   PENDING --Start--> IN_STAGE(0), or AWAITING_APPROVAL(0) when the first
//       stage names an approval role. Actions: HOLD_VERSION, and
//       SET_WEIGHTS to stage 0's weights when it is entered. Start needs the
//       plan to be valid (ValidatePlan), the rollback plan to be recorded in
//       the state (SPEC §4) and the SPEC §2 gates to have passed
//       (Start::gates_checked, set by the controller after CheckGates).
//   PENDING --Abort--> ABORTED, no actions (nothing had moved).
//
//   IN_STAGE(i) --Tick-->
//       a guardrail fails              -> ROLLED_BACK: SET_WEIGHTS to the
//                                         rollback plan (stable 100 %),
//                                         ALERT (critical), RELEASE_HOLD
//       drift                          -> HALTED(i): weights held, ALERT
//                                         (warning); a person decides
//       stage i is an A/B stage        -> see "A/B" below
//       observation time and samples
//       of stage i met, i is the last  -> COMPLETED: RECORD_DEPLOYMENT,
//                                         RELEASE_HOLD
//       ... i is not the last          -> the next stage, when its gate
//                                         allows (below): IN_STAGE(i+1) with
//                                         SET_WEIGHTS, or AWAITING_APPROVAL
//                                         (i+1) when it names a role
//       otherwise                      -> unchanged (the `why` says what it
//                                         waits for)
//   AWAITING_APPROVAL(i) --Approve{stage i's name, its role}--> IN_STAGE(i)
//       with SET_WEIGHTS. The wrong role is FailedPrecondition
//       ROLE_REQUIRED; another stage's name is APPROVAL_NOT_EXPECTED.
//   AWAITING_APPROVAL(i) --Tick--> guardrails and drift as in IN_STAGE (the
//       previous stage's weights still serve); otherwise unchanged.
//   HALTED(i) --Resume--> the phase it was halted from, same stage; the
//       observation clock of the stage is not reset.
//   HALTED(i) --Tick--> after drift: a failing guardrail still rolls back
//       (the candidate still serves); otherwise unchanged. After the
//       emergency stop: unchanged even when a guardrail fails (no traffic
//       may change, SPEC §5); the `why` says so. (A step that changes no
//       state asks for no action: the stop's own ALERT went out when it
//       halted the rollout.)
//   IN_STAGE, AWAITING_APPROVAL, HALTED --Rollback--> ROLLED_BACK: the
//       actions of a failing guardrail, with ALERT (warning).
//   IN_STAGE, AWAITING_APPROVAL, HALTED --Abort--> ABORTED: SET_WEIGHTS to
//       the rollback plan, ALERT (info), RELEASE_HOLD.
//   IN_STAGE, AWAITING_APPROVAL --EmergencyStop--> HALTED(i), cause
//       EMERGENCY_STOP, weights unchanged, ALERT (critical). In HALTED the
//       cause becomes EMERGENCY_STOP (Resume returns to the phase before the
//       first halt).
//   COMPLETED, ROLLED_BACK, ABORTED accept nothing: FailedPrecondition
//       ROLLOUT_ENDED.
//   Any other (phase, input) pair is FailedPrecondition
//       ROLLOUT_TRANSITION_INVALID (e.g. Tick while PENDING, Resume while
//       IN_STAGE) or APPROVAL_NOT_EXPECTED (Approve outside
//       AWAITING_APPROVAL).
//
// Gates on entering a stage (v1::Stage::Gate): GATE_MODEL_VALIDATION and
// GATE_CHANGE_TICKET are SPEC §2 gates that CheckGates checks before the
// rollout starts (SPEC §2: "all of these are checked before a production
// rollout may start"); Start::gates_checked vouches for them.
// GATE_STATISTICAL_VALIDATION is decided here: the rollout enters the stage
// only when the tick's error-rate, latency and accuracy verdicts all had
// enough data and were healthy (kHealthy); with any kNotEnoughData it keeps
// observing the stage it is in.
//
// A/B (a stage whose ab.decide_by_significance is set; SPEC §3 "until
// statistically significant: min 10,000 predictions OR 7 days, whichever
// first"): the decision point is ab.min_predictions predictions or
// ab.max_duration in the stage, whichever comes first (the monitoring
// module's DecideAbTest counts the same way). Before it, the verdict is not
// read (no peeking). From it on, the first verdict decides:
// kCandidateWorse rolls back; kCandidateBetter and kNotSignificant (the
// candidate is not worse) move on; kKeepObserving (no verdict yet) keeps
// observing until ab.max_duration has passed, and then moves on too.
// Guardrails and drift act first, as in every stage. The stage's own
// min_observation_seconds and min_samples still apply.
//
// Emergency stop (SPEC §5: the stop halts production traffic changes). The
// machine cannot see the stop flag; the controller feeds EmergencyStop to
// every active rollout when it finds the flag set, and refuses every other
// input while the flag stays set (EmergencyStop::Check with
// Operation::kTrafficChange). The machine's part: EmergencyStop changes no
// weights (a rollback is a traffic change too, so it does not roll back),
// and a rollout halted by the stop takes no automatic step, not even a
// guardrail rollback, until a person sends Resume (after clearing the
// stop) or Rollback/Abort.
//
// Every result carries a human-readable `why`. An error leaves the state
// unchanged: StepResult::next is a copy of the input state, no actions, no
// transition.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_ROLLOUT_STATE_MACHINE_H_
#define SLIPWAY_SRC_ROLLOUT_STATE_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "slipway/v1/rollout.pb.h"

namespace slipway::internal_rollout {

// A guardrail's verdict over the stage's windows (the monitoring module's
// output). kNotEnoughData: fewer samples than the guardrail's minimum; it
// neither trips nor counts as healthy.
enum class GuardrailVerdict { kNotEnoughData, kHealthy, kFailing };

// Data drift beyond the guardrail's sigma, or not.
enum class DriftVerdict { kNone, kDrift };

// The A/B significance test's verdict on the candidate against the stable.
//   kKeepObserving   no decision yet (before the decision point)
//   kCandidateBetter significantly better
//   kCandidateWorse  significantly worse ("performance degradation")
//   kNotSignificant  at the decision point, no significant difference
// (the values of the monitoring module's AbDecision).
enum class AbVerdict {
  kKeepObserving,
  kCandidateBetter,
  kCandidateWorse,
  kNotSignificant
};

// What the controller learned about the current stage since it was entered
// (design 0004: the guardrails evaluate the windows since the stage began).
struct StageVerdicts {
  // Error rate above the limit for the required run of consecutive windows
  // (SPEC §3: > 2 % for 5 consecutive minutes) is kFailing.
  GuardrailVerdict error_rate = GuardrailVerdict::kNotEnoughData;
  // p99 latency above the ratio of the stable's is kFailing.
  GuardrailVerdict latency = GuardrailVerdict::kNotEnoughData;
  // Accuracy dropped more than the limit below the stable's is kFailing.
  GuardrailVerdict accuracy = GuardrailVerdict::kNotEnoughData;
  DriftVerdict drift = DriftVerdict::kNone;
  // With kDrift: what drifted, for the halt's reason and alert (e.g.
  // "feature amount: KS 0.21, 4.3σ above the reference chunks' mean").
  std::string drift_detail;
  AbVerdict ab = AbVerdict::kKeepObserving;
  // Requests the candidate served (mirrored requests in a shadow stage)
  // since the stage was entered; compared with Stage::min_samples.
  int64_t samples = 0;
  // Predictions in the A/B comparison since the stage was entered, counted
  // as the monitoring's AbTestResult::predictions (candidate and stable
  // together); compared with AbSettings::min_predictions.
  int64_t predictions = 0;
};

// Inputs. Each names who sent it where a person does.
struct Start {
  // The controller ran CheckGates (gates.h) for this rollout and it
  // returned OK. Start is refused (GATES_NOT_CHECKED) without it.
  bool gates_checked = false;
  // CheckGates' notes (gates skipped by policy), kept in the state.
  std::vector<std::string> gate_notes;
};
struct Tick {
  StageVerdicts verdicts;
};
struct Approve {
  std::string stage_name;  // the stage being entered, by name
  std::string actor;
  std::string role;
};
struct Rollback {
  std::string reason;
  std::string actor;
};
struct Abort {
  std::string reason;
  std::string actor;
};
struct Resume {
  std::string actor;
};
struct EmergencyStop {};

using Input =
    std::variant<Start, Tick, Approve, Rollback, Abort, Resume, EmergencyStop>;

// The kind of an input, as recorded in a Transition.
v1::Transition::InputKind KindOf(const Input& input);

struct StepResult {
  // OK, or why the input was refused (FailedPrecondition with a reason;
  // InvalidArgument PLAN_INVALID for a bad plan at Start). On error `next`
  // equals the input state and there are no actions and no transition.
  absl::Status status;
  // The state after the step (equal to the input state when nothing
  // changed, e.g. a Tick while the stage is still being observed).
  v1::RolloutState next;
  // What the controller must do, in order, after persisting `next`.
  std::vector<v1::Action> actions;
  // Set when the phase or stage changed or an approval was recorded; what
  // the controller persists beside `next` (its seq is
  // next.transition_count()).
  std::optional<v1::Transition> transition;
  // Human-readable: what happened and why, or what the rollout waits for.
  std::string why;

  bool changed() const { return transition.has_value(); }
};

// The one transition function. Preconditions are checked, not assumed: a
// state whose stage_index lies outside the plan is FailedPrecondition
// ROLLOUT_STATE_INVALID. `now` earlier than the time the stage was entered
// counts as no time observed.
StepResult Step(const v1::RolloutState& state, const v1::Plan& plan,
                const Input& input, absl::Time now);

// The weights of `stage` when it is in force.
v1::SetWeights WeightsOf(const v1::Stage& stage);

// "PENDING", "IN_STAGE", ... and "START", "TICK", ... for messages.
std::string_view PhaseName(v1::RolloutState::Phase phase);
std::string_view InputKindName(v1::Transition::InputKind kind);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_STATE_MACHINE_H_
