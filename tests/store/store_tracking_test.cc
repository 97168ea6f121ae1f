// Tracking through the public Store API, against real SQLite stores
// (":memory:" and files).
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "slipway/testing/fake_clock.h"

namespace slipway {
namespace {

using ::testing::HasSubstr;

std::string Reason(const absl::Status& s) {
  auto d = GetErrorDetail(s);
  return d ? d->reason : (s.ok() ? "OK" : "<none>");
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/slipway_store_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<Store> OpenOrDie(const std::string& uri, StoreOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(uri, std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

std::shared_ptr<Run> StartOrDie(Store& store, StartRunOptions options = {}) {
  absl::StatusOr<std::shared_ptr<Run>> run = store.StartRun(options);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? *run : nullptr;
}

TEST(StoreTrackingTest, RunRoundTrip) {
  auto store = OpenOrDie(":memory:");
  StartRunOptions o;
  o.experiment = "fraud";
  o.name = "lr-0.01";
  o.params = {{"lr", "0.01"}};
  o.tags = {{"team", "risk"}};
  auto run = StartOrDie(*store, o);
  ASSERT_NE(run, nullptr);
  EXPECT_THAT(run->id(), ::testing::MatchesRegex("[0-9a-f]{32}"));
  ASSERT_TRUE(run->LogParam("batch_size", "256").ok());
  ASSERT_TRUE(run->SetTag("stage", "tuning").ok());
  ASSERT_TRUE(run->End().ok());

  absl::StatusOr<RunInfo> info = store->GetRun(run->id());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "lr-0.01");
  EXPECT_EQ(info->status, RunStatus::kFinished);
  EXPECT_TRUE(info->end_ms.has_value());
  EXPECT_THAT(info->params, ::testing::UnorderedElementsAre(
                                std::pair<std::string, std::string>("batch_size", "256"),
                                std::pair<std::string, std::string>("lr", "0.01")));
  EXPECT_THAT(info->tags, ::testing::Contains(std::pair<std::string, std::string>("team", "risk")));
  EXPECT_FALSE(info->user.empty());
  EXPECT_THAT(info->source.path, HasSubstr("store_test"));
  absl::StatusOr<ExperimentInfo> e = store->GetExperiment("fraud");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->experiment_id, info->experiment_id);
}

TEST(StoreTrackingTest, DefaultNamesAndNesting) {
  auto store = OpenOrDie(":memory:");
  auto parent = StartOrDie(*store);
  StartRunOptions child_options;
  child_options.parent_run_id = parent->id();
  auto child = StartOrDie(*store, child_options);
  absl::StatusOr<RunInfo> info = store->GetRun(child->id());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->parent_run_id, parent->id());
  EXPECT_EQ(info->name, "run-" + child->id().substr(0, 8));
  StartRunOptions orphan;
  orphan.parent_run_id = std::string(32, 'f');
  EXPECT_EQ(store->StartRun(orphan).status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreTrackingTest, MetricsRoundTripWithSpecialValues) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values = {0.5, std::nan(""), inf, -inf, -0.0, 1e-310};
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE(run->LogMetric("loss", values[i], static_cast<int64_t>(i), 1000 + i).ok());
  }
  absl::StatusOr<MetricHistory> h = store->GetMetricHistory(run->id(), "loss");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->values.size(), values.size());
  EXPECT_EQ(h->values[0], 0.5);
  EXPECT_TRUE(std::isnan(h->values[1]));
  EXPECT_EQ(h->values[2], inf);
  EXPECT_EQ(h->values[3], -inf);
  EXPECT_TRUE(std::signbit(h->values[4]));
  EXPECT_EQ(h->values[5], 1e-310);
  EXPECT_EQ(h->timestamps_ms[3], 1003);

