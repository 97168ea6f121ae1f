// The stored form of sampled feature values (a drift reference, or the
// values a serving replica sampled in one minute): docs/monitoring.md
// "Stored feature samples".
//
//   [format version 1][n: LEB128][n x float64, little-endian][CRC-32C LE of
//   all preceding bytes]
//
// NaN is refused before encoding (drift statistics are undefined on it);
// ±inf are ordered values and kept.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_MONITORING_FEATURE_SAMPLES_H_
#define SLIPWAY_SRC_MONITORING_FEATURE_SAMPLES_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace slipway::internal_monitoring {

inline constexpr char kReasonFeatureSamplesCorrupt[] =
    "FEATURE_SAMPLES_CORRUPT";

// Appends the encoding of `values` to `*out`.
void EncodeFeatureSamples(std::span<const double> values, std::string* out);

// Appends the values of `bytes` to `*out`. DataLoss FEATURE_SAMPLES_CORRUPT
// (and `*out` unchanged) when the bytes are not one whole encoding with a
// matching checksum.
absl::Status DecodeFeatureSamples(std::string_view bytes,
                                  std::vector<double>* out);

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_FEATURE_SAMPLES_H_
