// Experiment tracking: the value types of experiments, runs, params, tags
// and metrics.
//
// The Run handle and Store::StartRun (slipway/store.h) follow with the
// tracking module (docs/design/0002-tracking.md); only the value types are
// declared so far, and nothing is declared here that is not built.
//
// Thread-safety: plain value types.
#ifndef SLIPWAY_TRACKING_H_
#define SLIPWAY_TRACKING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slipway {

// The lifecycle of a run. A RUNNING run whose process died (no heartbeat for
// StoreOptions::stale_run_timeout) reads as KILLED.
enum class RunStatus { kRunning, kFinished, kFailed, kKilled };

// "RUNNING", "FINISHED", "FAILED", "KILLED" (MLflow's spelling).
constexpr const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning: return "RUNNING";
    case RunStatus::kFinished: return "FINISHED";
    case RunStatus::kFailed: return "FAILED";
    case RunStatus::kKilled: return "KILLED";
  }
  return "UNKNOWN";
}

// One experiment: a named group of runs.
struct ExperimentInfo {
  int64_t experiment_id = 0;
  std::string name;
  int64_t created_ms = 0;  // Unix milliseconds
  std::vector<std::pair<std::string, std::string>> tags;
};

// Where a run's code came from, captured automatically at StartRun when
// available (the script path, and the git commit of its checkout).
struct RunSource {
  std::string path;
  std::string git_commit;  // 40 hex characters, or empty
};

// The per-key summary kept beside the metric chunks, so that search and run
// listings never decode chunks. NaN and ±Inf are kept as such; min and max
// ignore NaN (NaN when every value is NaN).
struct MetricSummary {
  std::string key;
  int64_t count = 0;
  double last_value = 0;
  int64_t last_step = 0;
  int64_t last_timestamp_ms = 0;
  double min_value = 0;
  double max_value = 0;
};

// One run, as read back from the store.
struct RunInfo {
  std::string run_id;  // 32 lowercase hex characters
  std::string name;
  int64_t experiment_id = 0;
  RunStatus status = RunStatus::kRunning;
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;  // set once the run has ended
  std::string parent_run_id;      // empty for a top-level run
  std::string user;
  RunSource source;
  std::vector<std::pair<std::string, std::string>> params;  // sorted by key
  std::vector<std::pair<std::string, std::string>> tags;    // sorted by key
  std::vector<MetricSummary> metrics;                       // sorted by key
};

// A metric's points as columns, in logging order.
struct MetricHistory {
  std::vector<int64_t> steps;
  std::vector<int64_t> timestamps_ms;
  std::vector<double> values;
};

}  // namespace slipway

#endif  // SLIPWAY_TRACKING_H_
