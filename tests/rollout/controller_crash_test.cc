// Crash at every step: a child process runs the controller over a scripted
// rollout and _exit()s at the k-th hook point (after a commit, after each
// registry action, after acting), as kill -9 would; a fresh controller
// then reopens the store and runs the script again. The rollout must end
// as an uncrashed run does, with one audit record per transition and a
// sound chain. And two processes ticking one store never apply a
// transition twice.
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/rollout/controller_test_util.h"

namespace slipway::controller_test {
namespace {

struct Outcome {
  std::string phase;
  int stage = 0;
  int64_t transitions = 0;
  std::string path;  // from->to:input, ...
  std::string routing;
  std::string stable;
  bool held = false;
  int audited = 0;
  bool chain_ok = false;
  bool operator==(const Outcome&) const = default;
};

class ControllerCrashTest : public ControllerFixture {
 protected:
  // The script, relative to `base`: deploy (unless a rollout exists), then
  // 40 minutes of healthy traffic with a tick each minute and the approval
  // the plan awaits. Re-running it after a crash is safe: every step is
  // decided by the stored state.
  void Script(absl::Time base) {
    absl::StatusOr<std::vector<internal_storage::RolloutRecord>> all =
        backends_.rollouts->ListRollouts("fraud-stg", false);
    ASSERT_TRUE(all.ok());
    std::string id;
    if (all->empty()) {
      DeployOptions o;
      o.plan = CanaryPlan();
      absl::StatusOr<RolloutState> s = ctl_->Deploy("fraud", "2.0.0", "fraud-stg", o);
      ASSERT_TRUE(s.ok()) << s.status();
      id = s->id();
    } else {
      id = (*all)[0].rollout_id;
    }
    for (int m = 0; m < 40; ++m) {
      const absl::Time at = base + absl::Minutes(m);
      if (clock_.Now() < at + absl::Minutes(1)) {
        ASSERT_TRUE(clock_.Advance(at + absl::Minutes(1) - clock_.Now()).ok());
      }
      Record("fraud-stg", at, Minute{}, Minute{});
      ASSERT_TRUE(ctl_->Tick().ok());
      RolloutState s = Get(id);
      if (s.phase() == RolloutState::AWAITING_APPROVAL) {
        absl::StatusOr<RolloutState> a =
            ctl_->Approve(id, "full", "lead", "platform-lead");
        // Another controller process may have approved it first.
        ASSERT_TRUE(a.ok() || ReasonOf(a.status()) == "APPROVAL_NOT_EXPECTED" ||
                    ReasonOf(a.status()) == "ROLLOUT_ENDED")
            << a.status();
      }
    }
  }

  Outcome Observe() {
    Outcome o;
    absl::StatusOr<std::vector<internal_storage::RolloutRecord>> all =
        backends_.rollouts->ListRollouts("fraud-stg", false);
    EXPECT_TRUE(all.ok() && all->size() == 1u);
    if (!all.ok() || all->empty()) return o;
    RolloutState s = Get((*all)[0].rollout_id);
    o.phase = std::string(internal_rollout::PhaseName(s.phase()));
    o.stage = s.stage_index();
    o.transitions = s.transition_count();
    absl::StatusOr<std::vector<internal_storage::TransitionRecord>> ts =
        backends_.rollouts->ListTransitions(s.id());
    EXPECT_TRUE(ts.ok());
    for (const auto& t : *ts) {
      o.path += t.from_phase + "->" + t.to_phase + ":" + t.input + ",";
    }
    absl::StatusOr<internal_storage::RoutingSnapshot> r =
        backends_.rollouts->GetRouting("fraud-stg");
    EXPECT_TRUE(r.ok());
    o.routing = r->stable_version + "/" + r->candidate_version + "/" +
                std::to_string(r->candidate_weight);
    o.stable = backends_.rollouts->GetEndpoint("fraud-stg")->stable_version;
    absl::StatusOr<std::vector<internal_storage::VersionHold>> held =
        backends_.registry->ProtectedVersions("fraud", 0);
    EXPECT_TRUE(held.ok());
    o.held = !held->empty();
    o.audited = AuditCount("success");
    o.chain_ok = auditor_->Verify().ok();
    return o;
  }

  // A fresh seeded store named `name`.
  void Fresh(const std::string& name, ControllerOptions options = {}) {
    Close();
    db_name_ = name;
    Open(std::move(options));
    Seed();
  }
};

TEST_F(ControllerCrashTest, CrashAtEveryStepEndsLikeAnUncrashedRun) {
  int points = 0;
  ControllerOptions counting;
  counting.hook = [&points](std::string_view) { ++points; };
  Fresh("reference.db", counting);
  Script(clock_.Now());
  const Outcome want = Observe();
  ASSERT_EQ(want.phase, "COMPLETED");
  ASSERT_EQ(want.audited, want.transitions);
  ASSERT_GT(points, 3);
  for (int k = 1; k <= points; ++k) {
    Fresh("crash-" + std::to_string(k) + ".db");
    const absl::Time base = clock_.Now();
    Close();
    const pid_t pid = ::fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
      int seen = 0;
      ControllerOptions o;
      o.hook = [&seen, k](std::string_view) {
        if (++seen == k) ::_exit(0);
      };
      Open(std::move(o));
      Script(base);
      ::_exit(3);  // never crashed: more points than the reference run
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "k=" << k;
    Open();
    Script(base);
    EXPECT_EQ(Observe(), want) << "crash at point " << k;
  }
}

TEST_F(ControllerCrashTest, TwoProcessesTickingOneStoreNeverDoubleApply) {
  Fresh("shared.db");
  DeployOptions o;
  o.plan = CanaryPlan();
  ASSERT_TRUE(ctl_->Deploy("fraud", "2.0.0", "fraud-stg", o).ok());
  const absl::Time base = clock_.Now();
  Close();
  std::vector<pid_t> kids;
  for (int p = 0; p < 2; ++p) {
    const pid_t pid = ::fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
      Open();
      Script(base);
      ::_exit(::testing::Test::HasFailure() ? 1 : 0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Open();
  const Outcome got = Observe();
  EXPECT_EQ(got.phase, "COMPLETED");
  EXPECT_EQ(got.path,
            "PENDING->IN_STAGE:deploy,IN_STAGE->AWAITING_APPROVAL:tick,"
            "AWAITING_APPROVAL->IN_STAGE:approve,IN_STAGE->COMPLETED:tick,");
  EXPECT_EQ(got.audited, got.transitions);
  EXPECT_TRUE(got.chain_ok);
}

}  // namespace
}  // namespace slipway::controller_test
