#include "src/rollout/state_machine.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "src/rollout/plan.h"
#include "tests/rollout/rollout_test_util.h"

namespace slipway::internal_rollout {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::slipway::rollout_test::ActionKinds;
using ::slipway::rollout_test::FindAction;
using ::slipway::rollout_test::Healthy;
using ::slipway::rollout_test::NewState;
using ::slipway::rollout_test::ReasonOf;
using ::slipway::rollout_test::StateAt;
using ::slipway::rollout_test::T0;
using ::testing::HasSubstr;
using Phase = v1::RolloutState::Phase;
using Kind = v1::Transition::InputKind;

constexpr Phase kPending = v1::RolloutState::PENDING;
constexpr Phase kInStage = v1::RolloutState::IN_STAGE;
constexpr Phase kAwaiting = v1::RolloutState::AWAITING_APPROVAL;
constexpr Phase kHalted = v1::RolloutState::HALTED;
constexpr Phase kCompleted = v1::RolloutState::COMPLETED;
constexpr Phase kRolledBack = v1::RolloutState::ROLLED_BACK;
constexpr Phase kAborted = v1::RolloutState::ABORTED;

// Default plan indexes.
constexpr int kShadow = 0, kCanary1 = 1, kCanary2 = 2, kAb = 3, kFull = 4;

void ExpectRefused(const StepResult& r, const v1::RolloutState& before,
                   std::string_view reason) {
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(ReasonOf(r.status), reason) << r.status;
  EXPECT_TRUE(MessageDifferencer::Equals(r.next, before));
  EXPECT_TRUE(r.actions.empty());
  EXPECT_FALSE(r.transition.has_value());
  EXPECT_FALSE(r.why.empty());
}

void ExpectRolledBackToStable(const StepResult& r,
                              v1::Alert::Severity severity) {
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.next.phase(), kRolledBack) << r.why;
  EXPECT_EQ(ActionKinds(r.actions), "SET_WEIGHTS,ALERT,RELEASE_HOLD");
  const v1::SetWeights& w = r.actions[0].set_weights();
  EXPECT_EQ(w.stable(), 1.0);
  EXPECT_EQ(w.candidate(), 0.0);
  EXPECT_FALSE(w.shadow());
  EXPECT_EQ(r.actions[1].alert().severity(), severity);
  EXPECT_EQ(r.actions[2].release_hold().model(), "fraud");
  EXPECT_EQ(r.actions[2].release_hold().version(), "2.0.0");
  EXPECT_EQ(r.next.stable_weight(), 1.0);
  EXPECT_EQ(r.next.candidate_weight(), 0.0);
  EXPECT_FALSE(r.next.shadow());
}

// --- Every (phase, input kind) pair ------------------------------------------

// One canonical state per phase (default plan) and one canonical input per
// kind; the table below says what each pair does. Specific behaviours of
// each handler are tested further down.
v1::RolloutState CanonicalState(Phase phase) {
  const v1::Plan plan = DefaultPlan();
  switch (phase) {
    case kPending:
      return NewState();
    case kInStage:
      return StateAt(plan, kInStage, kCanary1);
    case kAwaiting:
      return StateAt(plan, kAwaiting, kCanary2);
    case kHalted:
      return StateAt(plan, kHalted, kCanary1);
    case kCompleted:
      return StateAt(plan, kCompleted, kFull);
    case kRolledBack:
      return StateAt(plan, kRolledBack, kCanary1);
    case kAborted:
      return StateAt(plan, kAborted, kCanary1);
    default:
      return NewState();
  }
}

Input CanonicalInput(Kind kind) {
  switch (kind) {
    case v1::Transition::INPUT_KIND_START:
      return Start{.gates_checked = true};
    case v1::Transition::INPUT_KIND_TICK:
      return Tick{Healthy()};
    case v1::Transition::INPUT_KIND_APPROVE:
      return Approve{"canary-2", "dana", "data-science-lead"};
    case v1::Transition::INPUT_KIND_ROLLBACK:
      return Rollback{"looks wrong", "ops"};
    case v1::Transition::INPUT_KIND_ABORT:
      return Abort{"wrong version", "ops"};
    case v1::Transition::INPUT_KIND_RESUME:
      return Resume{"ops"};
    default:
      return EmergencyStop{};
  }
}

struct Row {
  Phase phase;
  Kind kind;
  // The next phase, or the refusal's reason.
  std::optional<Phase> next;
  const char* reason;
  // The kinds of the actions, in order.
  const char* actions;
};

constexpr Kind kStart = v1::Transition::INPUT_KIND_START;
constexpr Kind kTick = v1::Transition::INPUT_KIND_TICK;
constexpr Kind kApprove = v1::Transition::INPUT_KIND_APPROVE;
constexpr Kind kRollback = v1::Transition::INPUT_KIND_ROLLBACK;
constexpr Kind kAbort = v1::Transition::INPUT_KIND_ABORT;
constexpr Kind kResume = v1::Transition::INPUT_KIND_RESUME;
constexpr Kind kEstop = v1::Transition::INPUT_KIND_EMERGENCY_STOP;

constexpr char kInvalid[] = "ROLLOUT_TRANSITION_INVALID";
constexpr char kEnded[] = "ROLLOUT_ENDED";
constexpr char kNotExpected[] = "APPROVAL_NOT_EXPECTED";
constexpr char kBack[] = "SET_WEIGHTS,ALERT,RELEASE_HOLD";

