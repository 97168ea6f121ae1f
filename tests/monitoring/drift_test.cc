#include "src/monitoring/drift.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Reason(const absl::Status& status) {
  const auto detail = GetErrorDetail(status);
  return detail ? detail->reason : "(no detail)";
}

std::vector<double> Normal(size_t n, double mean, double sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

std::vector<double> Integers(size_t n, int max, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> d(0, max);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

// The oracle: sup |F_a - F_b| evaluated at every value of either sample
// (both CDFs are right-continuous steps that jump only there), O(n·m).
double BruteForceKs(const std::vector<double>& a,
                    const std::vector<double>& b) {
  auto cdf = [](const std::vector<double>& s, double x) {
    return static_cast<double>(std::count_if(
               s.begin(), s.end(), [&](double v) { return v <= x; })) /
           static_cast<double>(s.size());
  };
  double d = 0;
  for (const auto* s : {&a, &b}) {
    for (double x : *s) d = std::max(d, std::abs(cdf(a, x) - cdf(b, x)));
  }
  return d;
}

// The alternating series with many terms, valid for lambda >= 0.3.
double SlowKolmogorovSurvival(double lambda) {
  double sum = 0;
  for (int k = 1; k < 2000; ++k) {
    sum += (k % 2 == 1 ? 2 : -2) * std::exp(-2.0 * k * k * lambda * lambda);
  }
  return sum;
}

// --- Kolmogorov–Smirnov -----------------------------------------------------

TEST(KolmogorovSmirnovTest, HandComputed) {
  auto d = [](std::vector<double> a, std::vector<double> b) {
    const absl::StatusOr<KsResult> r = KolmogorovSmirnov(a, b);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->statistic : kNaN;
  };
  EXPECT_EQ(d({1, 2, 3}, {4, 5, 6}), 1.0);
  EXPECT_EQ(d({4, 5, 6}, {1, 2, 3}), 1.0);
  EXPECT_EQ(d({1, 2, 3}, {3, 2, 1}), 0.0);
  EXPECT_EQ(d({1, 2, 3, 4}, {3, 4, 5, 6}), 0.5);
  EXPECT_EQ(d({1}, {1, 1, 1, 2}), 0.25);
  EXPECT_EQ(d({0, 0, 1, 1}, {0, 1, 1, 1}), 0.25);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(d({-inf, 0, inf}, {0, 0, 0}),
                   1.0 / 3);  // F_a(0) = 2/3, F_b(0) = 1
}

TEST(KolmogorovSmirnovTest, MatchesBruteForceWithTies) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    const size_t n = 1 + rng() % 40;
    const size_t m = 1 + rng() % 40;
    // Few distinct values: many ties within and across samples.
    const int max = 1 + static_cast<int>(rng() % 6);
    const std::vector<double> a = Integers(n, max, seed * 2);
    const std::vector<double> b =
        Integers(m, max + static_cast<int>(seed % 2), seed * 2 + 1);
    const absl::StatusOr<KsResult> r = KolmogorovSmirnov(a, b);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_NEAR(r->statistic, BruteForceKs(a, b), 1e-15) << "seed " << seed;
    const absl::StatusOr<KsResult> swapped = KolmogorovSmirnov(b, a);
    ASSERT_NEAR(swapped->statistic, r->statistic, 1e-15) << "seed " << seed;
  }
}

