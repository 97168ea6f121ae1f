// The Router (slipway/router.h): the documented hash, sticky and uniform
// routing, shadow mirroring, outcomes that add up in the controller's view
// (a real store file on a FakeClock), labels by request id, the Prometheus
// text, serving through a store outage, and no allocation on the hot path.
#include "slipway/router.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/store.h"
#include "slipway/testing/fake_clock.h"
#include "slipway/testing/sequential_id_source.h"
#include "src/rollout/prometheus.h"
#include "src/rollout/router.h"
#include "tests/registry/registry_test_util.h"

// Counts every allocation of this test binary (the hot-path test asserts
// none happens across a million calls).
namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace slipway {
namespace {

using ::slipway::internal_monitoring::OutcomeWindow;
using ::slipway::internal_rollout::RouterLink;
using ::slipway::registry_test::kAlice;
using ::slipway::registry_test::RegistryStoreTest;
using ::testing::HasSubstr;

// --- The documented hash: pinned values, also asserted from Python -------

struct StringCase {
  const char* key;
  uint64_t hash;
  uint32_t bucket;
};
// tests/python/test_router.py holds the same table.
constexpr StringCase kStringCases[] = {
    {"", 0xf52a15e9a9b5e89bULL, 6203},
    {"a", 0x02c0bdbf481420f8ULL, 3736},
    {"user-1", 0xc499b5f8a721df58ULL, 7624},
    {"user-2", 0x4fb38f414590a87bULL, 8795},
    {"user-3", 0x7cb122970a23b0a2ULL, 7394},
    {"user-123", 0xb8e243ce6370b569ULL, 3305},
    {"fraud-prod", 0xb2c2b99d8dd4a1b3ULL, 6387},
    {"\xc3\xbcmlaut", 0x0a3be2ee47e0f6abULL, 7435},
    {"order-98765", 0x3abb26178dc165afULL, 8191},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0xc11ec72499074de1ULL, 4145},
    {"user-10", 0x469391a2b7c59256ULL, 6},
    {"user-14", 0x52fe1de57436770aULL, 138},
    {"user-19", 0xa42deb87b47ccbadULL, 829},
};
struct IntCase {
  uint64_t key;
  uint64_t hash;
  uint32_t bucket;
};
constexpr IntCase kIntCases[] = {
    {0ULL, 0xe220a8397b1dcdafULL, 7535},
    {1ULL, 0x910a2dec89025cc1ULL, 2465},
    {42ULL, 0xbdd732262feb6e95ULL, 5413},
    {123456789ULL, 0x223c74d93deb7679ULL, 5897},
    {18446744073709551615ULL, 0xe4d971771b652c20ULL, 3936},
    {6ULL, 0xbd64a5d9adefe000ULL, 592},
    {12ULL, 0x943ff9fc99de8f03ULL, 323},
};

static_assert(RouterKeyHash(std::string_view("user-123")) ==
              0xb8e243ce6370b569ULL);

TEST(RouterHashTest, MatchesTheDocumentedValues) {
  for (const StringCase& c : kStringCases) {
    EXPECT_EQ(RouterKeyHash(std::string_view(c.key)), c.hash) << c.key;
    EXPECT_EQ(RouterBucket(RouterKeyHash(std::string_view(c.key))), c.bucket)
        << c.key;
  }
  for (const IntCase& c : kIntCases) {
    EXPECT_EQ(RouterKeyHash(c.key), c.hash) << c.key;
    EXPECT_EQ(RouterBucket(RouterKeyHash(c.key)), c.bucket) << c.key;
  }
}

// --- A RouterLink the test controls ------------------------------------

class FakeLink final : public RouterLink {
 public:
  struct State {
    absl::Mutex mu;
    RoutingInfo routing;
    absl::Status fail = absl::OkStatus();
    bool stop = false;
    int ticks = 0;
    // (version, unix minute, replica) -> window
    std::map<std::tuple<std::string, int64_t, std::string>, OutcomeWindow>
        windows;
  };
  explicit FakeLink(std::shared_ptr<State> s) : s_(std::move(s)) {}
  absl::StatusOr<RoutingInfo> GetRouting(std::string_view) override {
    absl::MutexLock l(&s_->mu);
    if (!s_->fail.ok()) return s_->fail;
    return s_->routing;
  }
  absl::Status RecordWindow(std::string_view, std::string_view version,
                            absl::Time minute, const OutcomeWindow& w,
                            std::string_view replica) override {
    absl::MutexLock l(&s_->mu);
    if (!s_->fail.ok()) return s_->fail;
    s_->windows[{std::string(version), absl::ToUnixSeconds(minute) / 60,
                 std::string(replica)}] = w;
    return absl::OkStatus();
  }
  absl::StatusOr<int> Tick() override {
    absl::MutexLock l(&s_->mu);
    ++s_->ticks;
    return 0;
  }
  absl::StatusOr<bool> EmergencyStopActive() override {
    absl::MutexLock l(&s_->mu);
    return s_->stop;
  }

 private:
  std::shared_ptr<State> s_;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : state_(std::make_shared<FakeLink::State>()) {
    SetRouting("1.0.0", "2.0.0", 0.01, false, 1);
  }

  void SetRouting(std::string stable, std::string candidate, double weight,
                  bool shadow, int64_t generation) {
    absl::MutexLock l(&state_->mu);
    state_->routing = RoutingInfo{"fraud-stg", std::move(stable),
                                  std::move(candidate), weight, shadow,
                                  generation};
  }

  std::unique_ptr<Router> Open(RouterOptions o = {}) {
    o.background = false;
    if (o.replica.empty()) o.replica = "test-replica";
    absl::StatusOr<std::unique_ptr<Router>> r = internal_rollout::OpenRouter(
        "fraud-stg", o, std::make_unique<FakeLink>(state_), &clock_, &ids_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : nullptr;
  }

  OutcomeWindow WindowOf(const std::string& version, int64_t minute) {
    absl::MutexLock l(&state_->mu);
    auto it = state_->windows.find({version, minute, "test-replica"});
    return it == state_->windows.end() ? OutcomeWindow() : it->second;
  }
  int64_t Minute() { return absl::ToUnixSeconds(clock_.Now()) / 60; }

  std::shared_ptr<FakeLink::State> state_;
  testing::FakeClock clock_;
  testing::SequentialIdSource ids_;
};

TEST_F(RouterTest, SameTableAsPython) {
  for (const double w : {0.5, 0.1}) {
    SetRouting("1.0.0", "2.0.0", w, false, 1);
    std::unique_ptr<Router> r = Open();
    ASSERT_NE(r, nullptr);
    const uint32_t threshold = static_cast<uint32_t>(w * 10000);
    for (const StringCase& c : kStringCases) {
      const RouteDecision d = r->Route(std::string_view(c.key));
      EXPECT_EQ(d.variant,
                c.bucket < threshold ? Variant::kCandidate : Variant::kStable)
          << c.key;
      EXPECT_EQ(d.version, c.bucket < threshold ? "2.0.0" : "1.0.0") << c.key;
      EXPECT_FALSE(d.mirror);
      EXPECT_EQ(d.generation, 1);
    }
    for (const IntCase& c : kIntCases) {
      EXPECT_EQ(r->Route(c.key).variant,
                c.bucket < threshold ? Variant::kCandidate : Variant::kStable);
    }
  }
  // Spelled out at weight 0.1: tests/python/test_router.py asserts exactly
  // these through a real rollout.
  SetRouting("1.0.0", "2.0.0", 0.1, false, 1);
  std::unique_ptr<Router> r = Open();
  EXPECT_EQ(r->Route(std::string_view("user-10")).version, "2.0.0");
  EXPECT_EQ(r->Route(std::string_view("user-19")).version, "2.0.0");
  EXPECT_EQ(r->Route(std::string_view("user-1")).version, "1.0.0");
  EXPECT_EQ(r->Route(std::string_view("a")).version, "1.0.0");
  EXPECT_EQ(r->Route(uint64_t{12}).version, "2.0.0");
  EXPECT_EQ(r->Route(uint64_t{1}).version, "1.0.0");
}

TEST_F(RouterTest, StickyAndOnlyStableToCandidateWhenTheWeightRises) {
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  constexpr int kKeys = 50'000;
  std::vector<Variant> before(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    before[i] = r->Route(absl::StrCat("user-", i)).variant;
  }
  // Deterministic: the same key, the same answer, any number of times and
  // from a second router (another process would compute the same hash).
  std::unique_ptr<Router> r2 = Open();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("user-", i);
    ASSERT_EQ(r->Route(key).variant, before[i]);
    ASSERT_EQ(r2->Route(key).variant, before[i]);
  }
  SetRouting("1.0.0", "2.0.0", 0.10, false, 2);
  ASSERT_TRUE(r->Refresh().ok());
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("user-", i);
    const Variant after = r->Route(key).variant;
    const uint32_t bucket = RouterBucket(RouterKeyHash(key));
    if (after != before[i]) {
      ++moved;
      // Only stable -> candidate, and only keys whose bucket is in the
      // newly added range [100, 1000).
      EXPECT_EQ(before[i], Variant::kStable) << key;
      EXPECT_EQ(after, Variant::kCandidate) << key;
      EXPECT_GE(bucket, 100u) << key;
      EXPECT_LT(bucket, 1000u) << key;
    } else {
      EXPECT_FALSE(bucket >= 100 && bucket < 1000) << key;
    }
  }
  // About 9% of the keys move.
  EXPECT_NEAR(moved, 0.09 * kKeys, 5 * std::sqrt(kKeys * 0.09 * 0.91));
  EXPECT_EQ(r->Health().generation, 2);
}