// The canonical tick comes 1 h after the stage was entered, healthy: enough
// for canary-1 (30 min), whose next stage (canary-2) needs an approval.
// clang-format off
const Row kTransitionTable[] = {
    // PENDING
    {kPending, kStart, kInStage, "", "HOLD_VERSION,SET_WEIGHTS"},
    {kPending, kTick, std::nullopt, kInvalid, ""},
    {kPending, kApprove, std::nullopt, kNotExpected, ""},
    {kPending, kRollback, std::nullopt, kInvalid, ""},
    {kPending, kAbort, kAborted, "", ""},
    {kPending, kResume, std::nullopt, kInvalid, ""},
    {kPending, kEstop, std::nullopt, kInvalid, ""},
    // IN_STAGE (canary-1)
    {kInStage, kStart, std::nullopt, kInvalid, ""},
    {kInStage, kTick, kAwaiting, "", "ALERT"},
    {kInStage, kApprove, std::nullopt, kNotExpected, ""},
    {kInStage, kRollback, kRolledBack, "", kBack},
    {kInStage, kAbort, kAborted, "", kBack},
    {kInStage, kResume, std::nullopt, kInvalid, ""},
    {kInStage, kEstop, kHalted, "", "ALERT"},
    // AWAITING_APPROVAL (canary-2)
    {kAwaiting, kStart, std::nullopt, kInvalid, ""},
    {kAwaiting, kTick, kAwaiting, "", ""},
    {kAwaiting, kApprove, kInStage, "", "SET_WEIGHTS"},
    {kAwaiting, kRollback, kRolledBack, "", kBack},
    {kAwaiting, kAbort, kAborted, "", kBack},
    {kAwaiting, kResume, std::nullopt, kInvalid, ""},
    {kAwaiting, kEstop, kHalted, "", "ALERT"},
    // HALTED (drift, canary-1)
    {kHalted, kStart, std::nullopt, kInvalid, ""},
    {kHalted, kTick, kHalted, "", ""},
    {kHalted, kApprove, std::nullopt, kNotExpected, ""},
    {kHalted, kRollback, kRolledBack, "", kBack},
    {kHalted, kAbort, kAborted, "", kBack},
    {kHalted, kResume, kInStage, "", ""},
    {kHalted, kEstop, kHalted, "", "ALERT"},
    // COMPLETED, ROLLED_BACK, ABORTED: final.
    {kCompleted, kStart, std::nullopt, kEnded, ""},
    {kCompleted, kTick, std::nullopt, kEnded, ""},
    {kCompleted, kApprove, std::nullopt, kEnded, ""},
    {kCompleted, kRollback, std::nullopt, kEnded, ""},
    {kCompleted, kAbort, std::nullopt, kEnded, ""},
    {kCompleted, kResume, std::nullopt, kEnded, ""},
    {kCompleted, kEstop, std::nullopt, kEnded, ""},
    {kRolledBack, kStart, std::nullopt, kEnded, ""},
    {kRolledBack, kTick, std::nullopt, kEnded, ""},
    {kRolledBack, kApprove, std::nullopt, kEnded, ""},
    {kRolledBack, kRollback, std::nullopt, kEnded, ""},
    {kRolledBack, kAbort, std::nullopt, kEnded, ""},
    {kRolledBack, kResume, std::nullopt, kEnded, ""},
    {kRolledBack, kEstop, std::nullopt, kEnded, ""},
    {kAborted, kStart, std::nullopt, kEnded, ""},
    {kAborted, kTick, std::nullopt, kEnded, ""},
    {kAborted, kApprove, std::nullopt, kEnded, ""},
    {kAborted, kRollback, std::nullopt, kEnded, ""},
    {kAborted, kAbort, std::nullopt, kEnded, ""},
    {kAborted, kResume, std::nullopt, kEnded, ""},
    {kAborted, kEstop, std::nullopt, kEnded, ""},
};
// clang-format on

TEST(TransitionTableTest, CoversEveryPhaseAndInputKindExactlyOnce) {
  int seen[7][8] = {};
  for (const Row& row : kTransitionTable) ++seen[row.phase][row.kind];
  for (int p = 0; p < 7; ++p) {
    ASSERT_TRUE(v1::RolloutState::Phase_IsValid(p));
    for (int k = 1; k <= 7; ++k) {
      EXPECT_EQ(seen[p][k], 1) << PhaseName(static_cast<Phase>(p)) << " + "
                               << InputKindName(static_cast<Kind>(k));
    }
  }
  EXPECT_EQ(std::size(kTransitionTable), 49u);
}

