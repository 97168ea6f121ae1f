#include "src/rollout/drift_check.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/monitoring/drift.h"
#include "src/monitoring/feature_samples.h"
#include "src/rollout/plan.h"

namespace slipway::internal_rollout {
namespace {

namespace m = internal_monitoring;
using ::absl::StrCat;
using v1::RolloutState;

constexpr int64_t kMinuteMs = 60'000;
constexpr size_t kMaxRemembered = 100'000;

int64_t FloorMinute(int64_t ms) {
  int64_t f = ms / kMinuteMs * kMinuteMs;
  if (f > ms) f -= kMinuteMs;
  return f;
}

int64_t CeilMinute(int64_t ms) {
  const int64_t f = FloorMinute(ms);
  return f == ms ? f : f + kMinuteMs;
}

int64_t Ms(const google::protobuf::Timestamp& t) {
  return absl::ToUnixMillis(FromProtoTime(t));
}

bool Watching(RolloutState::Phase p) {
  return p == RolloutState::IN_STAGE || p == RolloutState::AWAITING_APPROVAL;
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

}  // namespace

absl::StatusOr<DriftCheckResult> DriftCheck::Check(const RolloutState& state,
                                                   absl::Time now) {
  DriftCheckResult out;
  if (!Watching(state.phase()) || state.candidate_version().empty()) {
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
    const int64_t needed = chunk_rows * g.drift_min_reference_chunks();
    if (ref.row_count < needed) {
      f.note = absl::StrFormat(
          "the reference holds %d rows; %d chunks of %d need %d",
          ref.row_count, g.drift_min_reference_chunks(), chunk_rows, needed);
      out.features.push_back(std::move(f));
      continue;
    }
    // The newest interval whose first chunk is complete.
    std::vector<double> chunk;
    int64_t start = 0;
    bool remembered = false;
    // A chunk completes while its interval is the newest or just after it
  // (its last minute closes), so two intervals are enough to look at.
    for (int64_t k = newest; k >= std::max<int64_t>(0, newest - 1) && chunk.empty(); --k) {
      start = watch_from + k * interval_ms;
      const std::string key = StrCat(state.id(), "/", state.stage_index(), "/",
                                     ref.feature, "/", start);
      {
        absl::MutexLock lock(&mu_);
        if (auto it = healthy_.find(key); it != healthy_.end()) {
          f = it->second;
          remembered = true;
          break;
        }
      }
      absl::StatusOr<std::vector<internal_storage::FeatureSampleRecord>> rows =
          rollouts_->ReadFeatureSamples(
              state.endpoint(), state.candidate_version(), ref.feature,
              CeilMinute(start),
              std::min(closed_to, CeilMinute(start + interval_ms)));
      if (!rows.ok()) return rows.status();
      int64_t have = 0;
      for (const auto& r : *rows) have += r.row_count;
      if (have < chunk_rows) {
        if (k == newest) {
          f.note = absl::StrFormat(
              "%d of %d chunk rows recorded in the current interval", have,
              chunk_rows);
        }
        continue;
      }
      for (const auto& r : *rows) {
        if (static_cast<int64_t>(chunk.size()) >= chunk_rows) break;
        if (absl::Status s = m::DecodeFeatureSamples(r.data, &chunk); !s.ok()) {
          return s;
        }
      }
      chunk.resize(static_cast<size_t>(chunk_rows));
    }
    if (remembered || chunk.empty()) {
      out.features.push_back(std::move(f));
      continue;
    }
    std::vector<double> reference;
    if (absl::Status s = m::DecodeFeatureSamples(ref.data, &reference);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<m::DriftResult> r = m::UnivariateDrift(
        reference, std::span<const double>(chunk), options);
    if (!r.ok()) return r.status();
    f.chunk_start_ms = start;
    f.statistic = r->statistic;
    f.sigma = SigmaOf(r->statistic, r->thresholds);
    f.threshold = r->thresholds.upper;
    f.note.clear();
    if (r->verdict == m::Verdict::kFailing) {
      f.verdict = "DRIFT";
      if (out.drift_detail.empty()) {
        out.drift_detail = absl::StrFormat(
            "feature %s: %s %.4g on %d rows is %.3g standard deviations above "
            "the reference chunks' mean (limit %g)",
            f.feature,
            options.method == m::DriftMethod::kPsi ? "PSI" : "KS",
            f.statistic, chunk_rows, f.sigma, g.max_drift_sigma());
      }
    } else if (r->verdict == m::Verdict::kHealthy) {
      f.verdict = "HEALTHY";
      absl::MutexLock lock(&mu_);
      if (healthy_.size() >= kMaxRemembered) healthy_.clear();
      healthy_[StrCat(state.id(), "/", state.stage_index(), "/", ref.feature,
                      "/", start)] = f;
    } else {
      f.note = "not enough data for the reference-chunk rule";
    }
    out.features.push_back(std::move(f));
  }
  return out;
}

}  // namespace slipway::internal_rollout
