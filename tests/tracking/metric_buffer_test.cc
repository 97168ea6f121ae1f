#include "src/tracking/metric_buffer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_tracking {
namespace {

using internal_codec::DecodeChunk;
using internal_codec::kMaxPointsPerChunk;
using internal_codec::PointColumns;

// Decodes every chunk of `key` in order.
PointColumns Decoded(const std::vector<SealedChunk>& chunks,
                     const std::string& key) {
  PointColumns out;
  for (const SealedChunk& c : chunks) {
    if (c.key != key) continue;
    absl::Status s = DecodeChunk(c.data, &out);
    EXPECT_TRUE(s.ok()) << s;
  }
  return out;
}

TEST(MetricBufferTest, SlotsAreStablePerKey) {
  MetricBuffer b;
  const size_t loss = b.Slot("loss");
  const size_t acc = b.Slot("acc");
  EXPECT_NE(loss, acc);
  EXPECT_EQ(b.Slot("loss"), loss);
  EXPECT_EQ(b.key(acc), "acc");
  EXPECT_EQ(b.slot_count(), 2u);
}

TEST(MetricBufferTest, DrainReturnsEveryPointInOrderPerKey) {
  MetricBuffer b;
  const size_t loss = b.Slot("loss"), acc = b.Slot("acc");
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(b.Append(loss, i, 1000 + i, 1.0 / (i + 1)).ok());
    ASSERT_TRUE(b.Append(acc, i, 1000 + i, i * 0.1).ok());
  }
  EXPECT_EQ(b.pending_points(), 20u);
  std::vector<SealedChunk> chunks;
  ASSERT_TRUE(b.Drain(&chunks).ok());
  EXPECT_EQ(b.pending_points(), 0u);
  ASSERT_EQ(chunks.size(), 2u);
  PointColumns l = Decoded(chunks, "loss");
  ASSERT_EQ(l.size(), 10u);
  EXPECT_EQ(l.steps[9], 9);
  EXPECT_EQ(l.timestamps_ms[3], 1003);
  EXPECT_EQ(l.values[1], 0.5);
  // A second drain with nothing new yields nothing.
  std::vector<SealedChunk> again;
  ASSERT_TRUE(b.Drain(&again).ok());
  EXPECT_TRUE(again.empty());
}

TEST(MetricBufferTest, FullBuffersSealAtTheChunkLimit) {
  MetricBuffer b;
  const size_t s = b.Slot("loss");
  const size_t n = kMaxPointsPerChunk * 2 + 5;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(b.Append(s, static_cast<int64_t>(i), 0, static_cast<double>(i)).ok());
  }
  std::vector<SealedChunk> chunks;
  ASSERT_TRUE(b.Drain(&chunks).ok());
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].summary.count, kMaxPointsPerChunk);
  EXPECT_EQ(chunks[2].summary.count, 5u);
  PointColumns all = Decoded(chunks, "loss");
  ASSERT_EQ(all.size(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(all.values[i], static_cast<double>(i));
}

TEST(MetricBufferTest, AppendColumnsSplitsAcrossChunks) {
  MetricBuffer b;
  const size_t s = b.Slot("x");
  ASSERT_TRUE(b.Append(s, -1, 0, -1.0).ok());  // a partly filled slot first
  const size_t n = 10000;
  std::vector<int64_t> steps(n), ts(n);
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) {
    steps[i] = static_cast<int64_t>(i);
    ts[i] = static_cast<int64_t>(i) * 2;
    values[i] = std::sin(static_cast<double>(i));
  }
  ASSERT_TRUE(b.AppendColumns(s, steps, ts, values).ok());
  EXPECT_EQ(b.pending_points(), n + 1);
  std::vector<SealedChunk> chunks;
  ASSERT_TRUE(b.Drain(&chunks).ok());
  PointColumns all = Decoded(chunks, "x");
  ASSERT_EQ(all.size(), n + 1);
  EXPECT_EQ(all.values[0], -1.0);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(all.values[i + 1], values[i]);
  for (const SealedChunk& c : chunks) EXPECT_LE(c.summary.count, kMaxPointsPerChunk);
}

TEST(MetricBufferTest, MismatchedColumnsAreRejectedWholesale) {
  MetricBuffer b;
  const size_t s = b.Slot("x");
  std::vector<int64_t> steps = {1, 2}, ts = {1};
  std::vector<double> values = {1, 2};
  absl::Status st = b.AppendColumns(s, steps, ts, values);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(st)->reason, "METRIC_COLUMNS_MISMATCH");
  EXPECT_EQ(b.pending_points(), 0u);
}

