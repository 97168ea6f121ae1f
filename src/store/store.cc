// Store::Open and the Store facade: it wires the services (tracking,
// registry, artifacts, audit log, emergency stop) over one connection and
// delegates to them. No rules live here beyond wiring (creating a store
// file's directory, choosing default locations).
#include "slipway/store.h"

#include <stdlib.h>

#include <cmath>

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "slipway/status.h"
#include "slipway/time.h"
#include "slipway/version.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/artifacts/artifact_store.h"
#include "src/audit/auditor.h"
#include "src/audit/emergency_stop.h"
#include "src/errors/strings.h"
#include "src/registry/registry.h"
#include "src/monitoring/feature_samples.h"
#include "src/monitoring/guardrail_math.h"
#include "src/monitoring/sample_check.h"
#include "src/rollout/controller.h"
#include "src/rollout/plan.h"
#include "src/rollout/router.h"
#include "src/rollout/state_machine.h"
#include "src/storage/store_backends.h"
#include "src/tracking/tracker.h"

namespace slipway {
namespace {

using ::slipway::internal_strings::Cat;

// An actor with its empty fields taken from the environment, as the
// registry does: SLIPWAY_ACTOR (else $USER) and SLIPWAY_ROLE.
Actor WithEnvironmentDefaults(const Actor& actor) {
  Actor out = actor;
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  if (out.name.empty()) out.name = env("SLIPWAY_ACTOR");
  if (out.name.empty()) out.name = env("USER");
  if (out.role.empty()) out.role = env("SLIPWAY_ROLE");
  return out;
}

AuditRecord ToPublic(const internal_storage::AuditRecord& r) {
  AuditRecord out;
  out.seq = r.seq;
  out.timestamp_ms = r.timestamp_ms;
  out.timestamp = FormatRfc3339(absl::FromUnixMillis(r.timestamp_ms));
  out.agent = r.agent;
  out.user = r.user;
  out.environment = r.environment;
  out.command = r.command;
  out.resource_type = r.resource_type;
  out.resource_name = r.resource_name;
  out.action = r.action;
  out.model_name = r.model_name;
  out.model_version = r.model_version;
  out.previous_version = r.previous_version;
  out.change_ticket = r.change_ticket;
  out.outcome = std::string(internal_storage::AuditOutcomeName(r.outcome));
  out.rollback_config = r.rollback_config;
  out.duration_ms = r.duration_ms;
  out.reason = r.reason;
  out.message = r.message;
  out.prev_hash = r.prev_hash;
  out.hash = r.hash;
  return out;
}

// Endpoint and pipeline names are registered once the rollout backend has
// them (ValidationPolicy::registry).
class BackendNames final : public NameRegistry {
 public:
  explicit BackendNames(internal_storage::RolloutBackend* backend)
      : backend_(backend) {}
  absl::StatusOr<bool> IsRegistered(RegisteredKind kind,
                                    std::string_view name) const override {
    absl::Status s = kind == RegisteredKind::kEndpoint
                         ? backend_->GetEndpoint(name).status()
                         : backend_->GetPipeline(name).status();
    if (s.ok()) return true;
    if (absl::IsNotFound(s)) return false;
    return s;
  }

