#include "src/rollout/plan.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/rollout/rollout_test_util.h"

namespace slipway::internal_rollout {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::slipway::rollout_test::NewState;
using ::slipway::rollout_test::ReasonOf;
using ::slipway::rollout_test::T0;
using ::testing::HasSubstr;

TEST(DefaultPlanTest, MatchesSpec3TableFieldByField) {
  const v1::Plan plan = DefaultPlan();
  ASSERT_EQ(plan.stages_size(), 5);
  struct Row {
    const char* name;
    double weight;
    bool shadow;
    int32_t min_observation_seconds;
    const char* role;
    v1::Stage::Gate gate;
    bool ab;
  } rows[] = {
      {"shadow", 0.0, true, 24 * 3600, "", v1::Stage::GATE_MODEL_VALIDATION,
       false},
      {"canary-1", 0.01, false, 30 * 60, "", v1::Stage::GATE_CHANGE_TICKET,
       false},
      {"canary-2", 0.10, false, 2 * 3600, "data-science-lead",
       v1::Stage::GATE_NONE, false},
      {"ab", 0.50, false, 0, "", v1::Stage::GATE_STATISTICAL_VALIDATION, true},
      {"full", 1.0, false, 0, "platform-lead", v1::Stage::GATE_NONE, false},
  };
  for (int i = 0; i < 5; ++i) {
    const v1::Stage& s = plan.stages(i);
    const Row& r = rows[i];
    SCOPED_TRACE(r.name);
    EXPECT_EQ(s.name(), r.name);
    EXPECT_EQ(s.candidate_weight(), r.weight);
    EXPECT_EQ(s.shadow(), r.shadow);
    EXPECT_EQ(s.min_observation_seconds(), r.min_observation_seconds);
    EXPECT_EQ(s.min_samples(), 0);
    EXPECT_EQ(s.approval_role(), r.role);
    EXPECT_EQ(s.gate(), r.gate);
    EXPECT_EQ(s.ab().decide_by_significance(), r.ab);
    if (r.ab) {
      EXPECT_EQ(s.ab().min_predictions(), 10'000);
      EXPECT_EQ(s.ab().max_duration_seconds(), 7 * 24 * 3600);
    } else {
      EXPECT_FALSE(s.has_ab());
    }
  }
  EXPECT_TRUE(ValidatePlan(plan).ok()) << ValidatePlan(plan);
}

TEST(DefaultPlanTest, GuardrailsAreSpec3Numbers) {
  const v1::Guardrails g = DefaultPlan().guardrails();
  EXPECT_EQ(g.max_error_rate(), 0.02);
  EXPECT_EQ(g.error_rate_windows(), 5);
  EXPECT_EQ(g.window_seconds(), 60);
  EXPECT_EQ(g.max_p99_latency_ratio(), 1.5);
  EXPECT_EQ(g.max_accuracy_drop(), 0.05);
  EXPECT_EQ(g.accuracy_drop(), v1::Guardrails::ACCURACY_DROP_RELATIVE);
  EXPECT_EQ(g.max_drift_sigma(), 3.0);
  EXPECT_EQ(g.min_requests_per_window(), 200);
  EXPECT_EQ(g.min_latency_samples(), 100);
  EXPECT_EQ(g.min_labelled_predictions(), 500);
}

v1::Plan TwoStages(double canary, double last = 1.0) {
  v1::Plan plan;
  v1::Stage* s = plan.add_stages();
  s->set_name("canary");
  s->set_candidate_weight(canary);
  s = plan.add_stages();
  s->set_name("full");
  s->set_candidate_weight(last);
  *plan.mutable_guardrails() = DefaultGuardrails();
  return plan;
}

void ExpectPlanInvalid(const v1::Plan& plan, std::string_view needle) {
  absl::Status s = ValidatePlan(plan);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << needle;
  EXPECT_EQ(ReasonOf(s), "PLAN_INVALID") << needle;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(needle)));
}