TEST(TransitionTableTest, EveryPairDoesWhatTheTableSays) {
  const v1::Plan plan = DefaultPlan();
  for (const Row& row : kTransitionTable) {
    const std::string label = std::string(PhaseName(row.phase)) + " + " +
                              std::string(InputKindName(row.kind));
    SCOPED_TRACE(label);
    const v1::RolloutState before = CanonicalState(row.phase);
    const Input input = CanonicalInput(row.kind);
    ASSERT_EQ(KindOf(input), row.kind);
    const absl::Time now = T0() + absl::Hours(1);
    const StepResult r = Step(before, plan, input, now);
    EXPECT_FALSE(r.why.empty());
    if (!row.next.has_value()) {
      ExpectRefused(r, before, row.reason);
      continue;
    }
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(PhaseName(r.next.phase()), PhaseName(*row.next)) << r.why;
    EXPECT_EQ(ActionKinds(r.actions), row.actions) << r.why;
    if (r.changed()) {
      const v1::Transition& t = *r.transition;
      EXPECT_EQ(t.rollout_id(), "r-1");
      EXPECT_EQ(t.from_phase(), before.phase());
      EXPECT_EQ(t.from_stage(), before.stage_index());
      EXPECT_EQ(t.to_phase(), r.next.phase());
      EXPECT_EQ(t.to_stage(), r.next.stage_index());
      EXPECT_EQ(t.input(), row.kind);
      EXPECT_EQ(t.reason(), r.why);
      EXPECT_EQ(t.seq(), before.transition_count() + 1);
      EXPECT_EQ(r.next.transition_count(), before.transition_count() + 1);
      EXPECT_EQ(r.next.last_reason(), r.why);
      EXPECT_EQ(FromProtoTime(t.at()), now);
      EXPECT_EQ(FromProtoTime(r.next.updated_at()), now);
      ASSERT_EQ(t.actions_size(), static_cast<int>(r.actions.size()));
      for (size_t i = 0; i < r.actions.size(); ++i) {
        EXPECT_TRUE(MessageDifferencer::Equals(t.actions(i), r.actions[i]));
      }
    } else {
      // No transition: the state is untouched and nothing is to be done.
      EXPECT_TRUE(MessageDifferencer::Equals(r.next, before));
      EXPECT_TRUE(r.actions.empty());
    }
  }
}

TEST(StepTest, IsDeterministic) {
  const v1::Plan plan = DefaultPlan();
  for (const Row& row : kTransitionTable) {
    const v1::RolloutState s = CanonicalState(row.phase);
    const Input in = CanonicalInput(row.kind);
    const StepResult a = Step(s, plan, in, T0() + absl::Hours(1));
    const StepResult b = Step(s, plan, in, T0() + absl::Hours(1));
    EXPECT_EQ(a.status, b.status);
    EXPECT_TRUE(MessageDifferencer::Equals(a.next, b.next));
    EXPECT_EQ(a.why, b.why);
    EXPECT_EQ(ActionKinds(a.actions), ActionKinds(b.actions));
  }
}

// --- Start -------------------------------------------------------------------

TEST(StartTest, EntersShadowHoldsTheVersionAndMirrors) {
  const StepResult r = Step(NewState(), DefaultPlan(),
                            Start{.gates_checked = true,
                                  .gate_notes = {"change ticket gate skipped"}},
                            T0());
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.next.phase(), kInStage);
  EXPECT_EQ(r.next.stage_index(), kShadow);
  ASSERT_EQ(ActionKinds(r.actions), "HOLD_VERSION,SET_WEIGHTS");
  EXPECT_EQ(r.actions[0].hold_version().model(), "fraud");
  EXPECT_EQ(r.actions[0].hold_version().version(), "2.0.0");
  EXPECT_EQ(r.actions[1].set_weights().stable(), 1.0);
  EXPECT_EQ(r.actions[1].set_weights().candidate(), 0.0);
  EXPECT_TRUE(r.actions[1].set_weights().shadow());
  EXPECT_TRUE(r.next.shadow());
  EXPECT_EQ(FromProtoTime(r.next.started_at()), T0());
  EXPECT_EQ(FromProtoTime(r.next.stage_entered_at()), T0());
  ASSERT_EQ(r.next.gate_notes_size(), 1);
  EXPECT_EQ(r.next.transition_count(), 1);
  EXPECT_THAT(r.why, HasSubstr("shadow"));
}

TEST(StartTest, RefusedWithoutGatesRollbackPlanOrAValidPlan) {
  const v1::RolloutState s = NewState();
  ExpectRefused(Step(s, DefaultPlan(), Start{}, T0()), s, "GATES_NOT_CHECKED");

  v1::RolloutState no_rollback = NewState();
  no_rollback.clear_rollback_plan();
  ExpectRefused(
      Step(no_rollback, DefaultPlan(), Start{.gates_checked = true}, T0()),
      no_rollback, "ROLLBACK_PLAN_MISSING");

  v1::Plan bad = DefaultPlan();
  bad.mutable_stages(1)->set_candidate_weight(0.2);
  const StepResult r = Step(s, bad, Start{.gates_checked = true}, T0());
  ExpectRefused(r, s, "PLAN_INVALID");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);

  v1::RolloutState nameless = NewState();
  nameless.clear_candidate_version();
  ExpectRefused(
      Step(nameless, DefaultPlan(), Start{.gates_checked = true}, T0()),
      nameless, "ROLLOUT_STATE_INVALID");
}

TEST(StartTest, AFirstStageWithARoleWaitsForItsApproval) {
  v1::Plan plan = DefaultPlan();
  plan.mutable_stages(0)->set_approval_role("platform-lead");
  const StepResult r =
      Step(NewState(), plan, Start{.gates_checked = true}, T0());
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.next.phase(), kAwaiting);
  EXPECT_EQ(r.next.stage_index(), 0);
  EXPECT_EQ(ActionKinds(r.actions), "HOLD_VERSION,ALERT");
  EXPECT_EQ(r.next.stable_weight(), 1.0);
  const StepResult in =
      Step(r.next, plan, Approve{"shadow", "pat", "platform-lead"},
           T0() + absl::Minutes(5));
  ASSERT_TRUE(in.status.ok()) << in.status;
  EXPECT_EQ(in.next.phase(), kInStage);
  EXPECT_TRUE(in.next.shadow());
}

