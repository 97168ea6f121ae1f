// Prometheus text exposition (format 0.0.4) of a Router's metrics: plain
// values in, text out, so the format is tested without a router.
//
// Latency is exported as a histogram coarsened from LatencyHistogram's
// 1,730 buckets to kPrometheusLatencyBoundsMs: a fine bucket [lo, hi) is
// counted under `le` when hi <= le. Every bound listed is a fine-bucket
// boundary, so the coarse counts are exact except that a latency exactly
// equal to a bound is counted in the next `le`.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_ROLLOUT_PROMETHEUS_H_
#define SLIPWAY_SRC_ROLLOUT_PROMETHEUS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slipway::internal_rollout {

inline constexpr std::array<double, 15> kPrometheusLatencyBoundsMs = {
    0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

struct VariantMetrics {
  std::string variant;  // "stable" / "candidate"
  std::string version;  // may be empty (no candidate)
  double weight = 0;    // share of traffic served
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t predictions = 0;
  uint64_t labelled = 0;
  uint64_t correct = 0;
  // Cumulative counts per kPrometheusLatencyBoundsMs bound, then the count
  // of all measured latencies (+Inf) and their sum in ms.
  std::array<uint64_t, kPrometheusLatencyBoundsMs.size()> latency_le{};
  uint64_t latency_count = 0;
  double latency_sum_ms = 0;
};

struct RouterMetrics {
  std::string endpoint;
  std::string replica;
  int64_t generation = 0;
  bool shadow = false;
  std::vector<VariantMetrics> variants;
  double last_refresh_unix_seconds = 0;  // 0: never
  int64_t consecutive_refresh_failures = 0;
  bool emergency_stop = false;
  int64_t windows_persisted = 0;
  int64_t labels_unmatched = 0;
  int64_t predictions_evicted = 0;
};

// Escapes a label value: backslash, double quote and newline.
std::string PrometheusEscapeLabel(std::string_view value);
// A sample value: integers without exponent, NaN / +Inf / -Inf spelled as
// Prometheus wants.
std::string PrometheusValue(double value);

std::string FormatPrometheus(const RouterMetrics& m);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_PROMETHEUS_H_
