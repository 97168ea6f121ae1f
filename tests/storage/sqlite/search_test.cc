// SearchRuns on SQLite: every operator and entity, NaN/-0.0/missing
// metrics, LIKE/ILIKE case rules, precedence, NOT, IN, ordering by several
// keys, paging, and injection attempts (which must simply not match).
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"
#include "src/storage/sqlite/search_sql.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"
#include "src/storage/tracking_backend.h"
#include "tests/storage/sqlite/tracking_test_util.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::ReasonOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

class SqliteTrackingSearchTest : public SqliteTrackingFixture {
 protected:
  // Runs 1-4 in experiment `exp`, run 5 in `other`:
  //   run name   user status    start end   lr    opt   team  acc   loss
  //   1   alpha  ada  FINISHED  1000  2000  0.1   Adam  cv    0.9   0.5
  //   2   beta   bob  RUNNING   2000  -     0.01  sgd   NLP   0.95  NaN
  //   3   Gamma  ada  FAILED    3000  3500  0.1   adam  -     -0.0  +Inf
  //   4   delta  cy   RUNNING   4000  -     -     ADAM  cv    -     -
  //   5   eps    ada  RUNNING   5000  -     0.1   -     -     0.5   -
  void SetUp() override {
    SqliteTrackingFixture::SetUp();
    other_ = backend_->CreateExperiment("other", 1, {})->experiment_id;
    Add(1, experiment_id_, "alpha", "ada", 1000, {{"lr", "0.1"}, {"opt", "Adam"}},
        {{"team", "cv"}}, {{"acc", 0.9}, {"loss", 0.5}});
    Add(2, experiment_id_, "beta", "bob", 2000, {{"lr", "0.01"}, {"opt", "sgd"}},
        {{"team", "NLP"}}, {{"acc", 0.95}, {"loss", kNaN}});
    Add(3, experiment_id_, "Gamma", "ada", 3000, {{"lr", "0.1"}, {"opt", "adam"}},
        {}, {{"acc", -0.0}, {"loss", kInf}});
    Add(4, experiment_id_, "delta", "cy", 4000, {{"opt", "ADAM"}},
        {{"team", "cv"}}, {});
    Add(5, other_, "eps", "ada", 5000, {{"lr", "0.1"}}, {}, {{"acc", 0.5}});
    ASSERT_TRUE(backend_->EndRun(RunId(1), RunStatus::kFinished, 2000).ok());
    ASSERT_TRUE(backend_->EndRun(RunId(3), RunStatus::kFailed, 3500).ok());
  }

  void Add(int n, int64_t experiment, const std::string& name,
           const std::string& user, int64_t start, KeyValues params,
           KeyValues tags, std::vector<std::pair<std::string, double>> metrics) {
    NewRun run = MakeRun(RunId(n), experiment, start);
    run.name = name;
    run.user = user;
    run.params = std::move(params);
    run.tags = std::move(tags);
    ASSERT_TRUE(backend_->CreateRun(run).ok());
    std::vector<ChunkWrite> chunks;
    for (const auto& [key, value] : metrics) {
      // The last value is the one searched: put another value before it.
      chunks.push_back(MakeChunk(RunId(n), key, {0, 1}, {123.0, value}));
    }
    ASSERT_TRUE(backend_->WriteChunks(chunks).ok());
  }

  // The run numbers found by `filter` in `experiments` (default: `exp`),
  // ordered by `order_by`; a failed search fails the test.
  std::vector<int> Find(const std::string& filter,
                        const std::vector<std::string>& order_by = {},
                        std::vector<int64_t> experiments = {-1}) {
    if (experiments == std::vector<int64_t>{-1}) experiments = {experiment_id_};
    absl::StatusOr<internal_query::Filter> f =
        internal_query::ParseFilter(filter);
    EXPECT_TRUE(f.ok()) << f.status();
    absl::StatusOr<std::vector<internal_query::OrderBy>> o =
        internal_query::ParseOrderBy(order_by);
    EXPECT_TRUE(o.ok()) << o.status();
    if (!f.ok() || !o.ok()) return {};
    absl::StatusOr<RunPage> page =
        backend_->SearchRuns(experiments, *f, *o, 1000, 0);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return {};
    EXPECT_FALSE(page->next_offset.has_value());
    std::vector<int> out;
    for (const RunInfo& run : page->runs) {
      out.push_back(std::stoi(run.run_id, nullptr, 16));
    }
    return out;
  }

  int64_t other_ = 0;
};

