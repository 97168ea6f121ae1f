#include "src/monitoring/drift.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"

namespace slipway::internal_monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

absl::Status SampleInvalid(std::string_view sample, std::string value,
                           std::string_view what) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("invalid ", std::string(sample),
                   " sample for drift: ", std::string(what)),
      ErrorDetail{
          kReasonDriftSampleInvalid,
          "a drift sample is a non-empty list of numbers without NaN",
          std::move(value),
          "drop or impute missing values (NaN) before the drift check, and "
          "pass at least one value in each sample"});
}

// Returns OK when `values` has no NaN (and is not empty, if required).
absl::Status CheckSample(std::string_view sample,
                         std::span<const double> values, bool allow_empty) {
  if (values.empty() && !allow_empty) {
    return SampleInvalid(sample, "0 values", "it is empty");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      return SampleInvalid(sample,
                           absl::StrCat(std::string(sample), "[", i, "] = NaN"),
                           absl::StrCat("value ", i, " is NaN"));
    }
  }
  return absl::OkStatus();
}

absl::Status OptionsInvalid(std::string_view field, std::string value,
                            std::string_view allowed,
                            std::string_view example) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("invalid drift options: ", std::string(field), " = ", value,
                   " is outside ", std::string(allowed)),
      ErrorDetail{
          kReasonDriftOptionsInvalid,
          absl::StrCat("drift option ", std::string(field), " must be ",
                       std::string(allowed)),
          std::move(value),
          absl::StrCat("set ", std::string(field), " within ",
                       std::string(allowed), ", e.g. ", std::string(example))});
}

absl::Status CheckPsiOptions(const PsiOptions& o) {
  if (o.bins < 2 || o.bins > 1000) {
    return OptionsInvalid("psi.bins", absl::StrCat(o.bins), "[2, 1000]", "10");
  }
  if (!(o.epsilon > 0 && o.epsilon <= 0.01)) {
    return OptionsInvalid("psi.epsilon", absl::StrCat(o.epsilon), "(0, 0.01]",
                          "0.0001");
  }
  return absl::OkStatus();
}

std::vector<double> Sorted(std::span<const double> values) {
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  return v;
}

// KS D of a sorted sample `c` against a sorted sample `r`, in
// O(|c| log |r|). Between two consecutive distinct values of `c` the
// empirical CDF F_c is flat while F_r only rises, so the largest gap on
// that stretch is at its left end (F_c - F_r) or just before its right end
// (F_r - F_c); a binary search in `r` gives F_r at both.
double KsStatisticSorted(std::span<const double> c, std::span<const double> r) {
  const double n = static_cast<double>(c.size());
  const double m = static_cast<double>(r.size());
  auto begin = r.begin();
  // Left of c's smallest value F_c is 0.
  double d = static_cast<double>(std::lower_bound(begin, r.end(), c.front()) -
                                 r.begin()) /
             m;
  size_t i = 0;
  while (i < c.size()) {
    const double v = c[i];
    size_t j = i;
    while (j < c.size() && c[j] == v) ++j;
    const double fc = static_cast<double>(j) / n;
    begin = std::upper_bound(begin, r.end(), v);
    const double fr = static_cast<double>(begin - r.begin()) / m;
    d = std::max(d, std::abs(fc - fr));
    if (j < c.size()) {
      const auto below_next = std::lower_bound(begin, r.end(), c[j]);
      d = std::max(d, static_cast<double>(below_next - r.begin()) / m - fc);
    }
    i = j;
  }
  return std::min(d, 1.0);
}

// PSI bins fitted to a sorted reference (PsiOptions has the rule).
struct PsiBins {
  std::vector<double> edges;               // inner edges, increasing
  std::vector<uint64_t> reference_counts;  // reference values per bin (> 0)
  uint64_t reference_size = 0;

  size_t BinOf(double x) const {
    return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), x) -
                               edges.begin());
  }
};

