// Uses the installed slipway the way a C++ service would: includes the
// umbrella header, validates a name, reads the library version. Exits 0 only
// if a valid name passes, an invalid one is rejected with its structured
// reason (which exercises the protobuf-backed error detail), and the version
// is the one the package (CMake or pkg-config) announced.
//
// Built by tests/install/install_test.sh, once with find_package(slipway) and
// once with `pkg-config --cflags --libs slipway`.
#include <slipway/slipway.h>

#include <cstdio>
#include <cstring>
#include <optional>

int main() {
  absl::Status ok = slipway::validate::ModelName("fraud-detection");
  if (!ok.ok()) {
    std::fprintf(stderr, "FAIL: fraud-detection rejected: %s\n",
                 ok.ToString().c_str());
    return 1;
  }

  absl::Status bad = slipway::validate::ModelName("Fraud Detection!");
  if (!absl::IsInvalidArgument(bad)) {
    std::fprintf(stderr, "FAIL: 'Fraud Detection!' gave %s, want InvalidArgument\n",
                 bad.ToString().c_str());
    return 1;
  }
  std::optional<slipway::ErrorDetail> detail = slipway::GetErrorDetail(bad);
  if (!detail.has_value() || detail->reason != "MODEL_NAME_INVALID") {
    std::fprintf(stderr, "FAIL: rejection lacks reason MODEL_NAME_INVALID: %s\n",
                 bad.ToString().c_str());
    return 1;
  }

  const char* version = slipway::Version();
#ifdef SLIPWAY_EXPECTED_VERSION
  if (std::strcmp(version, SLIPWAY_EXPECTED_VERSION) != 0) {
    std::fprintf(stderr, "FAIL: library version %s, package says %s\n", version,
                 SLIPWAY_EXPECTED_VERSION);
    return 1;
  }
#endif
  if (version == nullptr || version[0] == '\0') {
    std::fprintf(stderr, "FAIL: empty slipway::Version()\n");
    return 1;
  }

  std::printf("OK: slipway %s; rejected a bad name with %s\n", version,
              detail->reason.c_str());
  return 0;
}