  absl::StatusOr<std::vector<MetricSummary>> sums = store->GetMetricSummaries(run->id());
  ASSERT_TRUE(sums.ok());
  ASSERT_EQ(sums->size(), 1u);
  EXPECT_EQ((*sums)[0].count, 6);
  EXPECT_EQ((*sums)[0].max_value, inf);
  EXPECT_EQ((*sums)[0].min_value, -inf);
  EXPECT_EQ((*sums)[0].last_step, 5);
}

TEST(StoreTrackingTest, HistoryRangesAndDownsampling) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  const size_t n = 20000;
  std::vector<int64_t> steps(n), ts(n);
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) {
    steps[i] = static_cast<int64_t>(i);
    ts[i] = static_cast<int64_t>(i);
    values[i] = std::cos(static_cast<double>(i) / 500);
  }
  ASSERT_TRUE(run->LogMetricColumns("acc", steps, ts, values).ok());
  HistoryOptions range;
  range.min_step = 5000;
  range.max_step = 5009;
  absl::StatusOr<MetricHistory> h = store->GetMetricHistory(run->id(), "acc", range);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->steps.size(), 10u);
  EXPECT_EQ(h->steps.front(), 5000);
  HistoryOptions plot;
  plot.max_points = 200;
  h = store->GetMetricHistory(run->id(), "acc", plot);
  ASSERT_TRUE(h.ok());
  EXPECT_LE(h->steps.size(), 200u);
  EXPECT_EQ(h->steps.back(), static_cast<int64_t>(n - 1));
  EXPECT_EQ(Reason(store->GetMetricHistory(run->id(), "nope").status()), "METRIC_NOT_FOUND");
}

// A large batch is encoded during the call and queued whole; points logged
// before and after it keep their order, and the summary's last value is the
// last one logged.
TEST(StoreTrackingTest, LargeBatchesKeepLoggingOrder) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  ASSERT_TRUE(run->LogMetric("loss", -1.0, -3, 7).ok());
  ASSERT_TRUE(run->LogMetric("loss", -2.0, -2, 7).ok());
  const size_t n = 50'000;  // 13 chunks: encoded directly, in parallel
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = std::sin(static_cast<double>(i));
  ASSERT_TRUE(run->LogMetricValues("loss", values, 100, 1234).ok());
  ASSERT_TRUE(run->LogMetric("loss", 42.0, 100 + n, 9).ok());
  ASSERT_TRUE(run->Flush().ok());

  absl::StatusOr<MetricHistory> h = store->GetMetricHistory(run->id(), "loss");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->steps.size(), n + 3);
  EXPECT_EQ(h->steps[0], -3);
  EXPECT_EQ(h->values[1], -2.0);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(h->steps[2 + i], static_cast<int64_t>(100 + i));
    ASSERT_EQ(h->values[2 + i], values[i]);
    ASSERT_EQ(h->timestamps_ms[2 + i], 1234);
  }
  EXPECT_EQ(h->values.back(), 42.0);
  auto sums = store->GetMetricSummaries(run->id());
  ASSERT_TRUE(sums.ok());
  ASSERT_EQ(sums->size(), 1u);
  EXPECT_EQ((*sums)[0].count, static_cast<int64_t>(n + 3));
  EXPECT_EQ((*sums)[0].last_value, 42.0);
}

