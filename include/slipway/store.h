// Store: one slipway store — experiments and runs today; the registry and
// rollouts hang off it as they land. Open one with Store::Open(uri):
//
//   auto store = slipway::Store::Open("runs/slipway.db");      // SQLite file (WAL)
//   auto run = (*store)->StartRun({.experiment = "fraud", .name = "lr-0.01"});
//   (*run)->LogParam("lr", "0.01");
//   for (int step = 0; step < n; ++step) (*run)->LogMetric("loss", loss, step);
//   (*run)->End();                                              // flushes; FINISHED
//
// Metric logging is buffered: LogMetric appends to memory and a background
// writer group-commits every StoreOptions::flush_interval. Flush(), End(),
// and the Store's destruction make everything logged before them durable. A
// crash loses at most the points logged since the last commit (one
// flush_interval), never the store's integrity (docs/tracking.md).
//
// Thread-safety: Store and Run are thread-safe. A Store must outlive the
// Runs it started. After fork(), a child must open its own Store; the
// parent's buffered points are written by the parent only.
#ifndef SLIPWAY_STORE_H_
#define SLIPWAY_STORE_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "slipway/env.h"
#include "slipway/audit.h"
#include "slipway/registry.h"
#include "slipway/rollout.h"
#include "slipway/router.h"
#include "slipway/tracking.h"
#include "slipway/validate.h"

namespace slipway {

struct StoreOptions {
  // Clock, file system and id source; null members use the defaults.
  Env env;

  // How metric points reach the disk.
  enum class Durability {
    // Buffered in memory, group-committed by a background writer every
    // flush_interval (default; a crash loses at most that window).
    kBuffered,
    // Every LogMetric call commits before it returns (slow; for debugging
    // and for tiny runs that must never lose a point).
    kEveryCall,
  };
  Durability durability = Durability::kBuffered;

  // How often the background writer commits buffered points. Shorter loses
  // less on a crash; longer batches more per commit.
  absl::Duration flush_interval = absl::Milliseconds(200);

  // How long a write waits for other writers (other processes on the same
  // file) before failing with Unavailable STORE_BUSY.
  absl::Duration busy_deadline = absl::Seconds(30);

  // Live runs record a heartbeat this often; a RUNNING run without one for
  // stale_run_timeout reads as KILLED (its process died).
  absl::Duration heartbeat_interval = absl::Seconds(10);
  absl::Duration stale_run_timeout = absl::Seconds(60);

  // The user recorded on new runs; empty means $USER (or the account name).
  std::string user;

  // Environments, dataset prefixes and the environment a call acts in when
  // it names none (SPEC §1, §7; slipway/validate.h).
  ValidationPolicy policy;

  // Which roles may approve, reject, delete... per environment or
  // environment kind (slipway/registry.h).
  RolePolicy roles;

  // Where version artifacts are stored (content-addressed). Empty: the
  // "artifacts" directory beside a store file; for ":memory:", a temporary
  // directory removed when the store closes.
  std::string artifact_root;

  // The emergency stop file. Empty: $SLIPWAY_EMERGENCY_STOP_FILE, else
  // "slipway.STOP" beside a store file (docs/audit.md).
  std::string emergency_stop_file;

  // SPEC §7: true makes the emergency stop refuse its operations in every
  // environment; default false: outside production it warns and audits.
  bool emergency_stop_everywhere = false;
};

// What StartRun creates.
struct StartRunOptions {
  // Experiment name; created when missing. Default "Default".
  std::string experiment = "Default";
  // Run name; empty picks a readable one ("run-<first 8 id characters>").
  std::string name;
  // Nesting: the id of the parent run, or empty.
  std::string parent_run_id;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> tags;
  // Where the code came from; empty fields are filled automatically where
  // possible (the program path, and the git commit of its checkout).
  RunSource source;
};

// A live run: log through it, then End() it. Obtained from Store::StartRun.
class Run {
 public:
  virtual ~Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // The run id: 32 lowercase hex characters.
  virtual const std::string& id() const = 0;

  // Appends one metric point. `timestamp_ms` defaults to the store clock's
  // now. InvalidArgument for an invalid key (validate::MetricKey); values
  // may be NaN or ±Inf and are kept as such. Cheap: no I/O unless the
  // store is in kEveryCall durability.
  virtual absl::Status LogMetric(std::string_view key, double value,
                                 int64_t step = 0,
                                 std::optional<int64_t> timestamp_ms = {}) = 0;

