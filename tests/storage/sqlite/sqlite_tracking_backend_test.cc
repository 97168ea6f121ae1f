// SqliteTrackingBackend without search (search_test.cc): every entity round
// trip, write-once params, run end, heartbeats and stale runs, metric chunks
// and summaries (NaN/Inf, atomicity, seq order, step ranges), a reopened
// file store, two processes writing one file, and store URIs.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/codec/chunk.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"
#include "src/storage/tracking_backend.h"
#include "tests/storage/sqlite/tracking_test_util.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::ReasonOf;
using ::slipway::storage_test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

using SqliteTrackingExperimentTest = SqliteTrackingFixture;
using SqliteTrackingRunTest = SqliteTrackingFixture;
using SqliteTrackingParamTest = SqliteTrackingFixture;
using SqliteTrackingMetricTest = SqliteTrackingFixture;

TEST_F(SqliteTrackingExperimentTest, RoundTrip) {
  absl::StatusOr<ExperimentInfo> made =
      backend_->CreateExperiment("vision", 42, {{"team", "cv"}, {"a", "1"}});
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->name, "vision");
  EXPECT_EQ(made->created_ms, 42);
  EXPECT_THAT(made->tags, ElementsAre(Pair("a", "1"), Pair("team", "cv")));

  absl::StatusOr<ExperimentInfo> by_name = backend_->GetExperiment("vision");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->experiment_id, made->experiment_id);
  EXPECT_THAT(by_name->tags, ElementsAre(Pair("a", "1"), Pair("team", "cv")));
  absl::StatusOr<ExperimentInfo> by_id =
      backend_->GetExperimentById(made->experiment_id);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->name, "vision");

  ASSERT_TRUE(backend_
                  ->SetExperimentTags(made->experiment_id,
                                      {{"team", "vision"}, {"b", "2"}})
                  .ok());
  absl::StatusOr<std::vector<ExperimentInfo>> all = backend_->ListExperiments();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "exp");  // by name
  EXPECT_EQ((*all)[1].name, "vision");
  EXPECT_THAT((*all)[1].tags, ElementsAre(Pair("a", "1"), Pair("b", "2"),
                                          Pair("team", "vision")));
}

TEST_F(SqliteTrackingExperimentTest, Errors) {
  absl::StatusOr<ExperimentInfo> dup = backend_->CreateExperiment("exp", 2, {});
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(dup.status()), "EXPERIMENT_EXISTS");
  EXPECT_EQ(ReasonOf(backend_->GetExperiment("nope").status()),
            "EXPERIMENT_NOT_FOUND");
  EXPECT_EQ(backend_->GetExperimentById(999).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(backend_->SetExperimentTags(999, {{"a", "b"}})),
            "EXPERIMENT_NOT_FOUND");
}

TEST_F(SqliteTrackingExperimentTest, GetOrCreateIsIdempotent) {
  absl::StatusOr<ExperimentInfo> a = backend_->GetOrCreateExperiment("new", 5);
  absl::StatusOr<ExperimentInfo> b = backend_->GetOrCreateExperiment("new", 9);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->experiment_id, b->experiment_id);
  EXPECT_EQ(b->created_ms, 5);
  absl::StatusOr<ExperimentInfo> old = backend_->GetOrCreateExperiment("exp", 9);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->experiment_id, experiment_id_);
}

