#include "src/tracking/parallel.h"

#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace slipway::internal_tracking {
namespace {

// Every index in [0, n) is visited exactly once, whatever the split.
TEST(ParallelForTest, VisitsEveryIndexExactlyOnce) {
  for (size_t n : {0u, 1u, 2u, 7u, 16u, 17u, 1000u, 4097u}) {
    for (size_t min_per_thread : {1u, 3u, 16u, 10000u}) {
      std::vector<std::atomic<int>> visits(n);
      ParallelFor(n, min_per_thread, [&](size_t begin, size_t end) {
        ASSERT_LE(begin, end);
        ASSERT_LE(end, n);
        for (size_t i = begin; i < end; ++i) visits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(visits[i].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(ParallelForTest, SmallWorkStaysOnTheCallingThread) {
  std::set<std::thread::id> threads;
  std::mutex mu;
  ParallelFor(10, 16, [&](size_t, size_t) {
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(*threads.begin(), std::this_thread::get_id());
}

TEST(ParallelForTest, LargeWorkUsesSeveralThreadsWhenThereAreCores) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one core";
  std::set<std::thread::id> threads;
  std::mutex mu;
  ParallelFor(1000, 10, [&](size_t, size_t) {
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_GE(threads.size(), 2u);
}

}  // namespace
}  // namespace slipway::internal_tracking
