#include "src/rollout/plan.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/errors/utf8.h"

namespace slipway::internal_rollout {
namespace {

using internal_strings::Cat;

constexpr int32_t kHour = 3600;
constexpr int32_t kDay = 24 * kHour;

bool IsNameEnd(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsNameChar(char c) { return IsNameEnd(c) || c == '-' || c == '_'; }

// Stage names and roles share the model-name shape (SPEC §1).
bool IsValidName(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  if (!IsNameEnd(s.front()) || !IsNameEnd(s.back())) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

constexpr char kNameRule[] = "^[a-z0-9][a-z0-9\\-_]{0,62}[a-z0-9]$";

// "stage 2 (\"canary-2\")" for messages.
std::string StageLabel(int index, const v1::Stage& stage) {
  return Cat("stage ", index + 1, " (", QuoteForMessage(stage.name()), ")");
}

// A weight as people read it: 0.01 -> "1%", 0.125 -> "12.5%".
std::string Percent(double w) { return absl::StrFormat("%g%%", w * 100); }

absl::Status PlanError(std::string_view where, std::string_view what,
                       std::string_view rule, std::string_view value,
                       std::string_view fix) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("invalid rollout plan: ", where, ": ", what, ". ", fix),
                   ErrorDetail{.reason = "PLAN_INVALID",
                               .rule = std::string(rule),
                               .value = std::string(value),
                               .fix = std::string(fix)});
}

absl::Status ValidateGuardrails(const v1::Guardrails& g) {
  struct Check {
    bool ok;
    const char* field;
    std::string value;
    const char* rule;
  };
  const Check checks[] = {
      {g.max_error_rate() > 0 && g.max_error_rate() < 1, "max_error_rate",
       absl::StrFormat("%g", g.max_error_rate()), "0 < max_error_rate < 1"},
      {g.error_rate_windows() >= 1, "error_rate_windows",
       absl::StrFormat("%d", g.error_rate_windows()),
       "error_rate_windows >= 1"},
      {g.window_seconds() >= 1, "window_seconds",
       absl::StrFormat("%d", g.window_seconds()), "window_seconds >= 1"},
      {g.max_p99_latency_ratio() > 1, "max_p99_latency_ratio",
       absl::StrFormat("%g", g.max_p99_latency_ratio()),
       "max_p99_latency_ratio > 1"},
      {g.max_accuracy_drop() > 0 && g.max_accuracy_drop() < 1,
       "max_accuracy_drop", absl::StrFormat("%g", g.max_accuracy_drop()),
       "0 < max_accuracy_drop < 1"},
      {v1::Guardrails::AccuracyDrop_IsValid(g.accuracy_drop()), "accuracy_drop",
       absl::StrFormat("%d", g.accuracy_drop()),
       "accuracy_drop is ACCURACY_DROP_RELATIVE or ACCURACY_DROP_POINTS"},
      {g.max_drift_sigma() > 0, "max_drift_sigma",
       absl::StrFormat("%g", g.max_drift_sigma()), "max_drift_sigma > 0"},
      {g.min_requests_per_window() >= 1, "min_requests_per_window",
       absl::StrFormat("%d", g.min_requests_per_window()),
       "min_requests_per_window >= 1"},
      {g.min_latency_samples() >= 1, "min_latency_samples",
       absl::StrFormat("%d", g.min_latency_samples()),
       "min_latency_samples >= 1"},
      {g.min_labelled_predictions() >= 1, "min_labelled_predictions",
       absl::StrFormat("%d", g.min_labelled_predictions()),
       "min_labelled_predictions >= 1"},
      {v1::Guardrails::DriftStatistic_IsValid(g.drift_statistic()),
       "drift_statistic", absl::StrFormat("%d", g.drift_statistic()),
       "drift_statistic is DRIFT_STATISTIC_KS or DRIFT_STATISTIC_PSI"},
      {g.drift_chunk_rows() >= 50 && g.drift_chunk_rows() <= 1'000'000,
       "drift_chunk_rows", absl::StrFormat("%d", g.drift_chunk_rows()),
       "50 <= drift_chunk_rows <= 1000000"},
      {g.drift_min_reference_chunks() >= 2 &&
           g.drift_min_reference_chunks() <= 10'000,
       "drift_min_reference_chunks",
       absl::StrFormat("%d", g.drift_min_reference_chunks()),
       "2 <= drift_min_reference_chunks <= 10000"},
      {g.drift_check_seconds() >= 60, "drift_check_seconds",
       absl::StrFormat("%d", g.drift_check_seconds()),
       "drift_check_seconds >= 60"},
  };
  for (const Check& c : checks) {
    // NaN fails every comparison above, so it is refused too.
    if (c.ok) continue;
    return PlanError("guardrails", Cat(c.field, " is ", c.value), c.rule,
                     c.value,
                     Cat("Set ", c.field, " so that ", c.rule,
                         ", or leave it 0 in JSON to get the default (",
                         "DefaultGuardrails(): docs/rollouts.md)."));
  }
  return absl::OkStatus();
}

absl::Status ValidateStage(int i, const v1::Stage& s, const v1::Stage* previous,
                           bool first_serving, double max_first_serving_weight,
                           bool serving_before) {
  const std::string where = StageLabel(i, s);
  const double w = s.candidate_weight();
  if (!IsValidName(s.name())) {
    return PlanError(
        where, "the stage name is not valid", kNameRule, s.name(),
        "Use 2 to 64 lowercase letters, digits, '-' or '_', starting "
        "and ending with a letter or digit, e.g. \"canary-1\".");
  }
  if (!(w >= 0 && w <= 1)) {
    return PlanError(where,
                     Cat("candidate weight ", absl::StrFormat("%g", w),
                         " is outside [0, 1]"),
                     "0 <= candidate_weight <= 1 (a fraction: 0.01 is 1%)",
                     absl::StrFormat("%g", w),
                     "Give the weight as a fraction, e.g. 0.01 for 1%.");
  }
  if (s.shadow() && w != 0) {
    return PlanError(where, Cat("a shadow stage routes ", Percent(w)),
                     "a shadow stage has candidate_weight 0 (SPEC §3: "
                     "predictions logged, not served)",
                     absl::StrFormat("%g", w),
                     "Set candidate_weight 0, or make it a serving stage "
                     "(shadow false).");
  }
  if (!s.shadow() && w == 0) {
    return PlanError(where, "it neither serves nor mirrors traffic",
                     "a stage with candidate_weight 0 is a shadow stage", "0",
                     "Set shadow true, or give it a candidate weight.");
  }
  if (previous != nullptr && w < previous->candidate_weight()) {
    return PlanError(
        where,
        Cat("its candidate weight ", Percent(w), " is below the ",
            Percent(previous->candidate_weight()), " of the stage before"),
        "candidate weights never decrease from one stage to the next",
        absl::StrFormat("%g", w),
        "Order the stages by increasing weight (e.g. 1%, 10%, 50%, 100%).");
  }
  if (first_serving && w > max_first_serving_weight) {
    return PlanError(
        where,
        Cat("it is the first stage that serves traffic and routes ", Percent(w),
            ", more than ", Percent(max_first_serving_weight)),
        Cat("SPEC §2 canary enforcement: the first production stage that "
            "serves traffic routes at most ",
            Percent(max_first_serving_weight)),
        absl::StrFormat("%g", w),
        Cat("Start with a canary of at most ",
            Percent(max_first_serving_weight),
            ", e.g. a stage \"canary-1\" at 0.01."));
  }
  if (s.min_observation_seconds() < 0 || s.min_samples() < 0) {
    const bool time = s.min_observation_seconds() < 0;
    const int32_t v = time ? s.min_observation_seconds() : s.min_samples();
    return PlanError(
        where, Cat(time ? "min_observation_seconds" : "min_samples", " is ", v),
        "observation times and sample counts are >= 0",
        absl::StrFormat("%d", v), "Use 0 for no minimum.");
  }
  if (!s.approval_role().empty() && !IsValidName(s.approval_role())) {
    return PlanError(where,
                     Cat("approval role ", QuoteForMessage(s.approval_role()),
                         " is not a valid role name"),
                     kNameRule, s.approval_role(),
                     "Name a role such as \"data-science-lead\", or leave it "
                     "empty when no approval is needed.");
  }
  if (!v1::Stage::Gate_IsValid(s.gate())) {
    return PlanError(where,
                     Cat("gate ", static_cast<int>(s.gate()), " is unknown"),
                     "gate is one of GATE_NONE, GATE_MODEL_VALIDATION, "
                     "GATE_CHANGE_TICKET, GATE_STATISTICAL_VALIDATION",
                     absl::StrFormat("%d", s.gate()), "Use a gate by name.");
  }
  if (s.gate() == v1::Stage::GATE_STATISTICAL_VALIDATION && !serving_before) {
    return PlanError(where,
                     "GATE_STATISTICAL_VALIDATION needs a stage before it that "
                     "served or mirrored traffic",
                     "statistical validation judges the evidence of the stage "
                     "before",
                     s.name(),
                     "Put this stage after a canary, or use another gate.");
  }
  if (s.ab().decide_by_significance()) {
    const v1::AbSettings& ab = s.ab();
    if (!(w > 0 && w < 1)) {
      return PlanError(where, Cat("an A/B stage routes ", Percent(w)),
                       "an A/B stage routes strictly between 0% and 100%",
                       absl::StrFormat("%g", w),
                       "Split the traffic, e.g. 0.5 for 50%.");
    }
    if (ab.min_predictions() < 1 || ab.max_duration_seconds() < 1) {
      const bool preds = ab.min_predictions() < 1;
      const int32_t v =
          preds ? ab.min_predictions() : ab.max_duration_seconds();
      return PlanError(
          where,
          Cat(preds ? "ab.min_predictions" : "ab.max_duration_seconds", " is ",
              v),
          "an A/B stage needs min_predictions >= 1 and "
          "max_duration_seconds >= 1",
          absl::StrFormat("%d", v),
          "Use the defaults (10,000 predictions, 604,800 s = 7 days) "
          "by leaving them 0 in JSON.");
    }
  }
  return absl::OkStatus();
}

absl::Status JsonError(std::string_view reason, std::string_view what,
                       std::string_view parser_message,
                       std::string_view input) {
  const std::string fix =
      Cat("Fix the JSON (docs/rollouts.md shows a plan and a state as JSON).");
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat(what, ": ", parser_message, ". ", fix),
                   ErrorDetail{.reason = std::string(reason),
                               .rule = "protobuf JSON mapping of slipway.v1",
                               .value = std::string(input.substr(0, 4096)),
                               .fix = fix});
}

// The path ("stages[0].name") of the first string field of `m` that is not
// valid UTF-8, or empty. Protobuf's JSON printer would print such a field as
// "" (and only log), so it is refused before printing instead.
std::string FirstInvalidUtf8(const google::protobuf::Message& m) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const bool text = f->type() == FieldDescriptor::TYPE_STRING;
    const bool message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !message) continue;
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const std::string where =
          f->is_repeated() ? Cat(f->name(), "[", i, "]") : f->name();
      if (text) {
        const std::string v = f->is_repeated() ? r->GetRepeatedString(m, f, i)
                                               : r->GetString(m, f);
        if (!internal_utf8::IsValid(v)) return where;
      } else {
        const google::protobuf::Message& sub =
            f->is_repeated() ? r->GetRepeatedMessage(m, f, i)
                             : r->GetMessage(m, f);
        if (std::string inner = FirstInvalidUtf8(sub); !inner.empty()) {
          return Cat(where, ".", inner);
        }
      }
    }
  }
  return "";
}