 private:
  internal_storage::RolloutBackend* const backend_;
};

EndpointInfo ToPublic(const internal_storage::EndpointRecord& e) {
  EndpointInfo out;
  out.name = e.name;
  out.environment = e.environment;
  out.model = e.model;
  out.stable_version = e.stable_version;
  for (const auto& r : e.alert_rules) {
    out.alert_rules.push_back(AlertRuleSpec{r.name, r.threshold});
  }
  out.created_ms = e.created_ms;
  out.updated_ms = e.updated_ms;
  return out;
}

std::string VerdictName(internal_rollout::GuardrailVerdict v) {
  switch (v) {
    case internal_rollout::GuardrailVerdict::kHealthy:
      return "HEALTHY";
    case internal_rollout::GuardrailVerdict::kFailing:
      return "FAILING";
    default:
      return "NOT_ENOUGH_DATA";
  }
}

std::string NextGate(const v1::RolloutState& s) {
  using internal_strings::Cat;
  const v1::Plan& plan = s.plan();
  const int i = s.stage_index();
  if (i < 0 || i >= plan.stages_size()) return "";
  const v1::Stage& stage = plan.stages(i);
  switch (s.phase()) {
    case v1::RolloutState::AWAITING_APPROVAL:
      return Cat("approval by role ", stage.approval_role(),
                 " to enter stage ", stage.name());
    case v1::RolloutState::HALTED:
      return s.halt_cause() == v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP
                 ? "clear the emergency stop, then resume (or roll back)"
                 : "a person decides: resume or roll back (halted by drift)";
    case v1::RolloutState::IN_STAGE: {
      std::string observe =
          stage.ab().decide_by_significance()
              ? Cat("the A/B verdict (", stage.ab().min_predictions(),
                    " predictions or ",
                    absl::FormatDuration(
                        absl::Seconds(stage.ab().max_duration_seconds())),
                    ")")
              : Cat("observation of ",
                    absl::FormatDuration(
                        absl::Seconds(stage.min_observation_seconds())),
                    " in stage ", stage.name());
      if (i + 1 >= plan.stages_size()) {
        return Cat(observe, ", then completion");
      }
      const v1::Stage& next = plan.stages(i + 1);
      std::string then = Cat(", then stage ", next.name());
      if (next.gate() == v1::Stage::GATE_STATISTICAL_VALIDATION) {
        then += " (statistical validation)";
      }
      if (!next.approval_role().empty()) {
        then += Cat(" after approval by role ", next.approval_role());
      }
      return Cat(observe, then);
    }
    default:
      return "";
  }
}

RolloutStatus ToStatus(const v1::RolloutState& s,
                       const internal_rollout::StageReadings* r,
                       absl::Time now) {
  RolloutStatus out;
  out.id = s.id();
  out.endpoint = s.endpoint();
  out.model = s.model();
  out.candidate_version = s.candidate_version();
  out.stable_version = s.stable_version();
  out.phase = std::string(internal_rollout::PhaseName(s.phase()));
  out.active = s.phase() != v1::RolloutState::COMPLETED &&
               s.phase() != v1::RolloutState::ROLLED_BACK &&
               s.phase() != v1::RolloutState::ABORTED;
  out.stage_index = s.stage_index();
  if (s.stage_index() >= 0 && s.stage_index() < s.plan().stages_size()) {
    out.stage = s.plan().stages(s.stage_index()).name();
  }
  out.stable_weight = s.stable_weight();
  out.candidate_weight = s.candidate_weight();
  out.shadow = s.shadow();
  const absl::Time entered =
      internal_rollout::FromProtoTime(s.stage_entered_at());
  const absl::Time until =
      out.active ? now : internal_rollout::FromProtoTime(s.updated_at());
  out.time_in_stage = until > entered ? until - entered : absl::ZeroDuration();
  switch (s.halt_cause()) {
    case v1::RolloutState::HALT_CAUSE_DRIFT:
      out.halt_cause = "DRIFT";
      break;
    case v1::RolloutState::HALT_CAUSE_EMERGENCY_STOP:
      out.halt_cause = "EMERGENCY_STOP";
      break;
    default:
      break;
  }
  out.last_reason = s.last_reason();
  out.next_gate = NextGate(s);
  if (r != nullptr) {
    GuardrailReadings& g = out.readings;
    g.error_rate_verdict = VerdictName(r->verdicts.error_rate);
    g.latency_verdict = VerdictName(r->verdicts.latency);
    g.accuracy_verdict = VerdictName(r->verdicts.accuracy);
    g.candidate_requests = r->candidate_requests;
    g.candidate_errors = r->candidate_errors;
    g.error_rate = r->error_rate;
    g.error_streak = r->error_streak;
    g.candidate_p99_ms = r->candidate_p99_ms;
    g.stable_p99_ms = r->stable_p99_ms;
    g.p99_ratio = r->p99_ratio;
    g.candidate_accuracy = r->candidate_accuracy;
    g.stable_accuracy = r->stable_accuracy;
    g.predictions = r->verdicts.predictions;
    g.windows = r->windows;
  }
  for (const v1::Approval& a : s.approvals()) {
    out.approvals.push_back(RolloutApproval{
        a.stage(), a.actor(), a.role(),
        absl::ToUnixMillis(internal_rollout::FromProtoTime(a.at()))});
  }
  out.change_ticket = s.change_ticket();
  out.rollback_version = s.rollback_plan().stable_version();
  for (const std::string& n : s.gate_notes()) out.gate_notes.push_back(n);
  out.transitions = s.transition_count();
  out.started_ms =
      absl::ToUnixMillis(internal_rollout::FromProtoTime(s.started_at()));
  out.updated_ms =
      absl::ToUnixMillis(internal_rollout::FromProtoTime(s.updated_at()));
  absl::StatusOr<std::string> json = internal_rollout::StateToJson(s);
  if (json.ok()) out.state_json = *std::move(json);
  return out;
}

FeatureSampleReport SampleReport(std::string_view feature,
                                 std::span<const double> sample,
                                 std::optional<double> min_value,
                                 std::optional<double> max_value) {
  const internal_monitoring::SampleCheck c =
      internal_monitoring::CheckFeatureSample(sample, min_value, max_value);
  FeatureSampleReport r;
  r.feature = std::string(feature);
  r.passed = c.passed();
  r.rows = c.rows;
  r.nulls = c.nulls;
  r.below_min = c.below_min;
  r.above_max = c.above_max;
  r.min = c.min;
  r.max = c.max;
  r.variance = c.variance;
  r.problems = c.problems;
  return r;
}

// Sampled values for drift: non-empty, no NaN, at most 10M per call.
absl::Status CheckSampleValues(std::string_view what,
                               std::span<const double> values) {
  constexpr size_t kMaxValues = 10'000'000;
  size_t nan_at = values.size();
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      nan_at = i;
      break;
    }
  }
  if (!values.empty() && values.size() <= kMaxValues &&
      nan_at == values.size()) {
    return absl::OkStatus();
  }
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      values.empty() ? Cat("the ", what, " is empty")
      : nan_at != values.size()
          ? Cat("the ", what, " holds NaN at index ", nan_at)
          : Cat("the ", what, " has ", values.size(),
                         " values; at most ", kMaxValues, " per call"),
      ErrorDetail{.reason = "DRIFT_SAMPLE_INVALID",
                  .rule = "drift samples are 1 to 10,000,000 values without "
                          "NaN (a missing value has no place in a "
                          "distribution)",
                  .value = std::string(what),
                  .fix = "Drop missing values (or impute them as the model "
                         "does) before recording."});
}

