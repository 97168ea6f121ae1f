// SettledWindows: running totals of a stage's outcome windows that can no
// longer change, so a controller tick reads only the recent minutes
// instead of every window since the stage began (design 0004, "Reading
// windows"). Without it a tick's cost grows with the stage's age: a 7-day
// A/B stage is 10,080 minutes × 2 versions of 1,730-bucket histograms to
// decode and merge on every tick.
//
// A minute is settled once it is more than kSettleAfter old at the time a
// tick reads it: its windows are merged into the totals, its error-rate
// verdict appended, and it is not read again by this controller. A Router
// rewrites a window for at most 60 minutes (late labels), so settled
// minutes are final for every Router-fed store; outcomes a batch job
// records for a minute more than kSettleAfter old, after a tick already
// settled it, are not counted by that controller (a new process reads them).
//
// Entries are per rollout and belong to one stage entry (rollout id, stage
// index, stage entry time): a new stage starts from nothing.
//
// Thread-safety: thread-safe.
#ifndef SLIPWAY_SRC_ROLLOUT_SETTLED_WINDOWS_H_
#define SLIPWAY_SRC_ROLLOUT_SETTLED_WINDOWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/monitoring/guardrail_math.h"
#include "src/monitoring/outcome_window.h"

namespace slipway::internal_rollout {

inline constexpr absl::Duration kSettleAfter = absl::Hours(2);

// One version's settled minutes of a stage: [stage start, settled_to_ms).
struct SettledVersion {
  int64_t settled_to_ms = 0;
  internal_monitoring::OutcomeWindow total;
  // One error-rate verdict per settled minute, oldest first.
  std::vector<internal_monitoring::Verdict> verdicts;
};

struct SettledStage {
  std::string stage_key;  // rollout id / stage index / stage entry ms
  SettledVersion candidate;
  SettledVersion stable;
};

class SettledWindows {
 public:
  // The entry of `rollout_id` if it belongs to `stage_key`, else a fresh
  // one whose versions start at `stage_start_ms`.
  SettledStage Get(const std::string& rollout_id, const std::string& stage_key,
                   int64_t stage_start_ms) const;
  void Put(const std::string& rollout_id, SettledStage stage);
  void Erase(const std::string& rollout_id);

 private:
  // More active rollouts than this in one process is not expected; past
  // it the cache starts over (correct, just slower for a tick).
  static constexpr size_t kMaxEntries = 4096;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, SettledStage> by_rollout_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_SETTLED_WINDOWS_H_
