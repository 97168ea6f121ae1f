// The artifact store (src/artifacts): SHA-256 hashing and the streaming put
// and get paths, fsyncs included, next to baselines measured in the same
// run (memcpy, and read(2) of the same file with the same buffer) so the
// figures can be compared on a noisy machine. Results and the command:
// benchmarks/README.md, "Artifact store".
//
//   BM_Sha256/N        Sha256::Update over an in-memory buffer of N bytes
//                      (target: >= 500 MB/s)
//   BM_Memcpy/N        memcpy of N bytes (memory bandwidth baseline)
//   BM_ReadFile        read(2) of the 64 MiB input in 1 MiB pieces, page
//                      cache hot (the floor under PutFile)
//   BM_PutFileNew      PutFile of 64 MiB that is not stored yet: read, hash,
//                      write to tmp/, fsync, rename, fsync the folder (the
//                      blob is deleted between iterations, untimed)
//   BM_PutFileDedup    PutFile of 64 MiB already stored: read, hash, write a
//                      temporary file, find the blob, drop the temporary
//   BM_GetFile         GetFile of the 64 MiB blob to a new file: read, hash,
//                      write, fsync, rename, fsync the folder
//   BM_PutBytesSmallNew  PutBytes of 4 KiB of new content (fsync-bound)
//
// Files live under $SLIPWAY_BENCH_DIR (default /tmp): put it on the disk you
// care about; on tmpfs fsync is free.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "src/artifacts/artifact_store.h"
#include "src/artifacts/digest.h"

namespace slipway::internal_artifacts {
namespace {

constexpr size_t kFileBytes = size_t{64} << 20;
constexpr size_t kBuffer = size_t{1} << 20;

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::abort();
  }
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(&out[i], &x, 8);
  }
  return out;
}

// One scratch folder with a store and a 64 MiB input file, made once and
// removed at exit.
class Fixture {
 public:
  static Fixture& Get() {
    static Fixture* fixture = new Fixture();
    return *fixture;
  }

  ArtifactStore& store() { return *store_; }
  const std::string& input() const { return input_; }
  const std::string& dir() const { return dir_; }
  uint64_t& small_puts() { return small_puts_; }

 private:
  Fixture() {
    const char* base = std::getenv("SLIPWAY_BENCH_DIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") +
                          "/slipway-artifacts-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(Get().dir_, ec);
    });
    input_ = dir_ + "/input.bin";
    const int fd = ::open(input_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    for (size_t done = 0; done < kFileBytes; done += kBuffer) {
      const std::string chunk = RandomBytes(kBuffer, done / kBuffer);
      if (::write(fd, chunk.data(), chunk.size()) !=
          static_cast<ssize_t>(chunk.size())) {
        std::abort();
      }
    }
    ::fsync(fd);
    ::close(fd);
    absl::StatusOr<std::unique_ptr<ArtifactStore>> store =
        ArtifactStore::Open(dir_ + "/store");
    Check(store.status(), "Open");
    store_ = std::move(*store);
  }

  std::string dir_;
  std::string input_;
  std::unique_ptr<ArtifactStore> store_;
  uint64_t small_puts_ = 0;
};

void BM_Sha256(benchmark::State& state) {
  const std::string data = RandomBytes(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) {
    absl::StatusOr<Sha256> hasher = Sha256::Create();
    hasher->Update(data);
    absl::StatusOr<Digest> digest = hasher->Finish();
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(4096)->Arg(1 << 20)->Arg(64 << 20);

void BM_Memcpy(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string from = RandomBytes(size, 2);
  std::string to(size, '\0');
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), size);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(1 << 20)->Arg(64 << 20);

void BM_ReadFile(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  std::unique_ptr<char[]> buffer(new char[kBuffer]);
  for (auto _ : state) {
    const int fd = ::open(f.input().c_str(), O_RDONLY | O_CLOEXEC);
    size_t total = 0;
    ssize_t n;
    while ((n = ::read(fd, buffer.get(), kBuffer)) > 0) total += n;
    ::close(fd);
    if (total != kFileBytes) std::abort();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          kFileBytes);
}
BENCHMARK(BM_ReadFile)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_PutFileNew(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  for (auto _ : state) {
    absl::StatusOr<ArtifactRef> ref = f.store().PutFile(f.input());
    Check(ref.status(), "PutFile");
    state.PauseTiming();
    ::unlink(f.store().BlobPath(ref->digest).c_str());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          kFileBytes);
}
BENCHMARK(BM_PutFileNew)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_PutFileDedup(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  Check(f.store().PutFile(f.input()).status(), "PutFile");
  for (auto _ : state) {
    absl::StatusOr<ArtifactRef> ref = f.store().PutFile(f.input());
    Check(ref.status(), "PutFile");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          kFileBytes);
}
BENCHMARK(BM_PutFileDedup)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_GetFile(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  absl::StatusOr<ArtifactRef> ref = f.store().PutFile(f.input());
  Check(ref.status(), "PutFile");
  const std::string dest = f.dir() + "/restored.bin";
  for (auto _ : state) {
    Check(f.store().GetFile(ref->digest, dest), "GetFile");
    state.PauseTiming();
    ::unlink(dest.c_str());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          kFileBytes);
}
BENCHMARK(BM_GetFile)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_PutBytesSmallNew(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  std::string data = RandomBytes(4096, 3);
  for (auto _ : state) {
    // New content every time, also across the library's repeated calls of
    // this function (a repeat would be a dedup hit, not a write).
    const uint64_t n = ++f.small_puts();
    std::memcpy(data.data(), &n, sizeof(n));
    Check(f.store().PutBytes(data).status(), "PutBytes");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 4096);
}
BENCHMARK(BM_PutBytesSmallNew)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace slipway::internal_artifacts

BENCHMARK_MAIN();
