// libFuzzer target for the metric chunk codec (src/codec/chunk.h).
//
// Input layout: the first byte (modulo 3) selects the mode; the rest is the
// payload.
//
//   0  decode: the payload is a chunk. DecodeChunk must not crash, must leave
//      its output unchanged on error, and an error must be DataLoss with a
//      CHUNK_* reason. When it succeeds the points (1..4096 of them) must
//      encode and decode back to the same bits.
//   1  raw points: the payload is points of 24 bytes each (step, timestamp,
//      value bits; 64-bit little-endian), so every bit pattern is reachable.
//   2  compact points: 3 bytes per point (step delta, timestamp delta as
//      int8; a value byte that picks a special value or flips bits of the
//      previous one), so long, realistic series fit in short inputs.
//
// For modes 1 and 2: EncodeChunk's summary must match one computed here;
// decode(encode(x)) == x bit for bit; the encoding of x appended to a
// non-empty string leaves the prefix alone; flipping any one bit of the
// chunk (chosen by the input) and cutting it to any shorter length must give
// DataLoss.
//
// A failed property prints the property and the input in hex, then traps.
// The same file builds into a libFuzzer binary (SLIPWAY_BUILD_FUZZERS) and,
// with replay_main.cc, into the ctest fuzz_codec_corpus.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "slipway/status.h"
#include "src/codec/chunk.h"

namespace {

using ::slipway::internal_codec::ChunkSummary;
using ::slipway::internal_codec::DecodeChunk;
using ::slipway::internal_codec::EncodeChunk;
using ::slipway::internal_codec::kMaxPointsPerChunk;
using ::slipway::internal_codec::PointColumns;

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

// The whole input, for reports (libFuzzer runs inputs one at a time).
std::string_view g_input;

[[noreturn]] void Fail(const char* property, const char* condition,
                       const char* file, int line) {
  std::fprintf(stderr,
               "\n*** slipway fuzz property failed: %s\n"
               "    condition: %s (%s:%d)\n"
               "    whole input (%zu bytes, hex): %s\n",
               property, condition, file, line, g_input.size(),
               Hex(g_input).c_str());
  std::fflush(stderr);
  __builtin_trap();
}

#define PROPERTY(cond, property)                             \
  do {                                                       \
    if (!(cond)) Fail(property, #cond, __FILE__, __LINE__); \
  } while (false)

uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }

bool SameBits(const PointColumns& a, const PointColumns& b) {
  if (a.steps != b.steps || a.timestamps_ms != b.timestamps_ms ||
      a.values.size() != b.values.size()) {
    return false;
  }
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (Bits(a.values[i]) != Bits(b.values[i])) return false;
  }
  return true;
}

bool IsCodecError(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kDataLoss) return false;
  const auto detail = slipway::GetErrorDetail(s);
  return detail && (detail->reason == "CHUNK_CORRUPT" ||
                    detail->reason == "CHUNK_VERSION_UNSUPPORTED");
}

// Decode must fail cleanly and leave `out` as it was.
void CheckRejected(std::string_view bytes, const char* what) {
  PointColumns out;
  out.steps = {42};
  out.timestamps_ms = {43};
  out.values = {44.0};
  const absl::Status s = DecodeChunk(bytes, &out);
  PROPERTY(IsCodecError(s), what);
  PROPERTY(out.size() == 1 && out.steps[0] == 42 && out.timestamps_ms.size() == 1 &&
               out.values.size() == 1,
           "a failed decode leaves its output unchanged");
}

// The summary, computed independently of the codec.
void CheckSummary(const PointColumns& p, const ChunkSummary& s) {
  PROPERTY(s.count == p.size(), "summary count");
  PROPERTY(s.first_step == p.steps.front() && s.last_step == p.steps.back(),
           "summary first and last step");
  PROPERTY(s.last_timestamp_ms == p.timestamps_ms.back(), "summary last timestamp");
  PROPERTY(Bits(s.last_value) == Bits(p.values.back()), "summary last value");
  int64_t min_step = p.steps[0], max_step = p.steps[0];
  bool any = false;
  double lo = 0, hi = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p.steps[i] < min_step) min_step = p.steps[i];
    if (p.steps[i] > max_step) max_step = p.steps[i];
    const double v = p.values[i];
    if (std::isnan(v)) continue;
    if (!any) {
      lo = hi = v;
      any = true;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  PROPERTY(s.min_step == min_step && s.max_step == max_step, "summary step range");
  if (any) {
    PROPERTY(s.min_value == lo && s.max_value == hi,
             "summary min and max ignore NaN");
  } else {
    PROPERTY(std::isnan(s.min_value) && std::isnan(s.max_value),
             "summary of all-NaN values is NaN");
  }
}

