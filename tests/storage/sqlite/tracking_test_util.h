// Helpers for the TrackingBackend tests: run ids, real encoded chunks
// (src/codec), and a fixture holding an in-memory backend.
#ifndef SLIPWAY_TESTS_STORAGE_SQLITE_TRACKING_TEST_UTIL_H_
#define SLIPWAY_TESTS_STORAGE_SQLITE_TRACKING_TEST_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "src/codec/chunk.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"
#include "src/storage/tracking_backend.h"

namespace slipway::internal_storage {

// A valid run id (32 lowercase hex digits) derived from `n`.
inline std::string RunId(uint64_t n) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%032llx",
                static_cast<unsigned long long>(n));
  return buf;
}

// Encodes the points as one chunk of (run, key) with its summary.
inline ChunkWrite MakeChunk(const std::string& run_id, const std::string& key,
                            const std::vector<int64_t>& steps,
                            const std::vector<double>& values,
                            int64_t first_ms = 1'000) {
  std::vector<int64_t> times;
  for (size_t i = 0; i < steps.size(); ++i) {
    times.push_back(first_ms + static_cast<int64_t>(i));
  }
  ChunkWrite w;
  w.run_id = run_id;
  w.key = key;
  absl::StatusOr<internal_codec::ChunkSummary> s =
      internal_codec::EncodeChunk(steps, times, values, &w.data);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return w;
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

inline NewRun MakeRun(const std::string& run_id, int64_t experiment_id,
                      int64_t start_ms = 1'000) {
  NewRun run;
  run.run_id = run_id;
  run.experiment_id = experiment_id;
  run.name = "run-" + run_id.substr(28);
  run.start_ms = start_ms;
  return run;
}

class SqliteTrackingFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteTrackingBackend>> opened =
        SqliteTrackingBackend::Open(":memory:", {}, nullptr);
    ASSERT_TRUE(opened.ok()) << opened.status();
    backend_ = *std::move(opened);
    absl::StatusOr<ExperimentInfo> e =
        backend_->CreateExperiment("exp", 1, {});
    ASSERT_TRUE(e.ok()) << e.status();
    experiment_id_ = e->experiment_id;
  }

  std::unique_ptr<SqliteTrackingBackend> backend_;
  int64_t experiment_id_ = 0;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_TESTS_STORAGE_SQLITE_TRACKING_TEST_UTIL_H_