PsiBins FitPsiBins(std::span<const double> sorted, int bins) {
  const size_t n = sorted.size();
  const size_t b = static_cast<size_t>(bins);
  PsiBins out;
  out.reference_size = n;
  for (size_t k = 1; k < b; ++k) {
    // Nearest rank ceil(k·n/b), as a 0-based index.
    const size_t index = (k * n + b - 1) / b - 1;
    const double edge = sorted[index];
    if (out.edges.empty() || edge > out.edges.back()) out.edges.push_back(edge);
  }
  // A top bin with no reference value (the largest edge is the maximum) is
  // merged into the one below; every other bin holds at least its own upper
  // edge, a reference value.
  if (!out.edges.empty() && out.edges.back() >= sorted.back())
    out.edges.pop_back();
  size_t below = 0;
  for (const double edge : out.edges) {
    const size_t upto = static_cast<size_t>(
        std::upper_bound(sorted.begin(), sorted.end(), edge) - sorted.begin());
    out.reference_counts.push_back(upto - below);
    below = upto;
  }
  out.reference_counts.push_back(n - below);
  return out;
}

// PSI of `current` (any order) against fitted bins; `counts` is scratch.
// With `exclude_current`, `current` is part of the reference and is
// compared with the rest of it (the reference counts minus its own).
double PsiAgainst(const PsiBins& bins, std::span<const double> current,
                  double epsilon, bool exclude_current,
                  std::vector<uint64_t>* counts) {
  counts->assign(bins.reference_counts.size(), 0);
  for (const double x : current) ++(*counts)[bins.BinOf(x)];
  const double n = static_cast<double>(current.size());
  const double m =
      static_cast<double>(bins.reference_size) - (exclude_current ? n : 0);
  double psi = 0;
  for (size_t i = 0; i < counts->size(); ++i) {
    const uint64_t own = (*counts)[i];
    uint64_t reference = bins.reference_counts[i];
    if (exclude_current) reference = reference >= own ? reference - own : 0;
    double c = static_cast<double>(own) / n;
    double r = m > 0 ? static_cast<double>(reference) / m : 0;
    if (c == 0) c = epsilon;
    if (r == 0) r = epsilon;
    psi += (c - r) * std::log(c / r);
  }
  return psi;
}

}  // namespace

absl::StatusOr<double> PopulationStabilityIndex(
    std::span<const double> reference, std::span<const double> current,
    const PsiOptions& options) {
  if (absl::Status s = CheckPsiOptions(options); !s.ok()) return s;
  if (absl::Status s = CheckSample("reference", reference, false); !s.ok())
    return s;
  if (absl::Status s = CheckSample("current", current, false); !s.ok())
    return s;
  const std::vector<double> sorted = Sorted(reference);
  const PsiBins bins = FitPsiBins(sorted, options.bins);
  std::vector<uint64_t> counts;
  return PsiAgainst(bins, current, options.epsilon, /*exclude_current=*/false,
                    &counts);
}

