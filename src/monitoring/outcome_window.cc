#include "src/monitoring/outcome_window.h"

#include <array>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"
#include "src/codec/crc32c.h"
#include "src/monitoring/wire.h"

namespace slipway::internal_monitoring {
namespace {

using ::slipway::internal_codec::Crc32c;

constexpr size_t kCrcBytes = 4;
// version + 7 counters + invalid count + bucket count, all 1 byte at least.
constexpr size_t kMinWindowBytes = 1 + 7 + 2 + kCrcBytes;

constexpr char kFormatRule[] =
    "docs/monitoring.md \"Stored windows\": [version 1][requests errors "
    "predictions labelled correct successes trials: LEB128][histogram: "
    "invalid, n, n x (index gap, count), sum min max][CRC-32C LE of all "
    "preceding bytes]";

// The detail's value is the window's first bytes, enough to recognise it.
constexpr size_t kMaxValueBytes = 256;

absl::Status Corrupt(std::string_view bytes, std::string_view what) {
  return MakeError(
      absl::StatusCode::kDataLoss,
      absl::StrCat("outcome window is corrupt (", bytes.size(),
                   " bytes): ", absl::string_view(what.data(), what.size())),
      ErrorDetail{kReasonWindowCorrupt, kFormatRule,
                  std::string(bytes.substr(0, kMaxValueBytes)),
                  "the stored window was damaged after it was written (disk, "
                  "copy or a bug); that minute's outcomes are lost. Delete the "
                  "row or restore the store from a backup; other windows are "
                  "unaffected"});
}

}  // namespace

void OutcomeWindow::Merge(const OutcomeWindow& other) {
  requests += other.requests;
  errors += other.errors;
  latency.Merge(other.latency);
  predictions += other.predictions;
  labelled += other.labelled;
  correct += other.correct;
  successes += other.successes;
  trials += other.trials;
}

void EncodeOutcomeWindow(const OutcomeWindow& window, std::string* out) {
  const size_t start = out->size();
  out->push_back(static_cast<char>(kOutcomeWindowFormatVersion));
  for (const uint64_t v :
       {window.requests, window.errors, window.predictions, window.labelled,
        window.correct, window.successes, window.trials}) {
    wire::PutVarint(v, out);
  }
  window.latency.EncodeTo(out);
  const uint32_t crc = Crc32c(std::string_view(*out).substr(start));
  for (size_t i = 0; i < kCrcBytes; ++i)
    out->push_back(static_cast<char>(crc >> (8 * i)));
}

absl::StatusOr<OutcomeWindow> DecodeOutcomeWindow(std::string_view bytes) {
  if (bytes.size() < kMinWindowBytes) {
    return Corrupt(bytes, absl::StrCat("truncated: a window has at least ",
                                       kMinWindowBytes, " bytes"));
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kCrcBytes);
  uint32_t stored = 0;
  for (size_t i = 0; i < kCrcBytes; ++i) {
    stored |=
        static_cast<uint32_t>(static_cast<uint8_t>(bytes[covered.size() + i]))
        << (8 * i);
  }
  const uint32_t computed = Crc32c(covered);
  if (stored != computed) {
    char text[96];
    std::snprintf(text, sizeof(text),
                  "checksum mismatch (stored CRC-32C %08x, computed %08x)",
                  stored, computed);
    return Corrupt(bytes, text);
  }
  const auto version = static_cast<uint8_t>(covered[0]);
  if (version != kOutcomeWindowFormatVersion) {
    return MakeError(
        absl::StatusCode::kDataLoss,
        absl::StrCat("outcome window has format version ",
                     static_cast<int>(version),
                     "; this build of slipway reads version ",
                     static_cast<int>(kOutcomeWindowFormatVersion)),
        ErrorDetail{kReasonWindowVersionUnsupported, kFormatRule,
                    std::string(bytes.substr(0, kMaxValueBytes)),
                    "the window was written by a newer slipway; read the "
                    "store with that version or newer"});
  }

  std::string_view in = covered.substr(1);
  OutcomeWindow w;
  std::array<uint64_t*, 7> counters = {&w.requests, &w.errors,  &w.predictions,
                                       &w.labelled, &w.correct, &w.successes,
                                       &w.trials};
  for (uint64_t* c : counters) {
    if (!wire::GetVarint(&in, c)) {
      return Corrupt(bytes,
                     "a counter is truncated or not a canonical LEB128 varint");
    }
  }
  std::string what;
  if (!LatencyHistogram::DecodeFrom(&in, &w.latency, &what)) {
    return Corrupt(bytes, what);
  }
  if (!in.empty()) {
    return Corrupt(
        bytes, absl::StrCat(in.size(), " bytes left over after the histogram"));
  }
  if (w.errors > w.requests) {
    return Corrupt(
        bytes, absl::StrCat("errors ", w.errors, " > requests ", w.requests));
  }
  if (w.correct > w.labelled) {
    return Corrupt(
        bytes, absl::StrCat("correct ", w.correct, " > labelled ", w.labelled));
  }
  if (w.successes > w.trials) {
    return Corrupt(
        bytes, absl::StrCat("successes ", w.successes, " > trials ", w.trials));
  }
  return w;
}

}  // namespace slipway::internal_monitoring
