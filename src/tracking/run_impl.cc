#include "src/tracking/run_impl.h"

#include <utility>

#include "slipway/status.h"
#include "slipway/validate.h"
#include "src/errors/strings.h"
#include "src/tracking/tracker.h"

namespace slipway::internal_tracking {
namespace {

using internal_strings::Cat;

// Points buffered in one run before the writer is woken early, so a fast
// logger's memory stays bounded between flush intervals (~24 bytes/point).
constexpr size_t kNudgePoints = MetricBuffer::kMaxPendingFast;

// LogMetricColumns encodes at least this many points itself, in parallel,
// instead of copying them into the buffer for the writer.
constexpr size_t kEncodeDirectlyPoints = 4 * internal_codec::kMaxPointsPerChunk;

}  // namespace

absl::Status RunImpl::CheckOpen() const {
  if (!ended_) return absl::OkStatus();
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("run ", id_, " has ended (", RunStatusName(end_status_),
          "); nothing more can be logged to it"),
      ErrorDetail{"RUN_ENDED", "a run takes no logging after End()", id_,
                  "start a new run, e.g. store.StartRun(...)"});
}

absl::StatusOr<size_t> RunImpl::SlotFor(std::string_view key) {
  // A direct-mapped cache by the key's address: a training loop passes the
  // same literals every step, and comparing a few bytes is cheaper than
  // hashing. The content is compared too, so a reused address is safe.
  const size_t line =
      (reinterpret_cast<uintptr_t>(key.data()) >> 3) % kKeyCacheLines;
  KeyCacheLine& c = key_cache_[line];
  if (c.data != nullptr && c.data == key.data() && c.size == key.size() &&
      buffer_.key(c.slot) == key) {
    return c.slot;
  }
  absl::StatusOr<size_t> slot = LookUpSlot(key);
  if (slot.ok()) c = KeyCacheLine{key.data(), key.size(), *slot};
  return slot;
}

absl::StatusOr<size_t> RunImpl::LookUpSlot(std::string_view key) {
  // The hot path of a known key is one hash lookup; a key is validated
  // once, when it first appears.
  if (std::optional<size_t> slot = buffer_.Find(key)) return *slot;
  if (absl::Status s = validate::MetricKey(key); !s.ok()) return s;
  return buffer_.Slot(key);
}

absl::Status RunImpl::LogMetric(std::string_view key, double value,
                                int64_t step,
                                std::optional<int64_t> timestamp_ms) {
  size_t pending;
  {
    SpinLockHolder lock(&mu_);
    if (absl::Status s = CheckOpen(); !s.ok()) return s;
    absl::StatusOr<size_t> slot = SlotFor(key);
    if (!slot.ok()) return slot.status();
    const int64_t ts = timestamp_ms ? *timestamp_ms : clock_.Now();
    if (absl::Status s = buffer_.Append(*slot, step, ts, value); !s.ok()) {
      return s;
    }
    pending = buffer_.pending_points();
  }
  return AfterAppend(pending);
}

absl::StatusOr<size_t> RunImpl::MetricSlot(std::string_view key) {
  SpinLockHolder lock(&mu_);
  return SlotFor(key);
}

absl::Status RunImpl::LogMetricAtSlot(size_t slot, double value, int64_t step,
                                      std::optional<int64_t> timestamp_ms) {
  size_t pending;
  {
    SpinLockHolder lock(&mu_);
    if (absl::Status s = CheckOpen(); !s.ok()) return s;
    const int64_t ts = timestamp_ms ? *timestamp_ms : clock_.Now();
    if (absl::Status s = buffer_.Append(slot, step, ts, value); !s.ok()) {
      return s;
    }
    pending = buffer_.pending_points();
  }
  return AfterAppend(pending);
}

absl::Status RunImpl::LogMetricColumns(std::string_view key,
                                       std::span<const int64_t> steps,
                                       std::span<const int64_t> timestamps_ms,
                                       std::span<const double> values) {
  if (steps.size() != values.size() || timestamps_ms.size() != values.size()) {
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        Cat("metric columns differ in length: ", steps.size(), " steps, ",
            timestamps_ms.size(), " timestamps, ", values.size(), " values"),
        ErrorDetail{"METRIC_COLUMNS_MISMATCH",
                    "steps, timestamps and values have one entry per point",
                    "", "pass arrays of equal length"});
  }
  return AppendMany(key, steps, timestamps_ms, values, 0, 0);
}

absl::Status RunImpl::LogMetricValues(std::string_view key,
                                      std::span<const double> values,
                                      int64_t first_step,
                                      std::optional<int64_t> timestamp_ms) {
  const int64_t ts = timestamp_ms ? *timestamp_ms : tracker_->NowMs();
  return AppendMany(key, {}, {}, values, first_step, ts);
}

