// ParallelFor: splits [0, n) into contiguous ranges run on up to
// hardware_concurrency() threads (the caller runs one range itself), for
// CPU-bound batch work such as encoding many metric chunks at once.
//
// Threads are started per call (tens of microseconds), so callers use it
// only for work worth milliseconds: `min_per_thread` items per thread at
// least. `fn` must be safe to call concurrently on disjoint ranges.
#ifndef SLIPWAY_SRC_TRACKING_PARALLEL_H_
#define SLIPWAY_SRC_TRACKING_PARALLEL_H_

#include <cstddef>

#include "absl/functional/function_ref.h"

namespace slipway::internal_tracking {

void ParallelFor(size_t n, size_t min_per_thread,
                 absl::FunctionRef<void(size_t begin, size_t end)> fn);

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_PARALLEL_H_
