// Where a run's code came from: the program path and the git commit of the
// checkout it lives in, found by reading .git through the Env file system
// (no `git` process, no network).
#ifndef SLIPWAY_SRC_TRACKING_SOURCE_INFO_H_
#define SLIPWAY_SRC_TRACKING_SOURCE_INFO_H_

#include <string>

#include "slipway/env.h"

namespace slipway::internal_tracking {

// Returns the commit (40 hex characters) checked out in the git work tree
// that contains `path` (a file or directory), following HEAD to a branch ref
// or packed-refs; empty when there is none or it cannot be read. Never
// fails: source capture is best effort.
std::string FindGitCommit(FileSystem& fs, const std::string& path);

// The running program's path (/proc/self/exe), or empty.
std::string ProgramPath();

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_SOURCE_INFO_H_