TEST(KolmogorovSmirnovTest, SurvivalFunctionValues) {
  // Q_KS(1) = 0.26999967167735456 (the Kolmogorov distribution's survival
  // function, e.g. scipy.stats.kstwobign.sf(1)); Q_KS(1.36) ~ 0.0495.
  EXPECT_NEAR(KolmogorovSurvival(1.0), 0.26999967167735456, 1e-13);
  EXPECT_NEAR(KolmogorovSurvival(0.5), 0.9639452436648751, 1e-13);
  EXPECT_NEAR(KolmogorovSurvival(1.36), 0.049485876755377876, 1e-13);
  EXPECT_NEAR(KolmogorovSurvival(2.0), 0.0006709252557796953, 1e-15);
  EXPECT_EQ(KolmogorovSurvival(0), 1.0);
  EXPECT_EQ(KolmogorovSurvival(-1), 1.0);
  EXPECT_NEAR(KolmogorovSurvival(0.05), 1.0, 1e-15);
  EXPECT_LT(KolmogorovSurvival(10), 1e-80);
  EXPECT_TRUE(std::isnan(KolmogorovSurvival(kNaN)));
  // Both series agree everywhere, including across the switch at 1.18.
  for (double lambda = 0.3; lambda < 4; lambda += 0.01) {
    ASSERT_NEAR(KolmogorovSurvival(lambda), SlowKolmogorovSurvival(lambda),
                1e-12)
        << lambda;
  }
  // Monotone decreasing.
  double previous = 1;
  for (double lambda = 0.01; lambda < 5; lambda += 0.01) {
    const double q = KolmogorovSurvival(lambda);
    ASSERT_LE(q, previous + 1e-15) << lambda;
    previous = q;
  }
}

TEST(KolmogorovSmirnovTest, PValue) {
  // n = m = 100, D = 0.2: sqrt(50) * 0.2 = 1.41421...
  std::vector<double> a(100), b(100);
  for (int i = 0; i < 100; ++i) {
    a[i] = i;
    b[i] = i + 20;
  }
  const absl::StatusOr<KsResult> r = KolmogorovSmirnov(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->statistic, 0.2, 1e-15);
  EXPECT_NEAR(r->p_value, KolmogorovSurvival(std::sqrt(50.0) * 0.2), 1e-15);
  EXPECT_NEAR(r->p_value, 0.0366, 5e-4);
  // Same sample: D = 0, p = 1.
  const absl::StatusOr<KsResult> same = KolmogorovSmirnov(a, a);
  EXPECT_EQ(same->statistic, 0);
  EXPECT_EQ(same->p_value, 1);
}

TEST(KolmogorovSmirnovTest, InvalidSamples) {
  const std::vector<double> ok = {1, 2};
  const std::vector<double> empty;
  const std::vector<double> with_nan = {1, kNaN};
  for (const auto& [a, b] :
       {std::pair{ok, empty}, std::pair{empty, ok}, std::pair{ok, with_nan}}) {
    const absl::StatusOr<KsResult> r = KolmogorovSmirnov(a, b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Reason(r.status()), kReasonDriftSampleInvalid);
  }
  const absl::StatusOr<KsResult> r = KolmogorovSmirnov(ok, with_nan);
  EXPECT_EQ(GetErrorDetail(r.status())->value, "b[1] = NaN");
}

// --- PSI
// ----------------------------------------------------------------------

TEST(PsiTest, HandComputed) {
  // Reference 0..99: 10 bins of 10 values, edges 9, 19, ..., 89.
  std::vector<double> reference(100);
  for (int i = 0; i < 100; ++i) reference[i] = i;
  // Half the current sample in the first bin, half in the last, the other 8
  // bins empty (epsilon 1e-4):
  //   2 × (0.5 - 0.1) ln(0.5 / 0.1) + 8 × (1e-4 - 0.1) ln(1e-4 / 0.1)
  std::vector<double> current;
  for (int i = 0; i < 50; ++i) {
    current.push_back(i % 10);
    current.push_back(90 + i % 10);
  }
  const double want =
      2 * 0.4 * std::log(5.0) + 8 * (1e-4 - 0.1) * std::log(1e-4 / 0.1);
  const absl::StatusOr<double> psi =
      PopulationStabilityIndex(reference, current);
  ASSERT_TRUE(psi.ok()) << psi.status();
  EXPECT_NEAR(*psi, want, 1e-12);
  EXPECT_NEAR(*psi, 6.808228348909805, 1e-12);
  // Identical distributions: 0.
  EXPECT_EQ(*PopulationStabilityIndex(reference, reference), 0);
  // Bin edges are right-closed: 9 is in the first bin, 9.5 in the second.
  const std::vector<double> nines(10, 9.0);
  const std::vector<double> nine_and_a_half(10, 9.5);
  const double one_bin =
      0.9 * std::log(1 / 0.1) + 9 * (1e-4 - 0.1) * std::log(1e-4 / 0.1);
  EXPECT_NEAR(*PopulationStabilityIndex(reference, nines), one_bin, 1e-12);
  EXPECT_NEAR(*PopulationStabilityIndex(reference, nine_and_a_half), one_bin,
              1e-12);
  PsiOptions five;
  five.bins = 5;
  five.epsilon = 1e-3;
  // Two bins of 20 % each hold 50 %; three empty ones.
  const double want5 =
      2 * 0.3 * std::log(0.5 / 0.2) + 3 * (1e-3 - 0.2) * std::log(1e-3 / 0.2);
  EXPECT_NEAR(*PopulationStabilityIndex(reference, current, five), want5,
              1e-12);
}

