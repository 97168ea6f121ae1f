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
// "2026-01-01T00:00:00Z" or "2026-01-01T01:00:00.250+01:00".
//
// Accepted, exactly: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), every
// field zero-padded to its width, the fraction one or more digits (digits
// beyond nanoseconds are truncated), "t" and "z" also accepted in lower case,
// "-00:00" read as UTC, and a leap second (":60") read as the first second of
// the next minute. Nothing else: no surrounding spaces, no space separator,
// no missing offset, no "+hhmm" or "+hh".
//
// Returns InvalidArgument (reason TIME_INVALID) quoting the text and showing
// the expected form "2026-01-01T00:00:00Z" when it does not parse, including
// out-of-range fields ("2026-02-30").
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);

// Formats `t` as RFC 3339 in UTC with exactly three fractional digits and a
// "Z" suffix, e.g. "2026-01-01T00:00:00.000Z". Sub-millisecond parts are
// truncated toward the past, so ParseRfc3339(FormatRfc3339(t)) returns t
// rounded down to the millisecond for any t in years 0000-9999. Outside that
// range the year has more digits or a sign, and absl::InfiniteFuture() and
// absl::InfinitePast() format as "infinite-future" and "infinite-past";
// ParseRfc3339 rejects all of those.
std::string FormatRfc3339(absl::Time t);

}  // namespace slipway

#endif  // SLIPWAY_TIME_H_