TEST_F(RouterTest, SharesAreUniformWithinBinomialTolerance) {
  for (const double w : {0.01, 0.1, 0.5}) {
    SetRouting("1.0.0", "2.0.0", w, false, 1);
    std::unique_ptr<Router> r = Open();
    ASSERT_NE(r, nullptr);
    constexpr int kN = 200'000;
    int candidate = 0;
    int candidate_int = 0;
    for (int i = 0; i < kN; ++i) {
      candidate += r->Route(absl::StrCat("session-", i * 7919 + 13)).variant ==
                   Variant::kCandidate;
      candidate_int += r->Route(uint64_t(i)).variant == Variant::kCandidate;
    }
    const double sd = std::sqrt(kN * w * (1 - w));
    EXPECT_NEAR(candidate, kN * w, 4.5 * sd) << "weight " << w;
    EXPECT_NEAR(candidate_int, kN * w, 4.5 * sd) << "weight " << w;
  }
  // Chi-square over the 10 first-digit ranges of the bucket at weight 0.5:
  // each tenth of the bucket space gets a tenth of the keys.
  std::vector<int> counts(10);
  constexpr int kN = 100'000;
  for (int i = 0; i < kN; ++i) {
    ++counts[RouterBucket(RouterKeyHash(absl::StrCat("k", i))) / 1000];
  }
  double chi2 = 0;
  for (const int c : counts) chi2 += (c - kN / 10.0) * (c - kN / 10.0) / (kN / 10.0);
  EXPECT_LT(chi2, 27.88);  // 9 degrees of freedom, p = 0.001
}

