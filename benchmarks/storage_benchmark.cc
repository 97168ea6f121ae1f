// The SQLite TrackingBackend (src/storage): the group commit of metric
// chunks and run search, on a file store (WAL, synchronous=NORMAL), commits
// included. Results and the command: benchmarks/README.md, "Storage".
//
//   BM_WriteChunks250     one WriteChunks of 250 real 4,000-point chunks
//                         (1M points, 5 keys of one run): the background
//                         writer's commit. Target: well under 50 ms.
//   BM_SearchRuns10k/N    SearchRuns over 10,000 runs (10 params and 5
//                         metrics each), 100 results, two-condition filters
//                         and an order (issue 3 target: <= 20 ms):
//                           /0 metrics.acc > 0.9 and params.optimizer = 'adam',
//                              by metrics.acc DESC (~250 matches)
//                           /1 metrics.loss < 0.5 and params.optimizer != 'sgd',
//                              by metrics.acc DESC (~3,750 matches)
//                           /2 params.lr LIKE '0.0%' and tags.team ILIKE 'CV',
//                              by params.batch_size, start_time (~1,250)
//                           /3 no filter, by metrics.loss ASC (all 10,000)
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "src/codec/chunk.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"
#include "src/storage/tracking_backend.h"

namespace slipway::internal_storage {
namespace {

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::abort();
  }
}

std::string RunId(uint64_t n) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%032llx",
                static_cast<unsigned long long>(n));
  return buf;
}

// A temporary directory for one store, removed at exit.
class TempStore {
 public:
  explicit TempStore(const char* name) {
    char pattern[] = "/tmp/slipway_storage_bench.XXXXXX";
    const char* dir = ::mkdtemp(pattern);
    if (dir == nullptr) std::abort();
    dir_ = dir;
    path_ = dir_ + "/" + name;
  }
  ~TempStore() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

std::unique_ptr<SqliteTrackingBackend> Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteTrackingBackend>> backend =
      SqliteTrackingBackend::Open(path, {}, nullptr);
  Check(backend.status(), "open");
  return *std::move(backend);
}

ChunkWrite Encode(const std::string& run_id, const std::string& key,
                  int64_t first_step, size_t n, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0, 0.01);
  std::uniform_int_distribution<int64_t> gap(1, 3);
  std::vector<int64_t> steps(n), times(n);
  std::vector<double> values(n);
  int64_t t = 1'700'000'000'000 + first_step * 2;
  for (size_t i = 0; i < n; ++i) {
    steps[i] = first_step + static_cast<int64_t>(i);
    t += gap(rng);
    times[i] = t;
    values[i] = std::exp(-static_cast<double>(steps[i]) / 1e5) + noise(rng);
  }
  ChunkWrite w;
  w.run_id = run_id;
  w.key = key;
  absl::StatusOr<internal_codec::ChunkSummary> s =
      internal_codec::EncodeChunk(steps, times, values, &w.data);
  Check(s.status(), "encode");
  w.count = s->count;
  w.first_step = s->first_step;
  w.last_step = s->last_step;
  w.min_step = s->min_step;
  w.max_step = s->max_step;
  w.last_timestamp_ms = s->last_timestamp_ms;
  w.last_value = s->last_value;
  w.min_value = s->min_value;
  w.max_value = s->max_value;
  return w;
}

void BM_WriteChunks250(benchmark::State& state) {
  constexpr int kChunks = 250;
  constexpr size_t kPoints = 4'000;
  TempStore store("write.db");
  std::unique_ptr<SqliteTrackingBackend> backend = Open(store.path());
  const int64_t experiment =
      backend->CreateExperiment("bench", 0, {})->experiment_id;
  std::mt19937_64 rng(7);
  std::vector<ChunkWrite> batch;
  size_t bytes = 0;
  for (int i = 0; i < kChunks; ++i) {
    // 5 keys, 50 chunks each, interleaved as a writer drains its buffers.
    batch.push_back(Encode(RunId(1), "metric_" + std::to_string(i % 5),
                           static_cast<int64_t>((i / 5) * kPoints), kPoints,
                           rng));
    bytes += batch.back().data.size();
  }
  uint64_t run = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // A fresh run each time, so every iteration writes the same amount
    // into a store of the same shape.
    ++run;
    NewRun r;
    r.run_id = RunId(run);
    r.experiment_id = experiment;
    r.name = "run";
    Check(backend->CreateRun(r), "create run");
    for (ChunkWrite& w : batch) w.run_id = r.run_id;
    state.ResumeTiming();

    Check(backend->WriteChunks(batch), "write chunks");

    state.PauseTiming();
    // Keep the file from growing without bound: free the pages for reuse.
    Check(backend->database().RunInTransaction([&](Transaction& tx) {
      absl::StatusOr<Statement> del =
          tx.Prepare("DELETE FROM metric_chunk WHERE run_id = ?1");
      if (!del.ok()) return del.status();
      del->BindText(1, r.run_id);
      return del->Run();
    }),
          "delete");
    state.ResumeTiming();
  }
  state.counters["points/s"] = benchmark::Counter(
      static_cast<double>(kChunks * kPoints) * state.iterations(),
      benchmark::Counter::kIsRate);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_WriteChunks250)->Unit(benchmark::kMillisecond)->UseRealTime();