double KolmogorovSurvival(double lambda) {
  if (std::isnan(lambda)) return kNaN;
  if (lambda <= 0) return 1;
  constexpr double kPi = std::numbers::pi;
  if (lambda < 1.18) {
    // Q = 1 - sqrt(2π)/λ Σ_{k>=1} exp(-(2k-1)² π² / (8 λ²)): converges
    // fast where the alternating series below does not.
    const double y = std::exp(-kPi * kPi / (8 * lambda * lambda));
    if (y == 0) return 1;
    double sum = 0;
    for (int k = 1; k < 20; ++k) {
      const double term = std::pow(y, (2.0 * k - 1) * (2.0 * k - 1));
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return std::clamp(1 - std::sqrt(2 * kPi) / lambda * sum, 0.0, 1.0);
  }
  const double x = std::exp(-2 * lambda * lambda);
  double sum = 0;
  double sign = 1;
  for (int k = 1; k < 20; ++k) {
    const double term = std::pow(x, static_cast<double>(k) * k);
    sum += sign * term;
    if (term < 1e-17) break;
    sign = -sign;
  }
  return std::clamp(2 * sum, 0.0, 1.0);
}

absl::StatusOr<KsResult> KolmogorovSmirnov(std::span<const double> a,
                                           std::span<const double> b) {
  if (absl::Status s = CheckSample("a", a, false); !s.ok()) return s;
  if (absl::Status s = CheckSample("b", b, false); !s.ok()) return s;
  const std::vector<double> sa = Sorted(a);
  const std::vector<double> sb = Sorted(b);
  KsResult r;
  r.statistic = KsStatisticSorted(sa, sb);
  const double n = static_cast<double>(a.size());
  const double m = static_cast<double>(b.size());
  r.p_value = KolmogorovSurvival(std::sqrt(n * m / (n + m)) * r.statistic);
  return r;
}

absl::Status DriftOptions::Validate() const {
  if (method != DriftMethod::kKolmogorovSmirnov &&
      method != DriftMethod::kPsi) {
    return OptionsInvalid("method", absl::StrCat(static_cast<int>(method)),
                          "{kolmogorov_smirnov, psi}", "kolmogorov_smirnov");
  }
  if (!(sigmas > 0 && std::isfinite(sigmas))) {
    return OptionsInvalid("sigmas", absl::StrCat(sigmas), "finite values > 0",
                          "3 (SPEC §3)");
  }
  if (min_reference_chunks < 2) {
    return OptionsInvalid("min_reference_chunks",
                          absl::StrCat(min_reference_chunks), ">= 2", "10");
  }
  if (min_current_rows < 1) {
    return OptionsInvalid("min_current_rows", "0", ">= 1", "500");
  }
  return CheckPsiOptions(psi);
}

DriftThresholds ThresholdsFromReferenceChunks(
    std::span<const double> chunk_statistics, double sigmas) {
  DriftThresholds t;
  if (chunk_statistics.empty()) return t;
  const double k = static_cast<double>(chunk_statistics.size());
  double sum = 0;
  for (const double s : chunk_statistics) sum += s;
  t.mean = sum / k;
  double squares = 0;
  for (const double s : chunk_statistics)
    squares += (s - t.mean) * (s - t.mean);
  t.stddev =
      std::sqrt(squares / k);  // population (divide by k), as numpy's std
  t.lower = std::max(t.mean - sigmas * t.stddev, 0.0);
  t.upper = t.mean + sigmas * t.stddev;
  return t;
}

bool IsOutsideThresholds(double statistic, const DriftThresholds& t,
                         bool two_sided) {
  return statistic > t.upper ||
         (two_sided && statistic < t.lower);  // false for NaN
}

absl::StatusOr<DriftResult> UnivariateDrift(std::span<const double> reference,
                                            std::span<const double> current,
                                            const DriftOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  if (absl::Status s = CheckSample("reference", reference, true); !s.ok())
    return s;
  if (absl::Status s = CheckSample("current", current, true); !s.ok()) return s;
  DriftResult result;
  result.chunk_rows = current.size();
  if (reference.empty() || current.empty()) return result;

  const std::vector<double> sorted_reference = Sorted(reference);
  const bool ks = options.method == DriftMethod::kKolmogorovSmirnov;
  PsiBins bins;
  if (!ks) bins = FitPsiBins(sorted_reference, options.psi.bins);
  std::vector<double> scratch;
  std::vector<uint64_t> counts;
  // The statistic of one chunk against the whole reference or, for a
  // reference chunk under ReferenceChunkBaseline::kRestOfReference, against
  // the reference without it.
  const double whole = static_cast<double>(reference.size());
  auto statistic = [&](std::span<const double> chunk, bool exclude) {
    if (!ks)
      return PsiAgainst(bins, chunk, options.psi.epsilon, exclude, &counts);
    scratch.assign(chunk.begin(), chunk.end());
    std::sort(scratch.begin(), scratch.end());
    const double d = KsStatisticSorted(scratch, sorted_reference);
    if (!exclude) return d;
    // With F_whole = (n F_chunk + (N - n) F_rest) / N, F_chunk - F_whole =
    // (1 - n/N)(F_chunk - F_rest) at every x, so D(chunk, rest) is exactly
    // D(chunk, whole) / (1 - n/N).
    const double rest = whole - static_cast<double>(chunk.size());
    return rest > 0 ? std::min(d * whole / rest, 1.0) : d;
  };
  result.statistic = statistic(current, false);

  const size_t n = current.size();
  const size_t chunks = reference.size() / n;
  // A thin current chunk would mean many tiny reference chunks; they are
  // computed only when the verdict can use them.
  if (n < options.min_current_rows || chunks < options.min_reference_chunks)
    return result;
  result.reference_statistics.reserve(chunks);
  for (size_t c = 0; c < chunks; ++c) {
    result.reference_statistics.push_back(
        statistic(reference.subspan(c * n, n),
                  options.reference_chunk_baseline ==
                      ReferenceChunkBaseline::kRestOfReference));
  }
  result.thresholds = ThresholdsFromReferenceChunks(result.reference_statistics,
                                                    options.sigmas);
  result.verdict = IsOutsideThresholds(result.statistic, result.thresholds,
                                       options.two_sided)
                       ? Verdict::kFailing
                       : Verdict::kHealthy;
  return result;
}

}  // namespace slipway::internal_monitoring
