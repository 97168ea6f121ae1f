// The metric chunk codec: a block of up to kMaxPointsPerChunk points of one
// (run, key), each point a (step, timestamp in ms, float64 value), stored
// column by column in a few bytes per point. docs/storage.md ("Metric
// chunks") specifies the bytes; design record 0002 says why.
//
// Use EncodeChunk when sealing a metric buffer and DecodeChunk when reading
// history back. Both are pure functions: thread-safe, no I/O, no clock.
#ifndef SLIPWAY_SRC_CODEC_CHUNK_H_
#define SLIPWAY_SRC_CODEC_CHUNK_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::internal_codec {

// The most points one chunk holds. Bounded so that a corrupt count can never
// cause a large allocation, and so that decoding one chunk stays in cache.
inline constexpr size_t kMaxPointsPerChunk = 4096;

// The format version written in the first byte of every chunk.
inline constexpr uint8_t kChunkFormatVersion = 1;

// Error reasons (ErrorDetail::reason) returned by this module.
inline constexpr char kReasonChunkCorrupt[] = "CHUNK_CORRUPT";
inline constexpr char kReasonChunkVersionUnsupported[] =
    "CHUNK_VERSION_UNSUPPORTED";
inline constexpr char kReasonChunkInvalid[] = "CHUNK_INVALID";

// Points as three parallel columns; point i is (steps[i], timestamps_ms[i],
// values[i]).
struct PointColumns {
  std::vector<int64_t> steps;
  std::vector<int64_t> timestamps_ms;
  std::vector<double> values;

  size_t size() const { return steps.size(); }
  void clear() {
    steps.clear();
    timestamps_ms.clear();
    values.clear();
  }
};

// What the store keeps beside a chunk so that search never decodes one
// (design 0002, `metric_chunk` and `metric_summary`). "First" and "last" are
// in the order the points were given, which need not be step order.
struct ChunkSummary {
  uint32_t count = 0;
  int64_t first_step = 0;
  int64_t last_step = 0;
  // Smallest and largest step (steps may be logged out of order).
  int64_t min_step = 0;
  int64_t max_step = 0;
  int64_t last_timestamp_ms = 0;
  double last_value = 0;
  // Smallest and largest value ignoring NaN; NaN when every value is NaN.
  // -0.0 and +0.0 compare equal; whichever came first is kept.
  double min_value = 0;
  double max_value = 0;
};

// Encodes the points (steps[i], timestamps_ms[i], values[i]) as one chunk and
// appends its bytes to `*out` (existing contents are kept, so a caller can
// reuse one string and avoid allocation). Every int64 and every double bit
// pattern (NaN payloads, ±Inf, -0.0, subnormals) round-trips exactly.
//
// Returns the chunk's summary, or InvalidArgument (reason CHUNK_INVALID) when
// the three columns differ in length, are empty, or hold more than
// kMaxPointsPerChunk points; `*out` is then unchanged.
absl::StatusOr<ChunkSummary> EncodeChunk(std::span<const int64_t> steps,
                                         std::span<const int64_t> timestamps_ms,
                                         std::span<const double> values,
                                         std::string* out);

// Decodes one chunk (exactly `bytes`, nothing after it) and appends its points
// to `*out`.
//
// Returns OK, or DataLoss with reason CHUNK_CORRUPT (checksum mismatch,
// truncated, or malformed: the message says which) or
// CHUNK_VERSION_UNSUPPORTED (an intact chunk of a format this build does not
// know). On error `*out` is unchanged. Never reads outside `bytes` and never
// allocates more than kMaxPointsPerChunk points, whatever the input.
absl::Status DecodeChunk(std::string_view bytes, PointColumns* out);

}  // namespace slipway::internal_codec

#endif  // SLIPWAY_SRC_CODEC_CHUNK_H_
