// Per-run in-memory metric buffers: the first stop of every logged point
// (design 0002, "Logging path").
//
// Points are appended to one column buffer per metric key; a buffer that
// reaches kMaxPointsPerChunk points is set aside whole (no encoding on the
// logging thread). TakePending() moves everything set aside plus the
// partial buffers out in O(keys); the writer then encodes them with
// EncodePending() outside any lock and stores the chunks (with their
// summaries) in one transaction.
//
// Thread-safety: not thread-safe. The owning run guards its buffer with its
// own lock, so the hot path costs one uncontended lock and a few stores.
// Append allocates only when a buffer fills (three fresh column vectors
// every kMaxPointsPerChunk points).
#ifndef SLIPWAY_SRC_TRACKING_METRIC_BUFFER_H_
#define SLIPWAY_SRC_TRACKING_METRIC_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "slipway/tracking.h"
#include "src/codec/chunk.h"

namespace slipway::internal_tracking {

// A chunk ready to be stored: the key it belongs to, its summary and bytes.
// The store numbers chunks per (run, key) when it writes them.
struct SealedChunk {
  std::string key;
  internal_codec::ChunkSummary summary;
  std::string data;
};

// Points of one key waiting to be stored, in logging order: either columns
// still to be encoded (at most kMaxPointsPerChunk points), or a chunk that
// was encoded already (`encoded`, set by AppendEncoded; columns empty).
struct PendingColumns {
  std::string key;
  internal_codec::PointColumns columns;
  std::optional<SealedChunk> encoded;
};

// How an encoding batch may use the machine.
enum class EncodeThreads {
  kCaller,  // the calling thread only: the background writer, which must
            // not take a core from the training loop it serves
  kAll,     // every core, when there are many blocks: someone is waiting
            // (a flush, a bulk append)
};

// Encodes each pending block into a chunk, appending to `*out` in the order
// of `pending`.
absl::Status EncodePending(std::vector<PendingColumns>& pending,
                           std::vector<SealedChunk>* out,
                           EncodeThreads threads = EncodeThreads::kAll);

// Encodes the points (steps[i], timestamps[i], values[i]) of `key` as
// chunks of kMaxPointsPerChunk points, on several threads when there are
// many. An empty `steps` means first_step, first_step + 1, ...; an empty
// `timestamps_ms` means default_timestamp_ms for every point. Columns that
// are not empty must have values.size() entries (checked by the caller).
absl::Status EncodeColumns(std::string_view key,
                           std::span<const int64_t> steps,
                           std::span<const int64_t> timestamps_ms,
                           std::span<const double> values, int64_t first_step,
                           int64_t default_timestamp_ms,
                           std::vector<SealedChunk>* out);

class MetricBuffer {
 public:
  MetricBuffer() = default;
  MetricBuffer(const MetricBuffer&) = delete;
  MetricBuffer& operator=(const MetricBuffer&) = delete;

  // Returns the slot of `key`, creating an empty one on first use. Slots are
  // stable for the buffer's life, so callers may cache them. The key must
  // already be validated (validate::MetricKey).
  size_t Slot(std::string_view key);

  // The slot of `key` if it has one.
  std::optional<size_t> Find(std::string_view key) const;

  // The key of `slot`. Requires slot < slot_count().
  const std::string& key(size_t slot) const { return slots_[slot].key; }
  size_t slot_count() const { return slots_.size(); }

  // Appends one point to `slot` (which must exist), sealing the slot into a
  // chunk when it is full. Returns an encoding error only on a bug.
  absl::Status Append(size_t slot, int64_t step, int64_t timestamp_ms,
                      double value);

  // Append's common case, inline: appends and returns true unless the
  // slot's block would fill (Append seals it), the slot has no open block
  // yet, or kMaxPendingFast points are pending (the owner then wakes the
  // writer); otherwise appends nothing. Three stores into the open block:
  // no capacity checks of its own, no out-of-line call.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool TryAppend(size_t slot, int64_t step,
                                             int64_t timestamp_ms,
                                             double value) {
    SlotData& s = slots_[slot];
    // cap is 0 without an open block, else kMaxPointsPerChunk.
    if (ABSL_PREDICT_FALSE(s.n + 1 >= s.cap ||
                           pending_points_ >= kMaxPendingFast)) {
      return false;
    }
    const size_t n = s.n;  // a local: the int64_t stores may alias size_t
    s.steps[n] = step;
    s.timestamps_ms[n] = timestamp_ms;
    s.values[n] = value;
    s.n = n + 1;
    ++pending_points_;
    return true;
  }
  static constexpr size_t kMaxPendingFast = size_t{1} << 18;

  // Appends many points at once (same-length columns; InvalidArgument
  // otherwise, nothing appended). Sealed in kMaxPointsPerChunk pieces.
  absl::Status AppendColumns(size_t slot, std::span<const int64_t> steps,
                             std::span<const int64_t> timestamps_ms,
                             std::span<const double> values);

  // Appends chunks of `slot` that were encoded already (EncodeColumns),
  // after every point appended so far.
  void AppendEncoded(size_t slot, std::vector<SealedChunk>&& chunks);

  // Moves every point out, as blocks of at most kMaxPointsPerChunk points
  // per key in logging order, to the end of `*out`. O(keys); no encoding.
  // The buffer is then empty (slots are kept).
  void TakePending(std::vector<PendingColumns>* out);

  // Gives encoded blocks' column storage back for reuse, so a steady logger
  // does not fault in fresh pages every kMaxPointsPerChunk points. Keeps at
  // most a few; `blocks` is left empty. Call PrepareForRecycling(blocks)
  // first, outside the owner's lock: it does the O(points) part.
  void Recycle(std::vector<PendingColumns>& blocks);
  static void PrepareForRecycling(std::vector<PendingColumns>& blocks);

  // TakePending, then EncodePending: every point, as chunks.
  absl::Status Drain(std::vector<SealedChunk>* out);

  // Points appended and not yet drained (sealed or not).
  size_t pending_points() const { return pending_points_; }

 private:
  // A slot's open block is `columns` with every column sized
  // kMaxPointsPerChunk (or all empty: no block yet), of which the first `n`
  // points are logged. steps/timestamps_ms/values/cap cache the columns'
  // data pointers and size for TryAppend.
  struct SlotData {
    std::string key;
    internal_codec::PointColumns columns;
    size_t n = 0;
    size_t cap = 0;
    int64_t* steps = nullptr;
    int64_t* timestamps_ms = nullptr;
    double* values = nullptr;
  };

  // Gives `slot` an open block (a spare one if there is one) unless it has
  // one.
  void Open(SlotData& slot);
  // Moves the slot's logged points out as a block (its columns cut to n);
  // the slot is left without an open block.
  PendingColumns Close(SlotData& slot);
  // Moves a full slot's block to full_ and opens a fresh one.
  void SetAside(SlotData& slot);

  std::vector<SlotData> slots_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<PendingColumns> full_;
  std::vector<internal_codec::PointColumns> spare_;
  size_t pending_points_ = 0;
};

// Folds a chunk's summary into the running summary of its key (count, last,
// min and max ignoring NaN, exactly as the store keeps them). `total` with
// count 0 is an empty summary.
void MergeSummary(const internal_codec::ChunkSummary& chunk,
                  MetricSummary* total);

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_METRIC_BUFFER_H_