TEST(StoreTrackingTest, LogMetricValuesDefaultsToNowAndChecksTheRun) {
  testing::FakeClock clock;
  StoreOptions options;
  options.env.clock = &clock;
  auto store = OpenOrDie(":memory:", options);
  auto run = StartOrDie(*store);
  const std::vector<double> small = {1, 2, 3};
  ASSERT_TRUE(run->LogMetricValues("acc", small).ok());
  EXPECT_EQ(Reason(run->LogMetricValues("/bad", small)), "METRIC_KEY_INVALID");
  ASSERT_TRUE(run->Flush().ok());
  absl::StatusOr<MetricHistory> h = store->GetMetricHistory(run->id(), "acc");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->steps, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(h->timestamps_ms[2], clock.NowUnixMillis());
  ASSERT_TRUE(run->End(RunStatus::kFinished).ok());
  const std::vector<double> big(100'000, 1.0);
  EXPECT_EQ(Reason(run->LogMetricValues("acc", big)), "RUN_ENDED");
  EXPECT_EQ(Reason(run->LogMetricValues("acc", small)), "RUN_ENDED");
}

TEST(StoreTrackingTest, LogMetricColumnsNeedsEqualLengths) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  const std::vector<double> values(20'000, 0.5);
  const std::vector<int64_t> steps(20'000, 1);
  EXPECT_EQ(Reason(run->LogMetricColumns("acc", {}, {}, values)),
            "METRIC_COLUMNS_MISMATCH");
  EXPECT_EQ(Reason(run->LogMetricColumns("acc", steps, steps, {values.data(), 19'999})),
            "METRIC_COLUMNS_MISMATCH");
  ASSERT_TRUE(run->Flush().ok());
  EXPECT_EQ(Reason(store->GetMetricHistory(run->id(), "acc").status()),
            "METRIC_NOT_FOUND");
}

TEST(StoreTrackingTest, ValidationAndWriteOnceParams) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  EXPECT_EQ(Reason(run->LogMetric("/bad", 1)), "METRIC_KEY_INVALID");
  EXPECT_EQ(Reason(run->LogMetric("/bad", 1)), "METRIC_KEY_INVALID");  // still
  ASSERT_TRUE(run->LogParam("lr", "0.01").ok());
  ASSERT_TRUE(run->LogParam("lr", "0.01").ok());  // same value: fine
  absl::Status changed = run->LogParam("lr", "0.02");
  EXPECT_EQ(Reason(changed), "PARAM_CHANGED");
  EXPECT_THAT(changed.message(), HasSubstr("0.01"));
  EXPECT_EQ(Reason(run->LogParam("p", std::string(6001, 'x'))), "PARAM_VALUE_INVALID");
  EXPECT_EQ(Reason(run->SetTag("t", std::string(5001, 'x'))), "TAG_VALUE_INVALID");
  StartRunOptions bad;
  bad.experiment = "";
  EXPECT_EQ(Reason(store->StartRun(bad).status()), "EXPERIMENT_NAME_INVALID");
}

TEST(StoreTrackingTest, EndedRunsRefuseLogging) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  ASSERT_TRUE(run->End(RunStatus::kFailed).ok());
  EXPECT_TRUE(run->End(RunStatus::kFailed).ok());  // idempotent
  EXPECT_EQ(Reason(run->End(RunStatus::kFinished)), "RUN_ENDED");
  EXPECT_EQ(Reason(run->LogMetric("loss", 1)), "RUN_ENDED");
  EXPECT_EQ(Reason(run->LogParam("a", "b")), "RUN_ENDED");
  EXPECT_EQ(store->GetRun(run->id())->status, RunStatus::kFailed);
}

TEST(StoreTrackingTest, FlushedPointsAreVisibleToAnotherStore) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto writer = OpenOrDie(path);
  auto run = StartOrDie(*writer);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(run->LogMetric("loss", i, i).ok());
  ASSERT_TRUE(run->Flush().ok());
  auto reader = OpenOrDie(path);
  absl::StatusOr<MetricHistory> h = reader->GetMetricHistory(run->id(), "loss");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->values.size(), 10000u);
}

TEST(StoreTrackingTest, EveryCallDurabilityNeedsNoFlush) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  StoreOptions strict;
  strict.durability = StoreOptions::Durability::kEveryCall;
  auto writer = OpenOrDie(path, strict);
  auto run = StartOrDie(*writer);
  ASSERT_TRUE(run->LogMetric("loss", 3.5, 1).ok());
  auto reader = OpenOrDie(path);
  absl::StatusOr<MetricHistory> h = reader->GetMetricHistory(run->id(), "loss");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->values.size(), 1u);
  EXPECT_EQ(h->values[0], 3.5);
}

