#include "src/tracking/metric_buffer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/string_view.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/tracking/parallel.h"

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

void MetricBuffer::Open(SlotData& slot) {
  if (slot.cap != 0) return;
  if (!spare_.empty()) {
    slot.columns = std::move(spare_.back());  // sized by PrepareForRecycling
    spare_.pop_back();
  } else {
    slot.columns.steps.resize(kMaxPointsPerChunk);
    slot.columns.timestamps_ms.resize(kMaxPointsPerChunk);
    slot.columns.values.resize(kMaxPointsPerChunk);
  }
  slot.n = 0;
  slot.cap = kMaxPointsPerChunk;
  slot.steps = slot.columns.steps.data();
  slot.timestamps_ms = slot.columns.timestamps_ms.data();
  slot.values = slot.columns.values.data();
}

PendingColumns MetricBuffer::Close(SlotData& slot) {
  // Shrinking keeps the storage (capacity) for Recycle.
  slot.columns.steps.resize(slot.n);
  slot.columns.timestamps_ms.resize(slot.n);
  slot.columns.values.resize(slot.n);
  PendingColumns block{slot.key, std::move(slot.columns), std::nullopt};
  slot.columns = internal_codec::PointColumns();
  slot.n = 0;
  slot.cap = 0;
  slot.steps = slot.timestamps_ms = nullptr;
  slot.values = nullptr;
  return block;
}

void MetricBuffer::SetAside(SlotData& slot) {
  full_.push_back(Close(slot));
  Open(slot);
}

void MetricBuffer::AppendEncoded(size_t slot,
                                 std::vector<SealedChunk>&& chunks) {
  SlotData& s = slots_[slot];
  // The points buffered before these chunks go first.
  if (s.n != 0) full_.push_back(Close(s));
  for (SealedChunk& c : chunks) {
    pending_points_ += c.summary.count;
    full_.push_back(PendingColumns{s.key, {}, std::move(c)});
  }
  chunks.clear();
}

void MetricBuffer::PrepareForRecycling(std::vector<PendingColumns>& blocks) {
  size_t prepared = 0;
  for (PendingColumns& b : blocks) {
    if (prepared >= kMaxSpareBlocks) break;
    if (b.encoded.has_value() ||
        b.columns.steps.capacity() < kMaxPointsPerChunk) {
      continue;
    }
    b.columns.steps.resize(kMaxPointsPerChunk);
    b.columns.timestamps_ms.resize(kMaxPointsPerChunk);
    b.columns.values.resize(kMaxPointsPerChunk);
    ++prepared;
  }
}

void MetricBuffer::Recycle(std::vector<PendingColumns>& blocks) {
  for (PendingColumns& b : blocks) {
    if (spare_.size() >= kMaxSpareBlocks) break;
    if (b.encoded.has_value() ||
        b.columns.steps.size() != kMaxPointsPerChunk ||
        b.columns.timestamps_ms.size() != kMaxPointsPerChunk ||
        b.columns.values.size() != kMaxPointsPerChunk) {
      continue;  // not prepared
    }
    spare_.push_back(std::move(b.columns));
  }
  blocks.clear();
}

absl::Status MetricBuffer::Append(size_t slot, int64_t step,
                                  int64_t timestamp_ms, double value) {
  SlotData& s = slots_[slot];
  Open(s);
  s.steps[s.n] = step;
  s.timestamps_ms[s.n] = timestamp_ms;
  s.values[s.n] = value;
  ++s.n;
  ++pending_points_;
  if (s.n == kMaxPointsPerChunk) SetAside(s);
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
    Open(s);
    const size_t n = std::min(kMaxPointsPerChunk - s.n, steps.size() - i);
    std::copy_n(steps.begin() + i, n, s.steps + s.n);
    std::copy_n(timestamps_ms.begin() + i, n, s.timestamps_ms + s.n);
    std::copy_n(values.begin() + i, n, s.values + s.n);
    s.n += n;
    pending_points_ += n;
    i += n;
    if (s.n == kMaxPointsPerChunk) SetAside(s);
  }
  return absl::OkStatus();
}

void MetricBuffer::TakePending(std::vector<PendingColumns>* out) {
  for (PendingColumns& p : full_) out->push_back(std::move(p));
  full_.clear();
  for (SlotData& s : slots_) {
    if (s.n == 0) continue;  // an open, empty block stays open
    out->push_back(Close(s));
  }
  pending_points_ = 0;
}

