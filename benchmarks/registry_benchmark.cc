// The model registry through the public C++ API (slipway/store.h), on file
// stores (WAL), every write committed and audited as in real use.
//
//   BM_RegisterVersions/0/N  N versions of one model, revisions assigned
//                            (1, 2, ... N), into a new store per
//                            iteration; versions/s (N = 10,000, and 2,500
//                            to see how the cost grows with N)
//   BM_RegisterVersions/1/N  the same with explicit semantic versions
//                            ("1.0.0" ... "1.0.9999")
//   BM_RegisterVersions/2/N  the same with explicit revisions ("1" ...
//                            "10000"): no next-revision lookup
//   BM_ListModelVersions     ListModelVersions of that model (10,000
//                            versions, sorted by precedence), per call
//   BM_GetModelVersion/0     GetModelVersion(model, "5000"): a plain version
//   BM_GetModelVersion/1     GetModelVersion(model, "champion"): an alias
//   BM_GetModelVersion/2     GetModelVersion(model, "latest")
//
// The read benchmarks share one store of 10,000 revisions (built once,
// before the first of them runs; removed at exit), so they resolve against
// the same data, warm. Each version carries two tags and one dataset.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "slipway/store.h"

namespace slipway {
namespace {

constexpr int kVersions = 10'000;

class BenchDir {
 public:
  BenchDir() {
    char tmpl[] = "/tmp/slipway_registry_bench.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~BenchDir() { std::filesystem::remove_all(dir_); }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

enum class Naming { kAssignedRevision = 0, kSemver = 1, kExplicitRevision = 2 };

// Registers version `i` (0-based) of "fraud": the next revision, "1.0.<i>",
// or "<i + 1>".
absl::Status RegisterOne(Store& store, int i, Naming naming) {
  RegisterModelVersionRequest r;
  r.model = "fraud";
  switch (naming) {
    case Naming::kAssignedRevision: break;
    case Naming::kSemver: r.version = "1.0." + std::to_string(i); break;
    case Naming::kExplicitRevision: r.version = std::to_string(i + 1); break;
  }
  r.tags = {{"team", "risk"}, {"index", std::to_string(i)}};
  r.datasets = {{"/data/ml/train-" + std::to_string(i) + ".parquet", ""}};
  r.actor = {"bench", ""};
  return store.RegisterModelVersion(r).status();
}

void BM_RegisterVersions(benchmark::State& state) {
  const Naming naming = static_cast<Naming>(state.range(0));
  const int n = static_cast<int>(state.range(1));
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<BenchDir>();
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir->File("bench.db"));
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    state.ResumeTiming();
    for (int i = 0; i < n; ++i) {
      absl::Status s = RegisterOne(**store, i, naming);
      if (!s.ok()) {
        state.SkipWithError(std::string(s.message()).c_str());
        return;
      }
    }
    state.PauseTiming();
    store->reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RegisterVersions)
    ->Args({0, kVersions})
    ->Args({1, kVersions})
    ->Args({2, kVersions})
    ->Args({0, kVersions / 4})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One store of kVersions revisions of "fraud", alias "champion" -> "5000".
struct Populated {
  BenchDir dir;
  std::unique_ptr<Store> store;
};
Populated* populated = nullptr;

Store* SharedStore() {
  if (populated != nullptr) return populated->store.get();
  auto p = std::make_unique<Populated>();
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(p->dir.File("bench.db"));
  if (!store.ok()) return nullptr;
  p->store = *std::move(store);
  for (int i = 0; i < kVersions; ++i) {
    if (!RegisterOne(*p->store, i, Naming::kAssignedRevision).ok()) return nullptr;
  }
  if (!p->store->SetAlias("fraud", "champion", "5000", {"bench", ""}).ok()) {
    return nullptr;
  }
  populated = p.release();
  return populated->store.get();
}

void BM_ListModelVersions(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("could not build the shared store");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<std::vector<ModelVersionInfo>> all =
        store->ListModelVersions("fraud");
    if (!all.ok() || all->size() != kVersions) {
      state.SkipWithError("ListModelVersions failed");
      return;
    }
    benchmark::DoNotOptimize(all->back().version.data());
  }
  state.SetItemsProcessed(state.iterations() * kVersions);
}
BENCHMARK(BM_ListModelVersions)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GetModelVersion(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("could not build the shared store");
    return;
  }
  const char* names[] = {"5000", "champion", "latest"};
  const std::string name = names[state.range(0)];
  const std::string want = state.range(0) == 2 ? "10000" : "5000";
  for (auto _ : state) {
    absl::StatusOr<ModelVersionInfo> v = store->GetModelVersion("fraud", name);
    if (!v.ok() || v->version != want) {
      state.SkipWithError("GetModelVersion failed");
      return;
    }
    benchmark::DoNotOptimize(v->version.data());
  }
}
BENCHMARK(BM_GetModelVersion)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace slipway

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The shared store and its directory.
  delete slipway::populated;
  return 0;
}
