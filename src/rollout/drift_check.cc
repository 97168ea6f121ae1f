#include "src/rollout/drift_check.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "slipway/status.h"
#include "src/monitoring/drift.h"
#include "src/monitoring/feature_samples.h"
#include "src/rollout/minutes.h"
#include "src/rollout/plan.h"

namespace slipway::internal_rollout {
namespace {

namespace m = internal_monitoring;
using ::absl::StrCat;
using v1::RolloutState;

constexpr size_t kMaxRemembered = 100'000;

// Judged while the candidate serves in a stage, and while it is halted for
// drift (the person deciding reads the numbers; Tick does not act on them).
bool Watching(const RolloutState& s) {
  return s.phase() == RolloutState::IN_STAGE ||
         s.phase() == RolloutState::AWAITING_APPROVAL ||
         (s.phase() == RolloutState::HALTED &&
          s.halt_cause() == RolloutState::HALT_CAUSE_DRIFT);
}

// The plan's drift numbers with the defaults filled in (states written
// before these fields existed hold zeros).
v1::Guardrails Filled(const v1::Plan& plan) {
  v1::Plan copy;
  *copy.mutable_guardrails() = plan.guardrails();
  FillPlanDefaults(&copy);
  return copy.guardrails();
}

double SigmaOf(double statistic, const m::DriftThresholds& t) {
  if (std::isnan(statistic) || std::isnan(t.mean)) return std::nan("");
  if (t.stddev > 0) return (statistic - t.mean) / t.stddev;
  if (statistic > t.mean) return std::numeric_limits<double>::infinity();
  return 0;
}

// What a verdict depends on: the rollout's stage, the feature's reference
// (its stored CRC-32C, size and time: SetDriftReference may replace it
// within a millisecond) and the interval.
std::string CacheKey(const RolloutState& state,
                     const internal_storage::DriftReferenceRecord& ref,
                     int64_t interval_start) {
  const std::string_view crc =
      std::string_view(ref.data).substr(ref.data.size() < 4 ? 0
                                                            : ref.data.size() - 4);
  return StrCat(state.id(), "/", state.stage_index(), "/", ref.feature, "/",
                interval_start, "/", ref.row_count, "/", ref.updated_ms, "/",
                absl::CHexEscape(absl::string_view(crc.data(), crc.size())));
}

absl::Status RowCountMismatch(const internal_storage::FeatureSampleRecord& r,
                              int64_t decoded) {
  return MakeError(
      absl::StatusCode::kDataLoss,
      absl::StrFormat("stored feature samples are corrupt: the sample of "
                      "feature %s, version %s, minute %d, replica %s says %d "
                      "rows but holds %d values",
                      r.feature, r.version, r.minute_ms, r.replica,
                      r.row_count, decoded),
      ErrorDetail{m::kReasonFeatureSamplesCorrupt,
                  "a stored sample's row_count is the number of values it "
                  "holds",
                  absl::StrFormat("%d", r.row_count),
                  "the row was damaged after it was written; record the "
                  "samples again"});
}

}  // namespace

absl::StatusOr<DriftCheckResult> DriftCheck::Check(const RolloutState& state,
                                                   absl::Time now) {
  DriftCheckResult out;
  if (!Watching(state) || state.candidate_version().empty()) {
    return out;
  }
  absl::StatusOr<std::vector<internal_storage::DriftReferenceRecord>> refs =
      rollouts_->ListDriftReferences(state.endpoint());
  if (!refs.ok()) return refs.status();
  if (refs->empty()) return out;

  const v1::Guardrails g = Filled(state.plan());
  const int64_t chunk_rows = g.drift_chunk_rows();
  const int64_t interval_ms = int64_t{g.drift_check_seconds()} * 1000;
  const int64_t now_ms = absl::ToUnixMillis(now);
  int64_t watch_from = Ms(state.stage_entered_at());
  if (state.has_drift_watch_from()) {
    watch_from = std::max(watch_from, Ms(state.drift_watch_from()));
  }
  // Closed minutes only: a minute still being served may grow.
  const int64_t closed_to = FloorMinute(now_ms);
  if (now_ms < watch_from) return out;
  const int64_t newest = (now_ms - watch_from) / interval_ms;

  m::DriftOptions options;
  options.method = g.drift_statistic() == v1::Guardrails::DRIFT_STATISTIC_PSI
                       ? m::DriftMethod::kPsi
                       : m::DriftMethod::kKolmogorovSmirnov;
  options.sigmas = g.max_drift_sigma();
  options.min_reference_chunks =
      static_cast<size_t>(g.drift_min_reference_chunks());
  options.min_current_rows = static_cast<size_t>(chunk_rows);
  options.reference_chunk_baseline = m::ReferenceChunkBaseline::kRestOfReference;

  for (const internal_storage::DriftReferenceRecord& ref : *refs) {
    FeatureDrift f;
    f.feature = ref.feature;
    f.chunk_rows = chunk_rows;
    f.reference_rows = ref.row_count;
    // One feature's damaged row (or failed read) leaves that feature
    // without a verdict, never the others: a drifting feature still halts.
    if (absl::Status s = Judge(state, ref, options, chunk_rows, interval_ms,
                               watch_from, newest, closed_to, &f,
                               &out.drift_detail);
        !s.ok()) {
      FeatureDrift failed;
      failed.feature = ref.feature;
      failed.chunk_rows = chunk_rows;
      failed.reference_rows = ref.row_count;
      failed.note = StrCat("cannot judge: ", s.message());
      f = std::move(failed);
      if (out.error.ok()) out.error = std::move(s);
    }
    out.features.push_back(std::move(f));
  }
  return out;
}

absl::Status DriftCheck::Judge(
    const RolloutState& state,
    const internal_storage::DriftReferenceRecord& ref,
    const m::DriftOptions& options, int64_t chunk_rows, int64_t interval_ms,
    int64_t watch_from, int64_t newest, int64_t closed_to, FeatureDrift* out,
    std::string* drift_detail) {
  FeatureDrift& f = *out;
  const int64_t needed = chunk_rows * static_cast<int64_t>(
                                          options.min_reference_chunks);
  if (ref.row_count < needed) {
    f.note = absl::StrFormat(
        "the reference holds %d rows; %d chunks of %d need %d", ref.row_count,
        options.min_reference_chunks, chunk_rows, needed);
    return absl::OkStatus();
  }
  // The newest interval whose first chunk is complete. Its rows are read
  // up to now, not only to the interval's end: a chunk that drifts is
  // confirmed on the rows that follow it, wherever they fall.
  std::vector<double> rows_seen;
  int64_t start = 0;
  // A chunk completes while its interval is the newest or just after it
  // (its last minute closes), so two intervals are enough to look at.
  for (int64_t k = newest;
       k >= std::max<int64_t>(0, newest - 1) && rows_seen.empty(); --k) {
    start = watch_from + k * interval_ms;
    const std::string key = CacheKey(state, ref, start);
    {
      absl::MutexLock lock(&mu_);
      if (auto it = healthy_.find(key); it != healthy_.end()) {
        f = it->second;
        return absl::OkStatus();
      }
    }
    absl::StatusOr<std::vector<internal_storage::FeatureSampleRecord>> rows =
        rollouts_->ReadFeatureSamples(state.endpoint(),
                                      state.candidate_version(), ref.feature,
                                      CeilMinute(start), closed_to);
    if (!rows.ok()) return rows.status();
    // The first chunk must lie in the interval itself.
    int64_t in_interval = 0;
    for (const auto& r : *rows) {
      if (r.minute_ms < start + interval_ms) in_interval += r.row_count;
    }
    if (in_interval < chunk_rows) {
      if (k == newest) {
        f.note = absl::StrFormat(
            "%d of %d chunk rows recorded in the current interval",
            in_interval, chunk_rows);
      }
      continue;
    }
    for (const auto& r : *rows) {
      if (static_cast<int64_t>(rows_seen.size()) >= 2 * chunk_rows) break;
      const size_t before = rows_seen.size();
      if (absl::Status s = m::DecodeFeatureSamples(r.data, &rows_seen);
          !s.ok()) {
        return s;
      }
      // The row count is a column of its own, outside the checksum; a chunk
      // padded out with zeros would be judged as if they were values.
      if (static_cast<int64_t>(rows_seen.size() - before) != r.row_count) {
        return RowCountMismatch(r,
                                static_cast<int64_t>(rows_seen.size() - before));
      }
    }
  }
  if (rows_seen.empty()) return absl::OkStatus();
  std::vector<double> reference;
  if (absl::Status s = m::DecodeFeatureSamples(ref.data, &reference);
      !s.ok()) {
    return s;
  }
  const auto judge = [&](size_t from) {
    return m::UnivariateDrift(
        reference,
        std::span<const double>(rows_seen)
            .subspan(from, static_cast<size_t>(chunk_rows)),
        options);
  };
  absl::StatusOr<m::DriftResult> r = judge(0);
  if (!r.ok()) return r.status();
  f.chunk_start_ms = start;
  f.statistic = r->statistic;
  f.sigma = SigmaOf(r->statistic, r->thresholds);
  f.threshold = r->thresholds.upper;
  f.note.clear();
  if (r->verdict == m::Verdict::kFailing) {
    // One chunk beyond the limit is also what chance gives about once in a
    // hundred checks (the statistics are skewed; docs/rollouts.md "Drift"):
    // the next chunk_rows rows must agree before the rollout halts.
    const double first_sigma = f.sigma;
    if (static_cast<int64_t>(rows_seen.size()) < 2 * chunk_rows) {
      f.note = absl::StrFormat(
          "the interval's first chunk is %.3g standard deviations above the "
          "reference chunks' mean; confirming on the next %d rows (%d so far)",
          first_sigma, chunk_rows,
          static_cast<int64_t>(rows_seen.size()) - chunk_rows);
      return absl::OkStatus();
    }
    absl::StatusOr<m::DriftResult> confirm =
        judge(static_cast<size_t>(chunk_rows));
    if (!confirm.ok()) return confirm.status();
    f.statistic = confirm->statistic;
    f.sigma = SigmaOf(confirm->statistic, confirm->thresholds);
    f.threshold = confirm->thresholds.upper;
    if (confirm->verdict == m::Verdict::kFailing) {
      f.verdict = "DRIFT";
      if (drift_detail->empty()) {
        *drift_detail = absl::StrFormat(
            "feature %s: %s on two consecutive chunks of %d rows is %.3g and "
            "%.3g standard deviations above the reference chunks' mean "
            "(limit %g)",
            f.feature, options.method == m::DriftMethod::kPsi ? "PSI" : "KS",
            chunk_rows, first_sigma, f.sigma, options.sigmas);
      }
      return absl::OkStatus();
    }
    if (confirm->verdict != m::Verdict::kHealthy) {
      f.note = "not enough data for the reference-chunk rule";
      return absl::OkStatus();
    }
    f.note = absl::StrFormat(
        "the first chunk's %.3g standard deviations were not confirmed by "
        "the next chunk",
        first_sigma);
  } else if (r->verdict != m::Verdict::kHealthy) {
    f.note = "not enough data for the reference-chunk rule";
    return absl::OkStatus();
  }
  f.verdict = "HEALTHY";
  absl::MutexLock lock(&mu_);
  if (healthy_.size() >= kMaxRemembered) healthy_.clear();
  healthy_[CacheKey(state, ref, start)] = f;
  return absl::OkStatus();
}

}  // namespace slipway::internal_rollout
