// Byte-level helpers for the stored forms of this module (LEB128 varints
// and little-endian doubles). Readers never read past their input and
// accept only canonical encodings (a varint with no redundant trailing
// zero group), so a value has exactly one stored form.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_MONITORING_WIRE_H_
#define SLIPWAY_SRC_MONITORING_WIRE_H_

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace slipway::internal_monitoring::wire {

// The longest LEB128 encoding of a uint64_t.
inline constexpr size_t kMaxVarintBytes = 10;

inline void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a canonical LEB128 varint from the front of `*in`. Returns false
// (leaving `*in` unspecified) when it is truncated, longer than 10 bytes,
// overflows 64 bits, or ends in a redundant zero group.
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i == in->size()) return false;
    const auto b = static_cast<uint8_t>((*in)[i]);
    const uint64_t group = b & 0x7F;
    // The tenth byte holds bit 63 only.
    if (i == kMaxVarintBytes - 1 && group > 1) return false;
    result |= group << (7 * i);
    if ((b & 0x80) == 0) {
      // A last byte of 0 after other bytes is a redundant group.
      if (i > 0 && b == 0) return false;
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

inline void PutDouble(double d, std::string* out) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  for (int i = 0; i < 8; ++i)
    out->push_back(static_cast<char>(bits >> (8 * i)));
}

inline bool GetDouble(std::string_view* in, double* d) {
  if (in->size() < 8) return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  }
  in->remove_prefix(8);
  *d = std::bit_cast<double>(bits);
  return true;
}

}  // namespace slipway::internal_monitoring::wire

#endif  // SLIPWAY_SRC_MONITORING_WIRE_H_
