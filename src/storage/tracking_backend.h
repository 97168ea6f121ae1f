// TrackingBackend: the tracking module's view of a store, as whole logical
// operations on plain records. Each call is one transaction (one logical
// operation per transaction, STYLE.md); no SQL or SQLite type crosses this
// interface, so a PostgreSQL backend can implement it without touching
// src/tracking.
//
// Values are validated by the caller (src/tracking) before they get here;
// the backend enforces only what needs the stored state (write-once params,
// unique names, existing references).
//
// Thread-safety: implementations are thread-safe.
#ifndef SLIPWAY_SRC_STORAGE_TRACKING_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_TRACKING_BACKEND_H_

#include <cstdint>
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
#include "slipway/tracking.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"

namespace slipway::internal_storage {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// A run to create. `run_id` is chosen by the caller (IdSource).
struct NewRun {
  std::string run_id;
  int64_t experiment_id = 0;
  std::string name;
  int64_t start_ms = 0;
  std::string parent_run_id;  // empty: top-level
  std::string user;
  RunSource source;
  KeyValues params;  // written with the run, write-once from then on
  KeyValues tags;
};

// One encoded metric chunk to store, with the summary of its points
// (src/codec ChunkSummary, flattened so this header needs no codec types).
struct ChunkWrite {
  std::string run_id;
  std::string key;
  uint32_t count = 0;
  int64_t first_step = 0;
  int64_t last_step = 0;
  int64_t min_step = 0;
  int64_t max_step = 0;
  int64_t last_timestamp_ms = 0;
  double last_value = 0;
  double min_value = 0;  // NaN when every value is NaN
  double max_value = 0;
  std::string data;  // the encoded chunk
};

// A stored chunk, in logging order (seq ascending) for its (run, key).
struct StoredChunk {
  int64_t seq = 0;
  uint32_t count = 0;
  int64_t min_step = 0;
  int64_t max_step = 0;
  std::string data;
};

// One page of SearchRuns.
struct RunPage {
  std::vector<RunInfo> runs;
  // Set when more runs match: the offset of the next page.
  std::optional<uint64_t> next_offset;
};

class TrackingBackend {
 public:
  virtual ~TrackingBackend() = default;

  // --- Experiments -------------------------------------------------------
  // Creates an experiment. AlreadyExists (EXPERIMENT_EXISTS) if the name is
  // taken.
  virtual absl::StatusOr<ExperimentInfo> CreateExperiment(
      std::string_view name, int64_t created_ms, const KeyValues& tags) = 0;
  // Returns the experiment named `name`, creating it when missing (two
  // processes racing both get the same experiment).
  virtual absl::StatusOr<ExperimentInfo> GetOrCreateExperiment(
      std::string_view name, int64_t created_ms) = 0;
  // NotFound (EXPERIMENT_NOT_FOUND) when missing.
  virtual absl::StatusOr<ExperimentInfo> GetExperiment(std::string_view name) = 0;
  virtual absl::StatusOr<ExperimentInfo> GetExperimentById(int64_t id) = 0;
  // All experiments, by name.
  virtual absl::StatusOr<std::vector<ExperimentInfo>> ListExperiments() = 0;
  // Sets (inserts or replaces) experiment tags.
  virtual absl::Status SetExperimentTags(int64_t experiment_id,
                                         const KeyValues& tags) = 0;

  // --- Runs --------------------------------------------------------------
  // Creates a RUNNING run with heartbeat = start_ms. AlreadyExists
  // (RUN_EXISTS) for a duplicate id; NotFound (EXPERIMENT_NOT_FOUND,
  // RUN_NOT_FOUND for the parent) for missing references.
  virtual absl::Status CreateRun(const NewRun& run) = 0;
  // Ends a run: sets status (not RUNNING) and end_ms. Ending a run that
  // has already ended is FailedPrecondition (RUN_ENDED) unless it ended
  // with the same status (then OK: End is idempotent), or unless
  // `by_owner` and the stored status is KILLED: the stale-run sweep
  // presumed the owner dead (a laptop asleep past stale_run_timeout), and
  // the owner ending its run proves otherwise, so its status wins.
  virtual absl::Status EndRun(std::string_view run_id, RunStatus status,
                              int64_t end_ms, bool by_owner = false) = 0;
  // Records that these runs' process is alive.
  virtual absl::Status Heartbeat(std::span<const std::string> run_ids,
                                 int64_t now_ms) = 0;
  // Marks RUNNING runs whose heartbeat is older than `stale_before_ms` as
  // KILLED (end_ms = their last heartbeat). Returns how many.
  virtual absl::StatusOr<int64_t> MarkStaleRunsKilled(int64_t stale_before_ms) = 0;
  // The run with its params and tags. NotFound (RUN_NOT_FOUND).
  virtual absl::StatusOr<RunInfo> GetRun(std::string_view run_id) = 0;

