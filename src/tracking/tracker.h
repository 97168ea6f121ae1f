// Tracker: the tracking service behind slipway::Store — runs, the
// background writer (group commit), heartbeats, stale runs, reads and
// search (design 0002). Stores no SQL: everything persistent goes through
// internal_storage::TrackingBackend.
//
// Thread-safety: thread-safe. Lock order: Tracker::mu_ before a run's mutex;
// no lock is held while the backend runs a transaction, except write_mu_,
// which only serialises writers.
#ifndef SLIPWAY_SRC_TRACKING_TRACKER_H_
#define SLIPWAY_SRC_TRACKING_TRACKER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "slipway/store.h"
#include "src/storage/tracking_backend.h"
#include "src/tracking/metric_buffer.h"

namespace slipway::internal_tracking {

class RunImpl;

class Tracker {
 public:
  // `options.env` must have every member set
  // (StoreOptions::env.WithDefaults()).
  Tracker(std::unique_ptr<internal_storage::TrackingBackend> backend,
          StoreOptions options);
  // Stops the writer, writes every buffered point, ends runs that were
  // never ended as KILLED (their program did not say they finished).
  ~Tracker();

  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  absl::StatusOr<ExperimentInfo> CreateExperiment(
      std::string_view name,
      const std::vector<std::pair<std::string, std::string>>& tags);
  absl::StatusOr<ExperimentInfo> GetExperiment(std::string_view name);
  absl::StatusOr<std::vector<ExperimentInfo>> ListExperiments();

  absl::StatusOr<std::shared_ptr<Run>> StartRun(const StartRunOptions& options);
  absl::StatusOr<RunInfo> GetRun(std::string_view run_id);
  absl::StatusOr<MetricHistory> GetMetricHistory(std::string_view run_id,
                                                 std::string_view key,
                                                 const HistoryOptions& options);
  absl::StatusOr<std::vector<MetricSummary>> GetMetricSummaries(
      std::string_view run_id);
  absl::StatusOr<SearchRunsResult> SearchRuns(const SearchRunsRequest& request);

  // Writes every point buffered before the call; returns the first write
  // error since the last Flush (and clears it).
  absl::Status Flush();

  // --- For RunImpl ---
  internal_storage::TrackingBackend& backend() { return *backend_; }
  const StoreOptions& options() const { return options_; }
  int64_t NowMs() const;
  // Called by a run after it ended: it no longer heartbeats.
  void Forget(const RunImpl* run);
  // Wakes the writer early (a run's buffer grew large).
  void Nudge();

 private:
  void WriterLoop();
  // Drains every live run and writes the chunks (plus any left over from a
  // failed attempt) in one transaction; heartbeats when due.
  // `threads`: kCaller on the writer thread (it must not take a core from
  // the loggers), kAll for a flush someone waits for.
  absl::Status WriteAll(EncodeThreads threads)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status HeartbeatAndSweep() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // HeartbeatAndSweep now, unless a read did so less than a second ago.
  absl::Status SweepBeforeRead();
  std::vector<std::shared_ptr<RunImpl>> LiveRuns();

  std::unique_ptr<internal_storage::TrackingBackend> backend_;
  const StoreOptions options_;

  absl::Mutex mu_;
  std::vector<std::shared_ptr<RunImpl>> live_ ABSL_GUARDED_BY(mu_);
  uint64_t requested_ ABSL_GUARDED_BY(mu_) = 0;  // flush generations asked for
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;  // ... and written
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  bool nudged_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Serialises WriteAll between the writer thread and synchronous flushes.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<internal_storage::ChunkWrite> unwritten_
      ABSL_GUARDED_BY(write_mu_);
  int64_t last_heartbeat_ms_ ABSL_GUARDED_BY(write_mu_) = 0;
  int64_t last_read_sweep_ms_ ABSL_GUARDED_BY(write_mu_) = 0;

  // The writer thread (buffered durability only). A pointer so that a
  // forked child, which has no such thread, can abandon it (see ~Tracker).
  std::unique_ptr<std::thread> writer_;
  // The process that created the tracker; in a fork() child the tracker
  // does nothing on destruction (the parent writes its own points).
  const int owner_pid_;
};

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_TRACKER_H_