  // Appends many points of one metric at once (equal-length columns;
  // InvalidArgument METRIC_COLUMNS_MISMATCH otherwise, nothing appended).
  // Large batches are encoded during the call on every core, so the points
  // are not copied; the columns may be reused as soon as it returns.
  virtual absl::Status LogMetricColumns(std::string_view key,
                                        std::span<const int64_t> steps,
                                        std::span<const int64_t> timestamps_ms,
                                        std::span<const double> values) = 0;

  // Appends values[i] at step first_step + i, every point at `timestamp_ms`
  // (default: the store clock's now) — LogMetricColumns without building
  // step and timestamp columns.
  virtual absl::Status LogMetricValues(
      std::string_view key, std::span<const double> values,
      int64_t first_step = 0, std::optional<int64_t> timestamp_ms = {}) = 0;

  // Params are write-once: logging the same value again is fine, another
  // value is InvalidArgument PARAM_CHANGED. Written synchronously.
  virtual absl::Status LogParam(std::string_view key, std::string_view value) = 0;
  virtual absl::Status LogParams(
      const std::vector<std::pair<std::string, std::string>>& params) = 0;

  // Tags are mutable. Written synchronously.
  virtual absl::Status SetTag(std::string_view key, std::string_view value) = 0;
  virtual absl::Status SetTags(
      const std::vector<std::pair<std::string, std::string>>& tags) = 0;

  // Makes every point logged to this run before the call durable. Returns
  // the first error the background writer met for this store since the
  // last Flush (e.g. Unavailable STORE_BUSY); the points are kept and
  // retried.
  virtual absl::Status Flush() = 0;

  // Flushes and ends the run with `status` (FINISHED by default). Ending
  // twice with the same status is OK; logging after End is refused with
  // FailedPrecondition RUN_ENDED.
  virtual absl::Status End(RunStatus status = RunStatus::kFinished) = 0;

 protected:
  Run() = default;
};

// Options of GetMetricHistory.
struct HistoryOptions {
  int64_t min_step = std::numeric_limits<int64_t>::min();
  int64_t max_step = std::numeric_limits<int64_t>::max();
  // When > 0 and the history has more points, downsample to about this many
  // for plotting, keeping each bucket's first, minimum, maximum and last
  // points (so spikes survive).
  size_t max_points = 0;
};

// A search_runs request (docs/search.md).
struct SearchRunsRequest {
  // Experiment names; empty searches every experiment.
  std::vector<std::string> experiments;
  // MLflow's filter grammar plus or/not/parentheses; empty matches all.
  std::string filter;
  // e.g. {"metrics.acc DESC", "params.lr"}.
  std::vector<std::string> order_by;
  size_t max_results = 1000;
  // From a previous SearchRunsResult; empty for the first page.
  std::string page_token;
};

struct SearchRunsResult {
  std::vector<RunInfo> runs;
  // Empty when this is the last page.
  std::string next_page_token;
};

class Store {
 public:
  // Opens (creating if needed) the store at `uri`: a file path or
  // "sqlite:///abs/path" (SQLite, WAL), or ":memory:". InvalidArgument
  // STORE_URI_INVALID for an unknown scheme; the storage errors of
  // docs/errors.md otherwise.
  static absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view uri,
                                                     StoreOptions options = {});