TEST(ValidatePlanTest, FirstServingStageTenPercentIsAllowedElevenIsNot) {
  EXPECT_TRUE(ValidatePlan(TwoStages(0.10)).ok());
  EXPECT_TRUE(ValidatePlan(TwoStages(0.01)).ok());
  absl::Status s = ValidatePlan(TwoStages(0.11));
  EXPECT_EQ(ReasonOf(s), "PLAN_INVALID");
  EXPECT_THAT(std::string(s.message()), HasSubstr("stage 1 (\"canary\")"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("11%"));
  EXPECT_THAT(GetErrorDetail(s)->rule, HasSubstr("SPEC §2 canary enforcement"));
  // The limit is a policy number.
  EXPECT_TRUE(ValidatePlan(TwoStages(0.11), 0.20).ok());
}

TEST(ValidatePlanTest, TheFirstServingStageIsTheOneAfterShadow) {
  v1::Plan plan = DefaultPlan();
  plan.mutable_stages(1)->set_candidate_weight(0.11);  // canary-1
  plan.mutable_stages(2)->set_candidate_weight(0.12);
  ExpectPlanInvalid(plan, "stage 2 (\"canary-1\")");
}

TEST(ValidatePlanTest, WeightsNeverDecrease) {
  v1::Plan plan = DefaultPlan();
  plan.mutable_stages(3)->set_candidate_weight(0.05);  // ab below canary-2
  ExpectPlanInvalid(plan, "stage 4 (\"ab\")");
  ExpectPlanInvalid(plan, "below the 10%");
}

TEST(ValidatePlanTest, LastStageIsFullTraffic) {
  ExpectPlanInvalid(TwoStages(0.01, 0.9),
                    "the last stage routes 90%, not 100%");
}

TEST(ValidatePlanTest, StructuralRules) {
  ExpectPlanInvalid(v1::Plan(), "no stages");

  v1::Plan dup = TwoStages(0.01);
  dup.mutable_stages(1)->set_name("canary");
  ExpectPlanInvalid(dup, "used by an earlier stage");

  for (const char* bad :
       {"", "a", "Canary", "canary 1", "-canary", "canary-", "caná"}) {
    v1::Plan p = TwoStages(0.01);
    p.mutable_stages(0)->set_name(bad);
    ExpectPlanInvalid(p, "the stage name is not valid");
  }

  v1::Plan shadow_serving = DefaultPlan();
  shadow_serving.mutable_stages(0)->set_candidate_weight(0.01);
  ExpectPlanInvalid(shadow_serving, "a shadow stage routes 1%");

  v1::Plan idle = TwoStages(0.0);
  ExpectPlanInvalid(idle, "neither serves nor mirrors");

  for (double w : {-0.1, 1.5, std::nan("")}) {
    v1::Plan p = TwoStages(w);
    ExpectPlanInvalid(p, "outside [0, 1]");
  }

  v1::Plan negative = TwoStages(0.01);
  negative.mutable_stages(0)->set_min_observation_seconds(-1);
  ExpectPlanInvalid(negative, "min_observation_seconds is -1");
  negative = TwoStages(0.01);
  negative.mutable_stages(0)->set_min_samples(-5);
  ExpectPlanInvalid(negative, "min_samples is -5");

  v1::Plan role = TwoStages(0.01);
  role.mutable_stages(1)->set_approval_role("Platform Lead");
  ExpectPlanInvalid(role, "is not a valid role name");

  v1::Plan gate = TwoStages(0.01);
  gate.mutable_stages(0)->set_gate(v1::Stage::GATE_STATISTICAL_VALIDATION);
  ExpectPlanInvalid(gate, "needs a stage before it");

  v1::Plan ab_full = TwoStages(0.01);
  *ab_full.mutable_stages(1)->mutable_ab() = DefaultAbSettings();
  ExpectPlanInvalid(ab_full, "an A/B stage routes 100%");

  v1::Plan ab_zero = DefaultPlan();
  ab_zero.mutable_stages(3)->mutable_ab()->set_min_predictions(0);
  ExpectPlanInvalid(ab_zero, "ab.min_predictions is 0");
}

TEST(ValidatePlanTest, GuardrailsMustBeSane) {
  v1::Plan none = TwoStages(0.01);
  none.clear_guardrails();
  ExpectPlanInvalid(none, "guardrails: the plan has none");

  struct Case {
    void (*mutate)(v1::Guardrails*);
    const char* needle;
  } cases[] = {
      {[](v1::Guardrails* g) { g->set_max_error_rate(0); },
       "max_error_rate is 0"},
      {[](v1::Guardrails* g) { g->set_max_error_rate(1.5); },
       "max_error_rate is 1.5"},
      {[](v1::Guardrails* g) { g->set_error_rate_windows(0); },
       "error_rate_windows"},
      {[](v1::Guardrails* g) { g->set_window_seconds(-60); }, "window_seconds"},
      {[](v1::Guardrails* g) { g->set_max_p99_latency_ratio(0.9); },
       "max_p99_latency_ratio is 0.9"},
      {[](v1::Guardrails* g) { g->set_max_accuracy_drop(2); },
       "max_accuracy_drop"},
      {[](v1::Guardrails* g) { g->set_max_drift_sigma(-3); },
       "max_drift_sigma"},
      {[](v1::Guardrails* g) { g->set_min_requests_per_window(0); },
       "min_requests_per_window"},
      {[](v1::Guardrails* g) { g->set_min_latency_samples(0); },
       "min_latency_samples"},
      {[](v1::Guardrails* g) { g->set_min_labelled_predictions(-1); },
       "min_labelled_predictions"},
      {[](v1::Guardrails* g) {
         g->set_accuracy_drop(static_cast<v1::Guardrails::AccuracyDrop>(7));
       },
       "accuracy_drop"},
  };
  for (const Case& c : cases) {
    v1::Plan plan = TwoStages(0.01);
    c.mutate(plan.mutable_guardrails());
    ExpectPlanInvalid(plan, c.needle);
  }
}

TEST(DefaultPlanTest, DriftCheckDefaultsAreDesign0004Numbers) {
  const v1::Guardrails g = DefaultPlan().guardrails();
  EXPECT_EQ(g.drift_statistic(), v1::Guardrails::DRIFT_STATISTIC_KS);
  EXPECT_EQ(g.drift_chunk_rows(), 500);
  EXPECT_EQ(g.drift_min_reference_chunks(), 40);
  EXPECT_EQ(g.drift_check_seconds(), 3600);
  // A plan written before the fields existed (zeros) gets them.
  v1::Plan old = TwoStages(0.01);
  old.mutable_guardrails()->clear_drift_chunk_rows();
  old.mutable_guardrails()->clear_drift_min_reference_chunks();
  old.mutable_guardrails()->clear_drift_check_seconds();
  FillPlanDefaults(&old);
  EXPECT_EQ(old.guardrails().drift_chunk_rows(), 500);
  EXPECT_EQ(old.guardrails().drift_min_reference_chunks(), 40);
  EXPECT_EQ(old.guardrails().drift_check_seconds(), 3600);
  EXPECT_TRUE(ValidatePlan(old).ok()) << ValidatePlan(old);
}

TEST(ValidatePlanTest, DriftGuardrailBoundaries) {
  struct Case {
    void (*mutate)(v1::Guardrails*);
    bool valid;
    const char* needle;  // for an invalid one
  } cases[] = {
      {[](v1::Guardrails* g) { g->set_drift_chunk_rows(49); }, false,
       "drift_chunk_rows is 49"},
      {[](v1::Guardrails* g) { g->set_drift_chunk_rows(50); }, true, ""},
      {[](v1::Guardrails* g) { g->set_drift_chunk_rows(-500); }, false,
       "drift_chunk_rows is -500"},
      {[](v1::Guardrails* g) { g->set_drift_chunk_rows(1'000'000); }, true, ""},
      {[](v1::Guardrails* g) { g->set_drift_chunk_rows(1'000'001); }, false,
       "drift_chunk_rows is 1000001"},
      {[](v1::Guardrails* g) { g->set_drift_min_reference_chunks(1); }, false,
       "drift_min_reference_chunks is 1"},
      {[](v1::Guardrails* g) { g->set_drift_min_reference_chunks(2); }, true,
       ""},
      {[](v1::Guardrails* g) { g->set_drift_min_reference_chunks(10'000); },
       true, ""},
      {[](v1::Guardrails* g) { g->set_drift_min_reference_chunks(10'001); },
       false, "drift_min_reference_chunks is 10001"},
      {[](v1::Guardrails* g) { g->set_drift_check_seconds(59); }, false,
       "drift_check_seconds is 59"},
      {[](v1::Guardrails* g) { g->set_drift_check_seconds(60); }, true, ""},
      {[](v1::Guardrails* g) { g->set_drift_check_seconds(-3600); }, false,
       "drift_check_seconds is -3600"},
      {[](v1::Guardrails* g) {
         g->set_drift_statistic(v1::Guardrails::DRIFT_STATISTIC_PSI);
       },
       true, ""},
      {[](v1::Guardrails* g) {
         g->set_drift_statistic(static_cast<v1::Guardrails::DriftStatistic>(2));
       },
       false, "drift_statistic is 2"},
  };
  for (const Case& c : cases) {
    v1::Plan plan = TwoStages(0.01);
    c.mutate(plan.mutable_guardrails());
    if (c.valid) {
      EXPECT_TRUE(ValidatePlan(plan).ok())
          << plan.guardrails().DebugString() << ValidatePlan(plan);
    } else {
      ExpectPlanInvalid(plan, c.needle);
    }
  }
}

TEST(PlanJsonTest, DriftGuardrailFieldsRoundTrip) {
  absl::StatusOr<v1::Plan> plan = PlanFromJson(R"({
    "stages": [
      {"name": "canary", "candidate_weight": 0.05},
      {"name": "full", "candidate_weight": 1}
    ],
    "guardrails": {"drift_statistic": "DRIFT_STATISTIC_PSI",
                   "drift_chunk_rows": 250,
                   "drift_min_reference_chunks": 12,
                   "drift_check_seconds": 900}
  })");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(ValidatePlan(*plan).ok()) << ValidatePlan(*plan);
  const v1::Guardrails& g = plan->guardrails();
  EXPECT_EQ(g.drift_statistic(), v1::Guardrails::DRIFT_STATISTIC_PSI);
  EXPECT_EQ(g.drift_chunk_rows(), 250);
  EXPECT_EQ(g.drift_min_reference_chunks(), 12);
  EXPECT_EQ(g.drift_check_seconds(), 900);
  EXPECT_EQ(g.max_drift_sigma(), 3.0);  // filled
  absl::StatusOr<std::string> json = PlanToJson(*plan, JsonFormat::kCompact);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"drift_statistic\":\"DRIFT_STATISTIC_PSI\""));
  EXPECT_THAT(*json, HasSubstr("\"drift_chunk_rows\":250"));
  EXPECT_THAT(*json, HasSubstr("\"drift_min_reference_chunks\":12"));
  EXPECT_THAT(*json, HasSubstr("\"drift_check_seconds\":900"));
  absl::StatusOr<v1::Plan> back = PlanFromJson(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*plan, *back)) << *json;
  // The statistic by number too; an unknown name does not parse.
  absl::StatusOr<v1::Plan> by_number = PlanFromJson(
      R"({"stages": [{"name": "full", "candidate_weight": 1}],
          "guardrails": {"drift_statistic": 1}})");
  ASSERT_TRUE(by_number.ok()) << by_number.status();
  EXPECT_EQ(by_number->guardrails().drift_statistic(),
            v1::Guardrails::DRIFT_STATISTIC_PSI);
  EXPECT_EQ(ReasonOf(PlanFromJson(
                         R"({"stages": [], "guardrails": {"drift_statistic": "DRIFT_STATISTIC_CHI2"}})")
                         .status()),
            "PLAN_JSON_INVALID");
}

