// WeightsSnapshot: what Route needs, immutable once built. The Router
// publishes one through an atomic pointer and never frees it while it lives
// (router.h says why).
//
// Thread-safety: immutable after construction.
#ifndef SLIPWAY_SRC_ROLLOUT_WEIGHTS_SNAPSHOT_H_
#define SLIPWAY_SRC_ROLLOUT_WEIGHTS_SNAPSHOT_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "slipway/rollout.h"
#include "slipway/router.h"

namespace slipway::internal_rollout {

struct WeightsSnapshot {
  std::string stable_version;
  std::string candidate_version;
  // Keys whose bucket is below this go to the candidate: round(weight × kRouterBuckets), 0 without a candidate.
  uint32_t threshold = 0;
  bool shadow = false;
  double candidate_weight = 0;
  int64_t generation = 0;

  static WeightsSnapshot From(const RoutingInfo& r) {
    WeightsSnapshot s;
    s.stable_version = r.stable_version;
    s.candidate_version = r.candidate_version;
    s.shadow = r.shadow;
    s.generation = r.generation;
    if (!r.candidate_version.empty() && r.candidate_weight > 0) {
      const double w = std::clamp(r.candidate_weight, 0.0, 1.0);
      s.candidate_weight = w;
      s.threshold = static_cast<uint32_t>(std::llround(w * kRouterBuckets));
    }
    return s;
  }

  // The decision for a key's hash (router.h, "Routing").
  RouteDecision Decide(uint64_t hash) const {
    const bool in = RouterBucket(hash) < threshold;
    RouteDecision d;
    d.generation = generation;
    if (shadow) {
      // A shadow stage has weight 0 (docs/rollouts.md): stable serves every
      // request and every request is mirrored to the candidate.
      d.variant = Variant::kStable;
      d.version = stable_version;
      d.mirror = true;
      d.mirror_version = candidate_version;
    } else if (in) {
      d.variant = Variant::kCandidate;
      d.version = candidate_version;
    } else {
      d.version = stable_version;
    }
    return d;
  }

  const std::string& VersionOf(Variant v) const {
    return v == Variant::kCandidate ? candidate_version : stable_version;
  }
};

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_WEIGHTS_SNAPSHOT_H_