TEST(PsiTest, TiesMergeBins) {
  // A constant reference has one bin: nothing can drift in PSI terms.
  const std::vector<double> constant(100, 3.0);
  EXPECT_EQ(
      *PopulationStabilityIndex(constant, std::vector<double>{1, 2, 3, 4}), 0);
  // Two values, 90 % / 10 %: two bins, (-inf, 0] and (0, inf).
  std::vector<double> reference(90, 0.0);
  reference.insert(reference.end(), 10, 1.0);
  std::vector<double> current(50, 0.0);
  current.insert(current.end(), 50, 1.0);
  const double want =
      (0.5 - 0.9) * std::log(0.5 / 0.9) + (0.5 - 0.1) * std::log(0.5 / 0.1);
  EXPECT_NEAR(*PopulationStabilityIndex(reference, current), want, 1e-12);
}

TEST(PsiTest, InvalidInput) {
  const std::vector<double> ok = {1, 2, 3};
  EXPECT_EQ(Reason(PopulationStabilityIndex({}, ok).status()),
            kReasonDriftSampleInvalid);
  EXPECT_EQ(Reason(PopulationStabilityIndex(ok, {}).status()),
            kReasonDriftSampleInvalid);
  EXPECT_EQ(
      Reason(PopulationStabilityIndex(ok, std::vector<double>{kNaN}).status()),
      kReasonDriftSampleInvalid);
  for (const PsiOptions& bad :
       {PsiOptions{1, 1e-4}, PsiOptions{1001, 1e-4}, PsiOptions{10, 0},
        PsiOptions{10, 0.5}, PsiOptions{10, kNaN}}) {
    const absl::StatusOr<double> r = PopulationStabilityIndex(ok, ok, bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Reason(r.status()), kReasonDriftOptionsInvalid);
  }
}

// --- Thresholds
// -----------------------------------------------------------------