TEST(StoreTrackingTest, DestroyingTheStoreWritesPointsAndEndsOpenRunsAsKilled) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  std::string id;
  {
    auto store = OpenOrDie(path);
    auto run = StartOrDie(*store);
    id = run->id();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(run->LogMetric("loss", i, i).ok());
  }
  auto reader = OpenOrDie(path);
  EXPECT_EQ(reader->GetMetricHistory(id, "loss")->values.size(), 100u);
  EXPECT_EQ(reader->GetRun(id)->status, RunStatus::kKilled);
}

// A process that was presumed dead (asleep past the stale-run timeout, so
// another process's sweep marked its run KILLED) and then ends its run
// normally: its own status wins, and nothing it logged is lost.
TEST(StoreTrackingTest, AnOwnerPresumedDeadEndsItsRunWithItsOwnStatus) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  testing::FakeClock clock;
  StoreOptions sleeper_options;
  sleeper_options.env.clock = &clock;
  sleeper_options.heartbeat_interval = absl::Hours(24);  // it "sleeps"
  auto sleeper = OpenOrDie(path, sleeper_options);
  auto run = StartOrDie(*sleeper);
  ASSERT_TRUE(run->LogMetric("loss", 1, 1).ok());
  ASSERT_TRUE(run->Flush().ok());

  StoreOptions other_options;
  other_options.env.clock = &clock;
  auto other = OpenOrDie(path, other_options);
  ASSERT_TRUE(clock.Advance(absl::Minutes(2)).ok());
  EXPECT_EQ(other->GetRun(run->id())->status, RunStatus::kKilled);

  // It wakes up, logs on and ends FINISHED.
  ASSERT_TRUE(run->LogMetric("loss", 2, 2).ok());
  ASSERT_TRUE(run->End(RunStatus::kFinished).ok());
  absl::StatusOr<RunInfo> info = other->GetRun(run->id());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status, RunStatus::kFinished);
  EXPECT_EQ(other->GetMetricHistory(run->id(), "loss")->values.size(), 2u);
}

TEST(StoreTrackingTest, RunsOfADeadProcessReadAsKilledAfterTheTimeout) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  testing::FakeClock clock;
  StoreOptions options;
  options.env.clock = &clock;
  std::string id;
  {
    // A run whose process "dies": the store is never destroyed properly in
    // a forked child that exits with _exit.
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto store = Store::Open(path, options);
      auto run = (*store)->StartRun({});
      (void)(*run)->LogMetric("loss", 1, 1);
      (void)(*run)->Flush();
      (void)!::write(fds[1], (*run)->id().data(), 32);
      ::_exit(0);  // no End, no destructor: like kill -9
    }
    char buf[32];
    ASSERT_EQ(::read(fds[0], buf, 32), 32);
    id.assign(buf, 32);
    int status;
    ::waitpid(pid, &status, 0);
  }
  auto store = OpenOrDie(path, options);
  EXPECT_EQ(store->GetRun(id)->status, RunStatus::kRunning);  // not yet stale
  ASSERT_TRUE(clock.Advance(absl::Seconds(61)).ok());
  EXPECT_EQ(store->GetRun(id)->status, RunStatus::kKilled);
  // Our own live run is not swept: it heartbeats.
  auto mine = StartOrDie(*store);
  ASSERT_TRUE(clock.Advance(absl::Minutes(5)).ok());
  EXPECT_EQ(store->GetRun(mine->id())->status, RunStatus::kRunning);
}

TEST(StoreTrackingTest, ManyThreadsLogToOneRun) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store);
  constexpr int kThreads = 4, kPoints = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPoints; ++i) {
        ASSERT_TRUE(run->LogMetric("m" + std::to_string(t), i, i).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    absl::StatusOr<MetricHistory> h =
        store->GetMetricHistory(run->id(), "m" + std::to_string(t));
    ASSERT_TRUE(h.ok());
    ASSERT_EQ(h->values.size(), static_cast<size_t>(kPoints));
    for (int i = 0; i < kPoints; ++i) ASSERT_EQ(h->steps[i], i);
  }
}

