#include "src/rollout/settled_windows.h"

#include <utility>

namespace slipway::internal_rollout {

SettledStage SettledWindows::Get(const std::string& rollout_id,
                                 const std::string& stage_key,
                                 int64_t stage_start_ms) const {
  {
    absl::MutexLock lock(&mu_);
    auto it = by_rollout_.find(rollout_id);
    if (it != by_rollout_.end() && it->second.stage_key == stage_key) {
      return it->second;
    }
  }
  SettledStage fresh;
  fresh.stage_key = stage_key;
  fresh.candidate.settled_to_ms = stage_start_ms;
  fresh.stable.settled_to_ms = stage_start_ms;
  return fresh;
}

void SettledWindows::Put(const std::string& rollout_id, SettledStage stage) {
  absl::MutexLock lock(&mu_);
  if (by_rollout_.size() >= kMaxEntries && !by_rollout_.contains(rollout_id)) {
    by_rollout_.clear();
  }
  by_rollout_[rollout_id] = std::move(stage);
}

void SettledWindows::Erase(const std::string& rollout_id) {
  absl::MutexLock lock(&mu_);
  by_rollout_.erase(rollout_id);
}

}  // namespace slipway::internal_rollout