absl::Status MetricBuffer::Drain(std::vector<SealedChunk>* out) {
  std::vector<PendingColumns> pending;
  TakePending(&pending);
  return EncodePending(pending, out);
}

namespace {

// Blocks (or chunks) per thread before a batch is worth spreading out: a
// 4,096-point block encodes in ~35 µs, a thread starts in ~30 µs.
constexpr size_t kMinChunksPerThread = 16;

// Encodes one block into `chunk`. Through a per-thread scratch string, so
// that a chunk's bytes take exactly their size: EncodeChunk sizes its output
// for the worst case (~3x a typical chunk), and a run holding thousands of
// chunks would otherwise hold that slack until they are written.
absl::Status EncodeOne(std::string_view key, std::span<const int64_t> steps,
                       std::span<const int64_t> timestamps_ms,
                       std::span<const double> values, SealedChunk* chunk) {
  thread_local std::string scratch;
  scratch.clear();
  absl::StatusOr<internal_codec::ChunkSummary> summary =
      internal_codec::EncodeChunk(steps, timestamps_ms, values, &scratch);
  if (!summary.ok()) return summary.status();
  chunk->data.assign(scratch);
  chunk->key = std::string(key);
  chunk->summary = *summary;
  return absl::OkStatus();
}

// Runs `encode(i, &status_i)` for i in [0, n) on several threads and
// returns the first error in index order.
template <typename Encode>
absl::Status EncodeAll(size_t n, Encode encode,
                       EncodeThreads threads = EncodeThreads::kAll) {
  std::vector<absl::Status> errors(n);
  const size_t min_per_thread =
      threads == EncodeThreads::kAll ? kMinChunksPerThread : n + 1;
  ParallelFor(n, min_per_thread, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) errors[i] = encode(i);
  });
  for (absl::Status& s : errors) {
    if (!s.ok()) return std::move(s);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EncodePending(std::vector<PendingColumns>& pending,
                           std::vector<SealedChunk>* out,
                           EncodeThreads threads) {
  const size_t base = out->size();
  out->resize(base + pending.size());
  absl::Status status = EncodeAll(pending.size(), [&](size_t i) {
    PendingColumns& p = pending[i];
    SealedChunk& chunk = (*out)[base + i];
    if (p.encoded.has_value()) {
      chunk = std::move(*p.encoded);
      return absl::OkStatus();
    }
    return EncodeOne(p.key, p.columns.steps, p.columns.timestamps_ms,
                     p.columns.values, &chunk);
  }, threads);
  if (!status.ok()) out->resize(base);
  return status;
}

absl::Status EncodeColumns(std::string_view key,
                           std::span<const int64_t> steps,
                           std::span<const int64_t> timestamps_ms,
                           std::span<const double> values, int64_t first_step,
                           int64_t default_timestamp_ms,
                           std::vector<SealedChunk>* out) {
  const size_t n = values.size();
  const size_t chunks = (n + kMaxPointsPerChunk - 1) / kMaxPointsPerChunk;
  const size_t base = out->size();
  out->resize(base + chunks);
  absl::Status status = EncodeAll(chunks, [&](size_t c) {
    const size_t begin = c * kMaxPointsPerChunk;
    const size_t count = std::min(kMaxPointsPerChunk, n - begin);
    // Defaulted columns are generated per chunk: 64 KiB of stack, not
    // 16 bytes per point of the whole array.
    int64_t step_block[kMaxPointsPerChunk];
    int64_t time_block[kMaxPointsPerChunk];
    std::span<const int64_t> s, t;
    if (steps.empty()) {
      for (size_t i = 0; i < count; ++i) {
        step_block[i] = first_step + static_cast<int64_t>(begin + i);
      }
      s = std::span<const int64_t>(step_block, count);
    } else {
      s = steps.subspan(begin, count);
    }
    if (timestamps_ms.empty()) {
      std::fill_n(time_block, count, default_timestamp_ms);
      t = std::span<const int64_t>(time_block, count);
    } else {
      t = timestamps_ms.subspan(begin, count);
    }
    return EncodeOne(key, s, t, values.subspan(begin, count), &(*out)[base + c]);
  });
  if (!status.ok()) out->resize(base);
  return status;
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