TEST_F(SqliteTrackingSearchTest, EmptyFilterAndExperiments) {
  EXPECT_THAT(Find(""), ElementsAre(4, 3, 2, 1));  // start time descending
  EXPECT_THAT(Find("", {}, {}), ElementsAre(5, 4, 3, 2, 1));
  EXPECT_THAT(Find("", {}, {other_}), ElementsAre(5));
  EXPECT_THAT(Find("", {}, {other_, experiment_id_}),
              ElementsAre(5, 4, 3, 2, 1));
  EXPECT_THAT(Find("", {}, {999}), IsEmpty());
}

TEST_F(SqliteTrackingSearchTest, Metrics) {
  EXPECT_THAT(Find("metrics.acc > 0.8"), ElementsAre(2, 1));
  EXPECT_THAT(Find("metrics.acc >= 0.9"), ElementsAre(2, 1));
  EXPECT_THAT(Find("metrics.acc < 0.9"), ElementsAre(3));
  EXPECT_THAT(Find("metrics.acc <= 0.9"), ElementsAre(3, 1));
  EXPECT_THAT(Find("metrics.acc = 0.95"), ElementsAre(2));
  EXPECT_THAT(Find("metrics.acc != 0.95"), ElementsAre(3, 1));
  // -0.0 equals 0 (IEEE), and is neither above nor below it.
  EXPECT_THAT(Find("metrics.acc = 0"), ElementsAre(3));
  EXPECT_THAT(Find("metrics.acc = -0"), ElementsAre(3));
  EXPECT_THAT(Find("metrics.acc < 0"), IsEmpty());
  EXPECT_THAT(Find("metrics.acc > -1e-300"), ElementsAre(3, 2, 1));
  EXPECT_THAT(Find("metrics.acc >= 0"), ElementsAre(3, 2, 1));
  // +Inf is a number; NaN matches no comparison; run 4 has no loss at all.
  EXPECT_THAT(Find("metrics.loss > 0"), ElementsAre(3, 1));
  EXPECT_THAT(Find("metrics.loss > 1e308"), ElementsAre(3));
  EXPECT_THAT(Find("metrics.loss != 0.5"), ElementsAre(3));
  EXPECT_THAT(Find("metrics.loss < 1"), ElementsAre(1));
  // Two-valued logic: `not X` is exactly the runs X does not match.
  EXPECT_THAT(Find("not metrics.loss != 0.5"), ElementsAre(4, 2, 1));
  EXPECT_THAT(Find("metrics.missing > 0 or metrics.missing <= 0"), IsEmpty());
}

TEST_F(SqliteTrackingSearchTest, ParamsAndTags) {
  EXPECT_THAT(Find("params.lr = '0.1'"), ElementsAre(3, 1));
  EXPECT_THAT(Find("params.lr != '0.1'"), ElementsAre(2));  // 4 has no lr
  EXPECT_THAT(Find("params.opt IN ('sgd', 'adam')"), ElementsAre(3, 2));
  EXPECT_THAT(Find("params.opt NOT IN ('sgd')"), ElementsAre(4, 3, 1));
  EXPECT_THAT(Find("tags.team = 'cv'"), ElementsAre(4, 1));
  EXPECT_THAT(Find("tags.team != 'cv'"), ElementsAre(2));
  EXPECT_THAT(Find("tags.team = 'CV'"), IsEmpty());
  EXPECT_THAT(Find("params.Opt = 'sgd'"), IsEmpty());  // keys case-sensitive
}

TEST_F(SqliteTrackingSearchTest, LikeIsCaseSensitiveIlikeIsNot) {
  EXPECT_THAT(Find("params.opt LIKE 'a%'"), ElementsAre(3));
  EXPECT_THAT(Find("params.opt LIKE 'A%'"), ElementsAre(4, 1));
  EXPECT_THAT(Find("params.opt LIKE 'Ad_m'"), ElementsAre(1));
  EXPECT_THAT(Find("params.opt ILIKE 'a%'"), ElementsAre(4, 3, 1));
  EXPECT_THAT(Find("params.opt ILIKE '%D_M'"), ElementsAre(4, 3, 1));
  EXPECT_THAT(Find("tags.team ILIKE 'nlp'"), ElementsAre(2));
  EXPECT_THAT(Find("tags.team LIKE 'nlp'"), IsEmpty());
  EXPECT_THAT(Find("not params.opt LIKE '%a%'"), ElementsAre(4, 2));
  EXPECT_THAT(Find("attributes.run_name LIKE 'g%'"), IsEmpty());
  EXPECT_THAT(Find("attributes.run_name ILIKE 'g%'"), ElementsAre(3));
  EXPECT_THAT(Find("params.lr LIKE '%'"), ElementsAre(3, 2, 1));
}