void CheckRoundTrip(const PointColumns& p, uint32_t mutation) {
  if (p.size() == 0 || p.size() > kMaxPointsPerChunk) {
    std::string out = "x";
    const auto s = EncodeChunk(p.steps, p.timestamps_ms, p.values, &out);
    PROPERTY(s.status().code() == absl::StatusCode::kInvalidArgument && out == "x",
             "an empty or oversized chunk is rejected and nothing is written");
    return;
  }
  std::string bytes = "prefix";
  const auto summary = EncodeChunk(p.steps, p.timestamps_ms, p.values, &bytes);
  PROPERTY(summary.ok(), "valid points encode");
  PROPERTY(bytes.compare(0, 6, "prefix") == 0, "encode appends");
  CheckSummary(p, *summary);
  const std::string_view chunk = std::string_view(bytes).substr(6);

  PointColumns back;
  PROPERTY(DecodeChunk(chunk, &back).ok(), "an encoded chunk decodes");
  PROPERTY(SameBits(back, p), "decode(encode(x)) == x bit for bit");

  // Damage: one flipped bit anywhere, and a cut anywhere.
  std::string flipped(chunk);
  const size_t bit = mutation % (flipped.size() * 8);
  flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
  CheckRejected(flipped, "a single flipped bit is DataLoss (CRC-32C)");
  CheckRejected(chunk.substr(0, (mutation >> 8) % chunk.size()),
                "a truncated chunk is DataLoss");
}

uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

constexpr double kSpecials[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, std::numeric_limits<double>::infinity(),
    -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
    std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
    std::numeric_limits<double>::lowest(), 0.1, 1234.0, 0.999, 3.0};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_input = std::string_view(reinterpret_cast<const char*>(data), size);
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  const uint8_t* p = data + 1;
  size_t n = size - 1;

  if (mode == 0) {
    PointColumns out;
    out.steps = {7};
    out.timestamps_ms = {8};
    out.values = {9.0};
    const std::string_view bytes(reinterpret_cast<const char*>(p), n);
    const absl::Status s = DecodeChunk(bytes, &out);
    if (!s.ok()) {
      PROPERTY(IsCodecError(s), "decode errors are DataLoss with a CHUNK_* reason");
      PROPERTY(out.size() == 1 && out.values.size() == 1 && out.timestamps_ms.size() == 1,
               "a failed decode leaves its output unchanged");
      return 0;
    }
    PROPERTY(out.size() >= 2 && out.size() <= 1 + kMaxPointsPerChunk &&
                 out.timestamps_ms.size() == out.size() &&
                 out.values.size() == out.size(),
             "a decoded chunk holds 1..4096 points in equal columns");
    PointColumns points;
    points.steps.assign(out.steps.begin() + 1, out.steps.end());
    points.timestamps_ms.assign(out.timestamps_ms.begin() + 1, out.timestamps_ms.end());
    points.values.assign(out.values.begin() + 1, out.values.end());
    CheckRoundTrip(points, static_cast<uint32_t>(n * 2654435761u));
    return 0;
  }

  // Modes 1 and 2: the last 4 bytes (when present) choose the damage.
  uint32_t mutation = 0;
  if (n >= 4) {
    std::memcpy(&mutation, p + n - 4, 4);
    n -= 4;
  }
  PointColumns points;
  if (mode == 1) {
    for (size_t i = 0; i + 24 <= n; i += 24) {
      points.steps.push_back(static_cast<int64_t>(LoadLE64(p + i)));
      points.timestamps_ms.push_back(static_cast<int64_t>(LoadLE64(p + i + 8)));
      points.values.push_back(std::bit_cast<double>(LoadLE64(p + i + 16)));
    }
  } else {
    int64_t step = 0, ts = 1'700'000'000'000;
    uint64_t value = Bits(1.0);
    for (size_t i = 0; i + 3 <= n; i += 3) {
      step += static_cast<int8_t>(p[i]);
      ts += static_cast<int8_t>(p[i + 1]);
      const uint8_t v = p[i + 2];
      if (v < 16) {
        value = Bits(kSpecials[v]);
      } else if (v >= 64) {
        value ^= uint64_t{v} << (v % 57);  // flip a few bits somewhere
      }  // 16..63: repeat the previous value
      points.steps.push_back(step);
      points.timestamps_ms.push_back(ts);
      points.values.push_back(std::bit_cast<double>(value));
    }
  }
  CheckRoundTrip(points, mutation);
  return 0;
}