// --- Stage observation -------------------------------------------------------

TEST(TickTest, StaysUntilTheObservationTimeIsMet) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kInStage, kShadow);
  for (absl::Duration d :
       {absl::ZeroDuration(), absl::Hours(23) + absl::Minutes(59),
        -absl::Hours(1) /* now before entered */}) {
    const StepResult r = Step(s, plan, Tick{Healthy()}, T0() + d);
    ASSERT_TRUE(r.status.ok());
    EXPECT_FALSE(r.changed());
    EXPECT_THAT(r.why, HasSubstr("observing stage shadow"));
  }
  const StepResult r = Step(s, plan, Tick{Healthy()}, T0() + absl::Hours(24));
  ASSERT_TRUE(r.changed()) << r.why;
  EXPECT_EQ(r.next.phase(), kInStage);
  EXPECT_EQ(r.next.stage_index(), kCanary1);
  ASSERT_EQ(ActionKinds(r.actions), "SET_WEIGHTS");
  EXPECT_EQ(r.actions[0].set_weights().candidate(), 0.01);
  EXPECT_DOUBLE_EQ(r.actions[0].set_weights().stable(), 0.99);
  EXPECT_FALSE(r.actions[0].set_weights().shadow());
  EXPECT_EQ(FromProtoTime(r.next.stage_entered_at()), T0() + absl::Hours(24));
}

TEST(TickTest, MinimumSamplesHoldTheStage) {
  v1::Plan plan = DefaultPlan();
  plan.mutable_stages(kCanary1)->set_min_samples(1000);
  const v1::RolloutState s = StateAt(plan, kInStage, kCanary1);
  StepResult r = Step(s, plan, Tick{Healthy(999)}, T0() + absl::Hours(5));
  EXPECT_FALSE(r.changed());
  EXPECT_THAT(r.why, HasSubstr("999 of 1000 samples"));
  r = Step(s, plan, Tick{Healthy(1000)}, T0() + absl::Hours(5));
  EXPECT_EQ(r.next.phase(), kAwaiting);
}

TEST(TickTest, NotEnoughDataNeitherTripsNorBlocksAnOrdinaryStage) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kInStage, kShadow);
  const StepResult r =
      Step(s, plan, Tick{StageVerdicts{}}, T0() + absl::Hours(24));
  EXPECT_EQ(r.next.phase(), kInStage);
  EXPECT_EQ(r.next.stage_index(), kCanary1);
}

TEST(TickTest, StatisticalValidationNeedsHealthyVerdictsWithEnoughData) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kInStage, kCanary2);
  StageVerdicts thin = Healthy();
  thin.accuracy = GuardrailVerdict::kNotEnoughData;
  StepResult r = Step(s, plan, Tick{thin}, T0() + absl::Hours(3));
  EXPECT_FALSE(r.changed());
  EXPECT_THAT(r.why, HasSubstr("statistical validation"));
  EXPECT_THAT(r.why, HasSubstr("accuracy"));
  r = Step(s, plan, Tick{Healthy()}, T0() + absl::Hours(3));
  EXPECT_EQ(r.next.phase(), kInStage);
  EXPECT_EQ(r.next.stage_index(), kAb);
  EXPECT_EQ(r.next.candidate_weight(), 0.5);
}

TEST(TickTest, TheLastStageCompletesWithRecordDeploymentAndReleaseHold) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kInStage, kFull);
  const StepResult r = Step(s, plan, Tick{Healthy()}, T0());
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.next.phase(), kCompleted);
  ASSERT_EQ(ActionKinds(r.actions), "RECORD_DEPLOYMENT,RELEASE_HOLD");
  EXPECT_EQ(r.actions[0].record_deployment().endpoint(), "fraud-api");
  EXPECT_EQ(r.actions[0].record_deployment().model(), "fraud");
  EXPECT_EQ(r.actions[0].record_deployment().version(), "2.0.0");
  EXPECT_EQ(r.next.candidate_weight(), 1.0);
  // A failing guardrail on that tick wins over completion.
  StageVerdicts bad = Healthy();
  bad.latency = GuardrailVerdict::kFailing;
  ExpectRolledBackToStable(Step(s, plan, Tick{bad}, T0()), v1::Alert::CRITICAL);
}

// --- Guardrails --------------------------------------------------------------

TEST(GuardrailTest, AnyFailingGuardrailInAnyStageRollsBackToTheStableVersion) {
  const v1::Plan plan = DefaultPlan();
  for (int stage = 0; stage < plan.stages_size(); ++stage) {
    for (int g = 0; g < 3; ++g) {
      for (Phase phase : {kInStage, kAwaiting}) {
        if (phase == kAwaiting && stage == 0) continue;
        SCOPED_TRACE(plan.stages(stage).name() + " guardrail " +
                     std::to_string(g) + " " + std::string(PhaseName(phase)));
        StageVerdicts v = Healthy();
        (g == 0   ? v.error_rate
         : g == 1 ? v.latency
                  : v.accuracy) = GuardrailVerdict::kFailing;
        const v1::RolloutState s = StateAt(plan, phase, stage);
        const StepResult r = Step(s, plan, Tick{v}, T0() + absl::Minutes(1));
        ExpectRolledBackToStable(r, v1::Alert::CRITICAL);
        EXPECT_THAT(r.why, HasSubstr(g == 0   ? "error rate"
                                     : g == 1 ? "p99 latency"
                                              : "accuracy"));
        EXPECT_THAT(r.why, HasSubstr("\"1.0.0\""));
        EXPECT_EQ(r.next.stage_index(), stage);
      }
    }
  }
}

