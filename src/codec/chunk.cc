#include "src/codec/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_format.h"
#include "slipway/status.h"
#include "src/codec/bits.h"
#include "src/codec/crc32c.h"
#include "src/errors/strings.h"

namespace slipway::internal_codec {
namespace {

using ::slipway::internal_strings::Cat;

// Layout (docs/storage.md, "Metric chunks"):
//   [version: 1 byte][count: LEB128][bit stream: steps, timestamps, values,
//   zero padding to a byte][CRC-32C of everything before it: 4 bytes, LE]
constexpr size_t kCrcBytes = 4;
constexpr size_t kMaxCountBytes = 2;  // LEB128 of kMaxPointsPerChunk
static_assert(kMaxPointsPerChunk < (1u << (7 * kMaxCountBytes)));
// version + one count byte + the first value's 64 bits + CRC.
constexpr size_t kMinChunkBytes = 1 + 1 + 8 + kCrcBytes;

// Worst case per point: 69 bits for each integer column (5-bit prefix and a
// 64-bit payload) and 77 for a value (2 + 5 + 6 control bits and 64 bits).
constexpr size_t kMaxBitsPerPoint = 69 + 69 + 77;

constexpr char kFormatRule[] =
    "docs/storage.md \"Metric chunks\": [version 1][count LEB128 1..4096]"
    "[steps][timestamps][values][CRC-32C LE of all preceding bytes]";

// ---------------------------------------------------------------------------
// Integer columns: delta-of-delta, zig-zag, in prefix-coded buckets.

// Payload width of each bucket, indexed by the number of leading 1 bits of
// its prefix: "0" -> 0 bits (zero), "10" -> 3, "110" -> 7, "1110" -> 12,
// "11110" -> 32, "11111" -> 64.
constexpr int kBucketBits[] = {0, 3, 7, 12, 32, 64};

uint64_t ZigZag(uint64_t n) { return (n << 1) ^ (0 - (n >> 63)); }
uint64_t UnZigZag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

void WriteBucketed(uint64_t z, BitWriter* w) {
  if (z == 0) {
    w->Write(0, 1);
  } else if (z < (uint64_t{1} << 3)) {
    w->Write((uint64_t{0b10} << 3) | z, 2 + 3);
  } else if (z < (uint64_t{1} << 7)) {
    w->Write((uint64_t{0b110} << 7) | z, 3 + 7);
  } else if (z < (uint64_t{1} << 12)) {
    w->Write((uint64_t{0b1110} << 12) | z, 4 + 12);
  } else if (z < (uint64_t{1} << 32)) {
    w->Write((uint64_t{0b11110} << 32) | z, 5 + 32);
  } else {
    w->Write(0b11111, 5);
    w->Write(z, 64);
  }
}

// Point 0 codes its value, point 1 its delta, every later point its
// delta-of-delta, all modulo 2^64 (so INT64_MIN..INT64_MAX jumps are exact).
void EncodeIntColumn(std::span<const int64_t> column, BitWriter* w) {
  uint64_t prev = static_cast<uint64_t>(column[0]);
  WriteBucketed(ZigZag(prev), w);
  uint64_t prev_delta = 0;
  for (size_t i = 1; i < column.size(); ++i) {
    const uint64_t cur = static_cast<uint64_t>(column[i]);
    const uint64_t delta = cur - prev;
    WriteBucketed(ZigZag(delta - prev_delta), w);
    prev = cur;
    prev_delta = delta;
  }
}

// For the top 4 bits of the stream, the bucket they start ("0xxx" 0,
// "10xx" 1, "110x" 2, "1110" 3, "1111" 4 or 5) and, for buckets 0-3, the
// code's total length in bits. A lookup on the next bits keeps the chain
// from one code to the next short (no bit scan), which is what bounds
// decoding speed.
struct FastBucket {
  uint8_t bucket;
  uint8_t length;
};
constexpr FastBucket kFastBuckets[16] = {
    {0, 1},  {0, 1},  {0, 1},  {0, 1},  {0, 1},  {0, 1},  {0, 1},  {0, 1},
    {1, 5},  {1, 5},  {1, 5},  {1, 5},  {2, 10}, {2, 10}, {3, 16}, {4, 0},
};

// Returns the next zig-zag code.
inline uint64_t ReadBucketed(BitReader* r) {
  const uint64_t w = r->Peek(16);  // the longest fast code is 16 bits
  const FastBucket b = kFastBuckets[w >> 60];
  if (b.length != 0) [[likely]] {
    const int width = kBucketBits[b.bucket];
    // The payload ends the code; the two-step right shift yields 0 for
    // width 0 without shifting by 64.
    const uint64_t z = ((w << (b.length - width)) >> 1) >> (63 - width);
    r->Consume(b.length);
    return z;
  }
  r->Consume(4);
  return r->ReadBit() ? r->Read64(64) : r->Read64(32);  // "11111" or "11110"
}

void DecodeIntColumn(BitReader* reader, size_t count, int64_t* out) {
  // A local copy: `out` may alias the reader's fields as far as the compiler
  // knows, which would force them through memory on every point.
  BitReader local = *reader;
  BitReader* r = &local;
  // Point 0's code is its value, not a delta to carry forward.
  uint64_t prev = UnZigZag(ReadBucketed(r));
  out[0] = static_cast<int64_t>(prev);
  uint64_t delta = 0;
  size_t i = 1;
  while (i < count) {
    // A run of "0" codes (the delta repeats: steps logged every N steps,
    // evenly spaced timestamps) is taken in one go.
    const uint64_t w = r->Peek(56);
    const int zeros = std::countl_zero(w);
    if (zeros >= 8) {
      const size_t run = std::min({static_cast<size_t>(std::min(zeros, 56)),
                                   static_cast<size_t>(r->peeked_bits()), count - i});
      if (run > 0) {
        for (size_t k = 0; k < run; ++k) out[i + k] = static_cast<int64_t>(prev += delta);
        r->Consume(static_cast<int>(run));
        i += run;
        continue;
      }
    }
    delta += UnZigZag(ReadBucketed(r));
    prev += delta;
    out[i++] = static_cast<int64_t>(prev);
  }
  *reader = local;
}

// ---------------------------------------------------------------------------
// Values: Gorilla XOR coding.

// Control codes after the first value: "0" same bits as the previous value;
// "10" XOR fits the current window, meaningful bits follow; "11" new window:
// 5 bits leading-zero count (capped at 31), 6 bits meaningful length - 1,
// then the meaningful bits.
constexpr int kNewWindowHeaderBits = 5 + 6;
constexpr int kMaxLeadingZeros = 31;

void EncodeValueColumn(std::span<const double> column, BitWriter* w) {
  uint64_t prev = std::bit_cast<uint64_t>(column[0]);
  w->Write(prev, 64);
  int lead = 0;      // window: leading zeros,
  int length = 0;    // meaningful bits (0: no window yet),
  int trail = 0;     // trailing zeros.
  for (size_t i = 1; i < column.size(); ++i) {
    const uint64_t cur = std::bit_cast<uint64_t>(column[i]);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w->Write(0, 1);
      continue;
    }
    const int x_lead = std::min(std::countl_zero(x), kMaxLeadingZeros);
    const int x_trail = std::countr_zero(x);
    const int x_length = 64 - x_lead - x_trail;
    // Reuse the window when the XOR fits in it and the bits the window
    // wastes cost less than a new window's header.
    if (length != 0 && x_lead >= lead && x_trail >= trail &&
        length <= x_length + kNewWindowHeaderBits) {
      w->Write(0b10, 2);
      w->Write(x >> trail, length);
    } else {
      lead = x_lead;
      length = x_length;
      trail = x_trail;
      w->Write((uint64_t{0b11} << kNewWindowHeaderBits) |
                   (static_cast<uint64_t>(lead) << 6) |
                   static_cast<uint64_t>(length - 1),
               2 + kNewWindowHeaderBits);
      w->Write(x >> trail, length);
    }
  }
}

// Returns false when the stream is malformed (a window reused before one was
// set, or a window wider than 64 bits).
bool DecodeValueColumn(BitReader* reader, size_t count, double* out) {
  BitReader local = *reader;  // kept in registers, as in DecodeIntColumn
  BitReader* r = &local;
  uint64_t prev = r->Read64(64);
  out[0] = std::bit_cast<double>(prev);
  int length = 0;
  int trail = 0;
  for (size_t i = 1; i < count; ++i) {
    // One look at the next 56 bits serves the control code and, when it
    // fits, the payload.
    const uint64_t w = r->Peek(56);
    if ((w >> 63) == 0) {  // "0": same value
      r->Consume(1);
    } else if ((w >> 62) == 0b10) {  // reuse the window
      if (length == 0) return false;  // no window yet
      if (2 + length <= 56) {
        prev ^= ((w << 2) >> (64 - length)) << trail;
        r->Consume(2 + length);
      } else {
        r->Consume(2);
        prev ^= r->Read64(length) << trail;
      }
    } else {  // "11": a new window
      const int lead = static_cast<int>((w >> 57) & 31);
      length = static_cast<int>((w >> 51) & 63) + 1;
      if (lead + length > 64) return false;
      trail = 64 - lead - length;
      if (2 + kNewWindowHeaderBits + length <= 56) {
        prev ^= ((w << (2 + kNewWindowHeaderBits)) >> (64 - length)) << trail;
        r->Consume(2 + kNewWindowHeaderBits + length);
      } else {
        r->Consume(2 + kNewWindowHeaderBits);
        prev ^= r->Read64(length) << trail;
      }
    }
    out[i] = std::bit_cast<double>(prev);
  }
  *reader = local;
  return true;
}

// ---------------------------------------------------------------------------
// Errors.

absl::Status Invalid(std::string_view what, std::string value) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      Cat("cannot encode metric chunk: ", what),
      ErrorDetail{kReasonChunkInvalid,
                  "a metric chunk holds 1 to 4096 points in three columns "
                  "(steps, timestamps_ms, values) of equal length",
                  std::move(value),
                  "pass columns of equal length with 1 to 4096 points; split "
                  "a longer series into several chunks"});
}

