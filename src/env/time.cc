#include "slipway/time.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway {
namespace {

constexpr char kExample[] = "2026-01-01T00:00:00Z";
constexpr char kRule[] =
    "RFC 3339 date-time with offset: "
    "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Returns whether text[pos, pos + n) are all digits.
bool DigitsAt(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(text[i])) return false;
  }
  return true;
}

// Checks the exact shape of an RFC 3339 date-time. absl::ParseTime alone is
// too lenient for a boundary format: it skips surrounding whitespace, takes
// one-digit fields ("2026-1-1T0:0:0Z") and offsets without a colon or
// minutes ("+0100", "+01"). Field ranges are left to absl::ParseTime.
bool HasRfc3339Shape(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters.
  if (!DigitsAt(t, 0, 4) || t.size() < 19 || t[4] != '-' ||
      !DigitsAt(t, 5, 2) || t[7] != '-' || !DigitsAt(t, 8, 2) ||
      (t[10] != 'T' && t[10] != 't') || !DigitsAt(t, 11, 2) || t[13] != ':' ||
      !DigitsAt(t, 14, 2) || t[16] != ':' || !DigitsAt(t, 17, 2)) {
    return false;
  }
  size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    const size_t first_digit = pos;
    while (pos < t.size() && IsDigit(t[pos])) ++pos;
    if (pos == first_digit) return false;
  }
  if (pos == t.size()) return false;  // No offset.
  if (t[pos] == 'Z' || t[pos] == 'z') return pos + 1 == t.size();
  return (t[pos] == '+' || t[pos] == '-') && pos + 6 == t.size() &&
         DigitsAt(t, pos + 1, 2) && t[pos + 3] == ':' &&
         DigitsAt(t, pos + 4, 2);
}

absl::Status TimeInvalid(std::string_view text, std::string_view why) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      internal_strings::Cat("invalid time ", QuoteForMessage(text), ": ", why,
                            "; expected RFC 3339 with an offset, e.g. \"",
                            kExample, "\""),
      ErrorDetail{.reason = "TIME_INVALID",
                  .rule = kRule,
                  .value = std::string(text),
                  .fix = absl::StrCat(
                      "Write the time as RFC 3339 with an explicit offset, "
                      "e.g. \"",
                      kExample, "\" or \"2026-01-01T01:00:00.250+01:00\".")});
}

}  // namespace

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text) {
  if (text.empty()) return TimeInvalid(text, "it is empty");
  if (!HasRfc3339Shape(text)) {
    return TimeInvalid(text,
                       "it is not of the form "
                       "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)");
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, internal_strings::ToAbsl(text), &t,
                       &error)) {
    // The shape is right, so a field is out of range ("2026-02-30", "24:00",
    // "+24:00").
    return TimeInvalid(text, "a field is out of range");
  }
  return t;
}

std::string FormatRfc3339(absl::Time t) {
  // %E4Y zero-pads years below 1000 (plain %Y writes year 1 as "1"); %E3S
  // truncates toward the past, so the text never shows a later time.
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace slipway