TEST(DriftThresholdsTest, MeanPlusMinusThreeSigmaJustUnderAndOver) {
  // Statistics 1..10: mean 5.5, population sd sqrt(8.25) = 2.8723, so the
  // upper threshold is 5.5 + 3 × 2.8723 = 14.1168 and the lower one
  // (-3.117) is raised to 0.
  const std::vector<double> stats = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const DriftThresholds t = ThresholdsFromReferenceChunks(stats, 3);
  EXPECT_DOUBLE_EQ(t.mean, 5.5);
  EXPECT_DOUBLE_EQ(t.stddev, std::sqrt(8.25));
  EXPECT_DOUBLE_EQ(t.upper, 5.5 + 3 * std::sqrt(8.25));
  EXPECT_EQ(t.lower, 0);
  EXPECT_FALSE(IsOutsideThresholds(14.1168, t));
  EXPECT_TRUE(IsOutsideThresholds(14.1169, t));
  EXPECT_FALSE(IsOutsideThresholds(t.upper, t));  // equal is not outside
  EXPECT_TRUE(IsOutsideThresholds(std::nextafter(t.upper, 100), t));
  EXPECT_FALSE(IsOutsideThresholds(0, t));
  // A tight reference: 1.0 ± 0.1, so thresholds 0.7 and 1.3.
  const std::vector<double> tight = {0.9, 1.1, 0.9, 1.1};
  const DriftThresholds u = ThresholdsFromReferenceChunks(tight, 3);
  EXPECT_NEAR(u.lower, 0.7, 1e-12);
  EXPECT_NEAR(u.upper, 1.3, 1e-12);
  EXPECT_FALSE(IsOutsideThresholds(0.7 + 1e-9, u, /*two_sided=*/true));
  EXPECT_TRUE(IsOutsideThresholds(0.7 - 1e-9, u, /*two_sided=*/true));
  EXPECT_FALSE(IsOutsideThresholds(0.7 - 1e-9, u));  // one-sided by default
  EXPECT_FALSE(IsOutsideThresholds(0, u));
  EXPECT_FALSE(IsOutsideThresholds(1.3 - 1e-9, u));
  EXPECT_TRUE(IsOutsideThresholds(1.3 + 1e-9, u));
  // Sigmas is a parameter.
  const DriftThresholds two = ThresholdsFromReferenceChunks(tight, 2);
  EXPECT_NEAR(two.upper, 1.2, 1e-12);
  // Empty: NaN, never outside.
  const DriftThresholds none = ThresholdsFromReferenceChunks({}, 3);
  EXPECT_TRUE(std::isnan(none.upper));
  EXPECT_FALSE(IsOutsideThresholds(100, none));
}

// --- The reference-chunk rule
// ---------------------------------------------------

DriftOptions Psi() {
  DriftOptions o;
  o.method = DriftMethod::kPsi;
  return o;
}