// A directory made for a ":memory:" store's artifacts, removed with it.
class TempDir {
 public:
  static absl::StatusOr<std::unique_ptr<TempDir>> Create() {
    std::error_code ec;
    std::string base = std::filesystem::temp_directory_path(ec).string();
    if (ec) base = "/tmp";
    std::string pattern = base + "/slipway-artifacts-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      const std::string fix =
          "Set StoreOptions::artifact_root, or make the temporary directory "
          "($TMPDIR) writable.";
      return MakeError(absl::StatusCode::kInternal,
                       internal_strings::Cat("cannot create a temporary artifact "
                                             "directory under ",
                                             base, ". ", fix),
                       ErrorDetail{.reason = "IO_ERROR",
                                   .rule = "a :memory: store keeps artifacts "
                                           "in a temporary directory",
                                   .value = base,
                                   .fix = fix});
    }
    return std::unique_ptr<TempDir>(new TempDir(pattern));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The services of one store. Members are destroyed in reverse order: the
// registry and audit pieces before the tracker, whose backend owns the
// connection they use.
struct Services {
  StoreOptions options;
  std::unique_ptr<internal_tracking::Tracker> tracker;
  std::unique_ptr<internal_storage::AuditBackend> audit_backend;
  std::unique_ptr<internal_storage::RegistryBackend> registry_backend;
  std::unique_ptr<internal_audit::Auditor> auditor;
  std::unique_ptr<internal_audit::EmergencyStop> stop;
  std::unique_ptr<TempDir> temp_artifacts;
  std::unique_ptr<internal_artifacts::ArtifactStore> artifacts;
  std::unique_ptr<internal_registry::Registry> registry;
  // Endpoints, pipelines, features and rollouts (on the same connection).
  std::unique_ptr<internal_storage::RolloutBackend> rollout_backend;
  std::unique_ptr<NameRegistry> names;
  std::unique_ptr<internal_rollout::Controller> controller;
};

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(std::unique_ptr<Services> s) : s_(std::move(s)) {}

  ~StoreImpl() override {
    // The rollouts and registry side first, then the tracker (ends and
    // flushes runs; its backend owns the connection).
    s_->controller.reset();
    s_->options.policy.registry = nullptr;
    s_->names.reset();
    s_->rollout_backend.reset();
    s_->registry.reset();
    s_->artifacts.reset();
    s_->stop.reset();
    s_->auditor.reset();
    s_->registry_backend.reset();
    s_->audit_backend.reset();
    s_->tracker.reset();
  }

  absl::StatusOr<ExperimentInfo> CreateExperiment(
      std::string_view name,
      const std::vector<std::pair<std::string, std::string>>& tags) override {
    return tracker().CreateExperiment(name, tags);
  }
  absl::StatusOr<ExperimentInfo> GetExperiment(std::string_view name) override {
    return tracker().GetExperiment(name);
  }
  absl::StatusOr<std::vector<ExperimentInfo>> ListExperiments() override {
    return tracker().ListExperiments();
  }
  absl::StatusOr<std::shared_ptr<Run>> StartRun(
      const StartRunOptions& options) override {
    return tracker().StartRun(options);
  }
  absl::StatusOr<RunInfo> GetRun(std::string_view run_id) override {
    return tracker().GetRun(run_id);
  }
  absl::StatusOr<MetricHistory> GetMetricHistory(
      std::string_view run_id, std::string_view key,
      const HistoryOptions& options) override {
    return tracker().GetMetricHistory(run_id, key, options);
  }
  absl::StatusOr<std::vector<MetricSummary>> GetMetricSummaries(
      std::string_view run_id) override {
    return tracker().GetMetricSummaries(run_id);
  }
  absl::StatusOr<SearchRunsResult> SearchRuns(
      const SearchRunsRequest& request) override {
    return tracker().SearchRuns(request);
  }
  absl::Status Flush() override { return tracker().Flush(); }

  // --- Registry ---
  absl::Status CreateModel(std::string_view name, std::string_view description,
                           const KeyValueList& tags,
                           const Actor& actor) override {
    return registry().CreateModel(name, description, tags, actor);
  }
  absl::StatusOr<RegisteredModel> GetModel(std::string_view name) override {
    return registry().GetModel(name);
  }
  absl::StatusOr<std::vector<RegisteredModel>> ListModels() override {
    return registry().ListModels();
  }
  absl::StatusOr<ModelVersionInfo> RegisterModelVersion(
      const RegisterModelVersionRequest& request) override {
    // The run's points are in the store before the version points at it.
    if (!request.run_id.empty()) {
      if (absl::Status s = tracker().Flush(); !s.ok()) return s;
    }
    return registry().RegisterModelVersion(request);
  }
  absl::StatusOr<ModelVersionInfo> GetModelVersion(
      std::string_view model, std::string_view version_or_alias,
      std::string_view environment) override {
    return registry().GetModelVersion(model, version_or_alias, environment);
  }
  absl::StatusOr<std::vector<ModelVersionInfo>> ListModelVersions(
      std::string_view model) override {
    return registry().ListModelVersions(model);
  }
  absl::StatusOr<std::vector<ModelVersionInfo>> SearchModelVersions(
      std::string_view filter, size_t max_results) override {
    return registry().SearchModelVersions(filter, max_results);
  }
  absl::Status SetAlias(std::string_view model, std::string_view alias,
                        std::string_view version, const Actor& actor) override {
    return registry().SetAlias(model, alias, version, actor);
  }
  absl::Status DeleteAlias(std::string_view model, std::string_view alias,
                           const Actor& actor) override {
    return registry().DeleteAlias(model, alias, actor);
  }
  absl::Status SetApproval(std::string_view model, std::string_view version,
                           ApprovalStatus status, const Actor& actor,
                           std::string_view reason,
                           std::string_view environment) override {
    return registry().SetApproval(model, version, status, actor, reason,
                                  environment);
  }
  absl::StatusOr<std::vector<ApprovalEvent>> GetApprovalHistory(
      std::string_view model, std::string_view version) override {
    return registry().ApprovalHistory(model, version);
  }
  absl::Status RecordValidation(const ValidationRecord& record,
                                const Actor& actor) override {
    return registry().RecordValidation(record, actor);
  }
  absl::StatusOr<std::vector<ValidationRecord>> ListValidations(
      std::string_view model, std::string_view version,
      std::string_view environment) override {
    return registry().ListValidations(model, version, environment);
  }
  absl::StatusOr<bool> HasPassedValidation(
      std::string_view model, std::string_view version,
      std::string_view environment) override {
    return registry().HasPassedValidation(model, version, environment);
  }
  absl::Status ArchiveModelVersion(std::string_view model,
                                   std::string_view version,
                                   const Actor& actor) override {
    return registry().ArchiveModelVersion(model, version, actor);
  }
  absl::Status DeleteModelVersion(std::string_view model,
                                  std::string_view version, const Actor& actor,
                                  std::string_view environment) override {
    return registry().DeleteModelVersion(model, version, actor, environment);
  }
  absl::StatusOr<std::vector<ModelVersionInfo>> GetVersionsOfRun(
      std::string_view run_id) override {
    return registry().VersionsOfRun(run_id);
  }
  absl::StatusOr<VersionLineage> GetLineage(
      std::string_view model, std::string_view version_or_alias) override {
    return registry().LineageOfVersion(model, version_or_alias);
  }
  absl::Status DownloadArtifacts(std::string_view model,
                                 std::string_view version_or_alias,
                                 const std::string& dest_dir) override {
    return registry().DownloadArtifacts(model, version_or_alias, dest_dir);
  }

