// SqliteTrackingBackend: TrackingBackend (src/storage/tracking_backend.h) on
// one SQLite store (Database), schema migration 1 (schema.cc).
//
// Every method is one Database transaction (RunInTransaction for writes,
// RunReadTransaction for reads). Bodies keep all their state local, so the
// retry after a busy statement (which re-runs the body) is safe.
//
// Behaviour beyond the interface's comments:
//   - Ended runs still accept params, tags and chunks: a writer's last
//     flush may land after EndRun, and those points must not be lost. (MLflow
//     refuses writes only to deleted runs; nothing deletes runs yet.)
//   - Heartbeat ignores ids of runs that are missing or no longer RUNNING
//     (a late heartbeat of an ended run is harmless, and must not revive
//     it); it never moves a heartbeat backwards.
//   - ReadChunks and GetMetricSummaries of a missing run are NotFound
//     RUN_NOT_FOUND; of an existing run without that key, empty.
//   - SearchRuns compares the stored status: the tracking layer calls
//     MarkStaleRunsKilled first, so stale runs read as KILLED.
//
// Thread-safety: thread-safe (the Database serialises transactions).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_TRACKING_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_TRACKING_BACKEND_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "slipway/tracking.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/tracking_backend.h"

namespace slipway::internal_storage {

class SqliteTrackingBackend final : public TrackingBackend {
 public:
  // Opens (creating) the store at `path_or_memory` (a file path or
  // Database::kMemory) and applies the migrations. Errors: those of
  // Database::Open and ApplyMigrations (NotFound FILE_NOT_FOUND for a
  // missing directory, FailedPrecondition STORE_TOO_NEW, ...).
  static absl::StatusOr<std::unique_ptr<SqliteTrackingBackend>> Open(
      const std::string& path_or_memory, const DatabaseOptions& options,
      Clock* clock);

  SqliteTrackingBackend(const SqliteTrackingBackend&) = delete;
  SqliteTrackingBackend& operator=(const SqliteTrackingBackend&) = delete;

  absl::StatusOr<ExperimentInfo> CreateExperiment(
      std::string_view name, int64_t created_ms,
      const KeyValues& tags) override;
  absl::StatusOr<ExperimentInfo> GetOrCreateExperiment(
      std::string_view name, int64_t created_ms) override;
  absl::StatusOr<ExperimentInfo> GetExperiment(std::string_view name) override;
  absl::StatusOr<ExperimentInfo> GetExperimentById(int64_t id) override;
  absl::StatusOr<std::vector<ExperimentInfo>> ListExperiments() override;
  absl::Status SetExperimentTags(int64_t experiment_id,
                                 const KeyValues& tags) override;

  absl::Status CreateRun(const NewRun& run) override;
  absl::Status EndRun(std::string_view run_id, RunStatus status,
                      int64_t end_ms, bool by_owner = false) override;
  absl::Status Heartbeat(std::span<const std::string> run_ids,
                         int64_t now_ms) override;
  absl::StatusOr<int64_t> MarkStaleRunsKilled(int64_t stale_before_ms) override;
  absl::StatusOr<RunInfo> GetRun(std::string_view run_id) override;

  absl::Status LogParams(std::string_view run_id,
                         const KeyValues& params) override;
  absl::Status SetTags(std::string_view run_id, const KeyValues& tags) override;

  absl::Status WriteChunks(std::span<const ChunkWrite> chunks) override;
  absl::StatusOr<std::vector<StoredChunk>> ReadChunks(
      std::string_view run_id, std::string_view key, int64_t min_step,
      int64_t max_step) override;
  absl::StatusOr<std::vector<MetricSummary>> GetMetricSummaries(
      std::string_view run_id) override;

  absl::StatusOr<RunPage> SearchRuns(
      std::span<const int64_t> experiment_ids,
      const internal_query::Filter& filter,
      std::span<const internal_query::OrderBy> order_by, size_t max_results,
      uint64_t offset) override;

  // The underlying store (tests and benchmarks: diagnostics, raw checks).
  absl::Status Checkpoint() override;

  Database& database() { return *db_; }

 private:
  explicit SqliteTrackingBackend(std::unique_ptr<Database> db);

  std::unique_ptr<Database> db_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_TRACKING_BACKEND_H_