TEST(GuardrailTest, RollbackReturnsToTheRecordedRollbackPlan) {
  const v1::Plan plan = DefaultPlan();
  v1::RolloutState s = StateAt(plan, kInStage, kCanary2);
  s.mutable_rollback_plan()->set_stable_version("1.4.0");
  StageVerdicts v = Healthy();
  v.error_rate = GuardrailVerdict::kFailing;
  const StepResult r = Step(s, plan, Tick{v}, T0());
  EXPECT_THAT(r.why, HasSubstr("\"1.4.0\" at 100%"));
}

TEST(DriftTest, HaltsHoldsTheWeightAndAlerts) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kInStage, kCanary2);
  StageVerdicts v = Healthy();
  v.drift = DriftVerdict::kDrift;
  const StepResult r = Step(s, plan, Tick{v}, T0() + absl::Hours(5));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.next.phase(), kHalted);
  EXPECT_EQ(r.next.halt_cause(), v1::RolloutState::HALT_CAUSE_DRIFT);
  EXPECT_EQ(r.next.halted_from(), kInStage);
  EXPECT_EQ(r.next.stage_index(), kCanary2);
  ASSERT_EQ(ActionKinds(r.actions), "ALERT");  // no SET_WEIGHTS: weight held
  EXPECT_EQ(r.actions[0].alert().severity(), v1::Alert::WARNING);
  EXPECT_EQ(r.next.candidate_weight(), 0.10);
  EXPECT_THAT(r.why, HasSubstr("a person decides"));

  // Halted: ticks take no step, even with every condition met.
  StepResult t = Step(r.next, plan, Tick{Healthy()}, T0() + absl::Hours(30));
  EXPECT_FALSE(t.changed());
  EXPECT_EQ(t.next.phase(), kHalted);

  // Resume returns to the stage; its observation clock is not reset.
  StepResult resumed =
      Step(r.next, plan, Resume{"oncall"}, T0() + absl::Hours(6));
  ASSERT_TRUE(resumed.status.ok());
  EXPECT_EQ(resumed.next.phase(), kInStage);
  EXPECT_EQ(resumed.next.stage_index(), kCanary2);
  EXPECT_EQ(resumed.next.halt_cause(), v1::RolloutState::HALT_CAUSE_NONE);
  EXPECT_EQ(FromProtoTime(resumed.next.stage_entered_at()), T0());
  EXPECT_TRUE(resumed.actions.empty());
  EXPECT_EQ(resumed.transition->actor(), "oncall");
  StepResult next =
      Step(resumed.next, plan, Tick{Healthy()}, T0() + absl::Hours(7));
  EXPECT_EQ(next.next.stage_index(), kAb);

  // Or a person rolls back.
  ExpectRolledBackToStable(
      Step(r.next, plan, Rollback{"drift is real", "oncall"},
           T0() + absl::Hours(6)),
      v1::Alert::WARNING);

  // A guardrail failing while halted for drift still rolls back.
  StageVerdicts failing = Healthy();
  failing.error_rate = GuardrailVerdict::kFailing;
  ExpectRolledBackToStable(
      Step(r.next, plan, Tick{failing}, T0() + absl::Hours(6)),
      v1::Alert::CRITICAL);
}

TEST(DriftTest, WhileAwaitingApprovalResumeReturnsToAwaiting) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kAwaiting, kFull);
  StageVerdicts v = Healthy();
  v.drift = DriftVerdict::kDrift;
  const StepResult halted = Step(s, plan, Tick{v}, T0());
  EXPECT_EQ(halted.next.phase(), kHalted);
  EXPECT_EQ(halted.next.halted_from(), kAwaiting);
  ExpectRefused(
      Step(halted.next, plan, Approve{"full", "pat", "platform-lead"}, T0()),
      halted.next, "APPROVAL_NOT_EXPECTED");
  const StepResult back = Step(halted.next, plan, Resume{"pat"}, T0());
  EXPECT_EQ(back.next.phase(), kAwaiting);
  EXPECT_EQ(back.next.stage_index(), kFull);
  EXPECT_TRUE(
      Step(back.next, plan, Approve{"full", "pat", "platform-lead"}, T0())
          .status.ok());
}

TEST(DriftTest, AFailingGuardrailWinsOverDrift) {
  const v1::Plan plan = DefaultPlan();
  StageVerdicts v = Healthy();
  v.drift = DriftVerdict::kDrift;
  v.accuracy = GuardrailVerdict::kFailing;
  ExpectRolledBackToStable(
      Step(StateAt(plan, kInStage, kAb), plan, Tick{v}, T0()),
      v1::Alert::CRITICAL);
}

// --- A/B ---------------------------------------------------------------------

StepResult AbTick(AbVerdict verdict, int64_t predictions,
                  absl::Duration in_stage) {
  const v1::Plan plan = DefaultPlan();
  StageVerdicts v = Healthy(predictions, predictions);
  v.ab = verdict;
  return Step(StateAt(plan, kInStage, kAb), plan, Tick{v}, T0() + in_stage);
}