  // --- Audit log and emergency stop ---
  absl::StatusOr<std::vector<AuditRecord>> GetAuditLog(int64_t since_ms,
                                                       size_t limit) override {
    internal_storage::AuditQuery query;
    if (since_ms > 0) query.since_ms = since_ms;
    query.limit = limit;
    absl::StatusOr<std::vector<internal_storage::AuditRecord>> records =
        s_->auditor->Read(query);
    if (!records.ok()) return records.status();
    std::vector<AuditRecord> out;
    out.reserve(records->size());
    for (const internal_storage::AuditRecord& r : *records) {
      out.push_back(ToPublic(r));
    }
    return out;
  }
  absl::Status VerifyAuditLog() override { return s_->auditor->Verify(); }
  absl::StatusOr<int64_t> ExportAuditLog(const std::string& path,
                                         int64_t since_ms) override {
    std::optional<absl::Time> since;
    if (since_ms > 0) since = absl::FromUnixMillis(since_ms);
    return s_->auditor->ExportJsonLines(path, since);
  }
  absl::Status ActivateEmergencyStop(std::string_view reason,
                                     const Actor& actor) override {
    return s_->stop->Activate(reason, actor.name);
  }
  absl::Status ClearEmergencyStop(const Actor& actor) override {
    return s_->stop->Clear(actor.name);
  }
  absl::StatusOr<EmergencyStopState> GetEmergencyStop() override {
    absl::StatusOr<internal_audit::StopState> state = s_->stop->Status();
    if (!state.ok()) return state.status();
    EmergencyStopState out;
    out.active = state->active();
    out.file_path = state->file_path;
    out.file_set = state->file_set;
    out.file_content = state->file_content;
    if (state->store.has_value()) {
      out.store_set = true;
      out.store_actor = state->store->actor;
      out.store_reason = state->store->reason;
      out.store_set_ms = state->store->set_ms;
    }
    return out;
  }


  // --- Endpoints, pipelines, features ---
  absl::StatusOr<EndpointInfo> RegisterEndpoint(
      std::string_view name, std::string_view environment,
      std::string_view model, std::string_view stable_version,
      const std::vector<AlertRuleSpec>& alert_rules,
      const Actor& actor) override {
    const std::string env = EnvironmentOr(environment);
    internal_audit::AuditEvent event = Event(
        env, "endpoint.create", "endpoint", name, "create", actor);
    event.model_name = std::string(model);
    event.model_version = std::string(stable_version);
    internal_storage::EndpointRecord rec;
    absl::Status s = s_->auditor->Run(event, [&]() -> absl::Status {
      ValidationPolicy syntax = s_->options.policy;
      syntax.registry = nullptr;  // being registered now
      if (absl::Status v = validate::EndpointName(name, syntax); !v.ok()) {
        return v;
      }
      if (absl::Status v = validate::EnvironmentName(env, syntax); !v.ok()) {
        return v;
      }
      if (absl::Status v = validate::ModelName(model); !v.ok()) return v;
      // The stable version is kept canonical ("v2.4.0" is "2.4.0"): routing,
      // the rollback plan and outcome windows all name it that way.
      std::string stable;
      if (!stable_version.empty()) {
        absl::StatusOr<ModelVersion> parsed =
            ModelVersion::Parse(stable_version, env, syntax);
        if (!parsed.ok()) return parsed.status();
        stable = parsed->canonical();
      }
      if (absl::Status v = s_->stop->Check(
              internal_audit::Operation::kEndpointCreate, event);
          !v.ok()) {
        return v;
      }
      rec.name = std::string(name);
      rec.environment = env;
      rec.model = std::string(model);
      rec.stable_version = stable;
      for (const AlertRuleSpec& r : alert_rules) {
        rec.alert_rules.push_back({r.name, r.threshold});
      }
      rec.created_ms = NowMs();
      rec.updated_ms = rec.created_ms;
      return s_->rollout_backend->CreateEndpoint(rec);
    });
    if (!s.ok()) return s;
    return GetEndpoint(name);
  }
  absl::StatusOr<EndpointInfo> GetEndpoint(std::string_view name) override {
    absl::StatusOr<internal_storage::EndpointRecord> e =
        s_->rollout_backend->GetEndpoint(name);
    if (!e.ok()) return e.status();
    return ToPublic(*e);
  }
  absl::StatusOr<std::vector<EndpointInfo>> ListEndpoints() override {
    absl::StatusOr<std::vector<internal_storage::EndpointRecord>> all =
        s_->rollout_backend->ListEndpoints();
    if (!all.ok()) return all.status();
    std::vector<EndpointInfo> out;
    for (const auto& e : *all) out.push_back(ToPublic(e));
    return out;
  }
  absl::StatusOr<RoutingInfo> GetRouting(std::string_view endpoint) override {
    absl::StatusOr<internal_storage::RoutingSnapshot> r =
        s_->rollout_backend->GetRouting(endpoint);
    if (!r.ok()) return r.status();
    return RoutingInfo{r->endpoint,         r->stable_version,
                       r->candidate_version, r->candidate_weight,
                       r->shadow,            r->generation};
  }
  absl::Status RegisterPipeline(std::string_view name,
                                std::string_view environment,
                                const Actor& actor) override {
    const std::string env = EnvironmentOr(environment);
    internal_audit::AuditEvent event =
        Event(env, "pipeline.create", "pipeline", name, "create", actor);
    return s_->auditor->Run(event, [&]() -> absl::Status {
      ValidationPolicy syntax = s_->options.policy;
      syntax.registry = nullptr;
      if (absl::Status v = validate::PipelineName(name, syntax); !v.ok()) {
        return v;
      }
      if (absl::Status v = validate::EnvironmentName(env, syntax); !v.ok()) {
        return v;
      }
      return s_->rollout_backend->CreatePipeline(
          internal_storage::PipelineRecord{std::string(name), env, NowMs()});
    });
  }
  absl::Status RecordPipelineRun(const PipelineRunInfo& run,
                                 const Actor& actor) override {
    internal_audit::AuditEvent event = Event(
        "", "pipeline.record_run", "pipeline", run.pipeline, "record_run",
        actor);
    return s_->auditor->Run(event, [&]() -> absl::Status {
      absl::StatusOr<internal_storage::PipelineRecord> p =
          s_->rollout_backend->GetPipeline(run.pipeline);
      if (!p.ok()) return p.status();
      internal_storage::PipelineRunRecord rec;
      rec.pipeline = run.pipeline;
      rec.run_ms = run.run_ms == 0 ? NowMs() : run.run_ms;
      rec.schema_check_passed = run.schema_check_passed;
      rec.distribution_check_passed = run.distribution_check_passed;
      rec.details_json = run.details_json.empty() ? "{}" : run.details_json;
      return s_->rollout_backend->AddPipelineRun(rec);
    });
  }
  absl::Status RegisterFeature(const FeatureSpec& feature,
                               const Actor& actor) override {
    const std::string env = EnvironmentOr(feature.environment);
    internal_audit::AuditEvent event =
        Event(env, "feature.create", "feature", feature.name, "create", actor);
    return s_->auditor->Run(event, [&]() -> absl::Status {
      if (absl::Status v = validate::FeatureName(feature.name,
                                                 s_->options.policy);
          !v.ok()) {
        return v;
      }
      if (absl::Status v = s_->stop->Check(
              internal_audit::Operation::kFeatureWrite, event);
          !v.ok()) {
        return v;
      }
      internal_storage::FeatureRecord rec;
      rec.name = feature.name;
      rec.dtype = feature.dtype;
      rec.min_value = feature.min_value;
      rec.max_value = feature.max_value;
      rec.environment = env;
      rec.created_ms = NowMs();
      return s_->rollout_backend->CreateFeature(rec);
    });
  }

