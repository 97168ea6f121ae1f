// RolloutBackend: the storage of endpoints, the registries the SPEC §2 gates
// read (pipelines and their runs' data-quality results, features), rollouts
// with their transitions, the routing snapshot serving processes follow, and
// one-minute outcome windows (docs/design/0004). Whole logical operations on
// plain records; every method is one transaction.
//
// The backend does not interpret rollout state or windows: a rollout's
// state is the JSON of slipway.v1.RolloutState and a window is the bytes of
// src/monitoring's encoding, both opaque here. What storage must guarantee
// it does: a transition, its routing snapshot and the audit append happen in
// one transaction (ApplyTransition with a callback), and outcome windows of
// several replicas are kept apart (keyed by replica) so none overwrites
// another.
//
// Errors (ErrorDetail reasons): NotFound ENDPOINT_NOT_FOUND,
// PIPELINE_NOT_FOUND, FEATURE_NOT_FOUND, ROLLOUT_NOT_FOUND; AlreadyExists
// ENDPOINT_EXISTS, PIPELINE_EXISTS, FEATURE_EXISTS; FailedPrecondition
// ROLLOUT_ACTIVE (a second active rollout on one endpoint); Aborted
// CONCURRENT_UPDATE (a rollout moved since it was read); plus the store's.
//
// Thread-safety: implementations are thread-safe.
#ifndef SLIPWAY_SRC_STORAGE_ROLLOUT_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_ROLLOUT_BACKEND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/storage/audit_backend.h"

namespace slipway::internal_storage {

// An alert rule of an endpoint (SPEC §2 "monitoring active": accuracy,
// latency and drift at least).
struct AlertRule {
  std::string name;  // "accuracy", "latency", "drift", ...
  double threshold = 0;
};

struct EndpointRecord {
  std::string name;
  std::string environment;
  std::string model;
  std::string stable_version;
  std::vector<AlertRule> alert_rules;  // sorted by name
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// What serving processes route by: the stable version, the candidate (if a
// rollout serves one) with its share, and whether the candidate only
// shadows. `generation` grows by one with every change, so a router polls
// one integer.
struct RoutingSnapshot {
  std::string endpoint;
  std::string stable_version;
  std::string candidate_version;  // empty: all traffic to stable
  double candidate_weight = 0;    // 0..1
  bool shadow = false;
  int64_t generation = 0;
  int64_t updated_ms = 0;
};

struct PipelineRecord {
  std::string name;
  std::string environment;
  int64_t created_ms = 0;
};

// One run of a pipeline with its data-quality results (SPEC §2 "data
// quality": schema and distribution checks).
struct PipelineRunRecord {
  std::string pipeline;
  int64_t run_ms = 0;
  bool schema_check_passed = false;
  bool distribution_check_passed = false;
  std::string details_json = "{}";
};

struct FeatureRecord {
  std::string name;
  std::string dtype;  // "float64", "int64", "bool", "string"
  std::optional<double> min_value;
  std::optional<double> max_value;
  std::string environment;
  int64_t created_ms = 0;
};

struct RolloutRecord {
  std::string rollout_id;  // 32 lowercase hex
  std::string endpoint;
  std::string model;
  std::string candidate_version;
  std::string stable_version;
  // "PENDING", "IN_STAGE", ... (RolloutState.phase), for queries; active
  // means not COMPLETED, ROLLED_BACK or ABORTED.
  std::string phase;
  bool active = true;
  // Whether it ended in failure (rolled back): the "2 consecutive failed
  // rollouts" rule counts these.
  bool failed = false;
  std::string state_json;  // slipway.v1.RolloutState
  int64_t revision = 0;    // transitions applied; compare-and-set key
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct TransitionRecord {
  std::string rollout_id;
  int64_t revision = 0;  // the rollout's revision after the transition
  std::string from_phase;
  std::string to_phase;
  std::string input;   // "tick", "approve", "rollback", ...
  std::string reason;
  int64_t at_ms = 0;
};

// One replica's outcome window for one (endpoint, version, minute).
struct WindowRecord {
  std::string endpoint;
  std::string version;
  int64_t minute_ms = 0;  // start of the minute, ms since the epoch
  std::string replica;    // the writing process's id
  std::string data;       // src/monitoring window encoding
};

// An endpoint's drift reference for one feature: the values the candidate's
// inputs are compared with (design 0004 "Drift from samples").
struct DriftReferenceRecord {
  std::string endpoint;
  std::string feature;
  int64_t row_count = 0;
  std::string data;  // src/monitoring/feature_samples.h encoding
  int64_t updated_ms = 0;
};

// One replica's sampled values of one feature of (endpoint, version) in
// one minute.
struct FeatureSampleRecord {
  std::string endpoint;
  std::string version;
  std::string feature;
  int64_t minute_ms = 0;
  std::string replica;
  int64_t row_count = 0;
  std::string data;  // src/monitoring/feature_samples.h encoding
};

// An audit record to append in the same transaction as a rollout change
// (`seal` is the Auditor's: it hashes the record once seq and prev_hash are
// known).
struct AuditAppend {
  AuditRecord record;
  std::function<absl::Status(AuditRecord&)> seal;
};

class RolloutBackend {
 public:
  virtual ~RolloutBackend() = default;

