#include "src/tracking/downsample.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace slipway::internal_tracking {

void Downsample(size_t max_points, MetricHistory* h) {
  const size_t n = h->values.size();
  if (max_points == 0 || n <= max_points) return;
  if (max_points < 4) max_points = 4;  // one bucket: first, min, max, last
  const size_t buckets = max_points / 4;
  std::vector<size_t> keep;
  keep.reserve(buckets * 4);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = n * b / buckets;
    const size_t end = n * (b + 1) / buckets;
    if (begin >= end) continue;
    size_t lo = end, hi = end;  // end: "no non-NaN value yet"
    for (size_t i = begin; i < end; ++i) {
      const double v = h->values[i];
      if (std::isnan(v)) continue;
      if (lo == end || v < h->values[lo]) lo = i;
      if (hi == end || v > h->values[hi]) hi = i;
    }
    size_t picks[4] = {begin, lo, hi, end - 1};
    std::sort(picks, picks + 4);
    for (size_t p : picks) {
      if (p == end) continue;
      if (keep.empty() || keep.back() != p) keep.push_back(p);
    }
  }
  MetricHistory out;
  out.steps.reserve(keep.size());
  out.timestamps_ms.reserve(keep.size());
  out.values.reserve(keep.size());
  for (size_t i : keep) {
    out.steps.push_back(h->steps[i]);
    out.timestamps_ms.push_back(h->timestamps_ms[i]);
    out.values.push_back(h->values[i]);
  }
  *h = std::move(out);
}

}  // namespace slipway::internal_tracking