// The detail's value is the chunk's first bytes (at most this many), enough
// to recognise it without copying a whole chunk into every status.
constexpr size_t kMaxValueBytes = 256;

absl::Status Corrupt(std::string_view bytes, std::string_view what) {
  return MakeError(
      absl::StatusCode::kDataLoss,
      Cat("metric chunk is corrupt (", bytes.size(), " bytes): ", what),
      ErrorDetail{kReasonChunkCorrupt, kFormatRule,
                  std::string(bytes.substr(0, kMaxValueBytes)),
                  "the stored bytes were damaged after they were written "
                  "(disk, copy or a bug) and cannot be read back; restore the "
                  "store from a backup. Other chunks and the metric's summary "
                  "are unaffected"});
}

}  // namespace

absl::StatusOr<ChunkSummary> EncodeChunk(std::span<const int64_t> steps,
                                         std::span<const int64_t> timestamps_ms,
                                         std::span<const double> values,
                                         std::string* out) {
  const size_t n = steps.size();
  if (timestamps_ms.size() != n || values.size() != n) {
    return Invalid("the columns differ in length",
                   Cat("steps=", n, " timestamps_ms=", timestamps_ms.size(),
                       " values=", values.size()));
  }
  if (n == 0) return Invalid("no points", "0 points");
  if (n > kMaxPointsPerChunk) {
    return Invalid(Cat(n, " points is more than the ", kMaxPointsPerChunk,
                       " a chunk holds"),
                   Cat(n, " points"));
  }

  const size_t start = out->size();
  const size_t bound = 1 + kMaxCountBytes + (n * kMaxBitsPerPoint + 7) / 8 +
                       8 /* BitWriter slack */ + kCrcBytes;
  out->resize(start + bound);
  char* p = out->data() + start;
  size_t at = 0;
  p[at++] = static_cast<char>(kChunkFormatVersion);
  for (size_t c = n; ; c >>= 7) {
    if (c < 0x80) {
      p[at++] = static_cast<char>(c);
      break;
    }
    p[at++] = static_cast<char>((c & 0x7F) | 0x80);
  }
  BitWriter w(p + at);
  EncodeIntColumn(steps, &w);
  EncodeIntColumn(timestamps_ms, &w);
  EncodeValueColumn(values, &w);
  at += w.Finish();
  const uint32_t crc = Crc32c(std::string_view(p, at));
  for (size_t i = 0; i < kCrcBytes; ++i) p[at++] = static_cast<char>(crc >> (8 * i));
  out->resize(start + at);

  ChunkSummary s;
  s.count = static_cast<uint32_t>(n);
  s.first_step = steps.front();
  s.last_step = steps.back();
  const auto [min_step, max_step] = std::minmax_element(steps.begin(), steps.end());
  s.min_step = *min_step;
  s.max_step = *max_step;
  s.last_timestamp_ms = timestamps_ms.back();
  s.last_value = values.back();
  s.min_value = std::numeric_limits<double>::quiet_NaN();
  s.max_value = s.min_value;
  for (const double v : values) {
    if (std::isnan(v)) continue;
    if (std::isnan(s.min_value)) {
      s.min_value = s.max_value = v;
    } else if (v < s.min_value) {
      s.min_value = v;
    } else if (v > s.max_value) {
      s.max_value = v;
    }
  }
  return s;
}