TEST(StoreTrackingTest, SearchFiltersOrdersAndPages) {
  auto store = OpenOrDie(":memory:");
  for (int i = 0; i < 25; ++i) {
    StartRunOptions o;
    o.experiment = "sweep";
    o.params = {{"lr", i % 2 ? "0.01" : "0.1"}};
    auto run = StartOrDie(*store, o);
    ASSERT_TRUE(run->LogMetric("acc", i / 25.0, 1).ok());
    ASSERT_TRUE(run->End().ok());
  }
  SearchRunsRequest req;
  req.experiments = {"sweep"};
  req.filter = "metrics.acc > 0.5 and params.lr = '0.01'";
  req.order_by = {"metrics.acc DESC"};
  absl::StatusOr<SearchRunsResult> r = store->SearchRuns(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->runs.size(), 6u);  // odd i with i/25 > 0.5: 13..23
  req.max_results = 4;
  std::vector<std::string> seen;
  for (;;) {
    absl::StatusOr<SearchRunsResult> page = store->SearchRuns(req);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const RunInfo& run : page->runs) seen.push_back(run.run_id);
    if (page->next_page_token.empty()) break;
    req.page_token = page->next_page_token;
  }
  EXPECT_EQ(seen.size(), 6u);
  req.filter = "metrics.acc >";
  EXPECT_EQ(Reason(store->SearchRuns(req).status()), "FILTER_SYNTAX");
  req.filter = "";
  req.experiments = {"no-such"};
  EXPECT_EQ(store->SearchRuns(req).status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreTrackingTest, ExperimentsAreUniqueAndListed) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store->CreateExperiment("a").ok());
  EXPECT_EQ(store->CreateExperiment("a").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->GetExperiment("b").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->CreateExperiment("b", {{"owner", "me"}}).ok());
  absl::StatusOr<std::vector<ExperimentInfo>> all = store->ListExperiments();
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->size(), 2u);
}

TEST(StoreTrackingTest, MissingDirectoriesOfAStoreFileAreCreated) {
  TempDir dir;
  const std::string path = dir.File("runs/nested/slipway.db");
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path));
  auto uri_store = OpenOrDie("sqlite://" + dir.File("other/s.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.File("other/s.db")));
}

TEST(StoreTrackingTest, BadUrisAreClearErrors) {
  EXPECT_EQ(Store::Open("ftp://x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Store::Open("postgresql://localhost/db").status().code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace slipway

namespace slipway {
namespace {

TEST(StoreTrackingTest, RunsCarryTheirMetricSummaries) {
  auto store = OpenOrDie(":memory:");
  auto run = StartOrDie(*store, {.experiment = "m"});
  ASSERT_TRUE(run->LogMetric("acc", 0.5, 1).ok());
  ASSERT_TRUE(run->LogMetric("acc", 0.75, 2).ok());
  ASSERT_TRUE(run->LogMetric("loss", 2.0, 2).ok());
  ASSERT_TRUE(run->Flush().ok());
  absl::StatusOr<RunInfo> info = store->GetRun(run->id());
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->metrics.size(), 2u);
  EXPECT_EQ(info->metrics[0].key, "acc");
  EXPECT_EQ(info->metrics[0].last_value, 0.75);
  EXPECT_EQ(info->metrics[0].count, 2);
  absl::StatusOr<SearchRunsResult> found = store->SearchRuns({.experiments = {"m"}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->runs.size(), 1u);
  EXPECT_EQ(found->runs[0].metrics.size(), 2u);
  EXPECT_EQ(found->runs[0].metrics[1].last_value, 2.0);
}

}  // namespace
}  // namespace slipway
