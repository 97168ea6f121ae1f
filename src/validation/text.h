// Character-level helpers shared by the validators: describing a character
// for a message, finding Unicode look-alikes, walking UTF-8.
#ifndef SLIPWAY_SRC_VALIDATION_TEXT_H_
#define SLIPWAY_SRC_VALIDATION_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace slipway::internal_validation {

inline bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsUpperAlpha(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLowerAlnum(char c) { return IsLowerAlpha(c) || IsDigit(c); }
inline bool IsAsciiAlnum(char c) {
  return IsLowerAlpha(c) || IsUpperAlpha(c) || IsDigit(c);
}

// Returns a human description of the code point `cp` for an error message:
// "'F'", "a space", "a tab", "NUL (\x00)", "U+FF0E (FULLWIDTH FULL STOP, a
// look-alike of '.')", "non-ASCII U+0430".
std::string DescribeCodePoint(char32_t cp);

// If `cp` is a Unicode character commonly mistaken for (or normalised into)
// '.', '/', '\' or '~', or an invisible character that can hide one, returns
// a short description ("a look-alike of '.'"); otherwise empty.
std::string_view LookAlikeOf(char32_t cp);

// If `cp` renders like an ASCII character (Cyrillic 'а', fullwidth 'ｆ',
// typographic dashes), returns that character; otherwise 0.
char AsciiLookAlikeOf(char32_t cp);

// Returns whether `cp` is a control character (C0, DEL or C1).
inline bool IsControl(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

// Returns whether `cp` is Unicode white space (Pattern White_Space plus the
// Zs category).
bool IsUnicodeSpace(char32_t cp);

// One decoded character of a string.
struct CodePoint {
  char32_t value;
  size_t offset;    // byte offset in the string
  size_t length;    // bytes
  size_t position;  // 1-based character position, for messages
};

// Walks a string as UTF-8. Stops at the first ill-formed byte: then
// `ok()` is false and `bad_offset()` tells where.
class Utf8Walker {
 public:
  explicit Utf8Walker(std::string_view s) : s_(s) {}
  // Advances to the next code point; returns false at the end or on an
  // ill-formed byte.
  bool Next(CodePoint* cp);
  bool ok() const { return ok_; }
  size_t bad_offset() const { return offset_; }

 private:
  std::string_view s_;
  size_t offset_ = 0;
  size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace slipway::internal_validation

#endif  // SLIPWAY_SRC_VALIDATION_TEXT_H_