TEST(AbTest, NoVerdictIsReadBeforeTheMinimumPredictions) {
  for (AbVerdict verdict :
       {AbVerdict::kCandidateWorse, AbVerdict::kCandidateBetter}) {
    const StepResult r = AbTick(verdict, 9'999, absl::Hours(30));
    EXPECT_FALSE(r.changed()) << r.why;
    EXPECT_THAT(r.why, HasSubstr("9999 of 10000 predictions"));
  }
}

TEST(AbTest, AtTheDecisionPointWorseRollsBackAnythingElseMovesOn) {
  ExpectRolledBackToStable(
      AbTick(AbVerdict::kCandidateWorse, 10'000, absl::Hours(2)),
      v1::Alert::CRITICAL);
  const StepResult better =
      AbTick(AbVerdict::kCandidateBetter, 10'000, absl::Hours(2));
  EXPECT_EQ(better.next.phase(), kAwaiting);  // full needs the platform lead
  EXPECT_EQ(better.next.stage_index(), kFull);
  EXPECT_THAT(better.why, HasSubstr("significantly better"));
  const StepResult same =
      AbTick(AbVerdict::kNotSignificant, 10'000, absl::Hours(2));
  EXPECT_EQ(same.next.phase(), kAwaiting);
  EXPECT_THAT(same.why, HasSubstr("not worse"));
  // No verdict yet (the monitoring counts on): keep observing.
  const StepResult waiting =
      AbTick(AbVerdict::kKeepObserving, 50'000, absl::Hours(24 * 6));
  EXPECT_FALSE(waiting.changed()) << waiting.why;
  EXPECT_THAT(waiting.why, HasSubstr("waiting for the verdict"));
}

TEST(AbTest, AfterSevenDaysANotWorseCandidateMovesOn) {
  for (AbVerdict v : {AbVerdict::kNotSignificant, AbVerdict::kKeepObserving,
                      AbVerdict::kCandidateBetter}) {
    for (int64_t predictions : {int64_t{0}, int64_t{3'000}, int64_t{80'000}}) {
      const StepResult r = AbTick(v, predictions, absl::Hours(24 * 7));
      EXPECT_EQ(r.next.phase(), kAwaiting) << r.why;
      EXPECT_EQ(r.next.stage_index(), kFull);
    }
  }
  ExpectRolledBackToStable(
      AbTick(AbVerdict::kCandidateWorse, 3'000, absl::Hours(24 * 7)),
      v1::Alert::CRITICAL);
  EXPECT_FALSE(AbTick(AbVerdict::kNotSignificant, 3'000,
                      absl::Hours(24 * 7) - absl::Seconds(1))
                   .changed());
}

// --- Approvals ---------------------------------------------------------------

TEST(ApprovalTest, OnlyTheNamedRoleForTheAwaitedStageEntersIt) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kAwaiting, kCanary2);
  const absl::Time now = T0() + absl::Hours(2);

  StepResult r =
      Step(s, plan, Approve{"canary-2", "pat", "platform-lead"}, now);
  ExpectRefused(r, s, "ROLE_REQUIRED");
  EXPECT_THAT(r.why, HasSubstr("needs approval by role data-science-lead"));
  ExpectRefused(Step(s, plan, Approve{"canary-2", "eve", ""}, now), s,
                "ROLE_REQUIRED");
  ExpectRefused(Step(s, plan, Approve{"full", "pat", "platform-lead"}, now), s,
                "APPROVAL_NOT_EXPECTED");
  r = Step(s, plan, Approve{"canary-2", "", "data-science-lead"}, now);
  ExpectRefused(r, s, "APPROVAL_ACTOR_MISSING");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);

  r = Step(s, plan, Approve{"canary-2", "dana", "data-science-lead"}, now);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.next.phase(), kInStage);
  EXPECT_EQ(r.next.stage_index(), kCanary2);
  EXPECT_EQ(FromProtoTime(r.next.stage_entered_at()), now);
  EXPECT_EQ(r.next.candidate_weight(), 0.10);
  ASSERT_EQ(r.next.approvals_size(), 1);
  EXPECT_EQ(r.next.approvals(0).stage(), "canary-2");
  EXPECT_EQ(r.next.approvals(0).actor(), "dana");
  EXPECT_EQ(r.next.approvals(0).role(), "data-science-lead");
  EXPECT_EQ(FromProtoTime(r.next.approvals(0).at()), now);
  EXPECT_EQ(r.transition->actor(), "dana");
}

TEST(ApprovalTest, RefusedOutsideAwaitingApproval) {
  const v1::Plan plan = DefaultPlan();
  for (Phase phase : {kPending, kInStage, kHalted}) {
    const v1::RolloutState s = CanonicalState(phase);
    ExpectRefused(
        Step(s, plan, Approve{"canary-2", "dana", "data-science-lead"}, T0()),
        s, "APPROVAL_NOT_EXPECTED");
  }
  const v1::RolloutState done = CanonicalState(kCompleted);
  ExpectRefused(Step(done, plan, Approve{"full", "pat", "platform-lead"}, T0()),
                done, "ROLLOUT_ENDED");
}

// --- Emergency stop ----------------------------------------------------------

TEST(EmergencyStopTest, HaltsWithWeightsUnchangedAndTakesNoAutomaticStep) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kInStage, kAb);
  const StepResult r = Step(s, plan, EmergencyStop{}, T0() + absl::Hours(1));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.next.phase(), kHalted);
  EXPECT_EQ(r.next.halt_cause(), v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP);
  EXPECT_EQ(r.next.halted_from(), kInStage);
  ASSERT_EQ(ActionKinds(r.actions), "ALERT");  // no traffic change
  EXPECT_EQ(r.actions[0].alert().severity(), v1::Alert::CRITICAL);
  EXPECT_EQ(r.next.candidate_weight(), 0.5);
  EXPECT_EQ(r.next.stable_weight(), 0.5);
  EXPECT_THAT(r.why, HasSubstr("SPEC §5"));

  // While stopped, even a failing guardrail changes no traffic.
  StageVerdicts failing = Healthy();
  failing.error_rate = GuardrailVerdict::kFailing;
  failing.ab = AbVerdict::kCandidateBetter;
  const StepResult t = Step(r.next, plan, Tick{failing}, T0() + absl::Hours(2));
  ASSERT_TRUE(t.status.ok());
  EXPECT_FALSE(t.changed());
  EXPECT_TRUE(t.actions.empty());
  EXPECT_THAT(t.why, HasSubstr("no traffic change"));

  // A second stop is a no-op.
  const StepResult again =
      Step(r.next, plan, EmergencyStop{}, T0() + absl::Hours(2));
  ASSERT_TRUE(again.status.ok());
  EXPECT_FALSE(again.changed());

  // Once cleared, a person resumes (back to the A/B stage) or rolls back.
  const StepResult resumed =
      Step(r.next, plan, Resume{"oncall"}, T0() + absl::Hours(3));
  EXPECT_EQ(resumed.next.phase(), kInStage);
  EXPECT_EQ(resumed.next.stage_index(), kAb);
  EXPECT_TRUE(resumed.actions.empty());
  ExpectRolledBackToStable(
      Step(r.next, plan, Rollback{"after incident", "oncall"},
           T0() + absl::Hours(3)),
      v1::Alert::WARNING);
}

