#include "slipway/slipway.h"

namespace slipway {

const char* Version() { return SLIPWAY_VERSION_STRING; }

}  // namespace slipway
