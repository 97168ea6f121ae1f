// Router: the in-process object a serving process (C++ or Python) uses to
// decide which model version serves each request of one endpoint, and to
// report what happened, following the endpoint's rollout with no other
// moving part (DESIGN.md decision 8; docs/serving.md is the guide).
//
//   auto router = (*store)->OpenRouter("fraud-prod");
//   slipway::RouteDecision d = (*router)->Route(user_id);    // sticky
//   ... serve with d.version (and also run d.mirror_version if d.mirror) ...
//   (*router)->Record(d.variant, latency_ms, /*error=*/false);
//
// Routing. A request key is hashed with RouterKeyHash (below: FNV-1a 64 of
// the key's bytes, then the splitmix64 finalizer; fixed forever, the same in
// every process and language), bucket = hash % 10,000, and the request goes
// to the candidate iff bucket < round(candidate_weight × 10,000). So a key
// keeps its variant while the weights stand, raising the weight only moves
// keys stable → candidate (lowering it only candidate → stable), and shares
// are uniform for keys that are not adversarial. In a shadow stage (weight
// 0, docs/rollouts.md) every request is served by stable and also mirrored
// to the candidate (RouteDecision::mirror).
//
// Following the rollout. A background thread polls the store's routing
// every RouterOptions::refresh_interval (default 250 ms) and swaps an
// immutable weights snapshot in one atomic store when the generation
// changes: a rollback written by any process reaches this router within one
// refresh interval plus a store read. If the store cannot be read, the
// router keeps serving the last weights it saw and says so in Health(); it
// never stops serving. StartController() also runs Store::Tick on that
// thread, so one service is self-contained.
//
// Outcomes. Record / RecordPrediction / RecordLabel add to lock-free
// per-variant counters and latency histograms; the background thread folds
// them into one-minute windows (the store clock's minutes) and persists
// them with a replica id unique to this router, so replicas in many
// processes add up in the controller's view.
//
// Thread-safety: every method is thread-safe. Route, Record,
// RecordPrediction and RecordLabel take no lock and allocate nothing. The
// Store that opened a Router must outlive it.
#ifndef SLIPWAY_ROUTER_H_
#define SLIPWAY_ROUTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace slipway {

// The hash of a request key: FNV-1a 64 over the bytes, then the splitmix64
// finalizer (the FNV step alone mixes the last bytes poorly into the low
// digits the bucket is taken from). Part of the routing contract: a key's
// variant depends on this function only, never on the process or platform.
constexpr uint64_t RouterMix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr uint64_t RouterKeyHash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return RouterMix64(h);
}
// An integer key (e.g. a user id) is hashed by splitmix64 (the golden-ratio
// increment, then the finalizer, so 0 is not a fixed point); it is not the
// hash of its decimal spelling.
constexpr uint64_t RouterKeyHash(uint64_t key) {
  return RouterMix64(key + 0x9e3779b97f4a7c15ULL);
}

// Buckets of the routing space: weights resolve to 1/10,000 (0.01%).
inline constexpr uint32_t kRouterBuckets = 10'000;
constexpr uint32_t RouterBucket(uint64_t hash) {
  return static_cast<uint32_t>(hash % kRouterBuckets);
}

enum class Variant : uint8_t { kStable = 0, kCandidate = 1 };
// "stable" or "candidate".
std::string_view VariantName(Variant v);

// What Route returns: a few words, no allocation.
struct RouteDecision {
  // The variant that serves this request.
  Variant variant = Variant::kStable;
  // Shadow stage: also run the candidate on this request (do not serve its
  // answer; Record its outcome as Variant::kCandidate).
  bool mirror = false;
  // The versions, from the same weights snapshot as the decision. They
  // point into the Router and stay valid as long as it lives.
  std::string_view version;
  std::string_view mirror_version;  // empty unless mirror
  // The routing generation the decision was made with.
  int64_t generation = 0;
};

