// RunImpl: the Run handle (slipway/store.h). Points go to a MetricBuffer
// under the run's mutex; params and tags go straight to the backend.
#ifndef SLIPWAY_SRC_TRACKING_RUN_IMPL_H_
#define SLIPWAY_SRC_TRACKING_RUN_IMPL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "slipway/store.h"
#include "src/env/millis_cache.h"
#include "src/storage/tracking_backend.h"
#include "src/tracking/metric_buffer.h"
#include "src/tracking/spin_lock.h"

namespace slipway::internal_tracking {

class Tracker;

class RunImpl final : public Run {
 public:
  // `clock` stamps points (the store's clock); `commit_every_call` is
  // StoreOptions::Durability::kEveryCall.
  RunImpl(Tracker* tracker, std::string id, const Clock* clock,
          bool commit_every_call)
      : tracker_(tracker),
        id_(std::move(id)),
        commit_every_call_(commit_every_call),
        clock_(clock) {}

  const std::string& id() const override { return id_; }
  absl::Status LogMetric(std::string_view key, double value, int64_t step,
                         std::optional<int64_t> timestamp_ms) override;
  absl::Status LogMetricColumns(std::string_view key,
                                std::span<const int64_t> steps,
                                std::span<const int64_t> timestamps_ms,
                                std::span<const double> values) override;
  absl::Status LogMetricValues(std::string_view key,
                               std::span<const double> values,
                               int64_t first_step,
                               std::optional<int64_t> timestamp_ms) override;
  absl::Status LogParam(std::string_view key, std::string_view value) override;
  absl::Status LogParams(
      const std::vector<std::pair<std::string, std::string>>& params) override;
  absl::Status SetTag(std::string_view key, std::string_view value) override;
  absl::Status SetTags(
      const std::vector<std::pair<std::string, std::string>>& tags) override;
  absl::Status Flush() override;
  absl::Status End(RunStatus status) override;

  // --- Entry points of the lean Python logging binding
  // (bindings/python/run_fastcall.cc), which caches slots per key object so
  // that a hot log_metric call neither converts nor hashes the key. ---

  // The buffer slot of `key`, validating the key on first use:
  // InvalidArgument (validate::MetricKey) for an invalid key. Slots are
  // stable for the run's life, so callers may cache them.
  absl::StatusOr<size_t> MetricSlot(std::string_view key);
  // LogMetric for a slot returned by MetricSlot (same errors, except that
  // the key is not checked again).
  absl::Status LogMetricAtSlot(size_t slot, double value, int64_t step,
                               std::optional<int64_t> timestamp_ms);

  // The common case of LogMetricAtSlot, inline so the binding's call is a
  // lock, a clock read and three stores: appends and returns true, or
  // appends nothing and returns false when the slow path must run (the run
  // ended, strict durability, a block to set aside, a large buffer).
  // `timestamp_ms` null means now.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool TryLogMetricAtSlot(
      size_t slot, double value, int64_t step, const int64_t* timestamp_ms) {
    if (ABSL_PREDICT_FALSE(commit_every_call_)) return false;
    SpinLockHolder lock(&mu_);
    if (ABSL_PREDICT_FALSE(ended_)) return false;
    const int64_t ts = ABSL_PREDICT_TRUE(timestamp_ms == nullptr)
                           ? clock_.Now()
                           : *timestamp_ms;
    return buffer_.TryAppend(slot, step, ts, value);
  }

  // Moves every buffered point, as chunks, to the end of `*out`.
  absl::Status DrainInto(std::vector<internal_storage::ChunkWrite>* out,
                         EncodeThreads threads);
  bool ended() const;

 private:
  // The buffer slot of `key`, validating the key on first use.
  absl::StatusOr<size_t> SlotFor(std::string_view key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<size_t> LookUpSlot(std::string_view key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckOpen() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // LogMetricColumns and LogMetricValues: an empty `steps` means
  // first_step, first_step + 1, ...; an empty `timestamps_ms` means
  // timestamp_ms for every point; otherwise one entry per value.
  absl::Status AppendMany(std::string_view key, std::span<const int64_t> steps,
                          std::span<const int64_t> timestamps_ms,
                          std::span<const double> values, int64_t first_step,
                          int64_t timestamp_ms);
  // After an append: commit now (kEveryCall) or wake the writer when the
  // buffer is large.
  absl::Status AfterAppend(size_t pending);

  Tracker* const tracker_;
  const std::string id_;
  const bool commit_every_call_;
  mutable SpinLock mu_;
  internal_env::MillisCache clock_ ABSL_GUARDED_BY(mu_);
  MetricBuffer buffer_ ABSL_GUARDED_BY(mu_);
  struct KeyCacheLine {
    const char* data = nullptr;
    size_t size = 0;
    size_t slot = 0;
  };
  static constexpr size_t kKeyCacheLines = 16;
  KeyCacheLine key_cache_[kKeyCacheLines] ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  RunStatus end_status_ ABSL_GUARDED_BY(mu_) = RunStatus::kRunning;
};

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_RUN_IMPL_H_
