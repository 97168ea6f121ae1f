// Two forked processes append 500 records each to one store file through
// their own connections, with the real clock: the result is one valid chain
// of 1,000 records with no seq used twice (BEGIN IMMEDIATE serialises the
// read of the anchor and the insert).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "src/audit/auditor.h"
#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_audit {
namespace {

using ::slipway::audit_test::EnvVars;
using ::slipway::audit_test::TempDir;

constexpr int kProcesses = 2;
constexpr int kRecordsEach = 500;

// Runs in a child: waits for the gate to open, appends; returns the exit
// code (0 = every append succeeded).
int Writer(const std::string& path, int writer, int gate) {
  char byte;
  (void)::read(gate, &byte, 1);  // Returns when the parent closes the gate.
  absl::StatusOr<std::unique_ptr<internal_storage::SqliteAuditBackend>>
      backend = internal_storage::SqliteAuditBackend::Open(path, {}, nullptr);
  if (!backend.ok()) {
    std::fprintf(stderr, "writer %d: %s\n", writer,
                 backend.status().ToString().c_str());
    return 1;
  }
  Auditor auditor(backend->get(), Env{},
                  {.agent = "writer-" + std::to_string(writer),
                   .user = "u",
                   .env_vars = EnvVars({})});
  for (int i = 0; i < kRecordsEach; ++i) {
    AuditEvent event;
    event.command = "test.append";
    event.resource_name = std::to_string(writer) + ":" + std::to_string(i);
    absl::Status status = auditor.Record(event);
    if (!status.ok()) {
      std::fprintf(stderr, "writer %d, record %d: %s\n", writer, i,
                   status.ToString().c_str());
      return 2;
    }
  }
  return 0;
}

TEST(AuditMultiProcessTest, TwoProcessesAppendingAtOnceBuildOneValidChain) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    // Create and migrate the file before the race.
    auto backend = internal_storage::SqliteAuditBackend::Open(path, {}, nullptr);
    ASSERT_TRUE(backend.ok()) << backend.status();
  }
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int w = 0; w < kProcesses; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      ::_exit(Writer(path, w, gate[0]));
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // Opens the gate for every child at once.
  for (pid_t pid : children) {
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFEXITED(wstatus));
    EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  }

  auto backend = internal_storage::SqliteAuditBackend::Open(path, {}, nullptr);
  ASSERT_TRUE(backend.ok());
  Auditor auditor(backend->get(), Env{}, {.env_vars = EnvVars({})});
  absl::StatusOr<ChainReport> report = auditor.CheckChain();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->first_break.has_value())
      << report->first_break->why;
  EXPECT_EQ(report->records_checked, kProcesses * kRecordsEach);
  EXPECT_TRUE(auditor.Verify().ok());

  absl::StatusOr<std::vector<AuditRecord>> all = auditor.Read({.limit = 0});
  ASSERT_EQ(all->size(), static_cast<size_t>(kProcesses * kRecordsEach));
  std::set<std::string> names;
  for (const AuditRecord& r : *all) names.insert(r.resource_name);
  EXPECT_EQ(names.size(), all->size()) << "every append landed exactly once";
}

}  // namespace
}  // namespace slipway::internal_audit
