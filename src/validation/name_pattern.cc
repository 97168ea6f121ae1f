#include "src/validation/name_pattern.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "src/validation/text.h"
#include "src/errors/strings.h"

namespace slipway::internal_validation {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;
namespace {

std::string DescribeBadCharacter(const CodePoint& cp, std::string_view allowed) {
  const char32_t c = cp.value;
  std::string what = DescribeCodePoint(c);
  if (c < 0x80 && IsUpperAlpha(static_cast<char>(c))) {
    return Cat("uppercase ", what, " at position ", cp.position,
                        " is not allowed (use lowercase)");
  }
  if (c >= 0x80) {
    return Cat(what, " at position ", cp.position,
                        " is not allowed (only ASCII ", allowed, ")");
  }
  return Cat(what, " at position ", cp.position,
                      " is not allowed (only ", allowed, ")");
}

}  // namespace

absl::Status CheckNamePattern(const NamePattern& p, std::string_view value) {
  const Rule& rule = *p.rule;
  if (value.empty()) return Reject(rule, value, "it is empty");

  // Characters first: the most useful message for "Fraud Detection" is about
  // the uppercase letter and the space, not about its length.
  Utf8Walker walker(value);
  CodePoint cp;
  size_t count = 0;
  while (walker.Next(&cp)) {
    ++count;
    const bool ascii = cp.value < 0x80;
    const char c = static_cast<char>(cp.value);
    const bool in_any_class = ascii && (p.first(c) || p.rest(c));
    if (!in_any_class) {
      return Reject(rule, value, DescribeBadCharacter(cp, p.rest_text));
    }
  }
  if (!walker.ok()) {
    return Reject(rule, value,
                  Cat("it is not valid UTF-8 (bad byte at offset ",
                               walker.bad_offset(), ")"));
  }
  if (count < p.min_length) {
    return Reject(rule, value,
                  Cat("it is ", count, " character",
                               count == 1 ? "" : "s", " long; at least ",
                               p.min_length, " are required"));
  }
  if (count > p.max_length) {
    return Reject(rule, value,
                  Cat("it is ", count, " characters long; at most ",
                               p.max_length, " are allowed"));
  }
  // All characters are ASCII from here on.
  if (!p.first(value.front())) {
    return Reject(rule, value,
                  Cat("it starts with '", value.substr(0, 1),
                               "'; it must start with ", p.first_text));
  }
  for (size_t i = 1; i < value.size(); ++i) {
    if (!p.rest(value[i])) {
      return Reject(rule, value,
                    Cat("'", value.substr(i, 1), "' at position ",
                                 i + 1, " is not allowed (only ", p.rest_text,
                                 ")"));
    }
  }
  if (value.size() >= 2 && p.last != nullptr && !p.last(value.back())) {
    return Reject(rule, value,
                  Cat("it ends with '", value.substr(value.size() - 1),
                               "'; it must end with ", p.last_text));
  }
  return absl::OkStatus();
}

}  // namespace slipway::internal_validation
