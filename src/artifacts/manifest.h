// A directory stored in the artifact store is a manifest: one entry per
// regular file, naming it by its path relative to the directory and by the
// digest and size of its bytes. The manifest is what the registry keeps for
// a model version; ArtifactStore::RestoreTree rebuilds the directory from it.
//
// Relative paths are checked before anything is written, so that restoring
// a manifest (which may come from a database a user can edit) can never
// write outside the destination directory.
//
// Thread-safety: value types and pure functions, thread-safe.
#ifndef SLIPWAY_SRC_ARTIFACTS_MANIFEST_H_
#define SLIPWAY_SRC_ARTIFACTS_MANIFEST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "src/artifacts/digest.h"

namespace slipway::internal_artifacts {

// One file of a stored directory.
struct ArtifactEntry {
  // '/'-separated path relative to the directory, e.g. "weights/layer0.bin"
  // (ValidateRelativePath's rules).
  std::string relative_path;
  Digest digest;
  uint64_t size_bytes = 0;

  friend bool operator==(const ArtifactEntry&, const ArtifactEntry&) = default;
};

// Limits on relative paths: those of Linux (PATH_MAX and NAME_MAX).
inline constexpr size_t kMaxRelativePathBytes = 4095;
inline constexpr size_t kMaxPathComponentBytes = 255;

// Returns OK when `path` is a relative path that stays inside whatever
// directory it is resolved against: non-empty, well-formed UTF-8, at most
// kMaxRelativePathBytes, components separated by single '/' and each 1 to
// kMaxPathComponentBytes bytes, no "." or ".." component, no leading or
// trailing '/', no NUL or other control character, no '\' (a separator on
// Windows). Otherwise InvalidArgument ARTIFACT_PATH_INVALID naming the
// problem.
absl::Status ValidateRelativePath(std::string_view path);

// Returns OK when every entry's path is valid (ValidateRelativePath), no
// path appears twice, and no path is also the directory of another ("a" and
// "a/b" cannot both be files). Otherwise InvalidArgument
// ARTIFACT_PATH_INVALID (a bad path) or ARTIFACT_MANIFEST_INVALID (the
// duplicate or conflicting path). An empty manifest is valid.
absl::Status ValidateManifest(const std::vector<ArtifactEntry>& entries);

}  // namespace slipway::internal_artifacts

#endif  // SLIPWAY_SRC_ARTIFACTS_MANIFEST_H_
