// Store::Open and the Store facade: today it delegates to the tracking
// service; the registry and rollouts join it as they land. No logic lives
// here beyond wiring (and creating a store file's directory).
#include "slipway/store.h"

#include <memory>
#include <utility>

#include "src/storage/tracking_backend.h"
#include "src/tracking/tracker.h"

namespace slipway {
namespace {

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(std::unique_ptr<internal_tracking::Tracker> tracker)
      : tracker_(std::move(tracker)) {}

  absl::StatusOr<ExperimentInfo> CreateExperiment(
      std::string_view name,
      const std::vector<std::pair<std::string, std::string>>& tags) override {
    return tracker_->CreateExperiment(name, tags);
  }
  absl::StatusOr<ExperimentInfo> GetExperiment(std::string_view name) override {
    return tracker_->GetExperiment(name);
  }
  absl::StatusOr<std::vector<ExperimentInfo>> ListExperiments() override {
    return tracker_->ListExperiments();
  }
  absl::StatusOr<std::shared_ptr<Run>> StartRun(
      const StartRunOptions& options) override {
    return tracker_->StartRun(options);
  }
  absl::StatusOr<RunInfo> GetRun(std::string_view run_id) override {
    return tracker_->GetRun(run_id);
  }
  absl::StatusOr<MetricHistory> GetMetricHistory(
      std::string_view run_id, std::string_view key,
      const HistoryOptions& options) override {
    return tracker_->GetMetricHistory(run_id, key, options);
  }
  absl::StatusOr<std::vector<MetricSummary>> GetMetricSummaries(
      std::string_view run_id) override {
    return tracker_->GetMetricSummaries(run_id);
  }
  absl::StatusOr<SearchRunsResult> SearchRuns(
      const SearchRunsRequest& request) override {
    return tracker_->SearchRuns(request);
  }
  absl::Status Flush() override { return tracker_->Flush(); }

 private:
  std::unique_ptr<internal_tracking::Tracker> tracker_;
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
  internal_storage::BackendOptions backend_options;
  backend_options.full_sync =
      options.durability == StoreOptions::Durability::kEveryCall;
  backend_options.busy_deadline = options.busy_deadline;
  // The background writer checkpoints; strict mode has none, so SQLite does.
  backend_options.background_checkpoints =
      options.durability == StoreOptions::Durability::kBuffered;
  absl::StatusOr<std::unique_ptr<internal_storage::TrackingBackend>> backend =
      internal_storage::OpenTrackingBackend(uri, backend_options,
                                            options.env.clock);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<Store>(new StoreImpl(
      std::make_unique<internal_tracking::Tracker>(*std::move(backend),
                                                   std::move(options))));
}

}  // namespace slipway