  absl::StatusOr<EndpointInfo> UpdateEndpoint(
      std::string_view name, const std::vector<AlertRuleSpec>& alert_rules,
      const Actor& actor) override {
    absl::StatusOr<internal_storage::EndpointRecord> rec =
        s_->rollout_backend->GetEndpoint(name);
    internal_audit::AuditEvent event =
        Event(rec.ok() ? rec->environment : EnvironmentOr(""),
              "endpoint.update", "endpoint", name, "update", actor);
    absl::Status s = s_->auditor->Run(event, [&]() -> absl::Status {
      if (!rec.ok()) return rec.status();
      if (absl::Status v = s_->stop->Check(
              internal_audit::Operation::kEndpointUpdate, event);
          !v.ok()) {
        return v;
      }
      std::vector<internal_storage::AlertRule> rules;
      for (const AlertRuleSpec& r : alert_rules) {
        rules.push_back({r.name, r.threshold});
      }
      return s_->rollout_backend->SetEndpointAlertRules(name, rules, NowMs());
    });
    if (!s.ok()) return s;
    return GetEndpoint(name);
  }
  absl::Status DeleteEndpoint(std::string_view name,
                              const Actor& actor) override {
    absl::StatusOr<internal_storage::EndpointRecord> rec =
        s_->rollout_backend->GetEndpoint(name);
    internal_audit::AuditEvent event =
        Event(rec.ok() ? rec->environment : EnvironmentOr(""),
              "endpoint.delete", "endpoint", name, "delete", actor);
    return s_->auditor->Run(event, [&]() -> absl::Status {
      if (!rec.ok()) return rec.status();
      if (absl::Status v = s_->stop->Check(
              internal_audit::Operation::kEndpointDelete, event);
          !v.ok()) {
        return v;
      }
      absl::StatusOr<std::vector<internal_storage::RolloutRecord>> rollouts =
          s_->rollout_backend->ListRollouts(name, /*active_only=*/false);
      if (!rollouts.ok()) return rollouts.status();
      if (!rollouts->empty()) {
        return MakeError(
            absl::StatusCode::kFailedPrecondition,
            Cat("endpoint ", name, " has ", rollouts->size(),
                         " rollout(s) on record; its history is kept"),
            ErrorDetail{.reason = "ENDPOINT_IN_USE",
                        .rule = "an endpoint with rollouts is never deleted "
                                "(SPEC §6: the audit trail names it)",
                        .value = std::string(name),
                        .fix = "Register a new endpoint instead, or leave "
                               "this one unused."});
      }
      return s_->rollout_backend->DeleteEndpoint(name);
    });
  }
  absl::StatusOr<FeatureSampleReport> ValidateFeatureSample(
      std::string_view feature, std::span<const double> sample) override {
    absl::StatusOr<internal_storage::FeatureRecord> f =
        s_->rollout_backend->GetFeature(feature);
    if (!f.ok()) return f.status();
    return SampleReport(feature, sample, f->min_value, f->max_value);
  }
  absl::Status UpdateFeature(const FeatureSpec& feature,
                             std::span<const double> sample,
                             const Actor& actor) override {
    absl::StatusOr<internal_storage::FeatureRecord> rec =
        s_->rollout_backend->GetFeature(feature.name);
    internal_audit::AuditEvent event =
        Event(rec.ok() ? rec->environment : EnvironmentOr(feature.environment),
              "feature.update", "feature", feature.name, "update", actor);
    return s_->auditor->Run(event, [&]() -> absl::Status {
      if (!rec.ok()) return rec.status();
      if (absl::Status v = s_->stop->Check(
              internal_audit::Operation::kFeatureWrite, event);
          !v.ok()) {
        return v;
      }
      const FeatureSampleReport report = SampleReport(
          feature.name, sample, feature.min_value, feature.max_value);
      if (!report.passed) {
        return MakeError(
            absl::StatusCode::kFailedPrecondition,
            Cat("the sample of feature ", feature.name,
                         " fails validation: ",
                         absl::StrJoin(report.problems, "; ")),
            ErrorDetail{.reason = "FEATURE_SAMPLE_INVALID",
                        .rule = "SPEC §3: a feature pipeline change is "
                                "validated on a 1,000-record sample first: no "
                                "nulls, non-zero variance, values inside the "
                                "expected range",
                        .value = feature.name,
                        .fix = "Fix the pipeline (or the expected range) and "
                               "validate a new sample of at least 1,000 "
                               "records."});
      }
      rec->dtype = feature.dtype.empty() ? rec->dtype : feature.dtype;
      rec->min_value = feature.min_value;
      rec->max_value = feature.max_value;
      return s_->rollout_backend->UpdateFeature(*rec);
    });
  }
  absl::Status SetDriftReference(std::string_view endpoint,
                                 std::string_view feature,
                                 std::span<const double> values,
                                 const Actor& actor) override {
    absl::StatusOr<internal_storage::EndpointRecord> ep =
        s_->rollout_backend->GetEndpoint(endpoint);
    internal_audit::AuditEvent event =
        Event(ep.ok() ? ep->environment : EnvironmentOr(""),
              "endpoint.set_drift_reference", "endpoint", endpoint,
              "set_drift_reference", actor);
    event.message = Cat("feature ", feature, ": ", values.size(),
                                 " reference values");
    return s_->auditor->Run(event, [&]() -> absl::Status {
      if (!ep.ok()) return ep.status();
      if (absl::Status v = s_->rollout_backend->GetFeature(feature).status();
          !v.ok()) {
        return v;
      }
      if (absl::Status v = CheckSampleValues("drift reference", values);
          !v.ok()) {
        return v;
      }
      if (absl::Status v = s_->stop->Check(
              internal_audit::Operation::kEndpointUpdate, event);
          !v.ok()) {
        return v;
      }
      internal_storage::DriftReferenceRecord rec;
      rec.endpoint = std::string(endpoint);
      rec.feature = std::string(feature);
      rec.row_count = static_cast<int64_t>(values.size());
      internal_monitoring::EncodeFeatureSamples(values, &rec.data);
      rec.updated_ms = NowMs();
      return s_->rollout_backend->PutDriftReference(rec, nullptr);
    });
  }
  absl::Status RecordFeatureSamples(std::string_view endpoint,
                                    std::string_view version,
                                    int64_t minute_ms,
                                    std::string_view feature,
                                    std::span<const double> values,
                                    std::string_view replica) override {
    if (absl::Status v = validate::FeatureName(feature, s_->options.policy);
        !v.ok()) {
      return v;
    }
    // SPEC §1: a registered endpoint (the policy looks it up) and feature.
    if (absl::Status v = validate::EndpointName(endpoint, s_->options.policy);
        !v.ok()) {
      return v;
    }
    if (absl::Status v = s_->rollout_backend->GetFeature(feature).status();
        !v.ok()) {
      return v;
    }
    if (absl::Status v = CheckSampleValues("feature sample", values);
        !v.ok()) {
      return v;
    }
    // Samples are keyed by the canonical version, as rollouts read them.
    absl::StatusOr<ModelVersion> parsed =
        ModelVersion::Parse(version, s_->options.policy);
    if (!parsed.ok()) return parsed.status();
    internal_storage::FeatureSampleRecord rec;
    rec.endpoint = std::string(endpoint);
    rec.version = parsed->canonical();
    rec.feature = std::string(feature);
    rec.minute_ms = minute_ms - ((minute_ms % 60'000) + 60'000) % 60'000;
    rec.replica = replica.empty() ? std::string("default") : std::string(replica);
    rec.row_count = static_cast<int64_t>(values.size());
    internal_monitoring::EncodeFeatureSamples(values, &rec.data);
    return s_->rollout_backend->PutFeatureSamples({rec});
  }

  // --- Rollouts ---
  absl::StatusOr<RolloutStatus> Deploy(std::string_view model,
                                       std::string_view version,
                                       std::string_view endpoint,
                                       const DeployOptions& options) override {
    internal_rollout::DeployOptions o;
    o.change_ticket = options.change_ticket;
    o.actor = options.actor.name;
    o.role = options.actor.role;
    o.pipeline = options.pipeline;
    if (!options.plan_json.empty()) {
      absl::StatusOr<v1::Plan> plan =
          internal_rollout::PlanFromJson(options.plan_json);
      if (!plan.ok()) return plan.status();
      o.plan = *std::move(plan);
    }
    if (options.manual_approval.has_value()) {
      o.manual_approval = internal_rollout::ManualApproval{
          options.manual_approval->name, options.manual_approval->role};
    }
    return ToRolloutStatus(s_->controller->Deploy(model, version, endpoint, o));
  }
  absl::StatusOr<RolloutStatus> ApproveRollout(std::string_view rollout_id,
                                               std::string_view stage,
                                               const Actor& actor) override {
    const Actor who = WithEnvironmentDefaults(actor);
    return ToRolloutStatus(
        s_->controller->Approve(rollout_id, stage, who.name, who.role));
  }
  absl::StatusOr<RolloutStatus> RollbackRollout(std::string_view rollout_id,
                                                std::string_view reason,
                                                const Actor& actor) override {
    return ToRolloutStatus(s_->controller->Rollback(
        rollout_id, reason, WithEnvironmentDefaults(actor).name));
  }
  absl::StatusOr<RolloutStatus> AbortRollout(std::string_view rollout_id,
                                             std::string_view reason,
                                             const Actor& actor) override {
    return ToRolloutStatus(s_->controller->Abort(
        rollout_id, reason, WithEnvironmentDefaults(actor).name));
  }
  absl::StatusOr<RolloutStatus> ResumeRollout(std::string_view rollout_id,
                                              const Actor& actor) override {
    return ToRolloutStatus(
        s_->controller->Resume(rollout_id, WithEnvironmentDefaults(actor).name));
  }
  absl::StatusOr<RolloutStatus> ReportDrift(std::string_view rollout_id,
                                            std::string_view feature,
                                            double sigma,
                                            const Actor& actor) override {
    return ToRolloutStatus(
        s_->controller->ReportDrift(rollout_id, feature, sigma,
                                    WithEnvironmentDefaults(actor).name));
  }
  absl::StatusOr<RolloutStatus> GetRollout(
      std::string_view rollout_id) override {
    return ToRolloutStatus(s_->controller->Get(rollout_id));
  }
  absl::StatusOr<std::vector<RolloutStatus>> ListRollouts(
      std::string_view endpoint, bool active_only) override {
    absl::StatusOr<std::vector<internal_storage::RolloutRecord>> all =
        s_->rollout_backend->ListRollouts(endpoint, active_only);
    if (!all.ok()) return all.status();
    std::vector<RolloutStatus> out;
    // The backend lists oldest first; the API promises newest first.
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      const internal_storage::RolloutRecord& rec = *it;
      absl::StatusOr<v1::RolloutState> st =
          internal_rollout::StateFromJson(rec.state_json);
      if (!st.ok()) return st.status();
      out.push_back(ToStatus(*st, nullptr, s_->options.env.clock->Now()));
    }
    return out;
  }
  absl::StatusOr<int> Tick() override { return s_->controller->Tick(); }
  absl::Status RecordOutcomes(std::string_view endpoint,
                              std::string_view version, int64_t minute_ms,
                              const OutcomeCounts& c,
                              std::string_view replica) override {
    internal_monitoring::OutcomeWindow w;
    w.requests = c.requests;
    w.errors = c.errors;
    for (double ms : c.latencies_ms) w.latency.Record(ms);
    w.predictions = c.predictions;
    w.labelled = c.labelled;
    w.correct = c.correct;
    w.successes = c.successes;
    w.trials = c.trials;
    return s_->controller->RecordOutcomes(
        endpoint, version, absl::FromUnixMillis(minute_ms), w, replica);
  }