TEST_F(RouterTest, ShadowServesStableAndMirrorsEveryRequest) {
  SetRouting("1.0.0", "2.0.0", 0, true, 3);
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  for (int i = 0; i < 1000; ++i) {
    const RouteDecision d = r->Route(absl::StrCat("user-", i));
    EXPECT_EQ(d.variant, Variant::kStable);
    EXPECT_EQ(d.version, "1.0.0");
    EXPECT_TRUE(d.mirror);
    EXPECT_EQ(d.mirror_version, "2.0.0");
  }
  // Mirrored outcomes are the candidate's.
  r->Record(Variant::kCandidate, 3, false);
  r->Record(Variant::kStable, 2, false);
  ASSERT_TRUE(r->Flush().ok());
  EXPECT_EQ(WindowOf("2.0.0", Minute()).requests, 1u);
  EXPECT_EQ(WindowOf("1.0.0", Minute()).requests, 1u);
  // No candidate: everything to stable, nothing mirrored.
  SetRouting("1.0.0", "", 0, false, 4);
  ASSERT_TRUE(r->Refresh().ok());
  const RouteDecision d = r->Route(std::string_view("a"));
  EXPECT_EQ(d.version, "1.0.0");
  EXPECT_FALSE(d.mirror);
  EXPECT_TRUE(d.mirror_version.empty());
}