TEST(PlanJsonTest, RoundTripOfTheDefaultPlan) {
  const v1::Plan plan = DefaultPlan();
  for (JsonFormat format : {JsonFormat::kPretty, JsonFormat::kCompact}) {
    absl::StatusOr<std::string> json = PlanToJson(plan, format);
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_THAT(*json, HasSubstr("\"candidate_weight\""));
    EXPECT_THAT(*json, HasSubstr("\"GATE_STATISTICAL_VALIDATION\""));
    EXPECT_THAT(*json, HasSubstr("\"data-science-lead\""));
    absl::StatusOr<v1::Plan> back = PlanFromJson(*json);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(MessageDifferencer::Equals(plan, *back))
        << plan.DebugString() << "\nvs\n"
        << back->DebugString();
  }
}

TEST(PlanJsonTest, AHandWrittenPlanGetsDefaultGuardrails) {
  absl::StatusOr<v1::Plan> plan = PlanFromJson(R"({
    "stages": [
      {"name": "canary", "candidateWeight": 0.05, "min_observation_seconds": 600},
      {"name": "ab", "candidate_weight": 0.5, "gate": "GATE_STATISTICAL_VALIDATION",
       "ab": {"decide_by_significance": true}},
      {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}
    ],
    "guardrails": {"max_error_rate": 0.01}
  })");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(ValidatePlan(*plan).ok()) << ValidatePlan(*plan);
  EXPECT_EQ(plan->stages(0).candidate_weight(), 0.05);
  EXPECT_EQ(plan->guardrails().max_error_rate(), 0.01);   // kept
  EXPECT_EQ(plan->guardrails().error_rate_windows(), 5);  // filled
  EXPECT_EQ(plan->guardrails().min_labelled_predictions(), 500);
  EXPECT_EQ(plan->stages(1).ab().min_predictions(), 10'000);
  EXPECT_EQ(plan->stages(1).ab().max_duration_seconds(), 604'800);
  EXPECT_FALSE(plan->stages(0).has_ab());
}

TEST(PlanJsonTest, ParserErrorsAreInvalidArgumentWithTheParsersMessage) {
  for (const char* bad :
       {"", "{", "[]", R"({"stages": 3})", R"({"stagez": []})",
        R"({"stages": [{"gate": "GATE_MAGIC"}]})"}) {
    absl::StatusOr<v1::Plan> plan = PlanFromJson(bad);
    ASSERT_FALSE(plan.ok()) << bad;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(plan.status()), "PLAN_JSON_INVALID") << bad;
    EXPECT_THAT(std::string(plan.status().message()),
                HasSubstr("the rollout plan JSON does not parse: "));
    EXPECT_EQ(GetErrorDetail(plan.status())->value, bad);
  }
}

