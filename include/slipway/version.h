// Model versions (SPEC §1): a semantic version, a positive integer revision,
// or the alias `latest` (resolved by the registry; refused in production).
//
// Ordering follows semver precedence: numeric fields compare as numbers (of
// any length, no overflow), a pre-release sorts before its release, and
// pre-release identifiers compare field by field (numeric < alphanumeric,
// numbers numerically, text by ASCII). The SPEC pattern allows a leading "v"
// and leading zeros, so "v1.2.3", "1.2.3" and "01.2.3" are the *same*
// version: Canonical() of each is "1.2.3", and they compare equal.
//
// Thread-safety: immutable value, thread-safe.
#ifndef SLIPWAY_VERSION_H_
#define SLIPWAY_VERSION_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "slipway/validate.h"

namespace slipway {

class ModelVersion final {
 public:
  enum class Kind { kSemver, kRevision, kLatest };

  // Validates `text` with validate::ModelVersion in `environment` and parses
  // it. Returns that validator's errors unchanged.
  static absl::StatusOr<ModelVersion> Parse(
      std::string_view text, std::string_view environment,
      const ValidationPolicy& policy = DefaultValidationPolicy());
  // As above, in `policy.environment`.
  static absl::StatusOr<ModelVersion> Parse(
      std::string_view text,
      const ValidationPolicy& policy = DefaultValidationPolicy());

  Kind kind() const { return kind_; }
  // The text as given, e.g. "v1.2.3".
  const std::string& text() const { return text_; }
  // The canonical spelling: "1.2.3-rc.1" (no "v", no leading zeros in
  // numeric fields), "7" for a revision, "latest".
  const std::string& canonical() const { return canonical_; }
  // The revision number; 0 unless kind() == kRevision.
  int64_t revision() const { return revision_; }
  // The pre-release part without its '-', empty for a release.
  const std::string& prerelease() const { return prerelease_; }

  // Semver precedence within semver, numeric order within revisions.
  // Versions of different kinds, and `latest`, are unordered (a model uses
  // one scheme; `latest` is resolved before it is compared).
  friend std::partial_ordering operator<=>(const ModelVersion& a,
                                           const ModelVersion& b);
  // Same kind and same canonical spelling.
  friend bool operator==(const ModelVersion& a, const ModelVersion& b);

 private:
  ModelVersion() = default;

  Kind kind_ = Kind::kLatest;
  std::string text_;
  std::string canonical_;
  int64_t revision_ = 0;
  // Major, minor and patch as digit strings without leading zeros.
  std::string core_[3];
  std::string prerelease_;
};

}  // namespace slipway

#endif  // SLIPWAY_VERSION_H_