TEST_F(RouterTest, RecordsFoldIntoMinuteWindowsPerVersion) {
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  const int64_t m0 = Minute();
  for (int i = 0; i < 100; ++i) r->Record(Variant::kStable, 10, i % 10 == 0);
  for (int i = 0; i < 7; ++i) r->Record(Variant::kCandidate, 40, i == 0);
  r->Record(Variant::kCandidate, std::nan(""), false);  // counted, not timed
  ASSERT_TRUE(r->Flush().ok());
  OutcomeWindow s = WindowOf("1.0.0", m0);
  EXPECT_EQ(s.requests, 100u);
  EXPECT_EQ(s.errors, 10u);
  EXPECT_EQ(s.latency.count(), 100u);
  EXPECT_NEAR(s.latency.Quantile(0.99), 10, 10 * s.latency.kQuantileRelativeError);
  EXPECT_DOUBLE_EQ(s.latency.sum(), 1000);
  OutcomeWindow c = WindowOf("2.0.0", m0);
  EXPECT_EQ(c.requests, 8u);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.latency.count(), 7u);
  EXPECT_EQ(c.latency.invalid_count(), 1u);
  EXPECT_DOUBLE_EQ(c.latency.max(), 40);

  // The current minute's window is replaced by its cumulative state.
  for (int i = 0; i < 50; ++i) r->Record(Variant::kStable, 20, false);
  ASSERT_TRUE(r->Flush().ok());
  EXPECT_EQ(WindowOf("1.0.0", m0).requests, 150u);
  // A new minute starts a new window; the closed one keeps its final state.
  ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  ASSERT_TRUE(r->Flush().ok());
  for (int i = 0; i < 5; ++i) r->Record(Variant::kStable, 1, false);
  ASSERT_TRUE(r->Flush().ok());
  EXPECT_EQ(WindowOf("1.0.0", m0).requests, 150u);
  EXPECT_EQ(WindowOf("1.0.0", m0 + 1).requests, 5u);
  // A version change attributes what came before to the old version.
  for (int i = 0; i < 3; ++i) r->Record(Variant::kCandidate, 1, false);
  SetRouting("1.0.0", "3.0.0", 0.01, false, 9);
  ASSERT_TRUE(r->Refresh().ok());
  r->Record(Variant::kCandidate, 1, false);
  ASSERT_TRUE(r->Flush().ok());
  EXPECT_EQ(WindowOf("2.0.0", m0 + 1).requests, 3u);
  EXPECT_EQ(WindowOf("3.0.0", m0 + 1).requests, 1u);
  EXPECT_GT(r->Health().windows_persisted, 0);
}