  // Flushes every run's buffered points (errors are logged to stderr: a
  // destructor cannot return them; call Flush() first to see them).
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- Experiments ---
  // AlreadyExists EXPERIMENT_EXISTS when taken.
  virtual absl::StatusOr<ExperimentInfo> CreateExperiment(
      std::string_view name,
      const std::vector<std::pair<std::string, std::string>>& tags = {}) = 0;
  // NotFound EXPERIMENT_NOT_FOUND.
  virtual absl::StatusOr<ExperimentInfo> GetExperiment(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<ExperimentInfo>> ListExperiments() = 0;

  // --- Runs ---
  virtual absl::StatusOr<std::shared_ptr<Run>> StartRun(
      const StartRunOptions& options = {}) = 0;
  // The run as stored; a RUNNING run whose heartbeat is older than
  // stale_run_timeout reads as KILLED. NotFound RUN_NOT_FOUND.
  virtual absl::StatusOr<RunInfo> GetRun(std::string_view run_id) = 0;
  // The points of one metric (flushes this store's pending points first, so
  // a process reads what it logged). NotFound METRIC_NOT_FOUND.
  virtual absl::StatusOr<MetricHistory> GetMetricHistory(
      std::string_view run_id, std::string_view key,
      const HistoryOptions& options = {}) = 0;
  virtual absl::StatusOr<std::vector<MetricSummary>> GetMetricSummaries(
      std::string_view run_id) = 0;
  virtual absl::StatusOr<SearchRunsResult> SearchRuns(
      const SearchRunsRequest& request) = 0;

  // Makes every point logged through this store durable; returns the first
  // background write error since the last Flush.
  virtual absl::Status Flush() = 0;

  // --- Registry (slipway/registry.h, docs/registry.md) ---
  // Every call that changes state is audited, refused or not. Actors with
  // empty fields come from SLIPWAY_ACTOR / $USER and SLIPWAY_ROLE; an empty
  // environment is StoreOptions::policy.environment.

  // AlreadyExists MODEL_EXISTS; EMERGENCY_STOP_ACTIVE in production.
  virtual absl::Status CreateModel(std::string_view name,
                                   std::string_view description = "",
                                   const KeyValueList& tags = {},
                                   const Actor& actor = {}) = 0;
  virtual absl::StatusOr<RegisteredModel> GetModel(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<RegisteredModel>> ListModels() = 0;
  // Creates the model when missing; stores the artifacts; one transaction
  // for the rest. AlreadyExists MODEL_VERSION_EXISTS (two processes
  // registering one version: one wins), FailedPrecondition
  // VERSION_SCHEME_MISMATCH, NotFound RUN_NOT_FOUND, validation errors.
  virtual absl::StatusOr<ModelVersionInfo> RegisterModelVersion(
      const RegisterModelVersionRequest& request) = 0;
  // A version, an alias or `latest` (LATEST_IN_PRODUCTION in production).
  virtual absl::StatusOr<ModelVersionInfo> GetModelVersion(
      std::string_view model, std::string_view version_or_alias,
      std::string_view environment = "") = 0;
  // Precedence order (pre-releases before their release), lowest first.
  virtual absl::StatusOr<std::vector<ModelVersionInfo>> ListModelVersions(
      std::string_view model) = 0;
  // docs/registry.md "Searching versions".
  virtual absl::StatusOr<std::vector<ModelVersionInfo>> SearchModelVersions(
      std::string_view filter, size_t max_results = 1000) = 0;
  virtual absl::Status SetAlias(std::string_view model, std::string_view alias,
                                std::string_view version,
                                const Actor& actor = {}) = 0;
  virtual absl::Status DeleteAlias(std::string_view model,
                                   std::string_view alias,
                                   const Actor& actor = {}) = 0;
  // FailedPrecondition APPROVAL_TRANSITION_INVALID, ROLE_REQUIRED,
  // EMERGENCY_STOP_ACTIVE (to Approved, in production).
  virtual absl::Status SetApproval(std::string_view model,
                                   std::string_view version,
                                   ApprovalStatus status,
                                   const Actor& actor = {},
                                   std::string_view reason = "",
                                   std::string_view environment = "") = 0;
  virtual absl::StatusOr<std::vector<ApprovalEvent>> GetApprovalHistory(
      std::string_view model, std::string_view version) = 0;
  virtual absl::Status RecordValidation(const ValidationRecord& record,
                                        const Actor& actor = {}) = 0;
  virtual absl::StatusOr<std::vector<ValidationRecord>> ListValidations(
      std::string_view model, std::string_view version,
      std::string_view environment = "") = 0;
  // Whether the newest validation of the version in `environment` passed.
  virtual absl::StatusOr<bool> HasPassedValidation(
      std::string_view model, std::string_view version,
      std::string_view environment) = 0;
  // FailedPrecondition RETENTION_PROTECTED for a retained version (SPEC §4).
  virtual absl::Status ArchiveModelVersion(std::string_view model,
                                           std::string_view version,
                                           const Actor& actor = {}) = 0;
  virtual absl::Status DeleteModelVersion(std::string_view model,
                                          std::string_view version,
                                          const Actor& actor = {},
                                          std::string_view environment = "") = 0;
  // Lineage both ways: the versions registered from a run, and a version
  // with its run's params, metrics and its datasets.
  virtual absl::StatusOr<std::vector<ModelVersionInfo>> GetVersionsOfRun(
      std::string_view run_id) = 0;
  virtual absl::StatusOr<VersionLineage> GetLineage(
      std::string_view model, std::string_view version_or_alias) = 0;
  // Restores the version's artifacts under `dest_dir`, verified against
  // their digests (DataLoss ARTIFACT_CORRUPT for a damaged blob).
  virtual absl::Status DownloadArtifacts(std::string_view model,
                                         std::string_view version_or_alias,
                                         const std::string& dest_dir) = 0;

  // --- Audit log and emergency stop (slipway/audit.h, docs/audit.md) ---
  // Records with timestamp_ms >= since_ms (all when 0), oldest first, at
  // most `limit`.
  virtual absl::StatusOr<std::vector<AuditRecord>> GetAuditLog(
      int64_t since_ms = 0, size_t limit = 100'000) = 0;
  // OK, or DataLoss AUDIT_CHAIN_BROKEN naming the first bad record.
  virtual absl::Status VerifyAuditLog() = 0;
  // Writes the records (since `since_ms`) as JSON lines to `path`,
  // atomically; returns how many.
  virtual absl::StatusOr<int64_t> ExportAuditLog(const std::string& path,
                                                 int64_t since_ms = 0) = 0;
  virtual absl::Status ActivateEmergencyStop(std::string_view reason,
                                             const Actor& actor = {}) = 0;
  virtual absl::Status ClearEmergencyStop(const Actor& actor = {}) = 0;
  virtual absl::StatusOr<EmergencyStopState> GetEmergencyStop() = 0;

  // --- Endpoints, pipelines, features (slipway/rollout.h) ---
  // Audited; refused with EMERGENCY_STOP_ACTIVE in production while the
  // stop is set. Once registered, endpoint and pipeline names are also
  // checked for registration by the validators (ENDPOINT_NOT_REGISTERED,
  // PIPELINE_NOT_REGISTERED) wherever this store's policy is used.
  // AlreadyExists ENDPOINT_EXISTS; validation errors for the names.
  virtual absl::StatusOr<EndpointInfo> RegisterEndpoint(
      std::string_view name, std::string_view environment,
      std::string_view model, std::string_view stable_version,
      const std::vector<AlertRuleSpec>& alert_rules,
      const Actor& actor = {}) = 0;
  // NotFound ENDPOINT_NOT_FOUND.
  virtual absl::StatusOr<EndpointInfo> GetEndpoint(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<EndpointInfo>> ListEndpoints() = 0;
  // The routing snapshot serving processes follow.
  virtual absl::StatusOr<RoutingInfo> GetRouting(std::string_view endpoint) = 0;
  // AlreadyExists PIPELINE_EXISTS.
  virtual absl::Status RegisterPipeline(std::string_view name,
                                        std::string_view environment = "",
                                        const Actor& actor = {}) = 0;
  // A run's data-quality results (the SPEC §2 data quality gate reads the
  // newest). NotFound PIPELINE_NOT_FOUND.
  virtual absl::Status RecordPipelineRun(const PipelineRunInfo& run,
                                         const Actor& actor = {}) = 0;
  // AlreadyExists FEATURE_EXISTS.
  virtual absl::Status RegisterFeature(const FeatureSpec& feature,
                                       const Actor& actor = {}) = 0;
  // An endpoint's alert rules replaced (SPEC §5: an endpoint update,
  // refused in production while the stop is set). Audited.
  virtual absl::StatusOr<EndpointInfo> UpdateEndpoint(
      std::string_view name, const std::vector<AlertRuleSpec>& alert_rules,
      const Actor& actor = {}) = 0;
  // Deletes an endpoint that never had a rollout (FailedPrecondition
  // ENDPOINT_IN_USE otherwise: its history is kept). Audited; refused in
  // production while the stop is set.
  virtual absl::Status DeleteEndpoint(std::string_view name,
                                      const Actor& actor = {}) = 0;
  // SPEC §3: checks a sample of a registered feature's values (NaN = null)
  // against its expected range: at least 1,000 rows, no nulls, no infinite
  // value, variance above zero. A failing sample is a report, not an error.
  // NotFound FEATURE_NOT_FOUND.
  virtual absl::StatusOr<FeatureSampleReport> ValidateFeatureSample(
      std::string_view feature, std::span<const double> sample) = 0;
  // A feature pipeline change: the new dtype and expected range, accepted
  // only when `sample` (values under the new definition) passes
  // ValidateFeatureSample; FailedPrecondition FEATURE_SAMPLE_INVALID names
  // every problem otherwise. Audited; a feature write (SPEC §5).
  virtual absl::Status UpdateFeature(const FeatureSpec& feature,
                                     std::span<const double> sample,
                                     const Actor& actor = {}) = 0;
  // The reference values (in time order, e.g. the training data) the drift
  // check compares `feature`'s recorded samples on `endpoint` with
  // (docs/rollouts.md "Drift"); replaces any earlier reference. The
  // feature must be registered; NaN is refused (DRIFT_SAMPLE_INVALID).
  // Audited; an endpoint update (SPEC §5).
  virtual absl::Status SetDriftReference(std::string_view endpoint,
                                         std::string_view feature,
                                         std::span<const double> values,
                                         const Actor& actor = {}) = 0;
  // One replica's sampled values of `feature` in requests `version` served
  // on `endpoint` in the minute containing `minute_ms` (replaces that
  // replica's earlier sample of the minute). What the drift check reads.
  virtual absl::Status RecordFeatureSamples(std::string_view endpoint,
                                            std::string_view version,
                                            int64_t minute_ms,
                                            std::string_view feature,
                                            std::span<const double> values,
                                            std::string_view replica = "") = 0;

  // --- Rollouts (docs/rollouts.md; SPEC §2-§5) ---
  // deploy: checks the SPEC §2 gates (enforced in production, warned and
  // audited elsewhere), records the rollback plan, then starts the plan.
  // FailedPrecondition GATE_*, ROLLOUT_ACTIVE, EMERGENCY_STOP_ACTIVE, ...
  virtual absl::StatusOr<RolloutStatus> Deploy(
      std::string_view model, std::string_view version,
      std::string_view endpoint, const DeployOptions& options = {}) = 0;
  // approve: the role the awaited stage names (ROLE_REQUIRED otherwise).
  virtual absl::StatusOr<RolloutStatus> ApproveRollout(
      std::string_view rollout_id, std::string_view stage,
      const Actor& actor = {}) = 0;
  virtual absl::StatusOr<RolloutStatus> RollbackRollout(
      std::string_view rollout_id, std::string_view reason = "manual",
      const Actor& actor = {}) = 0;
  virtual absl::StatusOr<RolloutStatus> AbortRollout(
      std::string_view rollout_id, std::string_view reason = "",
      const Actor& actor = {}) = 0;
  // After a halt (drift, or the emergency stop once cleared).
  virtual absl::StatusOr<RolloutStatus> ResumeRollout(
      std::string_view rollout_id, const Actor& actor = {}) = 0;
  // A drift monitor's finding: halts when sigma exceeds the plan's limit.
  virtual absl::StatusOr<RolloutStatus> ReportDrift(
      std::string_view rollout_id, std::string_view feature, double sigma,
      const Actor& actor = {}) = 0;
  // status: stage, weights, time in stage, guardrail readings, next gate.
  // NotFound ROLLOUT_NOT_FOUND.
  virtual absl::StatusOr<RolloutStatus> GetRollout(
      std::string_view rollout_id) = 0;
  // Newest first; every endpoint when `endpoint` is empty.
  virtual absl::StatusOr<std::vector<RolloutStatus>> ListRollouts(
      std::string_view endpoint = "", bool active_only = false) = 0;
  // tick: one controller pass over every active rollout (read windows,
  // evaluate guardrails and gates, persist, act). Returns the number of
  // transitions made.
  virtual absl::StatusOr<int> Tick() = 0;
  // One replica's outcomes of `version` on `endpoint` in the minute that
  // contains `minute_ms` (replaces that replica's earlier window).
  virtual absl::Status RecordOutcomes(std::string_view endpoint,
                                      std::string_view version,
                                      int64_t minute_ms,
                                      const OutcomeCounts& outcomes,
                                      std::string_view replica = "") = 0;
  // A Router (slipway/router.h, docs/serving.md) of `endpoint`: routes
  // requests by the endpoint's routing, follows it every
  // options.refresh_interval, persists outcome windows here. The Store
  // must outlive it. NotFound ENDPOINT_NOT_FOUND; storage errors.
  virtual absl::StatusOr<std::unique_ptr<Router>> OpenRouter(
      std::string_view endpoint, const RouterOptions& options = {}) = 0;

 protected:
  Store() = default;
};

}  // namespace slipway

#endif  // SLIPWAY_STORE_H_
