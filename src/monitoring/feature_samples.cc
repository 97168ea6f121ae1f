#include "src/monitoring/feature_samples.h"

#include <cstdint>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"
#include "src/codec/crc32c.h"
#include "src/monitoring/wire.h"

namespace slipway::internal_monitoring {
namespace {

using ::slipway::internal_codec::Crc32c;

constexpr uint8_t kFormatVersion = 1;
constexpr size_t kCrcBytes = 4;
constexpr char kFormatRule[] =
    "docs/monitoring.md \"Stored feature samples\": [version 1][n: LEB128]"
    "[n x float64 LE][CRC-32C LE of all preceding bytes]";

absl::Status Corrupt(std::string_view bytes, std::string_view what) {
  return MakeError(
      absl::StatusCode::kDataLoss,
      absl::StrCat("stored feature samples are corrupt (", bytes.size(),
                   " bytes): ", absl::string_view(what.data(), what.size())),
      ErrorDetail{kReasonFeatureSamplesCorrupt, kFormatRule,
                  std::string(bytes.substr(0, 64)),
                  "the row was damaged after it was written; record the "
                  "samples (or set the drift reference) again"});
}

}  // namespace

void EncodeFeatureSamples(std::span<const double> values, std::string* out) {
  const size_t start = out->size();
  out->reserve(start + 1 + wire::kMaxVarintBytes + 8 * values.size() +
               kCrcBytes);
  out->push_back(static_cast<char>(kFormatVersion));
  wire::PutVarint(values.size(), out);
  for (double v : values) wire::PutDouble(v, out);
  const uint32_t crc = Crc32c(std::string_view(*out).substr(start));
  for (size_t i = 0; i < kCrcBytes; ++i) {
    out->push_back(static_cast<char>(crc >> (8 * i)));
  }
}

absl::Status DecodeFeatureSamples(std::string_view bytes,
                                  std::vector<double>* out) {
  if (bytes.size() < 2 + kCrcBytes) return Corrupt(bytes, "truncated");
  const std::string_view covered = bytes.substr(0, bytes.size() - kCrcBytes);
  uint32_t stored = 0;
  for (size_t i = 0; i < kCrcBytes; ++i) {
    stored |=
        static_cast<uint32_t>(static_cast<uint8_t>(bytes[covered.size() + i]))
        << (8 * i);
  }
  if (const uint32_t computed = Crc32c(covered); stored != computed) {
    char text[96];
    std::snprintf(text, sizeof(text),
                  "checksum mismatch (stored CRC-32C %08x, computed %08x)",
                  stored, computed);
    return Corrupt(bytes, text);
  }
  std::string_view in = covered;
  if (static_cast<uint8_t>(in[0]) != kFormatVersion) {
    return Corrupt(bytes, absl::StrCat("format version ",
                                       static_cast<uint8_t>(in[0]),
                                       " is not 1"));
  }
  in.remove_prefix(1);
  uint64_t n = 0;
  if (!wire::GetVarint(&in, &n) || in.size() / 8 < n || in.size() != 8 * n) {
    return Corrupt(bytes, "the value count does not match the length");
  }
  const size_t before = out->size();
  out->reserve(before + n);
  for (uint64_t i = 0; i < n; ++i) {
    double v = 0;
    wire::GetDouble(&in, &v);
    out->push_back(v);
  }
  return absl::OkStatus();
}

}  // namespace slipway::internal_monitoring
