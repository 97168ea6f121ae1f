// The Router's implementation (slipway/router.h): a weights snapshot behind
// an atomic pointer, an OutcomeRecorder, and a background thread that
// follows the store's routing, folds outcomes into minute windows and
// persists them through a RouterLink (router_link.h).
//
// Thread-safety: see slipway/router.h.
#ifndef SLIPWAY_SRC_ROLLOUT_ROUTER_H_
#define SLIPWAY_SRC_ROLLOUT_ROUTER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "slipway/router.h"
#include "src/rollout/router_link.h"

namespace slipway::internal_rollout {

// Opens a router of `endpoint` over `link`: reads the routing once (its
// error is returned, e.g. NotFound ENDPOINT_NOT_FOUND), then starts the
// background thread unless options.background is false. `clock` gives the
// minutes of windows and the refresh times; `ids` the random part of the
// default replica id. Both must outlive the router.
absl::StatusOr<std::unique_ptr<Router>> OpenRouter(
    std::string_view endpoint, const RouterOptions& options,
    std::unique_ptr<RouterLink> link, Clock* clock, IdSource* ids);

// "hostname:pid:<8 hex characters from ids>".
std::string DefaultReplicaId(IdSource* ids);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_ROUTER_H_