TEST(StateJsonTest, RoundTripOfAStateWithEveryFieldSet) {
  v1::RolloutState s = NewState();
  s.set_phase(v1::RolloutState::HALTED);
  s.set_stage_index(2);
  *s.mutable_stage_entered_at() = ToProtoTime(T0() + absl::Milliseconds(1500));
  s.set_stable_weight(0.9);
  s.set_candidate_weight(0.1);
  s.set_shadow(false);
  v1::Approval* a = s.add_approvals();
  a->set_stage("canary-2");
  a->set_actor("dana");
  a->set_role("data-science-lead");
  *a->mutable_at() = ToProtoTime(T0() + absl::Hours(25));
  s.set_change_ticket("MLOPS-2024-0456");
  s.set_last_reason("data drift beyond the guardrail");
  s.set_transition_count(5);
  s.set_halt_cause(v1::RolloutState::HALT_CAUSE_DRIFT);
  s.set_halted_from(v1::RolloutState::IN_STAGE);
  s.add_gate_notes("change ticket gate skipped");
  *s.mutable_drift_alert_at() = ToProtoTime(T0() + absl::Hours(25));
  *s.mutable_drift_watch_from() = ToProtoTime(T0() + absl::Hours(24));
  *s.mutable_started_at() = ToProtoTime(T0());
  *s.mutable_updated_at() = ToProtoTime(T0() + absl::Hours(26));

  absl::StatusOr<std::string> json = StateToJson(s);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"phase\":\"HALTED\""));
  EXPECT_THAT(*json,
              HasSubstr("\"stage_entered_at\":\"2026-01-01T00:00:01.500Z\""));
  EXPECT_THAT(*json, HasSubstr("\"halt_cause\":\"HALT_CAUSE_DRIFT\""));
  EXPECT_THAT(*json,
              HasSubstr("\"drift_alert_at\":\"2026-01-02T01:00:00Z\""));
  EXPECT_THAT(*json,
              HasSubstr("\"drift_watch_from\":\"2026-01-02T00:00:00Z\""));
  absl::StatusOr<v1::RolloutState> back = StateFromJson(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(MessageDifferencer::Equals(s, *back)) << *json;

  absl::StatusOr<v1::RolloutState> bad =
      StateFromJson(R"({"phase": "SLEEPING"})");
  EXPECT_EQ(ReasonOf(bad.status()), "ROLLOUT_STATE_JSON_INVALID");
}

