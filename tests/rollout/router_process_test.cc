// Routers in separate processes on one real store file: the outcomes of two serving processes add up in the controller's
// view, and a rollback written by one process reaches a router in another
// within one second (the measured delay is printed). Each process's store
// clock is the real clock shifted to a chosen minute, so the windows land in
// the minutes the controller reads.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "slipway/router.h"
#include "slipway/store.h"
#include "slipway/env.h"
#include "tests/registry/registry_test_util.h"

namespace slipway {
namespace {

using ::slipway::registry_test::kAlice;
using ::slipway::registry_test::TempDir;

// The real clock shifted by a constant (tests only read absl::Now here).
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(absl::Duration shift) : shift_(shift) {}
  absl::Time Now() const override { return absl::Now() + shift_; }
  void SleepFor(absl::Duration d) override { absl::SleepFor(d); }

 private:
  const absl::Duration shift_;
};

class RouterProcessTest : public ::testing::Test {
 protected:
  // T0: the start of a minute; the rollout's stage begins just after it.
  static absl::Time T0() { return absl::FromUnixSeconds(1767225600); }
  // A store whose clock reads `at` now and then runs (and sleeps) in real
  // time: a FakeClock would make the SQLite busy retries of two writing
  // processes give up at once, as its sleeps only move its time.
  std::unique_ptr<Store> OpenStore(absl::Time at = T0()) {
    clock_ = std::make_unique<ShiftedClock>(at - absl::Now());
    StoreOptions o;
    o.env.clock = clock_.get();
    o.emergency_stop_file = dir_.File("slipway.STOP");
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(path_, o);
    if (!s.ok()) {
      std::fprintf(stderr, "open: %s\n", s.status().ToString().c_str());
      return nullptr;
    }
    return *std::move(s);
  }
  // Registers fraud 1.0.0 / 2.0.0 and endpoint fraud-stg, deploys 2.0.0 at
  // `weight`; returns the rollout id. The store is closed on return (fork
  // happens with no store open).
  std::string SetUpRollout(double weight) {
    std::unique_ptr<Store> s = OpenStore();
    EXPECT_NE(s, nullptr);
    for (const char* v : {"1.0.0", "2.0.0"}) {
      RegisterModelVersionRequest r;
      r.model = "fraud";
      r.version = v;
      r.actor = kAlice;
      EXPECT_TRUE(s->RegisterModelVersion(r).ok());
    }
    EXPECT_TRUE(s->RegisterEndpoint("fraud-stg", "staging", "fraud", "1.0.0",
                                    {{"accuracy", 0.05},
                                     {"latency", 1.5},
                                     {"drift", 3}},
                                    kAlice)
                    .ok());
    DeployOptions d;
    d.plan_json = absl::StrCat(
        R"({"stages": [{"name": "canary-1", "candidate_weight": )", weight,
        R"(, "min_observation_seconds": 1800}, {"name": "full", )",
        R"("candidate_weight": 1, "approval_role": "platform-lead"}]})");
    d.actor = kAlice;
    absl::StatusOr<RolloutStatus> ro = s->Deploy("fraud", "2.0.0", "fraud-stg", d);
    EXPECT_TRUE(ro.ok()) << ro.status();
    return ro.ok() ? ro->id : "";
  }

  TempDir dir_;
  const std::string path_ = dir_.File("s.db");
  std::unique_ptr<ShiftedClock> clock_;
};

TEST_F(RouterProcessTest, TwoProcessesOutcomesAddUp) {
  const std::string id = SetUpRollout(0.1);
  ASSERT_FALSE(id.empty());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < 2; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      int64_t candidate = -1;
      {
        // Serving in the minute after T0 (the run takes well under 50 s).
        std::unique_ptr<Store> s = OpenStore(T0() + absl::Seconds(65));
        if (s == nullptr) ::_exit(2);
        absl::StatusOr<std::unique_ptr<Router>> r = s->OpenRouter("fraud-stg");
        if (!r.ok()) ::_exit(3);
        candidate = 0;
        for (int i = 0; i < 10'000; ++i) {
          const RouteDecision d = (*r)->Route(absl::StrCat("p", p, "-user-", i));
          (*r)->Record(d.variant, 5, false);
          candidate += d.variant == Variant::kCandidate;
        }
        if (absl::Status st = (*r)->Flush(); !st.ok()) {
          std::fprintf(stderr, "child %d: flush: %s\n", p, st.ToString().c_str());
          ::_exit(4);
        }
      }  // the router, then the store, close
      if (::write(fds[1], &candidate, sizeof(candidate)) != sizeof(candidate)) {
        ::_exit(5);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(fds[1]);
  int64_t expected = 0;
  for (const pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    int64_t n = 0;
    ASSERT_EQ(::read(fds[0], &n, sizeof(n)), sizeof(n));
    expected += n;
  }
  ::close(fds[0]);
  EXPECT_NEAR(expected, 2000, 250);
  // Two minutes after T0 the controller reads minute T0+1.
  std::unique_ptr<Store> s = OpenStore(T0() + absl::Seconds(125));
  ASSERT_NE(s, nullptr);
  absl::StatusOr<RolloutStatus> ro = s->GetRollout(id);
  ASSERT_TRUE(ro.ok()) << ro.status();
  EXPECT_EQ(ro->readings.candidate_requests, expected);
}

TEST_F(RouterProcessTest, RollbackReachesAnotherProcessWithinOneSecond) {
  const std::string id = SetUpRollout(0.1);
  ASSERT_FALSE(id.empty());
  int ready[2];
  int done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<Store> s = OpenStore();
    if (s == nullptr) ::_exit(2);
    absl::StatusOr<std::unique_ptr<Router>> r = s->OpenRouter("fraud-stg");
    if (!r.ok()) ::_exit(3);
    // A key the candidate serves ("user-10" is in bucket 6 < 1000).
    if ((*r)->Route(std::string_view("user-10")).version != "2.0.0") ::_exit(4);
    const char c = 'r';
    if (::write(ready[1], &c, 1) != 1) ::_exit(5);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while ((*r)->Route(std::string_view("user-10")).version != "1.0.0") {
      if (absl::Now() > deadline) ::_exit(6);
      absl::SleepFor(absl::Microseconds(200));
    }
    const int64_t seen_ns = absl::ToUnixNanos(absl::Now());
    if (::write(done[1], &seen_ns, sizeof(seen_ns)) != sizeof(seen_ns)) {
      ::_exit(7);
    }
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  std::unique_ptr<Store> s = OpenStore();
  ASSERT_NE(s, nullptr);
  const absl::Time before = absl::Now();
  absl::StatusOr<RolloutStatus> rb = s->RollbackRollout(id, "manual", kAlice);
  const absl::Time committed = absl::Now();
  ASSERT_TRUE(rb.ok()) << rb.status();
  int64_t seen_ns = 0;
  ASSERT_EQ(::read(done[0], &seen_ns, sizeof(seen_ns)), sizeof(seen_ns));
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const absl::Duration delay = absl::FromUnixNanos(seen_ns) - committed;
  std::printf(
      "rollback committed in %s; seen by the other process's router %s after "
      "the commit (refresh_interval 250 ms)\n",
      absl::FormatDuration(committed - before).c_str(),
      absl::FormatDuration(delay).c_str());
  EXPECT_LT(delay, absl::Seconds(1));
}

}  // namespace
}  // namespace slipway
