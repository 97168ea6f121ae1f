// RouterLink: the narrow interface a Router (src/rollout/router.h) uses to
// reach its store: read the routing, persist one outcome window, run one
// controller pass, check the emergency stop. The Store implements it over
// its rollout backend, controller and emergency stop (src/store/store.cc);
// tests implement it to make the store fail or vanish.
//
// Thread-safety: implementations must be thread-safe (the router calls
// from its background thread and from the owner's thread).
#ifndef SLIPWAY_SRC_ROLLOUT_ROUTER_LINK_H_
#define SLIPWAY_SRC_ROLLOUT_ROUTER_LINK_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "slipway/rollout.h"
#include "src/monitoring/outcome_window.h"

namespace slipway::internal_rollout {

class RouterLink {
 public:
  virtual ~RouterLink() = default;
  // The endpoint's routing as stored (Store::GetRouting).
  virtual absl::StatusOr<RoutingInfo> GetRouting(std::string_view endpoint) = 0;
  // Replaces `replica`'s window of (endpoint, version, minute) with
  // `window` (Controller::RecordOutcomes: the histogram is stored as is).
  virtual absl::Status RecordWindow(
      std::string_view endpoint, std::string_view version, absl::Time minute,
      const internal_monitoring::OutcomeWindow& window,
      std::string_view replica) = 0;
  // One controller pass (Store::Tick); returns the transitions made.
  virtual absl::StatusOr<int> Tick() = 0;
  // Whether the emergency stop is set (file or store).
  virtual absl::StatusOr<bool> EmergencyStopActive() = 0;
};

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_ROUTER_LINK_H_