TEST(UnivariateDriftTest, NotEnoughData) {
  const std::vector<double> reference = Normal(5000, 0, 1, 1);
  // 499 current rows (< 500).
  absl::StatusOr<DriftResult> r =
      UnivariateDrift(reference, Normal(499, 5, 1, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->verdict, Verdict::kNotEnoughData);
  EXPECT_GT(r->statistic, 0.9);  // still reported
  EXPECT_TRUE(r->reference_statistics.empty());
  // 500 current rows but 4,999 reference rows: 9 chunks (< 10).
  r = UnivariateDrift(std::span(reference).first(4999), Normal(500, 5, 1, 2));
  EXPECT_EQ(r->verdict, Verdict::kNotEnoughData);
  // 5,000 reference rows: 10 chunks, enough.
  r = UnivariateDrift(reference, Normal(500, 5, 1, 2));
  EXPECT_EQ(r->verdict, Verdict::kFailing);
  EXPECT_EQ(r->reference_statistics.size(), 10u);
  EXPECT_EQ(r->chunk_rows, 500u);
  // Empty samples are not enough data, not errors.
  EXPECT_EQ(UnivariateDrift({}, reference)->verdict, Verdict::kNotEnoughData);
  EXPECT_EQ(UnivariateDrift(reference, {})->verdict, Verdict::kNotEnoughData);
  // The minimums are parameters.
  DriftOptions small;
  small.min_current_rows = 50;
  small.min_reference_chunks = 5;
  r = UnivariateDrift(std::span(reference).first(250), Normal(50, 5, 1, 3),
                      small);
  EXPECT_EQ(r->verdict, Verdict::kFailing);
  EXPECT_EQ(r->reference_statistics.size(), 5u);
}

TEST(UnivariateDriftTest, ReferenceChunksAreConsecutiveRunsOfTheCurrentSize) {
  // 5,250 rows and a current chunk of 500: 10 chunks, the last 250 rows in
  // none. Each chunk's KS statistic is against the whole reference.
  const std::vector<double> reference = Normal(5250, 0, 1, 4);
  const std::vector<double> current = Normal(500, 0, 1, 5);
  const absl::StatusOr<DriftResult> r = UnivariateDrift(reference, current);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->reference_statistics.size(), 10u);
  for (size_t c = 0; c < 10; ++c) {
    const std::vector<double> chunk(reference.begin() + c * 500,
                                    reference.begin() + (c + 1) * 500);
    EXPECT_NEAR(r->reference_statistics[c], BruteForceKs(chunk, reference),
                1e-15)
        << c;
  }
  EXPECT_NEAR(r->statistic, BruteForceKs(current, reference), 1e-15);
  const DriftThresholds t =
      ThresholdsFromReferenceChunks(r->reference_statistics, 3);
  EXPECT_EQ(r->thresholds.upper, t.upper);
  EXPECT_EQ(r->thresholds.lower, t.lower);
  // And with PSI: each chunk against the reference's bins.
  const absl::StatusOr<DriftResult> p =
      UnivariateDrift(reference, current, Psi());
  ASSERT_TRUE(p.ok());
  for (size_t c = 0; c < 10; ++c) {
    const std::vector<double> chunk(reference.begin() + c * 500,
                                    reference.begin() + (c + 1) * 500);
    EXPECT_NEAR(p->reference_statistics[c],
                *PopulationStabilityIndex(reference, chunk), 1e-12);
  }
  EXPECT_NEAR(p->statistic, *PopulationStabilityIndex(reference, current),
              1e-12);
  // Against the rest of the reference: KS exactly D(chunk, reference minus
  // the chunk); the current chunk is still compared with the whole.
  DriftOptions rest;
  rest.reference_chunk_baseline = ReferenceChunkBaseline::kRestOfReference;
  const absl::StatusOr<DriftResult> k =
      UnivariateDrift(reference, current, rest);
  ASSERT_TRUE(k.ok());
  for (size_t c = 0; c < 10; ++c) {
    std::vector<double> others(reference.begin(), reference.begin() + c * 500);
    others.insert(others.end(), reference.begin() + (c + 1) * 500,
                  reference.end());
    const std::vector<double> chunk(reference.begin() + c * 500,
                                    reference.begin() + (c + 1) * 500);
    EXPECT_NEAR(k->reference_statistics[c], BruteForceKs(chunk, others), 1e-12)
        << c;
    EXPECT_GT(k->reference_statistics[c], r->reference_statistics[c]) << c;
  }
  EXPECT_EQ(k->statistic, r->statistic);
  rest.method = DriftMethod::kPsi;
  const absl::StatusOr<DriftResult> q =
      UnivariateDrift(reference, current, rest);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->statistic, p->statistic);
  for (size_t c = 0; c < 10; ++c) EXPECT_GT(q->reference_statistics[c], 0) << c;
}

// Counts flagged chunks over many seeds of same-distribution data.
int FalseAlarms(DriftMethod method, int seeds, size_t reference_rows,
                size_t current_rows, bool rest = false) {
  DriftOptions options;
  options.method = method;
  if (rest)
    options.reference_chunk_baseline = ReferenceChunkBaseline::kRestOfReference;
  int alarms = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    const std::vector<double> reference =
        Normal(reference_rows, 10, 2, 1000 + seed);
    const std::vector<double> current =
        Normal(current_rows, 10, 2, 5000 + seed);
    const absl::StatusOr<DriftResult> r =
        UnivariateDrift(reference, current, options);
    EXPECT_TRUE(r.ok());
    EXPECT_NE(r->verdict, Verdict::kNotEnoughData);
    alarms += r->verdict == Verdict::kFailing;
  }
  return alarms;
}

