// Store::Open and the Store facade: it wires the services (tracking,
// registry, artifacts, audit log, emergency stop) over one connection and
// delegates to them. No rules live here beyond wiring (creating a store
// file's directory, choosing default locations).
#include "slipway/store.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "slipway/status.h"
#include "slipway/time.h"
#include "src/artifacts/artifact_store.h"
#include "src/audit/auditor.h"
#include "src/audit/emergency_stop.h"
#include "src/errors/strings.h"
#include "src/registry/registry.h"
#include "src/storage/store_backends.h"
#include "src/tracking/tracker.h"

namespace slipway {
namespace {

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
};

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(std::unique_ptr<Services> s) : s_(std::move(s)) {}

  ~StoreImpl() override {
    // The registry side first, then the tracker (ends and flushes runs).
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

 private:
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
  return std::unique_ptr<Store>(new StoreImpl(std::move(s)));
}

}  // namespace slipway
