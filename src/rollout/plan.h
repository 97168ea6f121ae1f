// Rollout plans (slipway.v1.Plan): the default plan of SPEC §3, the rules a
// custom plan must satisfy, and plans and rollout states as JSON through
// protobuf's JSON mapping (DESIGN.md decision 10). docs/rollouts.md is the
// user's view.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_ROLLOUT_PLAN_H_
#define SLIPWAY_SRC_ROLLOUT_PLAN_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "slipway/v1/rollout.pb.h"

namespace slipway::internal_rollout {

// SPEC §2 canary enforcement: the first stage that serves traffic routes at
// most this fraction.
inline constexpr double kMaxFirstServingWeight = 0.10;

// The default plan's stage names and roles.
inline constexpr char kShadowStage[] = "shadow";
inline constexpr char kCanary1Stage[] = "canary-1";
inline constexpr char kCanary2Stage[] = "canary-2";
inline constexpr char kAbStage[] = "ab";
inline constexpr char kFullStage[] = "full";
inline constexpr char kDataScienceLeadRole[] = "data-science-lead";
inline constexpr char kPlatformLeadRole[] = "platform-lead";

// SPEC §3, row by row:
//
//   stage     weight  observation          enters after
//   shadow    0 %     24 h, mirrored       model validation (gate)
//   canary-1  1 %     30 min               change ticket (gate, if available)
//   canary-2  10 %    2 h                  data-science-lead approval
//   ab        50 %    the significance     statistical validation (gate)
//                     verdict at 10,000
//                     predictions or 7 d,
//                     whichever first
//   full      100 %   none (see below)     platform-lead approval
//
// with DefaultGuardrails(). No stage has a minimum sample count (SPEC §3
// gives none; the guardrails' own minimums decide when a verdict has
// enough data). "full" has no minimum observation: SPEC §3 says its
// observation is continuous, which is the endpoint's alert rules' job
// after the rollout completes; the rollout completes on the first tick in
// "full" on which no guardrail fails.
v1::Plan DefaultPlan();

// SPEC §3's automatic rules: error rate 0.02 over 5 consecutive 60-second
// windows, p99 latency ratio 1.5, accuracy drop 0.05 relative, drift
// 3 sigma (halts), and the minimum samples of design 0004: 200 requests per
// window, 100 latency samples, 500 labelled predictions.
v1::Guardrails DefaultGuardrails();

// The defaults an A/B stage decides with: 10,000 predictions, 7 days.
v1::AbSettings DefaultAbSettings();

// Fills what a hand-written plan may leave out: a missing `guardrails`
// becomes DefaultGuardrails(), and each guardrail number left 0 takes its
// default (0 is never a meaningful threshold); an A/B stage that decides by
// significance and leaves min_predictions or max_duration_seconds 0 gets
// 10,000 and 7 days. Stages are never added or changed otherwise.
// PlanFromJson calls it.
void FillPlanDefaults(v1::Plan* plan);

// Returns OK if `plan` can be run, else InvalidArgument PLAN_INVALID naming
// the stage (by position and name) and the rule it breaks:
//   - at least one stage;
//   - stage names unique and valid (2 to 64 lowercase letters, digits, '-'
//     or '_', starting and ending with a letter or digit);
//   - candidate weights in [0, 1], never decreasing from one stage to the
//     next, the last stage exactly 1 (100 %);
//   - a stage with weight 0 is a shadow stage, and a shadow stage has
//     weight 0;
//   - the first stage that serves traffic (weight > 0) routes at most
//     `max_first_serving_weight` (SPEC §2 canary enforcement; default 10 %);
//   - observation times and sample counts >= 0;
//   - an approval role, when given, is a valid name like a stage name;
//   - GATE_STATISTICAL_VALIDATION only on a stage after a serving stage
//     (it judges the evidence of the stage before);
//   - an A/B stage (decide_by_significance) routes strictly between 0 and
//     100 %, needs min_predictions >= 1 and max_duration_seconds >= 1;
//   - guardrails present and sane: 0 < max_error_rate < 1, windows >= 1,
//     window_seconds >= 1, p99 ratio > 1, 0 < accuracy drop < 1, drift
//     sigma > 0, every minimum sample count >= 1.
absl::Status ValidatePlan(
    const v1::Plan& plan,
    double max_first_serving_weight = kMaxFirstServingWeight);

// The index of the first stage with candidate_weight > 0, or -1 if none.
int FirstServingStage(const v1::Plan& plan);

// How JSON is printed: indented for people (plans in files and docs) or on
// one line (rows, logs).
enum class JsonFormat { kPretty, kCompact };

// `plan` as JSON: proto field names (snake_case), every scalar printed even
// when 0 or false, enums by name. InvalidArgument PLAN_JSON_INVALID if
// protobuf refuses to print it (e.g. a name that is not valid UTF-8).
absl::StatusOr<std::string> PlanToJson(const v1::Plan& plan,
                                       JsonFormat format = JsonFormat::kPretty);

// Parses a plan from JSON (snake_case or lowerCamelCase names; enums by name
// or number), then FillPlanDefaults. InvalidArgument PLAN_JSON_INVALID with
// the parser's message for text that does not parse or names an unknown
// field. It does not validate: call ValidatePlan (Start does).
absl::StatusOr<v1::Plan> PlanFromJson(std::string_view json);

// The same for a rollout state; reason ROLLOUT_STATE_JSON_INVALID. Times
// print as RFC 3339 in UTC.
absl::StatusOr<std::string> StateToJson(
    const v1::RolloutState& state, JsonFormat format = JsonFormat::kCompact);
absl::StatusOr<v1::RolloutState> StateFromJson(std::string_view json);

// absl::Time <-> google.protobuf.Timestamp, exact to the nanosecond.
// An unset Timestamp is the Unix epoch.
google::protobuf::Timestamp ToProtoTime(absl::Time t);
absl::Time FromProtoTime(const google::protobuf::Timestamp& t);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_PLAN_H_