// The 10,000-run store, built once for all BM_SearchRuns10k cases.
struct SearchStore {
  TempStore dir{"search.db"};
  std::unique_ptr<SqliteTrackingBackend> backend;
};

SearchStore& Store10k() {
  static SearchStore* store = [] {
    auto* s = new SearchStore;
    s->backend = Open(s->dir.path());
    const int64_t experiment =
        s->backend->CreateExperiment("bench", 0, {})->experiment_id;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> unit(0, 1);
    const char* optimizers[] = {"adam", "sgd", "rmsprop", "adagrad"};
    const char* lrs[] = {"0.1", "0.01", "0.001", "0.0001"};
    const char* teams[] = {"cv", "nlp", "speech", "rl", "CV", "ads", "search",
                           "infra"};
    std::vector<ChunkWrite> chunks;
    for (int i = 0; i < 10'000; ++i) {
      NewRun r;
      r.run_id = RunId(i + 1);
      r.experiment_id = experiment;
      r.name = "run-" + std::to_string(i);
      r.start_ms = 1'700'000'000'000 + i * 1'000;
      r.user = "user" + std::to_string(i % 7);
      r.params = {{"optimizer", optimizers[rng() % 4]},
                  {"lr", lrs[rng() % 4]},
                  {"batch_size", std::to_string(16 << (rng() % 5))},
                  {"epochs", std::to_string(1 + rng() % 100)},
                  {"dropout", std::to_string(unit(rng))},
                  {"layers", std::to_string(1 + rng() % 12)},
                  {"model", "resnet" + std::to_string(rng() % 5)},
                  {"seed", std::to_string(rng() % 100000)},
                  {"dataset", "ds" + std::to_string(rng() % 20)},
                  {"warmup", std::to_string(rng() % 1000)}};
      r.tags = {{"team", teams[rng() % 8]}, {"git", "abc"}};
      Check(s->backend->CreateRun(r), "create run");
      for (const char* key : {"acc", "loss", "val_acc", "val_loss", "lr"}) {
        ChunkWrite w;
        w.run_id = r.run_id;
        w.key = key;
        w.count = 100;
        w.first_step = 0;
        w.last_step = 99;
        w.min_step = 0;
        w.max_step = 99;
        w.last_timestamp_ms = r.start_ms + 100;
        w.last_value = unit(rng);
        w.min_value = w.last_value / 2;
        w.max_value = 1;
        w.data = std::string(64, 'x');  // search never reads chunk data
        chunks.push_back(std::move(w));
      }
      if (chunks.size() >= 2'500) {
        Check(s->backend->WriteChunks(chunks), "write chunks");
        chunks.clear();
      }
    }
    Check(s->backend->WriteChunks(chunks), "write chunks");
    return s;
  }();
  return *store;
}

void BM_SearchRuns10k(benchmark::State& state) {
  struct Case {
    const char* filter;
    std::vector<std::string> order;
  };
  const Case cases[] = {
      {"metrics.acc > 0.9 and params.optimizer = 'adam'", {"metrics.acc DESC"}},
      {"metrics.loss < 0.5 and params.optimizer != 'sgd'",
       {"metrics.acc DESC"}},
      {"params.lr LIKE '0.0%' and tags.team ILIKE 'CV'",
       {"params.batch_size", "attributes.start_time"}},
      {"", {"metrics.loss ASC"}},
  };
  const Case& c = cases[state.range(0)];
  SearchStore& store = Store10k();
  absl::StatusOr<internal_query::Filter> filter =
      internal_query::ParseFilter(c.filter);
  Check(filter.status(), "parse filter");
  absl::StatusOr<std::vector<internal_query::OrderBy>> order =
      internal_query::ParseOrderBy(c.order);
  Check(order.status(), "parse order_by");
  size_t found = 0;
  for (auto _ : state) {
    absl::StatusOr<RunPage> page =
        store.backend->SearchRuns({}, *filter, *order, 100, 0);
    Check(page.status(), "search");
    found = page->runs.size();
    benchmark::DoNotOptimize(page->runs.data());
  }
  state.counters["results"] = static_cast<double>(found);
}
BENCHMARK(BM_SearchRuns10k)
    ->DenseRange(0, 3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace slipway::internal_storage

BENCHMARK_MAIN();