  // --- Router (slipway/router.h): the RouterLink over this store ---
  // The router reaches the store only through this adapter: routing reads
  // from the rollout backend, windows into the controller as they are (the
  // histogram is kept, no latency list), Tick, and the stop's state.
  class RouterLinkImpl final : public internal_rollout::RouterLink {
   public:
    explicit RouterLinkImpl(Services* s) : s_(s) {}
    absl::StatusOr<RoutingInfo> GetRouting(std::string_view endpoint) override {
      absl::StatusOr<internal_storage::RoutingSnapshot> r =
          s_->rollout_backend->GetRouting(endpoint);
      if (!r.ok()) return r.status();
      return RoutingInfo{r->endpoint, r->stable_version, r->candidate_version,
                         r->candidate_weight, r->shadow, r->generation};
    }
    absl::Status RecordWindow(std::string_view endpoint,
                              std::string_view version, absl::Time minute,
                              const internal_monitoring::OutcomeWindow& window,
                              std::string_view replica) override {
      return s_->controller->RecordOutcomes(endpoint, version, minute, window,
                                            replica);
    }
    absl::StatusOr<int> Tick() override { return s_->controller->Tick(); }
    absl::StatusOr<bool> EmergencyStopActive() override {
      absl::StatusOr<internal_audit::StopState> st = s_->stop->Status();
      if (!st.ok()) return st.status();
      return st->active();
    }

