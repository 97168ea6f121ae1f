// Endpoints, the registries the SPEC §2 gates read (pipelines and their
// runs, features) and guarded progressive rollouts, as plain records for
// the Store (slipway/store.h). docs/rollouts.md is the user's guide.
#ifndef SLIPWAY_ROLLOUT_H_
#define SLIPWAY_ROLLOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "slipway/registry.h"

namespace slipway {

// An endpoint's alert rule (SPEC §2 "monitoring active": at least
// accuracy, latency and drift; a rule's kind is read from its name).
struct AlertRuleSpec {
  std::string name;
  double threshold = 0;
};

struct EndpointInfo {
  std::string name;
  std::string environment;
  std::string model;
  // The version serving all traffic outside a rollout; a completed rollout
  // promotes its candidate.
  std::string stable_version;
  std::vector<AlertRuleSpec> alert_rules;  // sorted by name
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// What serving processes route by; `generation` grows with every change.
struct RoutingInfo {
  std::string endpoint;
  std::string stable_version;
  std::string candidate_version;  // empty: all traffic to stable
  double candidate_weight = 0;    // 0..1
  bool shadow = false;            // the candidate is mirrored, not served
  int64_t generation = 0;
};

// One run of a (feature) pipeline with its data-quality checks.
struct PipelineRunInfo {
  std::string pipeline;
  bool schema_check_passed = false;
  bool distribution_check_passed = false;
  std::string details_json = "{}";
  int64_t run_ms = 0;  // 0: now
};

struct FeatureSpec {
  std::string name;
  std::string dtype;  // "float64", "int64", "bool", "string"
  std::optional<double> min_value;
  std::optional<double> max_value;
  std::string environment;  // empty: the policy's default
};

// SPEC §3: a feature pipeline change is validated on a 1,000-record sample
// first (Store::ValidateFeatureSample, Store::UpdateFeature).
struct FeatureSampleReport {
  std::string feature;
  bool passed = false;
  int64_t rows = 0;
  int64_t nulls = 0;      // NaN values
  int64_t below_min = 0;  // values under the feature's expected minimum
  int64_t above_max = 0;
  double min = 0;  // over the non-null values (NaN when none)
  double max = 0;
  double variance = 0;  // population variance (NaN when undefined)
  // One sentence per violated rule; empty when passed.
  std::vector<std::string> problems;
};

// The drift check's reading of one feature of a rollout's candidate
// (docs/rollouts.md "Drift").
struct FeatureDriftReading {
  std::string feature;
  // "NOT_ENOUGH_DATA", "HEALTHY" or "DRIFT".
  std::string verdict;
  // Why there is no verdict yet (too few rows in the chunk or reference).
  std::string note;
  double statistic = 0;  // KS D or PSI of the judged chunk (NaN: none)
  double sigma = 0;      // standard deviations above the reference chunks'
  double threshold = 0;  // the statistic's limit: mean + max_drift_sigma σ
  int64_t chunk_rows = 0;
  int64_t reference_rows = 0;
  int64_t chunk_start_ms = 0;  // start of the check interval judged
};

// One replica's outcomes of one version in one minute (the router records
// these; tests and batch jobs may too).
struct OutcomeCounts {
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::vector<double> latencies_ms;  // one per request measured
  uint64_t predictions = 0;
  uint64_t labelled = 0;
  uint64_t correct = 0;
  // The A/B test's primary metric (higher is better).
  uint64_t successes = 0;
  uint64_t trials = 0;
};

struct DeployOptions {
  // The plan as JSON (docs/rollouts.md); empty: the default plan (SPEC §3).
  std::string plan_json;
  // SPEC §2 change ticket, e.g. "MLOPS-2024-0456".
  std::string change_ticket;
  Actor actor;
  // The pipeline whose last run the data-quality gate reads; empty: the
  // pipeline named like the endpoint, if registered.
  std::string pipeline;
  // SPEC §3: after 2 consecutive failed rollouts, a lead's approval.
  std::optional<Actor> manual_approval;
};

// The guardrail readings of the current stage, since it was entered.
struct GuardrailReadings {
  // "NOT_ENOUGH_DATA", "HEALTHY" or "FAILING".
  std::string error_rate_verdict;
  std::string latency_verdict;
  std::string accuracy_verdict;
  int64_t candidate_requests = 0;
  int64_t candidate_errors = 0;
  double error_rate = 0;
  uint32_t error_streak = 0;  // failing one-minute windows in a row
  double candidate_p99_ms = 0;
  double stable_p99_ms = 0;
  double p99_ratio = 0;
  double candidate_accuracy = 0;
  double stable_accuracy = 0;
  int64_t predictions = 0;
  int64_t windows = 0;  // one-minute windows read
  // Per feature with a drift reference on the endpoint.
  std::vector<FeatureDriftReading> drift;
};

struct RolloutApproval {
  std::string stage;
  std::string actor;
  std::string role;
  int64_t at_ms = 0;
};

// rollout.status(): where a rollout is and what it waits for.
struct RolloutStatus {
  std::string id;
  std::string endpoint;
  std::string model;
  std::string candidate_version;
  std::string stable_version;
  // "IN_STAGE", "AWAITING_APPROVAL", "HALTED", "COMPLETED", "ROLLED_BACK",
  // "ABORTED".
  std::string phase;
  bool active = false;
  std::string stage;  // the stage in force, or awaited
  int stage_index = 0;
  double stable_weight = 1;
  double candidate_weight = 0;
  bool shadow = false;
  absl::Duration time_in_stage;
  std::string halt_cause;  // "", "DRIFT", "EMERGENCY_STOP"
  std::string last_reason;
  // What a controller tick would do now and why, from the readings above
  // (e.g. "observing stage canary-2: 1h10m of 2h, ..." or "...; stage ab
  // needs statistical validation and these guardrails have no healthy
  // verdict with enough data yet: error rate"); empty when ended.
  std::string outlook;
  // What moves it next, e.g. "approval by role data-science-lead to enter
  // stage canary-2" or "observation: 30m of stage canary-1"; empty when
  // ended.
  std::string next_gate;
  GuardrailReadings readings;
  std::vector<RolloutApproval> approvals;
  std::string change_ticket;
  // SPEC §4: the version and weights a rollback returns to.
  std::string rollback_version;
  std::vector<std::string> gate_notes;
  int64_t transitions = 0;
  int64_t started_ms = 0;
  int64_t updated_ms = 0;
  // The whole state as JSON (slipway.v1.RolloutState).
  std::string state_json;
};

}  // namespace slipway

#endif  // SLIPWAY_ROLLOUT_H_
