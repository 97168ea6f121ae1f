#include "slipway/env.h"

#include "src/env/posix_file_system.h"
#include "src/env/random_id_source.h"
#include "src/env/system_clock.h"

namespace slipway {

Env Env::Default() {
  // Created on first use and deliberately never destroyed, so that code
  // running in static destructors or atexit handlers (a final flush) can
  // still use them. Function-local statics: initialization is thread-safe.
  static Clock* const clock = new internal_env::SystemClock;
  static FileSystem* const file_system = new internal_env::PosixFileSystem;
  static IdSource* const id_source = new internal_env::RandomIdSource;
  return Env{clock, file_system, id_source};
}

Env Env::WithDefaults() const {
  Env result = *this;
  if (result.clock != nullptr && result.file_system != nullptr &&
      result.id_source != nullptr) {
    return result;
  }
  const Env defaults = Default();
  if (result.clock == nullptr) result.clock = defaults.clock;
  if (result.file_system == nullptr) result.file_system = defaults.file_system;
  if (result.id_source == nullptr) result.id_source = defaults.id_source;
  return result;
}

}  // namespace slipway