  // --- Endpoints ---
  virtual absl::Status CreateEndpoint(const EndpointRecord& endpoint) = 0;
  virtual absl::StatusOr<EndpointRecord> GetEndpoint(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<EndpointRecord>> ListEndpoints() = 0;
  // Each replaces one thing and leaves the rest of the endpoint as it is,
  // so a rules update and a completed rollout's promotion in two processes
  // cannot undo each other. NotFound ENDPOINT_NOT_FOUND.
  virtual absl::Status SetEndpointAlertRules(
      std::string_view name, const std::vector<AlertRule>& rules,
      int64_t updated_ms) = 0;
  // A completed rollout promotes its candidate.
  virtual absl::Status SetEndpointStableVersion(std::string_view name,
                                                std::string_view version,
                                                int64_t updated_ms) = 0;
  virtual absl::Status DeleteEndpoint(std::string_view name) = 0;
  virtual absl::StatusOr<RoutingSnapshot> GetRouting(std::string_view endpoint) = 0;

  // --- Pipelines and features ---
  virtual absl::Status CreatePipeline(const PipelineRecord& pipeline) = 0;
  virtual absl::StatusOr<PipelineRecord> GetPipeline(std::string_view name) = 0;
  virtual absl::Status AddPipelineRun(const PipelineRunRecord& run) = 0;
  // The newest run of `pipeline`, if any.
  virtual absl::StatusOr<std::optional<PipelineRunRecord>> LastPipelineRun(
      std::string_view pipeline) = 0;
  virtual absl::Status CreateFeature(const FeatureRecord& feature) = 0;
  // Replaces dtype and the expected range (environment and creation time
  // stay). NotFound FEATURE_NOT_FOUND.
  virtual absl::Status UpdateFeature(const FeatureRecord& feature) = 0;
  virtual absl::StatusOr<FeatureRecord> GetFeature(std::string_view name) = 0;

  // --- Rollouts ---
  // Inserts a rollout (ROLLOUT_ACTIVE if the endpoint has an active one)
  // and its first transition, sets the routing snapshot and appends
  // `audit` (if not null), all in one transaction.
  virtual absl::Status CreateRollout(const RolloutRecord& rollout,
                                     const TransitionRecord& first,
                                     const RoutingSnapshot& routing,
                                     const AuditAppend* audit) = 0;
  virtual absl::StatusOr<RolloutRecord> GetRollout(std::string_view id) = 0;
  virtual absl::StatusOr<std::vector<RolloutRecord>> ListRollouts(
      std::string_view endpoint, bool active_only) = 0;
  // Compare-and-set on `expected_revision`: writes the new state (its
  // revision must be expected_revision + 1), the transition, the routing
  // snapshot (if given) and appends `audit` (if not null), all in one
  // transaction; Aborted CONCURRENT_UPDATE if the rollout moved meanwhile.
  virtual absl::Status ApplyTransition(
      const RolloutRecord& updated, int64_t expected_revision,
      const TransitionRecord& transition,
      const std::optional<RoutingSnapshot>& routing,
      const AuditAppend* audit) = 0;
  virtual absl::StatusOr<std::vector<TransitionRecord>> ListTransitions(
      std::string_view rollout_id) = 0;
  // Rollouts of `endpoint` that ended failed, counted back from the newest
  // ended one until one that completed.
  virtual absl::StatusOr<int> ConsecutiveFailedRollouts(
      std::string_view endpoint) = 0;

  // --- Outcome windows ---
  // Inserts or replaces this replica's window.
  virtual absl::Status PutWindows(const std::vector<WindowRecord>& windows) = 0;
  // Every replica's windows of (endpoint, version) with minute_ms in
  // [from_ms, to_ms), ordered by minute then replica.
  virtual absl::StatusOr<std::vector<WindowRecord>> ReadWindows(
      std::string_view endpoint, std::string_view version, int64_t from_ms,
      int64_t to_ms) = 0;

  // --- Drift references and feature samples ---
  // Inserts or replaces the reference of (endpoint, feature) and appends
  // `audit` (if not null) in one transaction. NotFound ENDPOINT_NOT_FOUND.
  virtual absl::Status PutDriftReference(const DriftReferenceRecord& reference,
                                         const AuditAppend* audit) = 0;
  // Every feature's reference of `endpoint`, by feature name.
  virtual absl::StatusOr<std::vector<DriftReferenceRecord>>
  ListDriftReferences(std::string_view endpoint) = 0;
  // Inserts or replaces each replica's sample of its minute.
  virtual absl::Status PutFeatureSamples(
      const std::vector<FeatureSampleRecord>& samples) = 0;
  // Every replica's samples of (endpoint, version, feature) with minute_ms
  // in [from_ms, to_ms), ordered by minute then replica.
  virtual absl::StatusOr<std::vector<FeatureSampleRecord>> ReadFeatureSamples(
      std::string_view endpoint, std::string_view version,
      std::string_view feature, int64_t from_ms, int64_t to_ms) = 0;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_ROLLOUT_BACKEND_H_