   private:
    Services* const s_;
  };
  absl::StatusOr<std::unique_ptr<Router>> OpenRouter(
      std::string_view endpoint, const RouterOptions& options) override {
    return internal_rollout::OpenRouter(
        endpoint, options, std::make_unique<RouterLinkImpl>(s_.get()),
        s_->options.env.clock, s_->options.env.id_source);
  }

 private:
  int64_t NowMs() const { return s_->options.env.clock->NowUnixMillis(); }
  std::string EnvironmentOr(std::string_view environment) const {
    return environment.empty() ? s_->options.policy.environment
                               : std::string(environment);
  }
  static internal_audit::AuditEvent Event(std::string_view env,
                                          std::string_view command,
                                          std::string_view type,
                                          std::string_view name,
                                          std::string_view action,
                                          const Actor& actor) {
    internal_audit::AuditEvent e;
    e.environment = std::string(env);
    e.command = std::string(command);
    e.resource_type = std::string(type);
    e.resource_name = std::string(name);
    e.action = std::string(action);
    e.user = actor.name;
    return e;
  }
  // A rollout's status with the readings of its stage now.
  absl::StatusOr<RolloutStatus> ToRolloutStatus(
      const absl::StatusOr<v1::RolloutState>& state) {
    if (!state.ok()) return state.status();
    absl::StatusOr<internal_rollout::StageReadings> r =
        s_->controller->Readings(*state);
    if (!r.ok()) return r.status();
    RolloutStatus out = ToStatus(*state, &*r, s_->options.env.clock->Now());
    absl::StatusOr<internal_rollout::DriftCheckResult> drift =
        s_->controller->DriftReadings(*state);
    if (!drift.ok()) return drift.status();
    for (const internal_rollout::FeatureDrift& f : drift->features) {
      out.readings.drift.push_back(FeatureDriftReading{
          f.feature, f.verdict, f.note, f.statistic, f.sigma, f.threshold,
          f.chunk_rows, f.reference_rows, f.chunk_start_ms});
    }
    if (out.active) {
      // The state machine is pure: ask it what a tick would do now.
      internal_rollout::Tick t{r->verdicts};
      if (drift->drift()) {
        t.verdicts.drift = internal_rollout::DriftVerdict::kDrift;
        t.verdicts.drift_detail = drift->drift_detail;
      }
      out.outlook = internal_rollout::Step(*state, state->plan(), t,
                                           s_->options.env.clock->Now())
                        .why;
    }
    return out;
  }
  internal_tracking::Tracker& tracker() { return *s_->tracker; }
  internal_registry::Registry& registry() { return *s_->registry; }