TEST_F(SqliteTrackingSearchTest, Attributes) {
  EXPECT_THAT(Find("attributes.status = 'RUNNING'"), ElementsAre(4, 2));
  EXPECT_THAT(Find("attributes.status != 'RUNNING'"), ElementsAre(3, 1));
  EXPECT_THAT(Find("attributes.status IN ('FAILED', 'KILLED')"),
              ElementsAre(3));
  EXPECT_THAT(Find("attributes.run_name = 'beta'"), ElementsAre(2));
  EXPECT_THAT(Find("attributes.run_id = '" + RunId(2) + "'"), ElementsAre(2));
  EXPECT_THAT(Find("attributes.run_id IN ('" + RunId(1) + "', '" + RunId(4) +
                   "')"),
              ElementsAre(4, 1));
  EXPECT_THAT(Find("attributes.user = 'ada'"), ElementsAre(3, 1));
  EXPECT_THAT(Find("attributes.user = 'ada'", {}, {}), ElementsAre(5, 3, 1));
  EXPECT_THAT(Find("attributes.start_time >= 3000"), ElementsAre(4, 3));
  EXPECT_THAT(Find("attributes.start_time = 2000"), ElementsAre(2));
  EXPECT_THAT(Find("attributes.start_time != 2000"), ElementsAre(4, 3, 1));
  // Running runs have no end time: they match no end_time comparison.
  EXPECT_THAT(Find("attributes.end_time < 3000"), ElementsAre(1));
  EXPECT_THAT(Find("attributes.end_time > 0"), ElementsAre(3, 1));
  EXPECT_THAT(Find("attributes.end_time != 2000"), ElementsAre(3));
  EXPECT_THAT(Find("not attributes.end_time > 0"), ElementsAre(4, 2));
  const std::string other = std::to_string(other_);
  EXPECT_THAT(Find("attributes.experiment_id = '" + other + "'", {}, {}),
              ElementsAre(5));
  EXPECT_THAT(Find("attributes.experiment_id IN ('" + other + "', '" +
                       std::to_string(experiment_id_) + "')",
                   {}, {}),
              ElementsAre(5, 4, 3, 2, 1));
}

TEST_F(SqliteTrackingSearchTest, PrecedenceParenthesesAndNot) {
  // and binds tighter than or.
  EXPECT_THAT(
      Find("params.lr = '0.1' or tags.team = 'cv' and metrics.acc > 0.5"),
      ElementsAre(3, 1));
  EXPECT_THAT(
      Find("(params.lr = '0.1' or tags.team = 'cv') and metrics.acc > 0.5"),
      ElementsAre(1));
  // not binds tighter than and.
  EXPECT_THAT(Find("not params.lr = '0.1' and tags.team = 'cv'"),
              ElementsAre(4));
  EXPECT_THAT(Find("not (params.lr = '0.1' and tags.team = 'cv')"),
              ElementsAre(4, 3, 2));
  EXPECT_THAT(Find("not not params.lr = '0.1'"), ElementsAre(3, 1));
  EXPECT_THAT(Find("metrics.acc > 0.8 and params.opt = 'sgd' and "
                   "attributes.user = 'bob'"),
              ElementsAre(2));
}

TEST_F(SqliteTrackingSearchTest, LongOrChainsStayWithinSqliteDepth) {
  // 1,000 comparisons (the parser's limit) in one OR: a left-deep SQL chain
  // would pass SQLite's expression depth limit of 1,000.
  internal_query::Or any;
  for (int i = 0; i < 1000; ++i) {
    any.children.push_back(internal_query::Expr{internal_query::Comparison{
        .entity = {.kind = internal_query::EntityKind::kParam, .key = "opt"},
        .op = internal_query::CompareOp::kEq,
        .value = i == 999 ? std::string("sgd") : "v" + std::to_string(i)}});
  }
  internal_query::Filter f;
  f.expr = internal_query::Expr{std::move(any)};
  absl::StatusOr<RunPage> page = backend_->SearchRuns({}, f, {}, 10, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->runs.size(), 1u);
  EXPECT_EQ(page->runs[0].run_id, RunId(2));
}

TEST_F(SqliteTrackingSearchTest, OrderByMetrics) {
  EXPECT_THAT(Find("", {"metrics.acc DESC"}), ElementsAre(2, 1, 3, 4));
  EXPECT_THAT(Find("", {"metrics.acc ASC"}), ElementsAre(3, 1, 2, 4));
  // NaN after every number, missing last, in both directions.
  EXPECT_THAT(Find("", {"metrics.loss"}), ElementsAre(1, 3, 2, 4));
  EXPECT_THAT(Find("", {"metrics.loss DESC"}), ElementsAre(3, 1, 2, 4));
}