TEST(UnivariateDriftTest, SameDistributionRarelyAlarms) {
  // docs/monitoring.md quotes these measured rates. Chunks are compared
  // with a reference that contains them, which makes the reference
  // statistics a little smaller than an independent chunk's, and mean and
  // sd come from 10 or 40 skewed values: the rate is well above the 0.13 %
  // of a one-sided 3σ rule on a known normal.
  const int seeds = 500;
  const int ks_10 =
      FalseAlarms(DriftMethod::kKolmogorovSmirnov, seeds, 5000, 500);
  const int ks_40 =
      FalseAlarms(DriftMethod::kKolmogorovSmirnov, seeds, 20000, 500);
  const int psi_10 = FalseAlarms(DriftMethod::kPsi, seeds, 5000, 500);
  const int psi_40 = FalseAlarms(DriftMethod::kPsi, seeds, 20000, 500);
  const int ks_rest =
      FalseAlarms(DriftMethod::kKolmogorovSmirnov, seeds, 5000, 500, true);
  const int psi_rest = FalseAlarms(DriftMethod::kPsi, seeds, 5000, 500, true);
  std::printf(
      "false alarms of %d: KS 10 chunks %d, KS 40 chunks %d, PSI 10 chunks %d, "
      "PSI 40 chunks %d; rest of reference: KS 10 chunks %d, PSI 10 chunks "
      "%d\n",
      seeds, ks_10, ks_40, psi_10, psi_40, ks_rest, psi_rest);
  // Bounds a little above the measured rates (the seeds are fixed, so these
  // guard against regressions rather than sampling noise).
  EXPECT_LE(ks_10, seeds * 8 / 100);
  EXPECT_LE(psi_10, seeds * 10 / 100);
  EXPECT_LE(ks_40, seeds * 25 / 1000);
  EXPECT_LE(psi_40, seeds * 25 / 1000);
  EXPECT_LE(ks_rest, seeds * 5 / 100);
  EXPECT_LE(psi_rest, seeds * 5 / 100);
  // Comparing each reference chunk with the rest of the reference removes
  // the self-comparison bias.
  EXPECT_LT(ks_rest, ks_10);
  EXPECT_LT(psi_rest, psi_10);
}

TEST(UnivariateDriftTest, DetectsAOneSigmaMeanShift) {
  for (const DriftOptions& options : {DriftOptions(), Psi()}) {
    for (int seed = 0; seed < 50; ++seed) {
      const std::vector<double> reference = Normal(5000, 10, 2, 100 + seed);
      const std::vector<double> current =
          Normal(500, 12, 2, 200 + seed);  // +1σ
      const absl::StatusOr<DriftResult> r =
          UnivariateDrift(reference, current, options);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->verdict, Verdict::kFailing)
          << "seed " << seed << " statistic " << r->statistic << " upper "
          << r->thresholds.upper;
    }
  }
}

TEST(UnivariateDriftTest, DetectsAVarianceChange) {
  for (const DriftOptions& options : {DriftOptions(), Psi()}) {
    for (int seed = 0; seed < 50; ++seed) {
      const std::vector<double> reference = Normal(5000, 10, 2, 300 + seed);
      const std::vector<double> current =
          Normal(500, 10, 4, 400 + seed);  // σ × 2, same mean
      const absl::StatusOr<DriftResult> r =
          UnivariateDrift(reference, current, options);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->verdict, Verdict::kFailing)
          << "seed " << seed << " statistic " << r->statistic << " upper "
          << r->thresholds.upper;
    }
  }
}

TEST(UnivariateDriftTest, JustUnderAndJustOverTheThreshold) {
  // A deterministic reference and a family of current chunks: the
  // reference's own quantile grid shifted by k × 0.01σ. KS D grows in steps
  // of at most about 1/500 with k; the last chunk at or under the upper
  // threshold must be healthy and the first one over it drift.
  const std::vector<double> reference = Normal(5000, 0, 1, 77);
  std::vector<double> sorted = reference;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> grid(500);
  for (size_t i = 0; i < 500; ++i) grid[i] = sorted[(2 * i + 1) * 5000 / 1000];
  double last_under = -1;
  double first_over = -1;
  double upper = 0;
  for (int k = 0; k < 200 && first_over < 0; ++k) {
    std::vector<double> current = grid;
    for (double& x : current) x += 0.01 * k;
    const absl::StatusOr<DriftResult> r = UnivariateDrift(reference, current);
    ASSERT_TRUE(r.ok());
    upper = r->thresholds.upper;
    if (r->statistic > upper) {
      ASSERT_EQ(r->verdict, Verdict::kFailing) << k;
      first_over = r->statistic;
    } else {
      ASSERT_EQ(r->verdict, Verdict::kHealthy) << k;
      last_under = r->statistic;
    }
  }
  ASSERT_GT(last_under, 0);
  ASSERT_GT(first_over, 0);
  EXPECT_LE(upper - last_under, 0.01);
  EXPECT_LE(first_over - upper, 0.01);
}