TEST_F(RouterTest, ManualRouterRefreshingAtEachMinuteKeepsMinutesApart) {
  // A router without a background thread, driven the way
  // examples/serving/fraud_service.cc drives it: Refresh as a minute
  // begins, record, Flush before it ends. Each minute's outcomes land in
  // that minute's window (none in the previous one, none lost at the end).
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  const int64_t m0 = Minute();
  for (int minute = 0; minute < 3; ++minute) {
    ASSERT_TRUE(r->Refresh().ok());
    for (int i = 0; i < 10 * (minute + 1); ++i) {
      r->Record(Variant::kStable, 5, false);
    }
    ASSERT_TRUE(clock_.Advance(absl::Seconds(59)).ok());
    ASSERT_TRUE(r->Flush().ok());
    ASSERT_TRUE(clock_.Advance(absl::Seconds(1)).ok());
  }
  EXPECT_EQ(WindowOf("1.0.0", m0).requests, 10u);
  EXPECT_EQ(WindowOf("1.0.0", m0 + 1).requests, 20u);
  EXPECT_EQ(WindowOf("1.0.0", m0 + 2).requests, 30u);
}

TEST_F(RouterTest, LabelsArriveLaterByRequestId) {
  RouterOptions o;
  o.label_table_size = 1024;
  std::unique_ptr<Router> r = Open(o);
  ASSERT_NE(r, nullptr);
  const int64_t m0 = Minute();
  r->RecordPrediction(Variant::kCandidate, "req-1");
  r->RecordPrediction(Variant::kCandidate, "req-2");
  r->RecordPrediction(Variant::kStable, "req-3");
  r->RecordPrediction(Variant::kStable);
  ASSERT_TRUE(clock_.Advance(absl::Minutes(2)).ok());
  ASSERT_TRUE(r->Flush().ok());
  // Labels come two minutes later; they count in the prediction's minute.
  EXPECT_TRUE(r->RecordLabel("req-1", true));
  EXPECT_TRUE(r->RecordLabel("req-2", false));
  EXPECT_TRUE(r->RecordLabel("req-3", true));
  EXPECT_FALSE(r->RecordLabel("req-1", true));   // already labelled
  EXPECT_FALSE(r->RecordLabel("never", true));   // unknown
  ASSERT_TRUE(r->Flush().ok());
  OutcomeWindow c = WindowOf("2.0.0", m0);
  EXPECT_EQ(c.predictions, 2u);
  EXPECT_EQ(c.labelled, 2u);
  EXPECT_EQ(c.correct, 1u);
  OutcomeWindow s = WindowOf("1.0.0", m0);
  EXPECT_EQ(s.predictions, 2u);
  EXPECT_EQ(s.labelled, 1u);
  EXPECT_EQ(s.correct, 1u);
  EXPECT_EQ(WindowOf("2.0.0", m0 + 2).labelled, 0u);
  EXPECT_EQ(r->Health().labels_unmatched, 2);

  // Older than an hour: refused.
  r->RecordPrediction(Variant::kStable, "old");
  ASSERT_TRUE(clock_.Advance(absl::Minutes(61)).ok());
  ASSERT_TRUE(r->Flush().ok());
  EXPECT_FALSE(r->RecordLabel("old", true));
}

TEST_F(RouterTest, FullLabelTableEvictsTheOlderPrediction) {
  RouterOptions o;
  o.label_table_size = 1;  // one slot: every prediction evicts the last
  std::unique_ptr<Router> r = Open(o);
  ASSERT_NE(r, nullptr);
  r->RecordPrediction(Variant::kStable, "first");
  r->RecordPrediction(Variant::kStable, "second");
  EXPECT_EQ(r->Health().predictions_evicted, 1);
  EXPECT_FALSE(r->RecordLabel("first", true));
  EXPECT_TRUE(r->RecordLabel("second", true));
}