absl::Status RunImpl::AppendMany(std::string_view key,
                                 std::span<const int64_t> steps,
                                 std::span<const int64_t> timestamps_ms,
                                 std::span<const double> values,
                                 int64_t first_step, int64_t timestamp_ms) {
  const size_t n = values.size();
  if (n < kEncodeDirectlyPoints) {
    // Few points: into the buffer like single points.
    std::vector<int64_t> default_steps, default_times;
    if (steps.empty()) {
      default_steps.resize(n);
      for (size_t i = 0; i < n; ++i) {
        default_steps[i] = first_step + static_cast<int64_t>(i);
      }
      steps = default_steps;
    }
    if (timestamps_ms.empty()) {
      default_times.assign(n, timestamp_ms);
      timestamps_ms = default_times;
    }
    size_t pending;
    {
      SpinLockHolder lock(&mu_);
      if (absl::Status s = CheckOpen(); !s.ok()) return s;
      absl::StatusOr<size_t> slot = SlotFor(key);
      if (!slot.ok()) return slot.status();
      if (absl::Status s =
              buffer_.AppendColumns(*slot, steps, timestamps_ms, values);
          !s.ok()) {
        return s;
      }
      pending = buffer_.pending_points();
    }
    return AfterAppend(pending);
  }
  // Many points: encoded here, on every core, straight from the caller's
  // arrays (no copy into the buffer), then queued whole.
  {
    SpinLockHolder lock(&mu_);
    if (absl::Status s = CheckOpen(); !s.ok()) return s;
    if (absl::Status s = SlotFor(key).status(); !s.ok()) return s;
  }
  std::vector<SealedChunk> chunks;
  if (absl::Status s = EncodeColumns(key, steps, timestamps_ms, values,
                                     first_step, timestamp_ms, &chunks);
      !s.ok()) {
    return s;
  }
  size_t pending;
  {
    SpinLockHolder lock(&mu_);
    // The run may have ended while the points were being encoded.
    if (absl::Status s = CheckOpen(); !s.ok()) return s;
    absl::StatusOr<size_t> slot = SlotFor(key);
    if (!slot.ok()) return slot.status();
    buffer_.AppendEncoded(*slot, std::move(chunks));
    pending = buffer_.pending_points();
  }
  return AfterAppend(pending);
}

absl::Status RunImpl::AfterAppend(size_t pending) {
  if (commit_every_call_) return tracker_->Flush();
  if (pending >= kNudgePoints) tracker_->Nudge();
  return absl::OkStatus();
}

absl::Status RunImpl::LogParam(std::string_view key, std::string_view value) {
  return LogParams({{std::string(key), std::string(value)}});
}

absl::Status RunImpl::LogParams(
    const std::vector<std::pair<std::string, std::string>>& params) {
  if (absl::Status s = validate::Params(params); !s.ok()) {
    return s;
  }
  {
    SpinLockHolder lock(&mu_);
    if (absl::Status s = CheckOpen(); !s.ok()) return s;
  }
  return tracker_->backend().LogParams(id_, params);
}

absl::Status RunImpl::SetTag(std::string_view key, std::string_view value) {
  return SetTags({{std::string(key), std::string(value)}});
}

absl::Status RunImpl::SetTags(
    const std::vector<std::pair<std::string, std::string>>& tags) {
  if (absl::Status s = validate::Tags(tags); !s.ok()) {
    return s;
  }
  {
    SpinLockHolder lock(&mu_);
    if (absl::Status s = CheckOpen(); !s.ok()) return s;
  }
  return tracker_->backend().SetTags(id_, tags);
}

absl::Status RunImpl::Flush() { return tracker_->Flush(); }

absl::Status RunImpl::End(RunStatus status) {
  if (status == RunStatus::kRunning) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     "End() needs a final status, not RUNNING",
                     ErrorDetail{"RUN_STATUS_INVALID",
                                 "a run ends FINISHED, FAILED or KILLED",
                                 "RUNNING", "e.g. End(RunStatus::kFinished)"});
  }
  {
    SpinLockHolder lock(&mu_);
    if (ended_) {
      if (end_status_ == status) return absl::OkStatus();
      return CheckOpen();
    }
  }
  // Points logged before End are written before the run is marked ended.
  if (absl::Status s = tracker_->Flush(); !s.ok()) return s;
  if (absl::Status s =
          tracker_->backend().EndRun(id_, status, tracker_->NowMs(),
                                      /*by_owner=*/true);
      !s.ok()) {
    return s;
  }
  {
    SpinLockHolder lock(&mu_);
    ended_ = true;
    end_status_ = status;
  }
  tracker_->Forget(this);
  return absl::OkStatus();
}

absl::Status RunImpl::DrainInto(
    std::vector<internal_storage::ChunkWrite>* out, EncodeThreads threads) {
  std::vector<PendingColumns> pending;
  {
    // O(keys) under the lock: the loggers wait only for a few moves.
    SpinLockHolder lock(&mu_);
    if (buffer_.pending_points() == 0) return absl::OkStatus();
    buffer_.TakePending(&pending);
  }
  std::vector<SealedChunk> sealed;
  if (absl::Status s = EncodePending(pending, &sealed, threads); !s.ok()) {
    return s;
  }
  MetricBuffer::PrepareForRecycling(pending);  // O(points): not under mu_
  {
    SpinLockHolder lock(&mu_);
    buffer_.Recycle(pending);
  }
  for (SealedChunk& c : sealed) {
    internal_storage::ChunkWrite w;
    w.run_id = id_;
    w.key = std::move(c.key);
    w.count = c.summary.count;
    w.first_step = c.summary.first_step;
    w.last_step = c.summary.last_step;
    w.min_step = c.summary.min_step;
    w.max_step = c.summary.max_step;
    w.last_timestamp_ms = c.summary.last_timestamp_ms;
    w.last_value = c.summary.last_value;
    w.min_value = c.summary.min_value;
    w.max_value = c.summary.max_value;
    w.data = std::move(c.data);
    out->push_back(std::move(w));
  }
  return absl::OkStatus();
}

bool RunImpl::ended() const {
  SpinLockHolder lock(&mu_);
  return ended_;
}

}  // namespace slipway::internal_tracking
