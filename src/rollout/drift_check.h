// The controller's drift check (design 0004 "Drift from samples"; SPEC §3:
// "Data drift beyond 3 standard deviations -> the rollout halts").
//
// Serving replicas record sampled feature values of the version that served
// each request, per minute (Store::RecordFeatureSamples); the endpoint has a
// reference sample per feature (Store::SetDriftReference, e.g. the training
// data). For each feature with a reference, the check judges ONE chunk per
// check interval of the stage: the candidate's first `drift_chunk_rows`
// values (closed minutes in order, replicas in order) of the newest interval
// that has that many, by the reference-chunk rule of
// src/monitoring/drift.h (NannyML's: the chunk's statistic against the mean
// ± max_drift_sigma standard deviations of the reference chunks'
// statistics; each reference chunk compared with the rest of the
// reference). A chunk beyond the limit halts only when the next
// `drift_chunk_rows` values after it (in the interval or the minutes after
// it) are beyond the limit too: one chunk alone trips in ~1.3 % of checks of
// healthy data, two consecutive ones in ~0.04 % (docs/rollouts.md "Drift").
// Judging one chunk (pair) per interval bounds false alarms by the stage's
// length, not by its traffic. Intervals are counted from the later
// of the stage's entry and the last resume after drift, so a chunk a
// person already judged is not judged again.
//
// A chunk is a pure function of stored rows, so judging it again against
// the same reference gives the same verdict; the check remembers healthy
// verdicts per (rollout, stage, feature, reference, interval) so a Tick does
// not recompute them. (Rows a replica records for a minute after its
// interval was judged are not seen by a remembered verdict.)
//
// Thread-safety: thread-safe.
#ifndef SLIPWAY_SRC_ROLLOUT_DRIFT_CHECK_H_
#define SLIPWAY_SRC_ROLLOUT_DRIFT_CHECK_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/monitoring/drift.h"
#include "src/storage/rollout_backend.h"
#include "slipway/v1/rollout.pb.h"

namespace slipway::internal_rollout {

// One feature's reading.
struct FeatureDrift {
  std::string feature;
  // "NOT_ENOUGH_DATA", "HEALTHY" or "DRIFT".
  std::string verdict = "NOT_ENOUGH_DATA";
  // Why there is no verdict, e.g. "312 of 500 chunk rows in the current
  // interval" or "the reference holds 8,000 rows; 40 chunks of 500 need
  // 20,000".
  std::string note;
  double statistic = std::numeric_limits<double>::quiet_NaN();
  // Standard deviations above the reference chunks' mean (+inf when they
  // have no spread and the chunk is above it).
  double sigma = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();  // mean + kσ
  int64_t chunk_start_ms = 0;  // the interval the chunk belongs to
  int64_t chunk_rows = 0;
  int64_t reference_rows = 0;
};

struct DriftCheckResult {
  // By feature name.
  std::vector<FeatureDrift> features;
  // Set when a feature drifted: what to say (first drifting feature by
  // name, with its numbers).
  std::string drift_detail;
  // The first feature's error (DataLoss FEATURE_SAMPLES_CORRUPT for a
  // damaged row, or the store's error reading it): that feature has no
  // verdict and a "cannot judge: ..." note; the others are still judged,
  // so a damaged row never hides another feature's drift.
  absl::Status error;
  bool drift() const { return !drift_detail.empty(); }
};

class DriftCheck {
 public:
  explicit DriftCheck(internal_storage::RolloutBackend* rollouts)
      : rollouts_(rollouts) {}

  // Judges the candidate of `state` at `now` (in a stage, awaiting an
  // approval, or halted for drift: what the person deciding reads). An
  // ended rollout, one halted by the emergency stop, or an endpoint without
  // references gives no features. Errors: the store's
  // when the references cannot be listed; a feature's own error is
  // DriftCheckResult::error.
  absl::StatusOr<DriftCheckResult> Check(const v1::RolloutState& state,
                                         absl::Time now);

 private:
  // Judges one feature into `*out` (set up with its name and sizes);
  // appends nothing to `*drift_detail` unless it drifted and it is empty.
  absl::Status Judge(const v1::RolloutState& state,
                     const internal_storage::DriftReferenceRecord& ref,
                     const internal_monitoring::DriftOptions& options,
                     int64_t chunk_rows, int64_t interval_ms,
                     int64_t watch_from, int64_t newest, int64_t closed_to,
                     FeatureDrift* out, std::string* drift_detail);

  internal_storage::RolloutBackend* rollouts_;
  absl::Mutex mu_;
  // Healthy verdicts by "rollout/stage/feature/interval start/reference"
  // (cleared when it grows past a bound; a verdict recomputed is the same).
  absl::flat_hash_map<std::string, FeatureDrift> healthy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_DRIFT_CHECK_H_