TEST_F(RouterTest, StoreOutageKeepsTheLastWeightsAndHealthSaysSo) {
  SetRouting("1.0.0", "2.0.0", 0.5, false, 5);
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Route(std::string_view("a")).version, "2.0.0");
  const absl::Time ok_at = clock_.Now();
  ASSERT_TRUE(clock_.Advance(absl::Seconds(30)).ok());
  {
    absl::MutexLock l(&state_->mu);
    state_->fail = absl::UnavailableError("database is gone");
  }
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(r->Refresh().ok());
  r->Record(Variant::kCandidate, 5, false);
  EXPECT_FALSE(r->Flush().ok());  // kept, retried later
  EXPECT_EQ(r->Route(std::string_view("a")).version, "2.0.0");
  EXPECT_EQ(r->Route(std::string_view("user-1")).version, "1.0.0");
  RouterHealth h = r->Health();
  EXPECT_TRUE(h.serving_stale);
  EXPECT_EQ(h.consecutive_failures, 3);
  EXPECT_THAT(h.last_error, HasSubstr("database is gone"));
  EXPECT_EQ(h.last_refresh, ok_at);
  EXPECT_THAT(h.last_persist_error, HasSubstr("database is gone"));
  EXPECT_THAT(r->PrometheusText(),
              HasSubstr("slipway_router_refresh_failures{endpoint=\"fraud-stg\","
                        "replica=\"test-replica\"} 3"));
  // The store is back, with a rollback: the next read wins.
  {
    absl::MutexLock l(&state_->mu);
    state_->fail = absl::OkStatus();
    state_->stop = true;
  }
  SetRouting("1.0.0", "", 0, false, 6);
  ASSERT_TRUE(r->Refresh().ok());
  EXPECT_EQ(r->Route(std::string_view("a")).version, "1.0.0");
  h = r->Health();
  EXPECT_FALSE(h.serving_stale);
  EXPECT_EQ(h.consecutive_failures, 0);
  EXPECT_TRUE(h.emergency_stop);
  EXPECT_THAT(r->PrometheusText(), HasSubstr("slipway_router_emergency_stop{"
                                             "endpoint=\"fraud-stg\",replica="
                                             "\"test-replica\"} 1"));
  // The window kept during the outage reached the store.
  ASSERT_TRUE(r->Flush().ok());
  EXPECT_EQ(WindowOf("2.0.0", Minute()).requests, 1u);
}

TEST_F(RouterTest, BackgroundThreadFollowsTheRoutingAndTicks) {
  RouterOptions o;
  o.refresh_interval = absl::Milliseconds(5);
  o.controller_interval = absl::Milliseconds(5);
  o.replica = "bg";
  absl::StatusOr<std::unique_ptr<Router>> r = internal_rollout::OpenRouter(
      "fraud-stg", o, std::make_unique<FakeLink>(state_), &clock_, &ids_);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)->StartController().ok());
  SetRouting("1.0.0", "", 0, false, 2);
  // Real time (the thread waits on a condition variable, not the fake
  // clock); bounded, and typically a few ms.
  for (int i = 0; i < 2000 && (*r)->Health().generation != 2; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ((*r)->Health().generation, 2);
  for (int i = 0; i < 2000; ++i) {
    {
      absl::MutexLock l(&state_->mu);
      if (state_->ticks > 0) break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  absl::MutexLock l(&state_->mu);
  EXPECT_GT(state_->ticks, 0);
}

TEST_F(RouterTest, HotPathAllocatesNothing) {
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  const std::string keys[] = {"user-1", "user-2", "a-much-longer-request-key"};
  r->Record(Variant::kStable, 1, false);  // first call picks the shard
  r->RecordPrediction(Variant::kStable, "warm");
  const uint64_t before = g_allocations.load();
  uint64_t sink = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const RouteDecision d = r->Route(keys[i % 3]);
    sink += d.version.size();
    sink += r->Route(uint64_t(i)).variant == Variant::kCandidate;
    r->Record(d.variant, 0.5 + (i % 100), i % 97 == 0);
    if (i % 10 == 0) {
      r->RecordPrediction(d.variant, keys[i % 3]);
      sink += r->RecordLabel(keys[i % 3], true);
    }
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_GT(sink, 0u);
}

// --- Prometheus text ----------------------------------------------------

// Checks the exposition format line by line: HELP and TYPE before a
// family's samples, names and labels well formed, values parse.
void ExpectValidExposition(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex kType(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (\S+))re");
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      EXPECT_TRUE(helps.insert(m[1]).second) << "two HELP lines: " << line;
    } else if (std::regex_match(line, m, kType)) {
      EXPECT_TRUE(helps.count(m[1])) << "TYPE before HELP: " << line;
      EXPECT_TRUE(types.emplace(m[1], m[2]).second) << line;
    } else if (std::regex_match(line, m, kSample)) {
      ++samples;
      std::string family = m[1];
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s = suffix;
        if (!types.count(family) && family.size() > s.size() &&
            family.compare(family.size() - s.size(), s.size(), s) == 0) {
          family.resize(family.size() - s.size());
        }
      }
      EXPECT_TRUE(types.count(family)) << "sample before its TYPE: " << line;
      const std::string v = m[3];
      if (v != "NaN" && v != "+Inf" && v != "-Inf") {
        char* end = nullptr;
        std::strtod(v.c_str(), &end);
        EXPECT_EQ(*end, '\0') << "bad value: " << line;
      }
    } else {
      ADD_FAILURE() << "not exposition format: [" << line << "]";
    }
  }
  EXPECT_GT(samples, 0);
}