TEST_F(SqliteTrackingSearchTest, OrderByStringsAndAttributes) {
  // Byte order: upper case before lower case.
  EXPECT_THAT(Find("", {"params.opt"}), ElementsAre(4, 1, 3, 2));
  EXPECT_THAT(Find("", {"params.lr DESC"}), ElementsAre(3, 1, 2, 4));
  EXPECT_THAT(Find("", {"attributes.run_name"}), ElementsAre(3, 1, 2, 4));
  EXPECT_THAT(Find("", {"attributes.start_time"}), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Find("", {"attributes.end_time"}), ElementsAre(1, 3, 4, 2));
  EXPECT_THAT(Find("", {"attributes.end_time DESC"}), ElementsAre(3, 1, 4, 2));
  EXPECT_THAT(Find("", {"attributes.status", "attributes.user DESC"}),
              ElementsAre(3, 1, 4, 2));
  EXPECT_THAT(Find("", {"attributes.run_id DESC"}), ElementsAre(4, 3, 2, 1));
  EXPECT_THAT(Find("", {"attributes.experiment_id DESC"}, {}),
              ElementsAre(5, 4, 3, 2, 1));
}

TEST_F(SqliteTrackingSearchTest, OrderBySeveralKeys) {
  // team: "NLP" < "cv" < missing; within cv, user descending.
  EXPECT_THAT(Find("", {"tags.team", "attributes.user DESC"}),
              ElementsAre(2, 4, 1, 3));
  EXPECT_THAT(Find("params.lr = '0.1'", {"params.lr", "metrics.acc"}),
              ElementsAre(3, 1));
}

TEST_F(SqliteTrackingSearchTest, ResultsCarryParamsAndTags) {
  absl::StatusOr<RunPage> page = backend_->SearchRuns(
      std::vector<int64_t>{experiment_id_}, internal_query::Filter(), {}, 10,
      0);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->runs.size(), 4u);
  const RunInfo& r1 = page->runs[3];
  EXPECT_EQ(r1.run_id, RunId(1));
  EXPECT_EQ(r1.name, "alpha");
  EXPECT_EQ(r1.status, RunStatus::kFinished);
  EXPECT_EQ(r1.end_ms, 2000);
  EXPECT_THAT(r1.params, ElementsAre(Pair("lr", "0.1"), Pair("opt", "Adam")));
  EXPECT_THAT(r1.tags, ElementsAre(Pair("team", "cv")));
  EXPECT_THAT(page->runs[1].tags, IsEmpty());  // run 3
  EXPECT_THAT(page->runs[0].params, ElementsAre(Pair("opt", "ADAM")));
}

