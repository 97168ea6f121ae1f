// Downsampling a metric history for plotting: keep each bucket's first,
// minimum, maximum and last points, so a curve keeps its spikes and ends.
#ifndef SLIPWAY_SRC_TRACKING_DOWNSAMPLE_H_
#define SLIPWAY_SRC_TRACKING_DOWNSAMPLE_H_

#include <cstddef>

#include "slipway/tracking.h"

namespace slipway::internal_tracking {

// Reduces `history` in place to at most `max_points` points (about
// max_points/4 buckets of consecutive points, four kept per bucket: first,
// min, max, last, in their original order; NaN never counts as min or max).
// Does nothing when max_points is 0 or the history is already small enough.
void Downsample(size_t max_points, MetricHistory* history);

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_DOWNSAMPLE_H_