TEST(EmergencyStopTest, OverADriftHaltKeepsThePhaseToResume) {
  const v1::Plan plan = DefaultPlan();
  v1::RolloutState s = StateAt(plan, kHalted, kCanary2);
  s.set_halted_from(kAwaiting);
  const StepResult r = Step(s, plan, EmergencyStop{}, T0());
  EXPECT_EQ(r.next.halt_cause(), v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP);
  EXPECT_EQ(r.next.halted_from(), kAwaiting);
  EXPECT_EQ(ActionKinds(r.actions), "ALERT");
  const StepResult resumed = Step(r.next, plan, Resume{"oncall"}, T0());
  EXPECT_EQ(resumed.next.phase(), kAwaiting);
}

TEST(EmergencyStopTest, AwaitingApprovalHaltsToo) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState s = StateAt(plan, kAwaiting, kCanary2);
  const StepResult r = Step(s, plan, EmergencyStop{}, T0());
  EXPECT_EQ(r.next.phase(), kHalted);
  EXPECT_EQ(r.next.halted_from(), kAwaiting);
  EXPECT_EQ(r.next.candidate_weight(), 0.01);
}

// --- Abort, Rollback, invalid states -----------------------------------------

TEST(AbortTest, BeforeStartNothingMovesAfterStartTrafficGoesBack) {
  const v1::Plan plan = DefaultPlan();
  const StepResult pending =
      Step(NewState(), plan, Abort{"changed my mind", "sam"}, T0());
  EXPECT_EQ(pending.next.phase(), kAborted);
  EXPECT_TRUE(pending.actions.empty());
  EXPECT_THAT(pending.why, HasSubstr("aborted by sam: changed my mind"));
  const StepResult active =
      Step(StateAt(plan, kInStage, kAb), plan, Abort{"", "sam"}, T0());
  EXPECT_EQ(active.next.phase(), kAborted);
  EXPECT_EQ(ActionKinds(active.actions), "SET_WEIGHTS,ALERT,RELEASE_HOLD");
  EXPECT_EQ(active.actions[1].alert().severity(), v1::Alert::INFO);
  EXPECT_EQ(active.next.stable_weight(), 1.0);
}

TEST(StepTest, AStageIndexOutsideThePlanIsRefused) {
  const v1::Plan plan = DefaultPlan();
  v1::RolloutState s = StateAt(plan, kInStage, kCanary1);
  s.set_stage_index(5);
  ExpectRefused(Step(s, plan, Tick{Healthy()}, T0()), s,
                "ROLLOUT_STATE_INVALID");
  s.set_stage_index(-1);
  ExpectRefused(Step(s, plan, Tick{Healthy()}, T0()), s,
                "ROLLOUT_STATE_INVALID");
  v1::RolloutState unknown = NewState();
  unknown.set_phase(static_cast<Phase>(42));
  ExpectRefused(Step(unknown, plan, Tick{Healthy()}, T0()), unknown,
                "ROLLOUT_STATE_INVALID");
}

TEST(StepTest, ResumeWithoutARecordedPhaseIsRefused) {
  const v1::Plan plan = DefaultPlan();
  v1::RolloutState s = StateAt(plan, kHalted, kCanary1);
  s.set_halted_from(kPending);
  ExpectRefused(Step(s, plan, Resume{"x"}, T0()), s, "ROLLOUT_STATE_INVALID");
}

// --- A week of simulated time ------------------------------------------------

