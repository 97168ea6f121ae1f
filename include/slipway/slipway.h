// The umbrella header of slipway's public C++ API. Include this, link
// slipway::slipway (CMake) or `pkg-config --libs slipway`.
//
// Each header it includes states what its abstraction is and whether it is
// thread-safe.
#ifndef SLIPWAY_SLIPWAY_H_
#define SLIPWAY_SLIPWAY_H_

#include "slipway/audit.h"     // IWYU pragma: export
#include "slipway/env.h"       // IWYU pragma: export
#include "slipway/names.h"     // IWYU pragma: export
#include "slipway/registry.h"  // IWYU pragma: export
#include "slipway/rollout.h"   // IWYU pragma: export
#include "slipway/router.h"    // IWYU pragma: export
#include "slipway/status.h"    // IWYU pragma: export
#include "slipway/store.h"     // IWYU pragma: export
#include "slipway/time.h"      // IWYU pragma: export
#include "slipway/tracking.h"  // IWYU pragma: export
#include "slipway/validate.h"  // IWYU pragma: export
#include "slipway/version.h"   // IWYU pragma: export

namespace slipway {

// The library version, "MAJOR.MINOR.PATCH".
const char* Version();

}  // namespace slipway

#endif  // SLIPWAY_SLIPWAY_H_
