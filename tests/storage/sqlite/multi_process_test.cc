// Many writers: four forked processes each commit 200 transactions to one
// file through their own Database, with the real clock. No error may reach
// any of them ("database is locked" never surfaces) and every row lands.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/statement.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::RawConnection;
using ::slipway::storage_test::TempDir;

constexpr int kProcesses = 4;
constexpr int kTransactionsEach = 200;

// Runs in a child: waits for the start signal on `gate`, writes, reports its
// busy retries on `report`; returns the exit code (0 = all committed).
int Writer(const std::string& path, int writer, int gate, int report) {
  char byte;
  (void)::read(gate, &byte, 1);  // Returns when the parent closes the gate.
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(path, {}, nullptr);
  if (!db.ok()) {
    std::fprintf(stderr, "writer %d: %s\n", writer,
                 db.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < kTransactionsEach; ++i) {
    absl::Status status = (*db)->RunInTransaction([&](Transaction& tx) {
      absl::StatusOr<Statement> stmt =
          tx.Prepare("INSERT INTO row(writer, seq, pid) VALUES (?1, ?2, ?3)");
      if (!stmt.ok()) return stmt.status();
      stmt->BindInt64(1, writer);
      stmt->BindInt64(2, i);
      stmt->BindInt64(3, ::getpid());
      return stmt->Run();
    });
    if (!status.ok()) {
      std::fprintf(stderr, "writer %d, transaction %d: %s\n", writer, i,
                   status.ToString().c_str());
      return 2;
    }
  }
  const int64_t retries = (*db)->busy_retries();
  (void)::write(report, &retries, sizeof(retries));
  return 0;
}

TEST(SqliteMultiProcessTest, FourProcessesWritingAtOnceLoseNothing) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(path, {}, nullptr);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->RunInTransaction([](Transaction& tx) {
                      return tx.Execute(
                          "CREATE TABLE row(writer INTEGER, seq INTEGER, "
                          "pid INTEGER, PRIMARY KEY (writer, seq)) STRICT");
                    })
                    .ok());
  }
  int gate[2];
  int report[2];
  ASSERT_EQ(::pipe(gate), 0);
  ASSERT_EQ(::pipe(report), 0);
  pid_t children[kProcesses];
  for (int w = 0; w < kProcesses; ++w) {
    children[w] = ::fork();
    ASSERT_GE(children[w], 0);
    if (children[w] == 0) {
      ::close(gate[1]);
      ::close(report[0]);
      ::_exit(Writer(path, w, gate[0], report[1]));
    }
  }
  ::close(gate[0]);
  ::close(report[1]);
  // All writers start at once.
  const auto start = std::chrono::steady_clock::now();
  ::close(gate[1]);
  for (int w = 0; w < kProcesses; ++w) {
    int wstatus = 0;
    ASSERT_EQ(::waitpid(children[w], &wstatus, 0), children[w]);
    ASSERT_TRUE(WIFEXITED(wstatus));
    EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "writer " << w << " (see stderr)";
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  int64_t retries = 0;
  int64_t one = 0;
  while (::read(report[0], &one, sizeof(one)) == sizeof(one)) retries += one;
  ::close(report[0]);
  // Informational: how hard the writers contended (0 is possible on an idle
  // machine where each writer's turn fits in a scheduler slice).
  std::printf("%d processes x %d transactions: %lld ms, %lld busy retries\n",
              kProcesses, kTransactionsEach,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed)
                      .count()),
              static_cast<long long>(retries));

  RawConnection raw(path);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM row"),
            std::to_string(kProcesses * kTransactionsEach));
  EXPECT_EQ(raw.Query("SELECT count(DISTINCT pid) FROM row"),
            std::to_string(kProcesses));
  for (int w = 0; w < kProcesses; ++w) {
    EXPECT_EQ(raw.Query("SELECT count(*) || ':' || min(seq) || ':' || "
                        "max(seq) FROM row WHERE writer = " +
                        std::to_string(w)),
              std::to_string(kTransactionsEach) +
                  ":0:" + std::to_string(kTransactionsEach - 1));
  }
  EXPECT_EQ(raw.Query("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace slipway::internal_storage