// Walks the default plan from Start to COMPLETED with a tick every minute
// and a fake `now`: shadow 24 h, canary-1 30 min, approval, canary-2 2 h,
// A/B until its decision point at 10,000 predictions (day 4), approval,
// full.
TEST(WalkTest, TheDefaultPlanEndToEnd) {
  const v1::Plan plan = DefaultPlan();
  v1::RolloutState state = NewState();
  absl::Time now = T0();
  std::vector<v1::Transition> log;
  std::vector<v1::Action> actions;
  auto step = [&](const Input& in) {
    StepResult r = Step(state, plan, in, now);
    EXPECT_TRUE(r.status.ok()) << r.status;
    if (r.transition) log.push_back(*r.transition);
    actions.insert(actions.end(), r.actions.begin(), r.actions.end());
    state = r.next;
    return r;
  };
  // The verdicts the monitoring module would report: healthy; the A/B
  // collects 2 predictions a minute, and at 10,000 (the decision point,
  // after 5,000 minutes) the candidate is significantly better.
  auto verdicts = [&]() {
    StageVerdicts v = Healthy();
    if (state.stage_index() == kAb) {
      const absl::Duration in_stage =
          now - FromProtoTime(state.stage_entered_at());
      v.predictions = absl::ToInt64Minutes(in_stage) * 2;
      v.ab = v.predictions >= 10'000 ? AbVerdict::kCandidateBetter
                                     : AbVerdict::kKeepObserving;
    }
    return v;
  };
  auto tick_until_changed = [&]() {
    for (int i = 0; i < 7 * 24 * 60; ++i) {
      now += absl::Minutes(1);
      if (step(Tick{verdicts()}).changed()) return;
    }
    ADD_FAILURE() << "no transition within a week from " << state.last_reason();
  };

  step(Start{.gates_checked = true});
  EXPECT_EQ(state.stage_index(), kShadow);
  tick_until_changed();
  EXPECT_EQ(now - T0(), absl::Hours(24));
  EXPECT_EQ(state.stage_index(), kCanary1);
  tick_until_changed();
  EXPECT_EQ(now - T0(), absl::Hours(24) + absl::Minutes(30));
  EXPECT_EQ(state.phase(), kAwaiting);
  EXPECT_EQ(state.stage_index(), kCanary2);
  now += absl::Minutes(15);
  step(Approve{"canary-2", "dana", "data-science-lead"});
  EXPECT_EQ(state.phase(), kInStage);
  tick_until_changed();
  EXPECT_EQ(now - T0(), absl::Hours(26) + absl::Minutes(45));
  EXPECT_EQ(state.stage_index(), kAb);
  tick_until_changed();
  EXPECT_EQ(now - T0(),
            absl::Hours(26) + absl::Minutes(45) + absl::Minutes(5'000));
  EXPECT_EQ(state.phase(), kAwaiting);
  EXPECT_EQ(state.stage_index(), kFull);
  now += absl::Hours(1);
  step(Approve{"full", "pat", "platform-lead"});
  EXPECT_EQ(state.candidate_weight(), 1.0);
  tick_until_changed();
  EXPECT_EQ(state.phase(), kCompleted);

  std::vector<std::string> path;
  for (const v1::Transition& t : log) {
    path.push_back(std::string(PhaseName(t.to_phase())) + "(" +
                   std::to_string(t.to_stage()) + ")");
  }
  EXPECT_THAT(path, ::testing::ElementsAre(
                        "IN_STAGE(0)", "IN_STAGE(1)", "AWAITING_APPROVAL(2)",
                        "IN_STAGE(2)", "IN_STAGE(3)", "AWAITING_APPROVAL(4)",
                        "IN_STAGE(4)", "COMPLETED(4)"));
  EXPECT_EQ(state.transition_count(), 8);
  EXPECT_EQ(state.approvals_size(), 2);
  EXPECT_EQ(
      ActionKinds(actions),
      "HOLD_VERSION,SET_WEIGHTS,SET_WEIGHTS,ALERT,SET_WEIGHTS,SET_WEIGHTS,"
      "ALERT,SET_WEIGHTS,RECORD_DEPLOYMENT,RELEASE_HOLD");
  for (size_t i = 0; i < log.size(); ++i)
    EXPECT_EQ(log[i].seq(), int64_t(i + 1));
}

// The same walk where the A/B never turns significant: it ends after 7 days.
TEST(WalkTest, AnAbThatNeverTurnsSignificantEndsAfterSevenDays) {
  const v1::Plan plan = DefaultPlan();
  v1::RolloutState state = StateAt(plan, kInStage, kAb);
  absl::Time now = T0();
  int ticks = 0;
  for (;;) {
    now += absl::Minutes(1);
    ++ticks;
    StageVerdicts v = Healthy(0, ticks * 3);  // thin traffic: 3 a minute
    v.ab = AbVerdict::kKeepObserving;
    StepResult r = Step(state, plan, Tick{v}, now);
    ASSERT_TRUE(r.status.ok());
    state = r.next;
    if (r.changed()) break;
    ASSERT_LT(ticks, 8 * 24 * 60);
  }
  EXPECT_EQ(now - T0(), absl::Hours(24 * 7));
  EXPECT_EQ(state.phase(), kAwaiting);
  EXPECT_THAT(state.last_reason(), HasSubstr("maximum duration passed"));
}

}  // namespace
}  // namespace slipway::internal_rollout