TEST(PrometheusTest, EscapesLabelsAndFormatsValues) {
  EXPECT_EQ(internal_rollout::PrometheusEscapeLabel("a\"b\\c\nd"),
            "a\\\"b\\\\c\\nd");
  EXPECT_EQ(internal_rollout::PrometheusValue(3), "3");
  EXPECT_EQ(internal_rollout::PrometheusValue(0.25), "0.25");
  EXPECT_EQ(internal_rollout::PrometheusValue(INFINITY), "+Inf");
  EXPECT_EQ(internal_rollout::PrometheusValue(NAN), "NaN");
  internal_rollout::RouterMetrics m;
  m.endpoint = "we\"ird\\end\npoint";
  m.replica = "h:1:abc";
  m.variants.push_back({.variant = "stable", .version = "1.0.0", .weight = 1});
  const std::string text = internal_rollout::FormatPrometheus(m);
  ExpectValidExposition(text);
  EXPECT_THAT(text, HasSubstr("endpoint=\"we\\\"ird\\\\end\\npoint\""));
}

TEST_F(RouterTest, PrometheusTextOfARouter) {
  SetRouting("1.0.0", "2.0.0", 0.25, false, 7);
  std::unique_ptr<Router> r = Open();
  ASSERT_NE(r, nullptr);
  for (int i = 0; i < 10; ++i) r->Record(Variant::kCandidate, 3, i < 2);
  r->Record(Variant::kCandidate, 2000, false);
  r->Record(Variant::kStable, 0.7, false);
  r->RecordPrediction(Variant::kCandidate, "p");
  ASSERT_TRUE(r->RecordLabel("p", true));
  const std::string text = r->PrometheusText();
  ExpectValidExposition(text);
  const std::string cand =
      "endpoint=\"fraud-stg\",replica=\"test-replica\",variant=\"candidate\","
      "version=\"2.0.0\"";
  EXPECT_THAT(text, HasSubstr("slipway_router_requests_total{" + cand + "} 11\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_errors_total{" + cand + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_weight{" + cand + "} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_correct_total{" + cand + "} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("slipway_router_latency_ms_bucket{" + cand + ",le=\"2.5\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr("slipway_router_latency_ms_bucket{" + cand + ",le=\"5\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_latency_ms_bucket{" + cand +
                              ",le=\"1000\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_latency_ms_bucket{" + cand +
                              ",le=\"+Inf\"} 11\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_latency_ms_sum{" + cand + "} 2030\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_latency_ms_count{" + cand + "} 11\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_weight{endpoint=\"fraud-stg\","
                              "replica=\"test-replica\",variant=\"stable\","
                              "version=\"1.0.0\"} 0.75\n"));
  EXPECT_THAT(text, HasSubstr("slipway_router_generation{endpoint=\"fraud-stg\","
                              "replica=\"test-replica\"} 7\n"));
}

// --- Through a real store: the controller reads what routers recorded ---

constexpr char kPlan[] = R"({"stages": [
  {"name": "canary-1", "candidate_weight": 0.1, "min_observation_seconds": 1800},
  {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}]})";