TEST_F(SqliteTrackingRunTest, RoundTripWithEverything) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  NewRun run = MakeRun(RunId(2), experiment_id_, 5'000);
  run.name = "child";
  run.parent_run_id = RunId(1);
  run.user = "ada";
  run.source = {.path = "/src/train.py", .git_commit = std::string(40, 'a')};
  run.params = {{"lr", "0.01"}, {"batch", "32"}};
  run.tags = {{"note", "first"}};
  ASSERT_TRUE(backend_->CreateRun(run).ok());

  absl::StatusOr<RunInfo> got = backend_->GetRun(RunId(2));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->run_id, RunId(2));
  EXPECT_EQ(got->name, "child");
  EXPECT_EQ(got->experiment_id, experiment_id_);
  EXPECT_EQ(got->status, RunStatus::kRunning);
  EXPECT_EQ(got->start_ms, 5'000);
  EXPECT_FALSE(got->end_ms.has_value());
  EXPECT_EQ(got->parent_run_id, RunId(1));
  EXPECT_EQ(got->user, "ada");
  EXPECT_EQ(got->source.path, "/src/train.py");
  EXPECT_EQ(got->source.git_commit, std::string(40, 'a'));
  EXPECT_THAT(got->params, ElementsAre(Pair("batch", "32"), Pair("lr", "0.01")));
  EXPECT_THAT(got->tags, ElementsAre(Pair("note", "first")));

  ASSERT_TRUE(backend_->SetTags(RunId(2), {{"note", "second"}, {"x", ""}}).ok());
  ASSERT_TRUE(backend_->EndRun(RunId(2), RunStatus::kFinished, 9'000).ok());
  got = backend_->GetRun(RunId(2));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, RunStatus::kFinished);
  EXPECT_EQ(got->end_ms, 9'000);
  EXPECT_THAT(got->tags, ElementsAre(Pair("note", "second"), Pair("x", "")));
  EXPECT_TRUE(backend_->GetRun(RunId(1))->parent_run_id.empty());
}

TEST_F(SqliteTrackingRunTest, CreateErrors) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  absl::Status dup = backend_->CreateRun(MakeRun(RunId(1), experiment_id_));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(dup), "RUN_EXISTS");
  absl::Status no_exp = backend_->CreateRun(MakeRun(RunId(2), 999));
  EXPECT_EQ(no_exp.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(no_exp), "EXPERIMENT_NOT_FOUND");
  NewRun orphan = MakeRun(RunId(3), experiment_id_);
  orphan.parent_run_id = RunId(77);
  absl::Status no_parent = backend_->CreateRun(orphan);
  EXPECT_EQ(no_parent.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(no_parent), "RUN_NOT_FOUND");
  EXPECT_THAT(MessageOf(no_parent), HasSubstr("parent run"));
  // Nothing of a refused run is left behind.
  EXPECT_EQ(backend_->GetRun(RunId(3)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(backend_->GetRun(RunId(4)).status()), "RUN_NOT_FOUND");
}

// Only a KILLED run may be ended again, and only by its owner: the sweep's
// KILLED was a presumption; FINISHED and FAILED are facts.
TEST_F(SqliteTrackingRunTest, TheOwnerMayEndARunTheSweepKilled) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  ASSERT_TRUE(backend_->EndRun(RunId(1), RunStatus::kKilled, 7).ok());
  EXPECT_EQ(ReasonOf(backend_->EndRun(RunId(1), RunStatus::kFinished, 8)),
            "RUN_ENDED");
  ASSERT_TRUE(backend_->EndRun(RunId(1), RunStatus::kFinished, 9,
                               /*by_owner=*/true)
                  .ok());
  EXPECT_EQ(backend_->GetRun(RunId(1))->status, RunStatus::kFinished);
  EXPECT_EQ(backend_->GetRun(RunId(1))->end_ms, 9);
  EXPECT_EQ(ReasonOf(backend_->EndRun(RunId(1), RunStatus::kFailed, 10,
                                      /*by_owner=*/true)),
            "RUN_ENDED");
}