  // --- Params and tags ---------------------------------------------------
  // Writes params; write-once: the same value again is OK, a different value
  // is InvalidArgument (PARAM_CHANGED) naming the key, the stored and the
  // new value, and nothing of the batch is written.
  virtual absl::Status LogParams(std::string_view run_id,
                                 const KeyValues& params) = 0;
  // Inserts or replaces tags.
  virtual absl::Status SetTags(std::string_view run_id, const KeyValues& tags) = 0;

  // --- Metrics -----------------------------------------------------------
  // Stores every chunk of the batch and folds each into its (run, key)
  // summary, all in ONE transaction (the group commit of design 0002).
  // Chunks of one (run, key) keep their order in the batch; seq numbers are
  // assigned by the backend (max + 1). All or nothing.
  virtual absl::Status WriteChunks(std::span<const ChunkWrite> chunks) = 0;

  // Housekeeping off the logging path (BackendOptions::
  // background_checkpoints): folds the write-ahead log into the store when
  // it has grown. Cheap when there is nothing to do.
  virtual absl::Status Checkpoint() { return absl::OkStatus(); }
  // The chunks of (run, key) that may hold steps in [min_step, max_step]
  // (by their min/max step), in seq order.
  virtual absl::StatusOr<std::vector<StoredChunk>> ReadChunks(
      std::string_view run_id, std::string_view key, int64_t min_step,
      int64_t max_step) = 0;
  // The summaries of every metric of a run, by key.
  virtual absl::StatusOr<std::vector<MetricSummary>> GetMetricSummaries(
      std::string_view run_id) = 0;

  // --- Search ------------------------------------------------------------
  // Runs of the given experiments (all experiments when empty) matching
  // `filter`, ordered by `order_by` then by start time descending and run id
  // (a total order, so pages never overlap), `max_results` from `offset`.
  // Every value of the filter is bound as a parameter.
  virtual absl::StatusOr<RunPage> SearchRuns(
      std::span<const int64_t> experiment_ids,
      const internal_query::Filter& filter,
      std::span<const internal_query::OrderBy> order_by, size_t max_results,
      uint64_t offset) = 0;
};

// Options of OpenTrackingBackend.
struct BackendOptions {
  // Commit with synchronous=FULL (strict durability) instead of NORMAL.
  bool full_sync = false;
  // How long a write waits for other writers before Unavailable STORE_BUSY.
  absl::Duration busy_deadline = absl::Seconds(30);
  // The owner calls Checkpoint() from a background thread; commits do not
  // checkpoint (DatabaseOptions::background_checkpoints).
  bool background_checkpoints = false;
};

// Opens the backend named by `uri`: a file path, "sqlite:///abs/path" or
// "sqlite://rel/path", or ":memory:". Creates the file and applies
// migrations. InvalidArgument (STORE_URI_INVALID) for an unknown scheme
// (postgresql:// arrives later: Unimplemented with a clear message).
//
// The file's directory must exist: a missing one is NotFound
// FILE_NOT_FOUND, and is not created (a typo in a path should not silently
// make a new tree of directories with an empty store in it).
// Other errors: those of opening an SQLite store (docs/storage.md).
absl::StatusOr<std::unique_ptr<TrackingBackend>> OpenTrackingBackend(
    std::string_view uri, const BackendOptions& options, Clock* clock);

// Added beside OpenTrackingBackend so URI parsing is testable on its own
// (and reusable by tools that only want to name the file):
//
// Where a store URI points. `path` is the SQLite file path, or ":memory:".
struct StoreLocation {
  enum class Kind { kSqliteFile, kSqliteMemory };
  Kind kind = Kind::kSqliteFile;
  std::string path;

  friend bool operator==(const StoreLocation&, const StoreLocation&) = default;
};

// Parses a store URI:
//   ":memory:", "sqlite://:memory:"      a private in-memory store
//   "sqlite:///abs/path"                 the file /abs/path
//   "sqlite://rel/path"                  the file rel/path (relative to the
//                                        working directory)
//   any text without "://"               a file path, taken as is
// Errors: InvalidArgument STORE_URI_INVALID for an empty URI, a sqlite://
// URI without a path, or an unknown scheme; Unimplemented
// STORE_BACKEND_UNAVAILABLE for postgresql:// and postgres://.
absl::StatusOr<StoreLocation> ParseStoreUri(std::string_view uri);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_TRACKING_BACKEND_H_
