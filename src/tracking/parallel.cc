#include "src/tracking/parallel.h"

#include <algorithm>
#include <system_error>
#include <thread>
#include <vector>

namespace slipway::internal_tracking {
namespace {

// More threads than this buys nothing for chunk encoding (memory bound).
constexpr size_t kMaxThreads = 8;

}  // namespace

void ParallelFor(size_t n, size_t min_per_thread,
                 absl::FunctionRef<void(size_t begin, size_t end)> fn) {
  if (n == 0) return;
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  const size_t by_work = n / std::max<size_t>(1, min_per_thread);
  const size_t threads =
      std::max<size_t>(1, std::min({cores, kMaxThreads, by_work}));
  if (threads == 1) {
    fn(0, n);
    return;
  }
  const size_t per = (n + threads - 1) / threads;
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  size_t begin = per;  // the caller takes [0, per)
  for (; begin < n; begin += per) {
    const size_t end = std::min(n, begin + per);
    try {
      workers.emplace_back([fn, begin, end] { fn(begin, end); });
    } catch (const std::system_error&) {
      break;  // no thread to be had: the caller runs the rest itself
    }
  }
  fn(0, std::min(n, per));
  if (begin < n) fn(begin, n);
  for (std::thread& t : workers) t.join();
}

}  // namespace slipway::internal_tracking
