// libFuzzer target for stored outcome windows (src/monitoring/outcome_window.h)
// and the latency histogram inside them.
//
// Input layout: the first byte (modulo 2) selects the mode; the rest is the
// payload.
//
//   0  decode: the payload is a stored window. DecodeOutcomeWindow must not
//      crash; an error must be DataLoss with a WINDOW_* reason; a window that
//      decodes must re-encode to exactly the payload (the stored form is
//      canonical), satisfy the window's invariants (errors <= requests,
//      correct <= labelled, successes <= trials, histogram count = the sum
//      of its buckets, min and max in its first and last non-empty buckets),
//      give quantiles inside [min, max], and merge with itself to a window
//      with every count doubled.
//   1  build: 7 bytes of counters (scaled so that the invariants hold),
//      then latencies of 2 bytes each (a mantissa byte and an exponent byte
//      spanning 2^-16 .. 2^24 ms, plus NaN, -1, +inf and 0 codes) recorded
//      into the histogram. Then: decode(encode(w)) == w; every quantile is
//      within LatencyHistogram::kQuantileRelativeError of the exact
//      nearest-rank quantile whenever that sample lies in a regular bucket,
//      and the exact min/max otherwise; one flipped bit (chosen by the last
//      4 bytes) and a cut are DataLoss.
//
// A failed property prints the property and the input in hex, then traps.
// The same file builds into a libFuzzer binary (SLIPWAY_BUILD_FUZZERS) and,
// with replay_main.cc, into the ctest fuzz_window_corpus.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "slipway/status.h"
#include "src/monitoring/latency_histogram.h"
#include "src/monitoring/outcome_window.h"

