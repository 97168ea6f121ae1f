#include "slipway/testing/sequential_id_source.h"

#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace slipway::testing {
namespace {

using ::testing::MatchesRegex;

TEST(SequentialIdSourceTest, CountsFromOneInHex) {
  SequentialIdSource ids;
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000000001");
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000000002");
  for (int i = 3; i < 16; ++i) (void)ids.NewId();
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000000010");
}

TEST(SequentialIdSourceTest, StartsAtTheGivenValue) {
  SequentialIdSource ids(0xabcdef);
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000abcdef");
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000abcdf0");
}

TEST(SequentialIdSourceTest, IsDeterministic) {
  SequentialIdSource a;
  SequentialIdSource b;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = a.NewId();
    ASSERT_EQ(id, b.NewId());
    ASSERT_THAT(id, MatchesRegex("[0-9a-f]{32}"));
  }
}

TEST(SequentialIdSourceTest, WrapsAfterTheLargestCounter) {
  SequentialIdSource ids(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(ids.NewId(), "0000000000000000ffffffffffffffff");
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000000000");
}

TEST(SequentialIdSourceTest, ConcurrentCallersGetEachIdOnce) {
  SequentialIdSource ids;
  constexpr int kThreads = 4;
  constexpr int kIds = 2500;
  absl::Mutex mu;
  absl::flat_hash_set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < kIds; ++i) mine.push_back(ids.NewId());
      absl::MutexLock lock(&mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kThreads * kIds));
  // Exactly the ids 1..10000, in some order.
  EXPECT_TRUE(seen.contains("00000000000000000000000000000001"));
  EXPECT_TRUE(seen.contains("00000000000000000000000000002710"));
  EXPECT_EQ(ids.NewId(), "00000000000000000000000000002711");
}

}  // namespace
}  // namespace slipway::testing