TEST(StateJsonTest, NonUtf8TextIsRefusedNotPrintedEmpty) {
  // Protobuf's printer would print the field as "" and only log.
  v1::Plan plan = DefaultPlan();
  plan.mutable_stages(2)->set_name("\xff\xfe");
  absl::StatusOr<std::string> json = PlanToJson(plan);
  EXPECT_EQ(ReasonOf(json.status()), "PLAN_JSON_INVALID");
  EXPECT_THAT(std::string(json.status().message()),
              HasSubstr("field stages[2].name is not valid UTF-8"));
  v1::RolloutState s = NewState();
  s.add_approvals()->set_actor("d\xc3");
  absl::StatusOr<std::string> state = StateToJson(s);
  EXPECT_EQ(ReasonOf(state.status()), "ROLLOUT_STATE_JSON_INVALID");
  EXPECT_THAT(std::string(state.status().message()),
              HasSubstr("approvals[0].actor"));
}

TEST(ProtoTimeTest, RoundTripsToTheNanosecond) {
  for (absl::Time t :
       {T0(), T0() + absl::Nanoseconds(1), T0() - absl::Nanoseconds(1),
        absl::UnixEpoch(), absl::UnixEpoch() - absl::Milliseconds(1500),
        T0() + absl::Hours(24 * 7) + absl::Microseconds(3)}) {
    google::protobuf::Timestamp ts = ToProtoTime(t);
    EXPECT_GE(ts.nanos(), 0);
    EXPECT_LT(ts.nanos(), 1'000'000'000);
    EXPECT_EQ(FromProtoTime(ts), t);
  }
}

}  // namespace
}  // namespace slipway::internal_rollout
