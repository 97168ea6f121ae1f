// The four SPEC §1 names that are plain character patterns (model,
// endpoint, feature and pipeline names) share one checker: a first-character
// class, a class for the rest, a last-character class and a length range.
// It is equivalent to the SPEC regex (the fuzzer checks that against
// std::regex) and, unlike a regex, says *what* is wrong.
#ifndef SLIPWAY_SRC_VALIDATION_NAME_PATTERN_H_
#define SLIPWAY_SRC_VALIDATION_NAME_PATTERN_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "src/validation/rules.h"

namespace slipway::internal_validation {

struct NamePattern {
  const Rule* rule;
  size_t min_length;
  size_t max_length;
  bool (*first)(char);  // allowed first character
  bool (*rest)(char);   // allowed characters after the first
  bool (*last)(char);   // allowed last character (when length >= 2)
  std::string_view first_text;  // "a lowercase letter or digit"
  std::string_view rest_text;   // "lowercase letters, digits, '-' and '_'"
  std::string_view last_text;   // "a lowercase letter or digit", or empty
};

// Returns OK if `value` matches `pattern`, else the Reject() status naming
// the first problem found.
absl::Status CheckNamePattern(const NamePattern& pattern, std::string_view value);

}  // namespace slipway::internal_validation

#endif  // SLIPWAY_SRC_VALIDATION_NAME_PATTERN_H_
