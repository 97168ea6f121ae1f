#include "src/tracking/metric_buffer.h"

#include <cmath>
#include <utility>

#include "absl/strings/string_view.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway::internal_tracking {

using internal_codec::kMaxPointsPerChunk;

size_t MetricBuffer::Slot(std::string_view key) {
  const absl::string_view k = internal_strings::ToAbsl(key);
  if (auto it = index_.find(k); it != index_.end()) return it->second;
  const size_t slot = slots_.size();
  SlotData data;
  data.key = std::string(key);
  slots_.push_back(std::move(data));
  index_.emplace(std::string(key), slot);
  return slot;
}

std::optional<size_t> MetricBuffer::Find(std::string_view key) const {
  if (auto it = index_.find(internal_strings::ToAbsl(key)); it != index_.end()) {
    return it->second;
  }
  return std::nullopt;
}

namespace {

// Column blocks kept for reuse (3 × 32 KiB each).
constexpr size_t kMaxSpareBlocks = 8;

}  // namespace

void MetricBuffer::SetAside(SlotData& slot) {
  full_.push_back(PendingColumns{slot.key, std::move(slot.columns)});
  if (!spare_.empty()) {
    slot.columns = std::move(spare_.back());
    spare_.pop_back();
    return;
  }
  slot.columns = internal_codec::PointColumns();
  slot.columns.steps.reserve(kMaxPointsPerChunk);
  slot.columns.timestamps_ms.reserve(kMaxPointsPerChunk);
  slot.columns.values.reserve(kMaxPointsPerChunk);
}

void MetricBuffer::Recycle(std::vector<PendingColumns>& blocks) {
  for (PendingColumns& b : blocks) {
    if (spare_.size() >= kMaxSpareBlocks) break;
    if (b.columns.steps.capacity() < kMaxPointsPerChunk) continue;
    b.columns.clear();
    spare_.push_back(std::move(b.columns));
  }
  blocks.clear();
}

absl::Status MetricBuffer::Append(size_t slot, int64_t step,
                                  int64_t timestamp_ms, double value) {
  SlotData& s = slots_[slot];
  if (s.columns.steps.capacity() == 0) {
    s.columns.steps.reserve(kMaxPointsPerChunk);
    s.columns.timestamps_ms.reserve(kMaxPointsPerChunk);
    s.columns.values.reserve(kMaxPointsPerChunk);
  }
  s.columns.steps.push_back(step);
  s.columns.timestamps_ms.push_back(timestamp_ms);
  s.columns.values.push_back(value);
  ++pending_points_;
  if (s.columns.size() == kMaxPointsPerChunk) SetAside(s);
  return absl::OkStatus();
}

absl::Status MetricBuffer::AppendColumns(size_t slot,
                                         std::span<const int64_t> steps,
                                         std::span<const int64_t> timestamps_ms,
                                         std::span<const double> values) {
  if (steps.size() != timestamps_ms.size() || steps.size() != values.size()) {
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        internal_strings::Cat("metric columns differ in length: ", steps.size(),
                              " steps, ", timestamps_ms.size(),
                              " timestamps, ", values.size(), " values"),
        ErrorDetail{"METRIC_COLUMNS_MISMATCH",
                    "steps, timestamps and values have one entry per point",
                    "", "pass arrays of equal length"});
  }
  SlotData& s = slots_[slot];
  size_t i = 0;
  while (i < steps.size()) {
    const size_t room = kMaxPointsPerChunk - s.columns.size();
    const size_t n = std::min(room, steps.size() - i);
    s.columns.steps.insert(s.columns.steps.end(), steps.begin() + i,
                           steps.begin() + i + n);
    s.columns.timestamps_ms.insert(s.columns.timestamps_ms.end(),
                                   timestamps_ms.begin() + i,
                                   timestamps_ms.begin() + i + n);
    s.columns.values.insert(s.columns.values.end(), values.begin() + i,
                            values.begin() + i + n);
    pending_points_ += n;
    i += n;
    if (s.columns.size() == kMaxPointsPerChunk) SetAside(s);
  }
  return absl::OkStatus();
}

void MetricBuffer::TakePending(std::vector<PendingColumns>* out) {
  for (PendingColumns& p : full_) out->push_back(std::move(p));
  full_.clear();
  for (SlotData& s : slots_) {
    if (s.columns.size() == 0) continue;
    out->push_back(PendingColumns{s.key, std::move(s.columns)});
    s.columns = internal_codec::PointColumns();  // reserved again on next use
  }
  pending_points_ = 0;
}

absl::Status MetricBuffer::Drain(std::vector<SealedChunk>* out) {
  std::vector<PendingColumns> pending;
  TakePending(&pending);
  return EncodePending(pending, out);
}

absl::Status EncodePending(std::vector<PendingColumns>& pending,
                           std::vector<SealedChunk>* out) {
  for (PendingColumns& p : pending) {
    SealedChunk chunk;
    absl::StatusOr<internal_codec::ChunkSummary> summary =
        internal_codec::EncodeChunk(p.columns.steps, p.columns.timestamps_ms,
                                    p.columns.values, &chunk.data);
    if (!summary.ok()) return summary.status();
    chunk.key = std::move(p.key);
    chunk.summary = *summary;
    out->push_back(std::move(chunk));
  }
  return absl::OkStatus();
}

void MergeSummary(const internal_codec::ChunkSummary& chunk,
                  MetricSummary* total) {
  if (chunk.count == 0) return;
  const bool first = total->count == 0;
  total->count += chunk.count;
  total->last_value = chunk.last_value;
  total->last_step = chunk.last_step;
  total->last_timestamp_ms = chunk.last_timestamp_ms;
  // NaN means "no non-NaN value yet" on either side.
  auto fold = [first](double mine, double theirs, bool take_smaller) {
    if (first || std::isnan(mine)) return theirs;
    if (std::isnan(theirs)) return mine;
    return take_smaller ? (theirs < mine ? theirs : mine)
                        : (theirs > mine ? theirs : mine);
  };
  total->min_value = fold(total->min_value, chunk.min_value, true);
  total->max_value = fold(total->max_value, chunk.max_value, false);
}

}  // namespace slipway::internal_tracking
