// Reliability of tracking for real (issue 3): kill -9 in the middle of
// logging, and several processes logging to one SQLite file at once.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/store.h"

namespace slipway {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/slipway_crash_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open";
  }
  std::string result;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// Child: logs batches of points, flushes after each, and reports the number
// of points durable so far (8 bytes) plus the run id (first message) on
// `fd`. Never returns.
[[noreturn]] void LogUntilKilled(const std::string& path, int fd) {
  auto store = Store::Open(path);
  if (!store.ok()) ::_exit(2);
  auto run = (*store)->StartRun({});
  if (!run.ok()) ::_exit(3);
  if (::write(fd, (*run)->id().data(), 32) != 32) ::_exit(4);
  int64_t durable = 0;
  for (int64_t step = 0;; ++step) {
    if (!(*run)->LogMetric("loss", static_cast<double>(step), step).ok()) ::_exit(5);
    if (step % 997 == 996) {
      if (!(*run)->Flush().ok()) ::_exit(6);
      durable = step + 1;
      if (::write(fd, &durable, sizeof(durable)) != sizeof(durable)) ::_exit(7);
    }
  }
}

TEST(StoreCrashTest, KillNineLosesNothingFlushedAndNeverCorrupts) {
  TempDir dir;
  const std::string path = dir.File("crash.db");
  std::mt19937 rng(20261126);
  std::uniform_int_distribution<int> delay_us(2'000, 60'000);
  constexpr int kRounds = 20;
  int rounds_with_durable_points = 0;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      LogUntilKilled(path, fds[1]);
    }
    ::close(fds[1]);
    char id_buf[32];
    ASSERT_EQ(::read(fds[0], id_buf, 32), 32) << "child failed to start (round " << round << ")";
    const std::string run_id(id_buf, 32);
    ::usleep(delay_us(rng));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    int64_t durable = 0, n;
    while (::read(fds[0], &n, sizeof(n)) == sizeof(n)) durable = n;
    ::close(fds[0]);

    ASSERT_EQ(IntegrityCheck(path), "ok") << "round " << round;
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<MetricHistory> h = (*store)->GetMetricHistory(run_id, "loss");
    if (durable == 0 && !h.ok()) continue;  // killed before any point was durable
    rounds_with_durable_points += durable > 0;
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_GE(static_cast<int64_t>(h->values.size()), durable) << "round " << round;
    // What is there is a prefix of what was logged, in order.
    for (size_t i = 0; i < h->values.size(); ++i) {
      ASSERT_EQ(h->steps[i], static_cast<int64_t>(i));
    }
  }
  // The kills must land mid-logging, not before anything happened.
  EXPECT_GE(rounds_with_durable_points, kRounds / 2);
}

TEST(StoreCrashTest, FourProcessesLogToOneFile) {
  TempDir dir;
  const std::string path = dir.File("shared.db");
  constexpr int kProcesses = 4;
  constexpr int kPoints = 200'000;
  std::vector<pid_t> pids;
  std::vector<int> read_fds;
  for (int p = 0; p < kProcesses; ++p) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      StoreOptions options;
      options.flush_interval = absl::Milliseconds(20);  // many commits, much contention
      auto store = Store::Open(path, options);
      if (!store.ok()) ::_exit(2);
      auto run = (*store)->StartRun({.experiment = "shared"});
      if (!run.ok()) ::_exit(3);
      for (int i = 0; i < kPoints; ++i) {
        if (!(*run)->LogMetric("loss", i, i).ok()) ::_exit(4);
      }
      if (!(*run)->End().ok()) ::_exit(5);
      if (::write(fds[1], (*run)->id().data(), 32) != 32) ::_exit(6);
      ::_exit(0);
    }
    ::close(fds[1]);
    pids.push_back(pid);
    read_fds.push_back(fds[0]);
  }
  std::vector<std::string> ids;
  for (int p = 0; p < kProcesses; ++p) {
    int status = 0;
    ::waitpid(pids[p], &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "writer " << p << " failed with " << WEXITSTATUS(status);
    char buf[32];
    ASSERT_EQ(::read(read_fds[p], buf, 32), 32);
    ids.emplace_back(buf, 32);
    ::close(read_fds[p]);
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  for (const std::string& id : ids) {
    absl::StatusOr<MetricHistory> h = (*store)->GetMetricHistory(id, "loss");
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_EQ(h->values.size(), static_cast<size_t>(kPoints));
    EXPECT_EQ((*store)->GetRun(id)->status, RunStatus::kFinished);
  }
  EXPECT_EQ(IntegrityCheck(path), "ok");
}

}  // namespace
}  // namespace slipway
