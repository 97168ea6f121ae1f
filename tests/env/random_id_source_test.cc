#include "src/env/random_id_source.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/env.h"

namespace slipway::internal_env {
namespace {

using ::testing::MatchesRegex;

constexpr char kIdPattern[] = "[0-9a-f]{32}";

// Forks a child that writes the first id it draws from `source` to a pipe
// and exits; returns that id ("" on any failure, reported by the caller).
std::string FirstIdOfForkedChild(IdSource& source) {
  int fds[2];
  if (::pipe(fds) != 0) return "";
  const pid_t pid = ::fork();
  if (pid < 0) return "";
  if (pid == 0) {
    // Child: only async-signal-safe-ish work, then _exit (no gtest teardown).
    ::close(fds[0]);
    const std::string id = source.NewId();
    const ssize_t n = ::write(fds[1], id.data(), id.size());
    ::_exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string id(32, '\0');
  size_t got = 0;
  while (got < id.size()) {
    const ssize_t n = ::read(fds[0], id.data() + got, id.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != id.size() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "";
  }
  return id;
}

TEST(RandomIdSourceTest, IdsAre32LowercaseHexDigits) {
  RandomIdSource source;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(source.NewId(), MatchesRegex(kIdPattern));
  }
}

TEST(RandomIdSourceTest, TenThousandIdsAreUnique) {
  RandomIdSource source;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(seen.insert(source.NewId()).second) << "duplicate at " << i;
  }
}

TEST(RandomIdSourceTest, IdsUseEveryHexDigit) {
  // 128 random bits: over a few hundred ids every digit appears in every
  // position's neighbourhood; a stuck or biased formatter would not.
  RandomIdSource source;
  absl::flat_hash_set<char> digits;
  for (int i = 0; i < 200; ++i) {
    for (char c : source.NewId()) digits.insert(c);
  }
  EXPECT_EQ(digits.size(), 16u);
}

TEST(RandomIdSourceTest, TwoSourcesDoNotRepeatEachOther) {
  RandomIdSource a;
  RandomIdSource b;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(seen.insert(a.NewId()).second);
    ASSERT_TRUE(seen.insert(b.NewId()).second);
  }
}

TEST(RandomIdSourceTest, ConcurrentCallersGetDistinctIds) {
  RandomIdSource source;
  constexpr int kThreads = 4;
  constexpr int kIds = 2500;
  absl::Mutex mu;
  absl::flat_hash_set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < kIds; ++i) mine.push_back(source.NewId());
      absl::MutexLock lock(&mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kIds));
}

TEST(RandomIdSourceTest, ForkedChildDoesNotRepeatTheParentSequence) {
  RandomIdSource source;
  (void)source.NewId();  // The parent has drawn ids before forking.
  const std::string child_first = FirstIdOfForkedChild(source);
  ASSERT_THAT(child_first, MatchesRegex(kIdPattern)) << "child failed";
  // Without a reseed the child would return exactly the parent's next id.
  EXPECT_NE(child_first, source.NewId());
}

TEST(RandomIdSourceTest, SiblingChildrenDoNotRepeatEachOther) {
  // Two workers forked from one parent (a DataLoader) must not share a
  // sequence either; reseeding from a pool copied at fork would.
  RandomIdSource source;
  (void)source.NewId();
  const std::string first = FirstIdOfForkedChild(source);
  const std::string second = FirstIdOfForkedChild(source);
  ASSERT_THAT(first, MatchesRegex(kIdPattern));
  ASSERT_THAT(second, MatchesRegex(kIdPattern));
  EXPECT_NE(first, second);
  const std::string parent_next = source.NewId();
  EXPECT_NE(first, parent_next);
  EXPECT_NE(second, parent_next);
}

TEST(RandomIdSourceTest, DefaultEnvIdsAreRandomIds) {
  IdSource* ids = Env::Default().id_source;
  ASSERT_NE(ids, nullptr);
  const std::string a = ids->NewId();
  EXPECT_THAT(a, MatchesRegex(kIdPattern));
  EXPECT_NE(a, ids->NewId());
  const std::string child = FirstIdOfForkedChild(*ids);
  ASSERT_THAT(child, MatchesRegex(kIdPattern));
  EXPECT_NE(child, ids->NewId());
}

}  // namespace
}  // namespace slipway::internal_env
