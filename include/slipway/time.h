// Time values at slipway's boundary: RFC 3339 text in UTC, the form the
// audit log, the CLI and the Python API use.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_TIME_H_
#define SLIPWAY_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace slipway {

// Parses an RFC 3339 timestamp with an explicit offset ("Z" or "+hh:mm"), e.g.
// "2026-01-01T00:00:00Z" or "2026-01-01T01:00:00.250+01:00". Returns
// InvalidArgument (reason TIME_INVALID) quoting the text and showing the
// expected form when it does not parse.
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);

// Formats `t` as RFC 3339 in UTC with millisecond precision,
// e.g. "2026-01-01T00:00:00.000Z".
std::string FormatRfc3339(absl::Time t);

}  // namespace slipway

#endif  // SLIPWAY_TIME_H_