TEST(MetricBufferTest, SpecialValuesSurviveBitExactly) {
  MetricBuffer b;
  const size_t s = b.Slot("x");
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> special = {std::nan(""), inf, -inf, -0.0,
                                       std::numeric_limits<double>::denorm_min()};
  for (size_t i = 0; i < special.size(); ++i) {
    ASSERT_TRUE(b.Append(s, static_cast<int64_t>(i), 0, special[i]).ok());
  }
  std::vector<SealedChunk> chunks;
  ASSERT_TRUE(b.Drain(&chunks).ok());
  PointColumns all = Decoded(chunks, "x");
  ASSERT_EQ(all.size(), special.size());
  EXPECT_TRUE(std::isnan(all.values[0]));
  EXPECT_EQ(all.values[1], inf);
  EXPECT_EQ(all.values[2], -inf);
  EXPECT_TRUE(std::signbit(all.values[3]));
}

TEST(MergeSummaryTest, FoldsChunksLikeOneLongSeries) {
  MetricSummary total;
  internal_codec::ChunkSummary a;
  a.count = 3; a.last_value = 2; a.last_step = 3; a.last_timestamp_ms = 30;
  a.min_value = 1; a.max_value = 5;
  internal_codec::ChunkSummary b = a;
  b.count = 2; b.last_value = 0.5; b.last_step = 5; b.last_timestamp_ms = 50;
  b.min_value = 0.5; b.max_value = 4;
  MergeSummary(a, &total);
  MergeSummary(b, &total);
  EXPECT_EQ(total.count, 5);
  EXPECT_EQ(total.last_value, 0.5);
  EXPECT_EQ(total.last_step, 5);
  EXPECT_EQ(total.last_timestamp_ms, 50);
  EXPECT_EQ(total.min_value, 0.5);
  EXPECT_EQ(total.max_value, 5);
}

TEST(MergeSummaryTest, NanMeansNoValueYetOnEitherSide) {
  MetricSummary total;
  internal_codec::ChunkSummary all_nan;
  all_nan.count = 2;
  all_nan.last_value = std::nan("");
  all_nan.min_value = std::nan("");
  all_nan.max_value = std::nan("");
  MergeSummary(all_nan, &total);
  EXPECT_TRUE(std::isnan(total.min_value));
  internal_codec::ChunkSummary some;
  some.count = 1; some.last_value = 3; some.min_value = 3; some.max_value = 3;
  MergeSummary(some, &total);
  EXPECT_EQ(total.min_value, 3);
  EXPECT_EQ(total.max_value, 3);
  MergeSummary(all_nan, &total);
  EXPECT_EQ(total.min_value, 3);  // a later all-NaN chunk changes nothing
  EXPECT_TRUE(std::isnan(total.last_value));
  EXPECT_EQ(total.count, 5);
}

}  // namespace
}  // namespace slipway::internal_tracking

namespace slipway::internal_tracking {
namespace {

TEST(MetricBufferTest, RecycledColumnsAreReusedEmpty) {
  MetricBuffer b;
  const size_t s = b.Slot("x");
  for (size_t i = 0; i < kMaxPointsPerChunk + 3; ++i) {
    ASSERT_TRUE(b.Append(s, static_cast<int64_t>(i), 0, 1.0).ok());
  }
  std::vector<PendingColumns> pending;
  b.TakePending(&pending);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].columns.size(), kMaxPointsPerChunk);
  EXPECT_EQ(pending[1].columns.size(), 3u);
  MetricBuffer::PrepareForRecycling(pending);
  b.Recycle(pending);
  EXPECT_TRUE(pending.empty());
  // The next full block comes from the recycled storage and holds only
  // the new points.
  for (size_t i = 0; i < 2 * kMaxPointsPerChunk; ++i) {
    ASSERT_TRUE(b.Append(s, static_cast<int64_t>(i), 0, 2.0).ok());
  }
  std::vector<SealedChunk> chunks;
  ASSERT_TRUE(b.Drain(&chunks).ok());
  size_t total = 0;
  for (const SealedChunk& c : chunks) {
    total += c.summary.count;
    EXPECT_EQ(c.summary.max_value, 2.0);
  }
  EXPECT_EQ(total, 2 * kMaxPointsPerChunk);
}

}  // namespace
}  // namespace slipway::internal_tracking
