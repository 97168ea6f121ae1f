// An order-preserving, bit-exact 8-byte encoding of IEEE-754 doubles, for
// stored values that must keep NaN, ±Inf and -0.0 exactly (metric summaries:
// last, min, max) and still compare and sort correctly in SQL.
//
// Why not a REAL column: SQLite stores a bound NaN as NULL, and writes a
// REAL whose value is integral (including -0.0) to disk as an integer, so
// -0.0 comes back as +0.0. An 8-byte BLOB keeps every bit. Why this
// encoding and not the raw bits: SQLite compares BLOBs with memcmp, and this
// encoding makes memcmp order equal numeric order, so `min_value < ?` and
// `ORDER BY last_value` work on the stored bytes (and an index on them
// works too).
//
// Encoding: take the 64 bits of the double; if the sign bit is clear, set it;
// if it is set, invert all 64 bits; write the result big-endian. Resulting
// order, lowest first:
//
//   NaN with the sign bit set  <  -Inf  <  negative finite  <  -0.0  <
//   +0.0  <  positive finite  <  +Inf  <  NaN with the sign bit clear
//
// So every non-NaN value lies in [EncodeSortableDouble(-Inf),
// EncodeSortableDouble(+Inf)]; a SQL comparison that must follow IEEE rules
// (NaN compares false) adds `value BETWEEN <enc(-Inf)> AND <enc(+Inf)>`.
// -0.0 sorts just below +0.0 (IEEE says they are equal; a query compiler
// that cares compares against both).
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_STORAGE_SORTABLE_DOUBLE_H_
#define SLIPWAY_SRC_STORAGE_SORTABLE_DOUBLE_H_

#include <optional>
#include <string>
#include <string_view>

namespace slipway::internal_storage {

// The encoded size in bytes.
inline constexpr size_t kSortableDoubleSize = 8;

// Returns the 8-byte encoding of `value` (every bit kept, NaN payloads too).
std::string EncodeSortableDouble(double value);

// Returns the double encoded in `bytes`, or nullopt when `bytes` is not
// exactly 8 bytes long. Every 8-byte string decodes to some double, and
// Decode(Encode(x)) has the same bits as x.
std::optional<double> DecodeSortableDouble(std::string_view bytes);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SORTABLE_DOUBLE_H_