namespace {

using ::slipway::internal_monitoring::DecodeOutcomeWindow;
using ::slipway::internal_monitoring::EncodeOutcomeWindow;
using ::slipway::internal_monitoring::LatencyHistogram;
using ::slipway::internal_monitoring::OutcomeWindow;

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

#define PROPERTY(cond, property)                            \
  do {                                                      \
    if (!(cond)) Fail(property, #cond, __FILE__, __LINE__); \
  } while (false)

bool IsWindowError(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kDataLoss) return false;
  const auto detail = slipway::GetErrorDetail(s);
  return detail && (detail->reason == "WINDOW_CORRUPT" ||
                    detail->reason == "WINDOW_VERSION_UNSUPPORTED");
}

std::string Encode(const OutcomeWindow& w) {
  std::string out;
  EncodeOutcomeWindow(w, &out);
  return out;
}

constexpr double kQs[] = {0,    0.001, 0.01, 0.1,  0.25,  0.5,
                          0.75, 0.9,   0.95, 0.99, 0.999, 1};

void CheckWindow(const OutcomeWindow& w) {
  PROPERTY(w.errors <= w.requests, "errors <= requests");
  PROPERTY(w.correct <= w.labelled, "correct <= labelled");
  PROPERTY(w.successes <= w.trials, "successes <= trials");
  const LatencyHistogram& h = w.latency;
  uint64_t total = 0;
  size_t first = LatencyHistogram::kBucketCount, last = 0;
  for (size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    if (h.bucket(i) == 0) continue;
    total += h.bucket(i);
    first = std::min(first, i);
    last = i;
  }
  PROPERTY(total == h.count(),
           "the histogram's count is the sum of its buckets");
  if (h.count() == 0) {
    PROPERTY(std::isnan(h.Quantile(0.5)), "an empty histogram has no quantile");
    return;
  }
  PROPERTY(LatencyHistogram::BucketIndex(h.min()) == first &&
               LatencyHistogram::BucketIndex(h.max()) == last,
           "min and max lie in the first and last non-empty buckets");
  for (double q : kQs) {
    const double v = h.Quantile(q);
    PROPERTY(v >= h.min() && v <= h.max(), "a quantile lies in [min, max]");
  }
  PROPERTY(h.Quantile(0) == h.min() && h.Quantile(1) == h.max(),
           "quantiles 0 and 1 are the exact min and max");
}

void CheckDecode(std::string_view bytes) {
  const absl::StatusOr<OutcomeWindow> w = DecodeOutcomeWindow(bytes);
  if (!w.ok()) {
    PROPERTY(IsWindowError(w.status()),
             "decode errors are DataLoss with a WINDOW_* reason");
    return;
  }
  PROPERTY(Encode(*w) == bytes,
           "a stored window that decodes re-encodes to the same bytes");
  CheckWindow(*w);
  OutcomeWindow doubled = *w;
  doubled.Merge(*w);
  PROPERTY(doubled.latency.count() == 2 * w->latency.count() &&
               doubled.requests == 2 * w->requests &&
               doubled.latency.min() == w->latency.min() &&
               doubled.latency.max() == w->latency.max(),
           "merging a window with itself doubles its counts");
  for (size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    PROPERTY(doubled.latency.bucket(i) == 2 * w->latency.bucket(i),
             "merging doubles every bucket");
  }
}

// 2 bytes -> a latency: exponent byte e, mantissa byte m.
double Latency(uint8_t e, uint8_t m) {
  switch (e) {
    case 250:
      return std::numeric_limits<double>::quiet_NaN();
    case 251:
      return -1.0;
    case 252:
      return std::numeric_limits<double>::infinity();
    case 253:
      return 0.0;
    case 254:
      return -0.0;
    case 255:
      return LatencyHistogram::kOverflowMs;
    default:
      break;
  }
  return std::ldexp(1.0 + m / 256.0, e % 41 - 16);
}

void CheckBuilt(const uint8_t* p, size_t n, uint32_t mutation) {
  OutcomeWindow w;
  if (n >= 7) {
    // Scaled so that every invariant holds: errors = requests·b/255, etc.
    w.requests = uint64_t{p[0]} << (p[1] % 57);
    w.errors = w.requests / 255 * p[1];
    w.predictions = uint64_t{p[2]} * 1000003;
    w.labelled = uint64_t{p[3]} << (p[4] % 50);
    w.correct = w.labelled / 255 * p[4];
    w.trials = uint64_t{p[5]} * 977;
    w.successes = w.trials / 255 * p[6];
    p += 7;
    n -= 7;
  }
  std::vector<double> valid;
  for (size_t i = 0; i + 2 <= n; i += 2) {
    const double v = Latency(p[i], p[i + 1]);
    w.latency.Record(v);
    if (v >= 0 && std::isfinite(v)) valid.push_back(v + 0.0);
  }
  PROPERTY(w.latency.count() == valid.size(),
           "only finite non-negative latencies count");
  PROPERTY(w.latency.invalid_count() == n / 2 - valid.size(),
           "the others are invalid");
  CheckWindow(w);

  // Quantiles against the exact nearest-rank sample.
  std::sort(valid.begin(), valid.end());
  for (double q : kQs) {
    if (valid.empty()) break;
    const double size = static_cast<double>(valid.size());
    const size_t rank = std::min(
        valid.size(), static_cast<size_t>(std::max(1.0, std::ceil(q * size))));
    const double exact = valid[rank - 1];
    const double got = w.latency.Quantile(q);
    const size_t bucket = LatencyHistogram::BucketIndex(exact);
    if (rank == 1 || rank == valid.size()) {
      PROPERTY(got == exact, "the first and last ranks are exact");
    } else if (bucket == LatencyHistogram::kUnderflowBucket) {
      PROPERTY(got == valid.front(), "an underflow quantile is the minimum");
    } else if (bucket == LatencyHistogram::kOverflowBucket) {
      PROPERTY(got == valid.back(), "an overflow quantile is the maximum");
    } else {
      PROPERTY(std::abs(got - exact) <=
                   exact * LatencyHistogram::kQuantileRelativeError,
               "a resolved quantile is within 1/128 of the exact one");
    }
  }

  const std::string bytes = Encode(w);
  const absl::StatusOr<OutcomeWindow> back = DecodeOutcomeWindow(bytes);
  PROPERTY(back.ok() && *back == w, "decode(encode(w)) == w");
  std::string flipped = bytes;
  const size_t bit = mutation % (flipped.size() * 8);
  flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
  PROPERTY(IsWindowError(DecodeOutcomeWindow(flipped).status()),
           "a single flipped bit is DataLoss (CRC-32C)");
  PROPERTY(
      IsWindowError(DecodeOutcomeWindow(std::string_view(bytes).substr(
                                            0, (mutation >> 8) % bytes.size()))
                        .status()),
      "a truncated window is DataLoss");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_input = std::string_view(reinterpret_cast<const char*>(data), size);
  if (size == 0) return 0;
  const uint8_t* p = data + 1;
  size_t n = size - 1;
  if (data[0] % 2 == 0) {
    CheckDecode(std::string_view(reinterpret_cast<const char*>(p), n));
    return 0;
  }
  uint32_t mutation = 0;
  if (n >= 4) {
    std::memcpy(&mutation, p + n - 4, 4);
    n -= 4;
  }
  CheckBuilt(p, n, mutation);
  return 0;
}
