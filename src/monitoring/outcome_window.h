// OutcomeWindow: what one variant (stable or candidate) of one endpoint
// served in one minute, the unit the rollout guardrails read (design 0004,
// SPEC §3 "Automated rules").
//
// A window holds counters and a LatencyHistogram; it knows neither its
// variant nor its minute (the store keys it by both). Windows add up:
// several serving replicas each fill their own window for a minute and the
// store sums them (Merge, or one GROUP BY over the numeric columns plus a
// histogram merge). Labels arrive later than predictions: the serving side
// adds `labelled` and `correct` to the window of the minute the prediction
// was made in, so a past window can gain labels after it closed; a window
// holding only label counts merges like any other.
//
// Stored form: EncodeOutcomeWindow / DecodeOutcomeWindow, a compact
// versioned byte string with a CRC-32C (docs/monitoring.md, "Stored
// windows"). Corrupt bytes decode to DataLoss, never to a crash.
//
// Thread-safety: OutcomeWindow is a plain value type without
// synchronisation (see LatencyHistogram). The functions are pure and
// thread-safe.
#ifndef SLIPWAY_SRC_MONITORING_OUTCOME_WINDOW_H_
#define SLIPWAY_SRC_MONITORING_OUTCOME_WINDOW_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/monitoring/latency_histogram.h"

namespace slipway::internal_monitoring {

// The format version written in the first byte of a stored window.
inline constexpr uint8_t kOutcomeWindowFormatVersion = 1;

// Error reasons (ErrorDetail::reason) returned by this file.
inline constexpr char kReasonWindowCorrupt[] = "WINDOW_CORRUPT";
inline constexpr char kReasonWindowVersionUnsupported[] =
    "WINDOW_VERSION_UNSUPPORTED";

struct OutcomeWindow {
  // Requests served, and those that failed (errors <= requests). The error
  // rate guardrail reads these.
  uint64_t requests = 0;
  uint64_t errors = 0;
  // Latency of the requests, in ms (the p99 guardrail).
  LatencyHistogram latency;
  // Predictions made; of those, how many have a label so far and how many
  // of the labelled ones were right (correct <= labelled). Accuracy is
  // correct / labelled; the accuracy guardrail reads these.
  uint64_t predictions = 0;
  uint64_t labelled = 0;
  uint64_t correct = 0;
  // The A/B test's primary metric as a proportion: successes out of trials
  // (successes <= trials), e.g. conversions out of recommendations shown.
  // Higher is better (significance.h).
  uint64_t successes = 0;
  uint64_t trials = 0;

  // Adds `other` into this window: every counter and the histogram.
  // Counters are 64-bit and wrap only past 1.8e19, which no endpoint
  // reaches.
  void Merge(const OutcomeWindow& other);

  friend bool operator==(const OutcomeWindow&, const OutcomeWindow&) = default;
};

// Appends the stored form of `window` to `*out` (existing contents are
// kept). Layout (docs/monitoring.md): [version 1][7 counters as LEB128
// varints][histogram][CRC-32C of everything before it, 4 bytes LE]. An empty
// window takes 14 bytes; each non-empty latency bucket adds 2-4 bytes
// (typically) and a non-empty histogram 24 more. Deterministic: equal
// windows encode to equal bytes.
void EncodeOutcomeWindow(const OutcomeWindow& window, std::string* out);

// Returns the window stored in exactly `bytes` (nothing after it).
//
// Errors, DataLoss with reason:
//   WINDOW_CORRUPT               the CRC does not match, the bytes are
//                                truncated or have bytes left over, a varint
//                                is not canonical, or the window breaks an
//                                invariant (errors > requests, correct >
//                                labelled, successes > trials, an
//                                inconsistent histogram); the message says
//                                which
//   WINDOW_VERSION_UNSUPPORTED   an intact window of a newer format
// Every window EncodeOutcomeWindow writes decodes to an equal window, and
// every byte string that decodes re-encodes to exactly itself. Never reads
// outside `bytes`; allocates nothing in proportion to the input.
absl::StatusOr<OutcomeWindow> DecodeOutcomeWindow(std::string_view bytes);

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_OUTCOME_WINDOW_H_