TEST_F(SqliteTrackingRunTest, EndIsIdempotentButOnce) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  ASSERT_TRUE(backend_->EndRun(RunId(1), RunStatus::kFailed, 7).ok());
  EXPECT_TRUE(backend_->EndRun(RunId(1), RunStatus::kFailed, 8).ok());
  EXPECT_EQ(backend_->GetRun(RunId(1))->end_ms, 7);  // first end kept
  absl::Status again = backend_->EndRun(RunId(1), RunStatus::kFinished, 9);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(again), "RUN_ENDED");
  EXPECT_EQ(ReasonOf(backend_->EndRun(RunId(2), RunStatus::kFinished, 9)),
            "RUN_NOT_FOUND");
  EXPECT_EQ(backend_->EndRun(RunId(1), RunStatus::kRunning, 9).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteTrackingRunTest, HeartbeatAndStaleRuns) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        backend_->CreateRun(MakeRun(RunId(i), experiment_id_, 1'000)).ok());
  }
  ASSERT_TRUE(backend_->EndRun(RunId(3), RunStatus::kFinished, 1'500).ok());
  const std::vector<std::string> alive = {RunId(1), RunId(3), RunId(99)};
  // Missing and ended runs are ignored; heartbeats never go backwards.
  ASSERT_TRUE(backend_->Heartbeat(alive, 50'000).ok());
  ASSERT_TRUE(backend_->Heartbeat(alive, 40'000).ok());

  // Run 2's heartbeat is 1,000 (its start): stale before 30,000.
  absl::StatusOr<int64_t> killed = backend_->MarkStaleRunsKilled(30'000);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(*killed, 1);
  absl::StatusOr<RunInfo> two = backend_->GetRun(RunId(2));
  EXPECT_EQ(two->status, RunStatus::kKilled);
  EXPECT_EQ(two->end_ms, 1'000);  // its last heartbeat
  EXPECT_EQ(backend_->GetRun(RunId(1))->status, RunStatus::kRunning);
  EXPECT_EQ(backend_->GetRun(RunId(3))->status, RunStatus::kFinished);
  // Exactly at the heartbeat is not older than it.
  EXPECT_EQ(*backend_->MarkStaleRunsKilled(50'000), 0);
  EXPECT_EQ(*backend_->MarkStaleRunsKilled(50'001), 1);
  EXPECT_EQ(backend_->GetRun(RunId(1))->end_ms, 50'000);
  // A killed run no longer takes heartbeats (it is not revived).
  ASSERT_TRUE(backend_->Heartbeat(alive, 60'000).ok());
  EXPECT_EQ(backend_->GetRun(RunId(1))->status, RunStatus::kKilled);
}

TEST_F(SqliteTrackingRunTest, StaleSweepUsesThePartialIndex) {
  // (EXPLAIN of an UPDATE counts as writing: a write transaction.)
  absl::Status s = backend_->database().RunInTransaction([](Transaction& tx) {
    absl::StatusOr<Statement> plan = tx.Prepare(
        "EXPLAIN QUERY PLAN UPDATE run SET status = 'KILLED', end_ms = "
        "heartbeat_ms WHERE status = 'RUNNING' AND heartbeat_ms < ?1");
    if (!plan.ok()) return plan.status();
    std::string details;
    while (*plan->Step()) details += std::string(plan->ColumnText(3)) + "\n";
    EXPECT_THAT(details, HasSubstr("run_running_by_heartbeat")) << details;
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(SqliteTrackingParamTest, WriteOnce) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  ASSERT_TRUE(backend_->LogParams(RunId(1), {{"lr", "0.01"}}).ok());
  EXPECT_TRUE(backend_->LogParams(RunId(1), {{"lr", "0.01"}}).ok());
  absl::Status changed =
      backend_->LogParams(RunId(1), {{"new", "1"}, {"lr", "0.02"}});
  EXPECT_EQ(changed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(changed), "PARAM_CHANGED");
  EXPECT_THAT(MessageOf(changed), HasSubstr("\"lr\""));
  EXPECT_THAT(MessageOf(changed), HasSubstr("\"0.01\""));
  EXPECT_THAT(MessageOf(changed), HasSubstr("\"0.02\""));
  // Nothing of the refused batch was written.
  EXPECT_THAT(backend_->GetRun(RunId(1))->params,
              ElementsAre(Pair("lr", "0.01")));
  // Two values for one key within a batch.
  EXPECT_EQ(ReasonOf(backend_->LogParams(RunId(1), {{"k", "a"}, {"k", "b"}})),
            "PARAM_CHANGED");
  // A long stored value is cut in the message, kept whole in the store.
  const std::string long_value(5'000, 'v');
  ASSERT_TRUE(backend_->LogParams(RunId(1), {{"long", long_value}}).ok());
  absl::Status long_changed = backend_->LogParams(RunId(1), {{"long", "x"}});
  EXPECT_LT(MessageOf(long_changed).size(), 1'000u);
  EXPECT_EQ(ReasonOf(backend_->LogParams(RunId(9), {{"a", "b"}})),
            "RUN_NOT_FOUND");
  EXPECT_EQ(ReasonOf(backend_->SetTags(RunId(9), {{"a", "b"}})),
            "RUN_NOT_FOUND");
}

TEST_F(SqliteTrackingParamTest, EndedRunsStillTakeLateWrites) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  ASSERT_TRUE(backend_->EndRun(RunId(1), RunStatus::kFinished, 5).ok());
  EXPECT_TRUE(backend_->LogParams(RunId(1), {{"late", "1"}}).ok());
  EXPECT_TRUE(backend_->SetTags(RunId(1), {{"late", "1"}}).ok());
  const ChunkWrite chunk = MakeChunk(RunId(1), "loss", {1}, {0.5});
  EXPECT_TRUE(backend_->WriteChunks({&chunk, 1}).ok());
}

TEST_F(SqliteTrackingMetricTest, ChunksAndSummaries) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  std::vector<ChunkWrite> batch = {
      MakeChunk(RunId(1), "loss", {0, 1, 2}, {3.0, 2.0, 2.5}),
      MakeChunk(RunId(1), "acc", {0}, {0.1}),
      MakeChunk(RunId(1), "loss", {3, 4}, {1.0, 1.5}, 2'000),
  };
  ASSERT_TRUE(backend_->WriteChunks(batch).ok());
  std::vector<ChunkWrite> more = {
      MakeChunk(RunId(1), "loss", {5}, {0.25}, 3'000)};
  ASSERT_TRUE(backend_->WriteChunks(more).ok());

  absl::StatusOr<std::vector<MetricSummary>> sums =
      backend_->GetMetricSummaries(RunId(1));
  ASSERT_TRUE(sums.ok()) << sums.status();
  ASSERT_EQ(sums->size(), 2u);
  EXPECT_EQ((*sums)[0].key, "acc");
  const MetricSummary& loss = (*sums)[1];
  EXPECT_EQ(loss.key, "loss");
  EXPECT_EQ(loss.count, 6);
  EXPECT_EQ(loss.last_value, 0.25);
  EXPECT_EQ(loss.last_step, 5);
  EXPECT_EQ(loss.last_timestamp_ms, 3'000);
  EXPECT_EQ(loss.min_value, 0.25);
  EXPECT_EQ(loss.max_value, 3.0);

  // Seq follows batch order, then the next batch.
  absl::StatusOr<std::vector<StoredChunk>> chunks =
      backend_->ReadChunks(RunId(1), "loss", INT64_MIN, INT64_MAX);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  ASSERT_EQ(chunks->size(), 3u);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ((*chunks)[i].seq, i);
  EXPECT_EQ((*chunks)[0].data, batch[0].data);
  EXPECT_EQ((*chunks)[1].data, batch[2].data);
  EXPECT_EQ((*chunks)[2].data, more[0].data);
  internal_codec::PointColumns points;
  for (const StoredChunk& c : *chunks) {
    ASSERT_TRUE(internal_codec::DecodeChunk(c.data, &points).ok());
  }
  EXPECT_THAT(points.steps, ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST_F(SqliteTrackingMetricTest, NanAndInfinitySummaries) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  // All NaN: min and max stay NaN ("no non-NaN value yet").
  std::vector<ChunkWrite> batch = {
      MakeChunk(RunId(1), "m", {0, 1}, {kNaN, kNaN})};
  ASSERT_TRUE(backend_->WriteChunks(batch).ok());
  MetricSummary s = backend_->GetMetricSummaries(RunId(1))->at(0);
  EXPECT_TRUE(std::isnan(s.last_value));
  EXPECT_TRUE(std::isnan(s.min_value));
  EXPECT_TRUE(std::isnan(s.max_value));
  // Then -Inf, -0.0 and +Inf: min/max take them, NaN is ignored.
  batch = {MakeChunk(RunId(1), "m", {2, 3}, {-kInf, kInf}),
           MakeChunk(RunId(1), "m", {4}, {-0.0})};
  ASSERT_TRUE(backend_->WriteChunks(batch).ok());
  s = backend_->GetMetricSummaries(RunId(1))->at(0);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.min_value, -kInf);
  EXPECT_EQ(s.max_value, kInf);
  EXPECT_EQ(s.last_value, 0.0);
  EXPECT_TRUE(std::signbit(s.last_value));  // -0.0 kept exactly
  // A later NaN becomes the last value; min and max are unchanged.
  batch = {MakeChunk(RunId(1), "m", {5}, {kNaN})};
  ASSERT_TRUE(backend_->WriteChunks(batch).ok());
  s = backend_->GetMetricSummaries(RunId(1))->at(0);
  EXPECT_TRUE(std::isnan(s.last_value));
  EXPECT_EQ(s.min_value, -kInf);
  EXPECT_EQ(s.max_value, kInf);
}

TEST_F(SqliteTrackingMetricTest, BatchIsAllOrNothing) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  std::vector<ChunkWrite> batch = {
      MakeChunk(RunId(1), "loss", {0}, {1.0}),
      MakeChunk(RunId(2), "loss", {0}, {1.0}),  // no such run
  };
  absl::Status s = backend_->WriteChunks(batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(s), "RUN_NOT_FOUND");
  EXPECT_TRUE(backend_->GetMetricSummaries(RunId(1))->empty());
  EXPECT_TRUE(backend_->ReadChunks(RunId(1), "loss", INT64_MIN, INT64_MAX)
                  ->empty());
  EXPECT_EQ(ReasonOf(backend_->ReadChunks(RunId(2), "loss", 0, 1).status()),
            "RUN_NOT_FOUND");
  EXPECT_EQ(ReasonOf(backend_->GetMetricSummaries(RunId(2)).status()),
            "RUN_NOT_FOUND");
  EXPECT_TRUE(backend_->WriteChunks({}).ok());
}

TEST_F(SqliteTrackingMetricTest, ReadChunksSelectsByStepRange) {
  ASSERT_TRUE(backend_->CreateRun(MakeRun(RunId(1), experiment_id_)).ok());
  std::vector<ChunkWrite> batch = {
      MakeChunk(RunId(1), "m", {0, 1, 2, 3}, {1, 1, 1, 1}),      // 0-3
      MakeChunk(RunId(1), "m", {10, 4, 12}, {1, 1, 1}),          // 4-12
      MakeChunk(RunId(1), "m", {20, 21}, {1, 1}),                // 20-21
      MakeChunk(RunId(1), "other", {0, 100}, {1, 1}),
  };
  ASSERT_TRUE(backend_->WriteChunks(batch).ok());
  auto seqs = [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> out;
    absl::StatusOr<std::vector<StoredChunk>> chunks =
        backend_->ReadChunks(RunId(1), "m", lo, hi);
    EXPECT_TRUE(chunks.ok()) << chunks.status();
    for (const StoredChunk& c : *chunks) out.push_back(c.seq);
    return out;
  };
  EXPECT_THAT(seqs(0, 3), ElementsAre(0));
  EXPECT_THAT(seqs(3, 4), ElementsAre(0, 1));
  EXPECT_THAT(seqs(5, 9), ElementsAre(1));  // inside 4-12, no step there
  EXPECT_THAT(seqs(13, 19), ElementsAre());
  EXPECT_THAT(seqs(12, 20), ElementsAre(1, 2));
  EXPECT_THAT(seqs(INT64_MIN, INT64_MAX), ElementsAre(0, 1, 2));
  absl::StatusOr<std::vector<StoredChunk>> one =
      backend_->ReadChunks(RunId(1), "m", 11, 11);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].min_step, 4);
  EXPECT_EQ((*one)[0].max_step, 12);
  EXPECT_EQ((*one)[0].count, 3u);
}

TEST(SqliteTrackingFileTest, ReopenedStoreSeesEverything) {
  TempDir dir;
  const std::string path = dir.File("store.db");
  std::vector<ChunkWrite> batch;
  {
    absl::StatusOr<std::unique_ptr<TrackingBackend>> b =
        OpenTrackingBackend("sqlite:///" + path.substr(1), {}, nullptr);
    ASSERT_TRUE(b.ok()) << b.status();
    absl::StatusOr<ExperimentInfo> e =
        (*b)->CreateExperiment("e", 1, {{"k", "v"}});
    ASSERT_TRUE(e.ok());
    NewRun run = MakeRun(RunId(1), e->experiment_id);
    run.params = {{"p", "1"}};
    ASSERT_TRUE((*b)->CreateRun(run).ok());
    batch = {MakeChunk(RunId(1), "m", {0, 1}, {-0.0, kNaN})};
    ASSERT_TRUE((*b)->WriteChunks(batch).ok());
    ASSERT_TRUE((*b)->EndRun(RunId(1), RunStatus::kFinished, 10).ok());
  }
  absl::StatusOr<std::unique_ptr<TrackingBackend>> b =
      OpenTrackingBackend(path, {}, nullptr);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT((*b)->GetExperiment("e")->tags, ElementsAre(Pair("k", "v")));
  absl::StatusOr<RunInfo> run = (*b)->GetRun(RunId(1));
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_THAT(run->params, ElementsAre(Pair("p", "1")));
  MetricSummary s = (*b)->GetMetricSummaries(RunId(1))->at(0);
  EXPECT_TRUE(std::isnan(s.last_value));
  EXPECT_TRUE(std::signbit(s.min_value) && s.min_value == 0.0);
  EXPECT_EQ((*b)->ReadChunks(RunId(1), "m", 0, 1)->at(0).data, batch[0].data);
}

// Two forked processes each write 50 batches of chunks for their own run
// into one file at once; every chunk lands, in order.
TEST(SqliteTrackingFileTest, TwoProcessesWriteOneFile) {
  TempDir dir;
  const std::string path = dir.File("shared.db");
  {
    absl::StatusOr<std::unique_ptr<TrackingBackend>> b =
        OpenTrackingBackend(path, {}, nullptr);
    ASSERT_TRUE(b.ok()) << b.status();
    absl::StatusOr<ExperimentInfo> e = (*b)->CreateExperiment("e", 1, {});
    ASSERT_TRUE((*b)->CreateRun(MakeRun(RunId(1), e->experiment_id)).ok());
    ASSERT_TRUE((*b)->CreateRun(MakeRun(RunId(2), e->experiment_id)).ok());
  }
  constexpr int kBatches = 50;
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int writer = 1; writer <= 2; ++writer) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      char byte;
      (void)::read(gate[0], &byte, 1);
      absl::StatusOr<std::unique_ptr<TrackingBackend>> b =
          OpenTrackingBackend(path, {}, nullptr);
      if (!b.ok()) ::_exit(1);
      for (int i = 0; i < kBatches; ++i) {
        std::vector<ChunkWrite> batch = {
            MakeChunk(RunId(writer), "loss", {2 * i, 2 * i + 1}, {1.0, 0.5}),
            MakeChunk(RunId(writer), "acc", {i}, {static_cast<double>(i)})};
        absl::Status s = (*b)->WriteChunks(batch);
        if (!s.ok()) {
          std::fprintf(stderr, "writer %d: %s\n", writer, s.ToString().c_str());
          ::_exit(2);
        }
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // start both at once
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  absl::StatusOr<std::unique_ptr<TrackingBackend>> b =
      OpenTrackingBackend(path, {}, nullptr);
  ASSERT_TRUE(b.ok());
  for (int writer = 1; writer <= 2; ++writer) {
    absl::StatusOr<std::vector<StoredChunk>> chunks =
        (*b)->ReadChunks(RunId(writer), "loss", INT64_MIN, INT64_MAX);
    ASSERT_EQ(chunks->size(), static_cast<size_t>(kBatches));
    for (int i = 0; i < kBatches; ++i) {
      EXPECT_EQ((*chunks)[i].seq, i);
      EXPECT_EQ((*chunks)[i].min_step, 2 * i);
    }
    std::vector<MetricSummary> sums = *(*b)->GetMetricSummaries(RunId(writer));
    ASSERT_EQ(sums.size(), 2u);
    EXPECT_EQ(sums[0].count, kBatches);  // acc
    EXPECT_EQ(sums[0].last_value, kBatches - 1);
    EXPECT_EQ(sums[1].count, 2 * kBatches);  // loss
  }
}

TEST(SqliteTrackingUriTest, Parses) {
  using Kind = StoreLocation::Kind;
  EXPECT_EQ(*ParseStoreUri(":memory:"),
            (StoreLocation{Kind::kSqliteMemory, ":memory:"}));
  EXPECT_EQ(*ParseStoreUri("sqlite://:memory:"),
            (StoreLocation{Kind::kSqliteMemory, ":memory:"}));
  EXPECT_EQ(*ParseStoreUri("/data/s.db"),
            (StoreLocation{Kind::kSqliteFile, "/data/s.db"}));
  EXPECT_EQ(*ParseStoreUri("rel/s.db"),
            (StoreLocation{Kind::kSqliteFile, "rel/s.db"}));
  EXPECT_EQ(*ParseStoreUri("sqlite:///data/s.db"),
            (StoreLocation{Kind::kSqliteFile, "/data/s.db"}));
  EXPECT_EQ(*ParseStoreUri("sqlite://rel/s.db"),
            (StoreLocation{Kind::kSqliteFile, "rel/s.db"}));
  EXPECT_EQ(*ParseStoreUri("SQLite:///x.db"),
            (StoreLocation{Kind::kSqliteFile, "/x.db"}));

  for (const char* bad : {"", "sqlite://", "sqlite:///", "mysql://h/db",
                          "file:///x.db", "s3://bucket/x"}) {
    absl::StatusOr<StoreLocation> r = ParseStoreUri(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ReasonOf(r.status()), "STORE_URI_INVALID") << bad;
  }
  for (const char* pg : {"postgresql://u:secret@h/db", "postgres://h/db"}) {
    absl::StatusOr<StoreLocation> r = ParseStoreUri(pg);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented) << pg;
    EXPECT_EQ(ReasonOf(r.status()), "STORE_BACKEND_UNAVAILABLE");
    EXPECT_THAT(MessageOf(r.status()),
                HasSubstr("PostgreSQL support arrives in a later release"));
    EXPECT_THAT(MessageOf(r.status()), ::testing::Not(HasSubstr("secret")));
  }
}

TEST(SqliteTrackingUriTest, OpensAndRefuses) {
  TempDir dir;
  EXPECT_TRUE(OpenTrackingBackend(":memory:", {}, nullptr).ok());
  EXPECT_TRUE(OpenTrackingBackend(dir.File("a.db"), {}, nullptr).ok());
  // Relative: resolved against the working directory.
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  absl::StatusOr<std::unique_ptr<TrackingBackend>> rel =
      OpenTrackingBackend("sqlite://rel.db", {}, nullptr);
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_TRUE(rel.ok()) << rel.status();
  EXPECT_EQ(::access(dir.File("rel.db").c_str(), F_OK), 0);
  // A missing directory is NotFound, and is not created.
  absl::StatusOr<std::unique_ptr<TrackingBackend>> missing =
      OpenTrackingBackend(dir.File("no/such/dir/x.db"), {}, nullptr);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(missing.status()), "FILE_NOT_FOUND");
  EXPECT_NE(::access(dir.File("no").c_str(), F_OK), 0);
  EXPECT_EQ(OpenTrackingBackend("postgresql://h/db", {}, nullptr)
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace slipway::internal_storage