template <typename Message>
absl::StatusOr<std::string> ToJson(const Message& m, JsonFormat format,
                                   std::string_view reason,
                                   std::string_view what) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = format == JsonFormat::kPretty;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  if (std::string field = FirstInvalidUtf8(m); !field.empty()) {
    return JsonError(reason, Cat("cannot print the ", what, " as JSON"),
                     Cat("field ", field, " is not valid UTF-8"), "");
  }
  std::string out;
  const auto status =
      google::protobuf::util::MessageToJsonString(m, &out, options);
  if (!status.ok()) {
    return JsonError(reason, Cat("cannot print the ", what, " as JSON"),
                     status.message().ToString(), "");
  }
  return out;
}

template <typename Message>
absl::StatusOr<Message> FromJson(std::string_view json, std::string_view reason,
                                 std::string_view what) {
  Message m;
  google::protobuf::util::JsonParseOptions options;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &m, options);
  if (!status.ok()) {
    return JsonError(reason, Cat("the ", what, " JSON does not parse"),
                     status.message().ToString(), json);
  }
  return m;
}

}  // namespace

v1::Guardrails DefaultGuardrails() {
  v1::Guardrails g;
  // SPEC §3: error rate > 2% for 5 consecutive minutes.
  g.set_max_error_rate(0.02);
  g.set_error_rate_windows(5);
  g.set_window_seconds(60);
  // SPEC §3: p99 latency more than 50% above the stable version.
  g.set_max_p99_latency_ratio(1.5);
  // SPEC §3: accuracy more than 5% below the stable (relative by default).
  g.set_max_accuracy_drop(0.05);
  g.set_accuracy_drop(v1::Guardrails::ACCURACY_DROP_RELATIVE);
  // SPEC §3: drift beyond 3 standard deviations halts.
  g.set_max_drift_sigma(3.0);
  // Design 0004: guardrail minimum samples.
  g.set_min_requests_per_window(200);
  g.set_min_latency_samples(100);
  g.set_min_labelled_predictions(500);
  // Design 0004 "Drift from samples": KS on 500-row chunks against at
  // least 40 reference chunks, one chunk per feature per hour of a stage.
  g.set_drift_statistic(v1::Guardrails::DRIFT_STATISTIC_KS);
  g.set_drift_chunk_rows(500);
  g.set_drift_min_reference_chunks(40);
  g.set_drift_check_seconds(3600);
  return g;
}

