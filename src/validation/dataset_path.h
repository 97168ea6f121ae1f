// Dataset path checks (SPEC §1), shared by validate::DatasetPath and the
// policy's check of its own approved prefixes.
#ifndef SLIPWAY_SRC_VALIDATION_DATASET_PATH_H_
#define SLIPWAY_SRC_VALIDATION_DATASET_PATH_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace slipway::internal_validation {

// Dataset paths longer than this are rejected (Linux PATH_MAX).
inline constexpr size_t kMaxDatasetPathBytes = 4096;

// Checks that `prefix` is usable as an approved prefix: absolute (a path or
// "scheme://authority/..."), free of traversal forms. Trailing '/' optional.
absl::Status CheckDatasetPrefix(std::string_view prefix);

// Returns whether clean `path` lies strictly below `prefix`, matching on a
// segment boundary ("/data/ml" and "/data/ml/" both approve "/data/ml/x",
// neither approves "/data/ml-evil/x" nor "/data/ml/" itself).
bool IsStrictlyUnder(std::string_view path, std::string_view prefix);

}  // namespace slipway::internal_validation

#endif  // SLIPWAY_SRC_VALIDATION_DATASET_PATH_H_