absl::Status DecodeChunk(std::string_view bytes, PointColumns* out) {
  if (bytes.size() < kMinChunkBytes) {
    return Corrupt(bytes, Cat("truncated: a chunk has at least ", kMinChunkBytes,
                              " bytes"));
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kCrcBytes);
  uint32_t stored = 0;
  for (size_t i = 0; i < kCrcBytes; ++i) {
    stored |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[covered.size() + i]))
              << (8 * i);
  }
  const uint32_t computed = Crc32c(covered);
  if (stored != computed) {
    return Corrupt(bytes, absl::StrFormat(
                              "checksum mismatch (stored CRC-32C %08x, computed "
                              "%08x): damaged or truncated",
                              stored, computed));
  }
  const auto version = static_cast<uint8_t>(covered[0]);
  if (version != kChunkFormatVersion) {
    return MakeError(
        absl::StatusCode::kDataLoss,
        Cat("metric chunk has format version ", static_cast<int>(version),
            "; this build of slipway reads version ",
            static_cast<int>(kChunkFormatVersion)),
        ErrorDetail{kReasonChunkVersionUnsupported, kFormatRule,
                    std::string(bytes.substr(0, kMaxValueBytes)),
                    "the chunk was written by a newer slipway; read the store "
                    "with that version or newer"});
  }

  size_t at = 1;
  size_t count = 0;
  for (size_t i = 0;; ++i) {
    if (i == kMaxCountBytes || at == covered.size()) {
      return Corrupt(bytes, "point count is not a LEB128 number of at most 2 bytes");
    }
    const auto b = static_cast<uint8_t>(covered[at++]);
    count |= static_cast<size_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) break;
  }
  if (count == 0 || count > kMaxPointsPerChunk) {
    return Corrupt(bytes, Cat("point count ", count, " is outside 1..",
                              kMaxPointsPerChunk));
  }
  const std::string_view body = covered.substr(at);
  // Each point takes at least one bit per integer column and one per value,
  // and the first value 64; reject a count the bytes cannot hold before
  // allocating for it.
  if (body.size() * 8 < 3 * count + 63) {
    return Corrupt(bytes, Cat("point count ", count, " does not fit in ",
                              body.size(), " bytes of columns"));
  }

  const size_t old_size = out->size();
  out->steps.resize(old_size + count);
  out->timestamps_ms.resize(old_size + count);
  out->values.resize(old_size + count);
  auto fail = [&](std::string_view what) {
    out->steps.resize(old_size);
    out->timestamps_ms.resize(old_size);
    out->values.resize(old_size);
    return Corrupt(bytes, what);
  };

  BitReader r(body.data(), body.size());
  DecodeIntColumn(&r, count, out->steps.data() + old_size);
  if (r.overrun()) return fail("the steps column runs past the end");
  DecodeIntColumn(&r, count, out->timestamps_ms.data() + old_size);
  if (r.overrun()) return fail("the timestamps column runs past the end");
  if (!DecodeValueColumn(&r, count, out->values.data() + old_size)) {
    return fail("the values column has an invalid window");
  }
  if (r.overrun()) return fail("the values column runs past the end");
  if (r.remaining_bits() >= 8) {
    return fail(Cat(r.remaining_bits() / 8, " bytes follow the last column"));
  }
  if (!r.RestIsZero()) return fail("the padding after the last column is not zero");
  return absl::OkStatus();
}

}  // namespace slipway::internal_codec