v1::AbSettings DefaultAbSettings() {
  v1::AbSettings ab;
  ab.set_decide_by_significance(true);
  ab.set_min_predictions(10'000);         // SPEC §3
  ab.set_max_duration_seconds(7 * kDay);  // SPEC §3
  return ab;
}

v1::Plan DefaultPlan() {
  v1::Plan plan;
  // SPEC §3 shadow: 0% (predictions logged, not served), 24 h minimum,
  // entered once model validation passed.
  v1::Stage* s = plan.add_stages();
  s->set_name(kShadowStage);
  s->set_candidate_weight(0);
  s->set_shadow(true);
  s->set_min_observation_seconds(24 * kHour);
  s->set_gate(v1::Stage::GATE_MODEL_VALIDATION);
  // SPEC §3 canary 1: 1%, 30 min, change ticket (if available).
  s = plan.add_stages();
  s->set_name(kCanary1Stage);
  s->set_candidate_weight(0.01);
  s->set_min_observation_seconds(30 * 60);
  s->set_gate(v1::Stage::GATE_CHANGE_TICKET);
  // SPEC §3 canary 2: 10%, 2 h, data science lead review.
  s = plan.add_stages();
  s->set_name(kCanary2Stage);
  s->set_candidate_weight(0.10);
  s->set_min_observation_seconds(2 * kHour);
  s->set_approval_role(kDataScienceLeadRole);
  // SPEC §3 A/B: 50%, until the significance verdict at 10,000
  // predictions or 7 days, whichever first; entered after statistical
  // validation.
  s = plan.add_stages();
  s->set_name(kAbStage);
  s->set_candidate_weight(0.50);
  s->set_gate(v1::Stage::GATE_STATISTICAL_VALIDATION);
  *s->mutable_ab() = DefaultAbSettings();
  // SPEC §3 full: 100%, ML platform lead.
  s = plan.add_stages();
  s->set_name(kFullStage);
  s->set_candidate_weight(1.0);
  s->set_approval_role(kPlatformLeadRole);
  *plan.mutable_guardrails() = DefaultGuardrails();
  return plan;
}

void FillPlanDefaults(v1::Plan* plan) {
  const v1::Guardrails d = DefaultGuardrails();
  v1::Guardrails* g = plan->mutable_guardrails();
  if (g->max_error_rate() == 0) g->set_max_error_rate(d.max_error_rate());
  if (g->error_rate_windows() == 0)
    g->set_error_rate_windows(d.error_rate_windows());
  if (g->window_seconds() == 0) g->set_window_seconds(d.window_seconds());
  if (g->max_p99_latency_ratio() == 0) {
    g->set_max_p99_latency_ratio(d.max_p99_latency_ratio());
  }
  if (g->max_accuracy_drop() == 0)
    g->set_max_accuracy_drop(d.max_accuracy_drop());
  if (g->max_drift_sigma() == 0) g->set_max_drift_sigma(d.max_drift_sigma());
  if (g->min_requests_per_window() == 0) {
    g->set_min_requests_per_window(d.min_requests_per_window());
  }
  if (g->min_latency_samples() == 0) {
    g->set_min_latency_samples(d.min_latency_samples());
  }
  if (g->min_labelled_predictions() == 0) {
    g->set_min_labelled_predictions(d.min_labelled_predictions());
  }
  if (g->drift_chunk_rows() == 0) g->set_drift_chunk_rows(d.drift_chunk_rows());
  if (g->drift_min_reference_chunks() == 0) {
    g->set_drift_min_reference_chunks(d.drift_min_reference_chunks());
  }
  if (g->drift_check_seconds() == 0) {
    g->set_drift_check_seconds(d.drift_check_seconds());
  }
  const v1::AbSettings ab = DefaultAbSettings();
  for (v1::Stage& s : *plan->mutable_stages()) {
    if (!s.ab().decide_by_significance()) continue;
    if (s.ab().min_predictions() == 0) {
      s.mutable_ab()->set_min_predictions(ab.min_predictions());
    }
    if (s.ab().max_duration_seconds() == 0) {
      s.mutable_ab()->set_max_duration_seconds(ab.max_duration_seconds());
    }
  }
}

int FirstServingStage(const v1::Plan& plan) {
  for (int i = 0; i < plan.stages_size(); ++i) {
    if (plan.stages(i).candidate_weight() > 0) return i;
  }
  return -1;
}

absl::Status ValidatePlan(const v1::Plan& plan,
                          double max_first_serving_weight) {
  if (plan.stages_size() == 0) {
    return PlanError(
        "the plan", "it has no stages", "a plan has at least one stage", "",
        "Start from DefaultPlan() (shadow, canary-1, canary-2, ab, "
        "full) or list your stages.");
  }
  absl::flat_hash_set<std::string> names;
  const int first_serving = FirstServingStage(plan);
  bool serving_before = false;
  for (int i = 0; i < plan.stages_size(); ++i) {
    const v1::Stage& s = plan.stages(i);
    const v1::Stage* previous = i > 0 ? &plan.stages(i - 1) : nullptr;
    if (absl::Status st =
            ValidateStage(i, s, previous, i == first_serving,
                          max_first_serving_weight, serving_before);
        !st.ok()) {
      return st;
    }
    if (!names.insert(s.name()).second) {
      return PlanError(
          StageLabel(i, s), "the name is used by an earlier stage",
          "stage names are unique within a plan", s.name(),
          "Give every stage its own name (approvals name stages).");
    }
    serving_before = true;  // every valid stage serves or mirrors
  }
  const v1::Stage& last = plan.stages(plan.stages_size() - 1);
  if (last.candidate_weight() != 1.0) {
    return PlanError(StageLabel(plan.stages_size() - 1, last),
                     Cat("the last stage routes ",
                         Percent(last.candidate_weight()), ", not 100%"),
                     "the last stage routes 100% (candidate_weight 1)",
                     absl::StrFormat("%g", last.candidate_weight()),
                     "End the plan with a stage such as \"full\" at 1.0.");
  }
  if (!plan.has_guardrails()) {
    return PlanError(
        "guardrails", "the plan has none",
        "a plan carries the SPEC §3 guardrails", "",
        "Set guardrails to DefaultGuardrails() (PlanFromJson fills "
        "them in when the JSON leaves them out).");
  }
  return ValidateGuardrails(plan.guardrails());
}

absl::StatusOr<std::string> PlanToJson(const v1::Plan& plan,
                                       JsonFormat format) {
  return ToJson(plan, format, "PLAN_JSON_INVALID", "plan");
}

absl::StatusOr<v1::Plan> PlanFromJson(std::string_view json) {
  absl::StatusOr<v1::Plan> plan =
      FromJson<v1::Plan>(json, "PLAN_JSON_INVALID", "rollout plan");
  if (plan.ok()) FillPlanDefaults(&*plan);
  return plan;
}

absl::StatusOr<std::string> StateToJson(const v1::RolloutState& state,
                                        JsonFormat format) {
  return ToJson(state, format, "ROLLOUT_STATE_JSON_INVALID", "rollout state");
}

absl::StatusOr<v1::RolloutState> StateFromJson(std::string_view json) {
  return FromJson<v1::RolloutState>(json, "ROLLOUT_STATE_JSON_INVALID",
                                    "rollout state");
}

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return ts;
}

absl::Time FromProtoTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace slipway::internal_rollout