class RouterStoreTest : public RegistryStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenFile();
    ASSERT_NE(store_, nullptr);
    for (const char* v : {"1.0.0", "2.0.0"}) {
      ASSERT_TRUE(Register(*store_, "fraud", v).ok());
    }
    ASSERT_TRUE(store_
                    ->RegisterEndpoint("fraud-stg", "staging", "fraud", "1.0.0",
                                       {{"accuracy", 0.05},
                                        {"latency", 1.5},
                                        {"drift", 3}},
                                       kAlice)
                    .ok());
  }
  std::unique_ptr<Store> store_;
};

TEST_F(RouterStoreTest, TwoReplicasAddUpInTheControllersView) {
  EXPECT_EQ(store_->OpenRouter("nowhere").status().code(),
            absl::StatusCode::kNotFound);
  RouterOptions o;
  o.background = false;
  absl::StatusOr<std::unique_ptr<Router>> a = store_->OpenRouter("fraud-stg", o);
  absl::StatusOr<std::unique_ptr<Router>> b = store_->OpenRouter("fraud-stg", o);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_NE((*a)->replica(), (*b)->replica());
  EXPECT_EQ((*a)->Route(std::string_view("x")).version, "1.0.0");

  DeployOptions d;
  d.plan_json = kPlan;
  d.actor = kAlice;
  absl::StatusOr<RolloutStatus> ro = store_->Deploy("fraud", "2.0.0", "fraud-stg", d);
  ASSERT_TRUE(ro.ok()) << ro.status();
  ASSERT_TRUE((*a)->Refresh().ok());
  ASSERT_TRUE((*b)->Refresh().ok());
  EXPECT_DOUBLE_EQ((*a)->Health().candidate_weight, 0.1);

  int64_t candidate = 0;
  int64_t candidate_errors = 0;
  for (int i = 0; i < 20'000; ++i) {
    Router& r = i % 2 ? **a : **b;
    const RouteDecision dec = r.Route(absl::StrCat("user-", i));
    const bool error = dec.variant == Variant::kCandidate && i % 50 == 0;
    r.Record(dec.variant, dec.variant == Variant::kCandidate ? 12 : 10, error);
    if (dec.variant == Variant::kCandidate) {
      ++candidate;
      candidate_errors += error;
    }
  }
  EXPECT_NEAR(candidate, 2000, 200);
  ASSERT_TRUE((*a)->Flush().ok());
  ASSERT_TRUE((*b)->Flush().ok());
  ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  ASSERT_TRUE((*a)->Flush().ok());
  ASSERT_TRUE((*b)->Flush().ok());
  ASSERT_TRUE(store_->Tick().ok());
  absl::StatusOr<RolloutStatus> s = store_->GetRollout(ro->id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->readings.candidate_requests, candidate);
  EXPECT_EQ(s->readings.candidate_errors, candidate_errors);
  EXPECT_NEAR(s->readings.candidate_p99_ms, 12, 0.2);
  EXPECT_NEAR(s->readings.stable_p99_ms, 10, 0.2);

  // A rollback is one routing swap, seen on the next refresh.
  ASSERT_TRUE(store_->RollbackRollout(ro->id, "manual", kAlice).ok());
  ASSERT_TRUE((*a)->Refresh().ok());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ((*a)->Route(absl::StrCat("user-", i)).version, "1.0.0");
  }
}

}  // namespace
}  // namespace slipway