struct RouterOptions {
  // How often the background thread reads the endpoint's routing (and
  // persists outcome windows). Shorter follows a rollback sooner at the
  // cost of one small store read per interval per router.
  absl::Duration refresh_interval = absl::Milliseconds(250);
  // How often StartController() runs Store::Tick on the background thread
  // (rounded to a whole number of refresh intervals).
  absl::Duration controller_interval = absl::Seconds(1);
  // Recent RecordPrediction(variant, request_id) calls a later RecordLabel
  // can find (rounded up to a power of two; 8 bytes each). The
  // table is direct-mapped: a new prediction evicts the one in its slot, so
  // when more than about this many predictions await labels the oldest are
  // lost (counted in Health().predictions_evicted).
  size_t label_table_size = size_t{1} << 16;
  // The replica id windows are stored under; empty: hostname:pid:random.
  std::string replica;
  // false: no background thread; the owner calls Refresh() and Flush()
  // (tests with a FakeClock, or a service with its own scheduler).
  bool background = true;
};

// Where the router stands (Health()).
struct RouterHealth {
  std::string endpoint;
  std::string replica;
  // The weights in force.
  int64_t generation = 0;
  std::string stable_version;
  std::string candidate_version;
  double candidate_weight = 0;
  bool shadow = false;
  // The last successful routing read (store clock), the last error and how
  // many reads in a row have failed. consecutive_failures > 0 means the
  // router is serving the last weights it saw.
  absl::Time last_refresh = absl::InfinitePast();
  std::string last_error;
  int64_t consecutive_failures = 0;
  bool serving_stale = false;
  // Whether the last check saw the emergency stop set (SPEC §5). The router
  // keeps following the store's routing (a stopped rollout halts with its
  // weights unchanged; a rollback still wins) and reports it here and in
  // the metrics.
  bool emergency_stop = false;
  // Windows persisted, and the last persist error (windows that failed to
  // persist are kept and retried).
  int64_t windows_persisted = 0;
  std::string last_persist_error;
  // Labels whose prediction was not (or no longer) in the label table, and
  // predictions evicted from it before their label came.
  int64_t labels_unmatched = 0;
  int64_t predictions_evicted = 0;
  bool controller_running = false;
  std::string last_tick_error;
};

class Router {
 public:
  virtual ~Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The variant serving `request_key` under the weights in force (header
  // comment). Lock-free, allocation-free, never fails.
  virtual RouteDecision Route(std::string_view request_key) const = 0;
  virtual RouteDecision Route(uint64_t request_key) const = 0;

  // One request served by `variant`: its latency in ms (NaN, infinite or
  // negative latencies are counted as requests but not in the histogram)
  // and whether it failed. Lock-free, allocation-free.
  virtual void Record(Variant variant, double latency_ms, bool error) = 0;
  // One prediction made by `variant` (the accuracy guardrail's
  // denominator). With a request id, the prediction is also remembered in
  // the label table so that RecordLabel can find it later.
  virtual void RecordPrediction(Variant variant) = 0;
  virtual void RecordPrediction(Variant variant,
                                std::string_view request_id) = 0;
  // The label of an earlier prediction: counts it as labelled (and correct)
  // for the variant and the minute the prediction was made in. Returns
  // false when the prediction is not in the table (never recorded, evicted,
  // already labelled, or older than an hour); nothing is counted then.
  virtual bool RecordLabel(std::string_view request_id, bool correct) = 0;

  // Folds the outcomes recorded so far (as Flush does, without persisting),
  // reads the routing now and swaps the weights if the generation changed.
  // Returns the store's error (the router keeps its weights).
  //
  // Outcomes are attributed to the minute (store clock) of the fold that
  // precedes them: a background router folds every refresh_interval, so an
  // outcome lands at most that late. Without a background thread, call
  // Refresh() as each minute begins and Flush() before it ends, and every
  // outcome of the minute lands in it (examples/serving/fraud_service.cc).
  virtual absl::Status Refresh() = 0;
  // Folds the outcomes recorded so far into their minute windows and
  // persists every changed window now. Returns the first persist error.
  virtual absl::Status Flush() = 0;

  // Runs Store::Tick every controller_interval on the background thread.
  // FailedPrecondition when the router has no background thread.
  virtual absl::Status StartController() = 0;
  virtual void StopController() = 0;

  virtual RouterHealth Health() const = 0;
  // Prometheus text exposition (version 0.0.4) of this router's counters,
  // latency histograms, weights and health (docs/serving.md).
  virtual std::string PrometheusText() const = 0;

  virtual const std::string& endpoint() const = 0;
  virtual const std::string& replica() const = 0;

 protected:
  Router() = default;
};

}  // namespace slipway

#endif  // SLIPWAY_ROUTER_H_