TEST_F(SqliteTrackingSearchTest, InjectionAttemptsAreJustValues) {
  const std::vector<std::string> evil = {
      "' OR 1=1 --", "'); DROP TABLE run; --", "x\" OR \"1\"=\"1",
      "%' OR '1'='1"};
  for (size_t i = 0; i < evil.size(); ++i) {
    NewRun run = MakeRun(RunId(100 + i), experiment_id_, 100);
    run.params = {{"p", evil[i]}, {evil[i], "key"}};
    ASSERT_TRUE(backend_->CreateRun(run).ok());
  }
  auto quoted = [](const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  for (size_t i = 0; i < evil.size(); ++i) {
    SCOPED_TRACE(evil[i]);
    const int want = static_cast<int>(100 + i);
    EXPECT_THAT(Find("params.p = " + quoted(evil[i])), ElementsAre(want));
    EXPECT_THAT(Find("params.p LIKE " + quoted(evil[i])), ElementsAre(want));
    EXPECT_THAT(Find("params.`" + evil[i] + "` = 'key'"), ElementsAre(want));
    EXPECT_THAT(Find("tags.t = " + quoted(evil[i])), IsEmpty());
    EXPECT_THAT(Find("attributes.run_name LIKE " + quoted(evil[i])),
                IsEmpty());
    EXPECT_THAT(Find("params.lr IN (" + quoted(evil[i]) + ")"), IsEmpty());
  }
  // Hand-built trees (no parser in between) are bound just the same.
  for (const std::string& value : evil) {
    internal_query::Filter f;
    f.expr = internal_query::Expr{internal_query::Comparison{
        .entity = {.kind = internal_query::EntityKind::kTag, .key = value},
        .op = internal_query::CompareOp::kEq,
        .value = value}};
    absl::StatusOr<RunPage> page =
        backend_->SearchRuns({}, f, {}, 100, 0);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_THAT(page->runs, IsEmpty());
    absl::StatusOr<CompiledSearch> sql = CompileSearchRuns({}, f, {}, 10, 0);
    ASSERT_TRUE(sql.ok());
    EXPECT_EQ(sql->sql.find(value), std::string::npos) << sql->sql;
  }
  // The tables are all still there, with every row.
  EXPECT_EQ(Find("", {}, {}).size(), 5u + evil.size());
  EXPECT_TRUE(backend_->GetRun(RunId(1)).ok());
  EXPECT_EQ(backend_->GetMetricSummaries(RunId(1))->size(), 2u);
}

TEST_F(SqliteTrackingSearchTest, ModelVersionAttributesAreRefusedForRuns) {
  for (const char* text : {"attributes.name = 'x'", "run.version = '1'",
                           "attributes.approval = 'Approved'"}) {
    absl::StatusOr<internal_query::Filter> f = internal_query::ParseFilter(text);
    ASSERT_TRUE(f.ok()) << f.status();
    absl::StatusOr<RunPage> page = backend_->SearchRuns({}, *f, {}, 10, 0);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(ReasonOf(page.status()), "FILTER_UNKNOWN_ATTRIBUTE") << text;
    EXPECT_THAT(std::string(page.status().message()),
                ::testing::HasSubstr("run_name"));
  }
}

TEST_F(SqliteTrackingSearchTest, HandBuiltNonsenseIsRefused) {
  internal_query::Filter f;
  f.expr = internal_query::Expr{internal_query::Comparison{
      .entity = {.kind = internal_query::EntityKind::kMetric, .key = "m"},
      .op = internal_query::CompareOp::kLike,
      .value = std::string("x")}};
  absl::StatusOr<RunPage> page = backend_->SearchRuns({}, f, {}, 10, 0);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(page.status()), "FILTER_TYPE");
  f.expr = internal_query::Expr{internal_query::Or{}};
  EXPECT_EQ(backend_->SearchRuns({}, f, {}, 10, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

class SqliteTrackingPagingTest : public SqliteTrackingFixture {};

TEST_F(SqliteTrackingPagingTest, PagesCoverEveryRunOnceAndAreStable) {
  // 25 runs, many sharing a start time and a metric value, so only the
  // final run-id tie-break makes the order total.
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(
        backend_->CreateRun(MakeRun(RunId(i + 1), experiment_id_, 1000 + i % 3))
            .ok());
    const ChunkWrite chunk =
        MakeChunk(RunId(i + 1), "m", {0}, {static_cast<double>(i % 4)});
    if (i % 5 != 0) ASSERT_TRUE(backend_->WriteChunks({&chunk, 1}).ok());
  }
  absl::StatusOr<std::vector<internal_query::OrderBy>> order =
      internal_query::ParseOrderBy(std::vector<std::string>{"metrics.m DESC"});
  ASSERT_TRUE(order.ok());
  for (size_t size : {1u, 7u, 5u, 25u, 100u}) {
    SCOPED_TRACE(size);
    std::vector<std::string> all;
    uint64_t offset = 0;
    int pages = 0;
    while (true) {
      absl::StatusOr<RunPage> page = backend_->SearchRuns(
          {}, internal_query::Filter(), *order, size, offset);
      ASSERT_TRUE(page.ok()) << page.status();
      ++pages;
      for (const RunInfo& r : page->runs) all.push_back(r.run_id);
      if (!page->next_offset.has_value()) break;
      EXPECT_EQ(page->runs.size(), size);
      EXPECT_EQ(*page->next_offset, offset + size);
      offset = *page->next_offset;
      ASSERT_LT(pages, 100);
    }
    EXPECT_EQ(all.size(), 25u);
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 25u);
    EXPECT_EQ(pages, static_cast<int>((25 + size - 1) / size));
    // The same pages again: identical (stable).
    absl::StatusOr<RunPage> whole = backend_->SearchRuns(
        {}, internal_query::Filter(), *order, 25, 0);
    std::vector<std::string> again;
    for (const RunInfo& r : whole->runs) again.push_back(r.run_id);
    EXPECT_EQ(all, again);
  }
  absl::StatusOr<RunPage> none = backend_->SearchRuns(
      {}, internal_query::Filter(), *order, 0, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->runs.empty());
  EXPECT_FALSE(none->next_offset.has_value());
  absl::StatusOr<RunPage> past = backend_->SearchRuns(
      {}, internal_query::Filter(), *order, 10, 1000);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->runs.empty());
}

}  // namespace
}  // namespace slipway::internal_storage