  std::unique_ptr<Services> s_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view uri,
                                                   StoreOptions options) {
  options.env = options.env.WithDefaults();
  // A store file's directory is created like the file itself ("runs/" in
  // sw.open("runs/slipway.db")), through the Env file system.
  absl::StatusOr<internal_storage::StoreLocation> location =
      internal_storage::ParseStoreUri(uri);
  if (!location.ok()) return location.status();
  if (location->kind == internal_storage::StoreLocation::Kind::kSqliteFile) {
    const size_t slash = location->path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      if (absl::Status s = options.env.file_system->CreateDirs(
              location->path.substr(0, slash));
          !s.ok()) {
        return s;
      }
    }
  }
  if (absl::Status s = options.policy.Check(); !s.ok()) return s;
  internal_storage::BackendOptions backend_options;
  backend_options.full_sync =
      options.durability == StoreOptions::Durability::kEveryCall;
  backend_options.busy_deadline = options.busy_deadline;
  // The background writer checkpoints; strict mode has none, so SQLite does.
  backend_options.background_checkpoints =
      options.durability == StoreOptions::Durability::kBuffered;
  absl::StatusOr<internal_storage::StoreBackends> backends =
      internal_storage::OpenStoreBackends(uri, backend_options,
                                          options.env.clock);
  if (!backends.ok()) return backends.status();

  auto s = std::make_unique<Services>();
  s->options = options;
  const StoreOptions& o = s->options;  // stable address for the parts
  // Artifacts: the configured root, else beside the store file, else a
  // temporary directory for a :memory: store.
  std::string artifact_root = o.artifact_root;
  if (artifact_root.empty()) {
    if (backends->path == ":memory:") {
      absl::StatusOr<std::unique_ptr<TempDir>> temp = TempDir::Create();
      if (!temp.ok()) return temp.status();
      s->temp_artifacts = *std::move(temp);
      artifact_root = s->temp_artifacts->path();
    } else {
      const size_t slash = backends->path.find_last_of('/');
      artifact_root = slash == std::string::npos
                          ? std::string("artifacts")
                          : backends->path.substr(0, slash + 1) + "artifacts";
    }
  }
  absl::StatusOr<std::unique_ptr<internal_artifacts::ArtifactStore>> artifacts =
      internal_artifacts::ArtifactStore::Open(artifact_root);
  if (!artifacts.ok()) return artifacts.status();
  s->artifacts = *std::move(artifacts);

  s->audit_backend = std::move(backends->audit);
  s->registry_backend = std::move(backends->registry);
  s->auditor = std::make_unique<internal_audit::Auditor>(s->audit_backend.get(),
                                                         o.env);
  internal_audit::EmergencyStopOptions stop_options;
  stop_options.file_path = o.emergency_stop_file;
  stop_options.store_path = backends->path;
  stop_options.policy = &o.policy;
  stop_options.enforce_in_all_environments = o.emergency_stop_everywhere;
  stop_options.clear_hint =
      "store.ClearEmergencyStop() (Python: sw.emergency_stop.clear())";
  s->stop = std::make_unique<internal_audit::EmergencyStop>(
      s->audit_backend.get(), s->auditor.get(), o.env, stop_options);
  s->tracker = std::make_unique<internal_tracking::Tracker>(
      std::move(backends->tracking), o);
  internal_registry::RegistryDeps deps;
  deps.backend = s->registry_backend.get();
  deps.tracking = &s->tracker->backend();
  deps.artifacts = s->artifacts.get();
  deps.auditor = s->auditor.get();
  deps.stop = s->stop.get();
  deps.policy = &o.policy;
  deps.roles = &o.roles;
  deps.clock = o.env.clock;
  s->registry = std::make_unique<internal_registry::Registry>(std::move(deps));
  s->rollout_backend = std::move(backends->rollouts);
  if (s->options.policy.registry == nullptr) {
    s->names = std::make_unique<BackendNames>(s->rollout_backend.get());
    s->options.policy.registry = s->names.get();
  }
  internal_rollout::ControllerDeps cdeps;
  cdeps.rollouts = s->rollout_backend.get();
  cdeps.registry = s->registry_backend.get();
  cdeps.auditor = s->auditor.get();
  cdeps.stop = s->stop.get();
  cdeps.clock = o.env.clock;
  cdeps.ids = o.env.id_source;
  cdeps.policy = &o.policy;
  internal_rollout::ControllerOptions copts;
  copts.stop_everywhere = o.emergency_stop_everywhere;
  s->controller = std::make_unique<internal_rollout::Controller>(
      cdeps, std::move(copts));
  return std::unique_ptr<Store>(new StoreImpl(std::move(s)));
}

}  // namespace slipway