TEST(UnivariateDriftTest, TwoSidedFlagsAChunkTooAlikeTheReference) {
  // The reference's own quantile grid is a near-perfect sample of it: its
  // KS D is far below what the reference's chunks show.
  const std::vector<double> reference = Normal(20000, 0, 1, 78);  // 40 chunks
  std::vector<double> sorted = reference;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> grid(500);
  for (size_t i = 0; i < 500; ++i) grid[i] = sorted[(2 * i + 1) * 20];
  // At 3σ the lower threshold of a distance is nearly always 0 (the
  // chunks' spread is about a third of their mean); at 1σ it is not.
  DriftOptions one_sided;
  one_sided.sigmas = 1;
  DriftOptions two_sided = one_sided;
  two_sided.two_sided = true;
  EXPECT_EQ(UnivariateDrift(reference, grid)->thresholds.lower, 0);
  const absl::StatusOr<DriftResult> one =
      UnivariateDrift(reference, grid, one_sided);
  const absl::StatusOr<DriftResult> two =
      UnivariateDrift(reference, grid, two_sided);
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_GT(one->thresholds.lower, 0);
  EXPECT_LT(one->statistic, one->thresholds.lower);
  EXPECT_EQ(one->verdict, Verdict::kHealthy);
  EXPECT_EQ(two->verdict, Verdict::kFailing);
}

TEST(UnivariateDriftTest, StatisticEqualToTheThresholdIsNotDrift) {
  // Ten identical reference chunks: each equals the whole reference, so
  // every chunk statistic is 0, mean 0, sd 0, thresholds [0, 0].
  std::vector<double> chunk = Normal(500, 0, 1, 9);
  std::vector<double> reference;
  for (int c = 0; c < 10; ++c)
    reference.insert(reference.end(), chunk.begin(), chunk.end());
  std::vector<double> current = chunk;
  std::reverse(current.begin(), current.end());  // same values, other order
  absl::StatusOr<DriftResult> r = UnivariateDrift(reference, current);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->statistic, 0);
  EXPECT_EQ(r->thresholds.upper, 0);
  EXPECT_EQ(r->verdict, Verdict::kHealthy);
  current[0] += 100;  // one value moved: D = 1/500 > 0
  r = UnivariateDrift(reference, current);
  EXPECT_NEAR(r->statistic, 1.0 / 500, 1e-15);
  EXPECT_EQ(r->verdict, Verdict::kFailing);
}

TEST(UnivariateDriftTest, InvalidInput) {
  const std::vector<double> reference = Normal(5000, 0, 1, 1);
  std::vector<double> current = Normal(500, 0, 1, 2);
  current[17] = kNaN;
  absl::StatusOr<DriftResult> r = UnivariateDrift(reference, current);
  EXPECT_EQ(Reason(r.status()), kReasonDriftSampleInvalid);
  EXPECT_EQ(GetErrorDetail(r.status())->value, "current[17] = NaN");
  DriftOptions bad;
  bad.sigmas = 0;
  EXPECT_EQ(Reason(UnivariateDrift(reference, reference, bad).status()),
            kReasonDriftOptionsInvalid);
  bad = DriftOptions();
  bad.min_reference_chunks = 1;
  EXPECT_FALSE(bad.Validate().ok());
  bad = DriftOptions();
  bad.min_current_rows = 0;
  EXPECT_FALSE(bad.Validate().ok());
  bad = DriftOptions();
  bad.psi.bins = 0;
  EXPECT_FALSE(bad.Validate().ok());
  bad = DriftOptions();
  bad.method = static_cast<DriftMethod>(7);
  EXPECT_FALSE(bad.Validate().ok());
  EXPECT_TRUE(DriftOptions().Validate().ok());
}

}  // namespace
}  // namespace slipway::internal_monitoring
