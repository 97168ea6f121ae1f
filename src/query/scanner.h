// Character-level reading shared by the filter and order_by parsers: a
// cursor over the text with ASCII keyword matching and quoted-text reading,
// and the one function that turns a problem at a position into a status.
//
// Every error the query module returns goes through SyntaxError(), so all
// messages have the same shape:
//
//   invalid filter at position 13: expected a comparison operator after
//   metrics.acc, found '~'.
//     metrics.acc ~ 0.9
//                 ^
//   Fix: use =, !=, <, <=, > or >=: metrics.acc > 0.9.
//   Example of a valid filter: metrics.acc > 0.9 and (params.optimizer =
//   'adam' or tags.`team name` LIKE 'vision%')
//
// Thread-safety: a Scanner is a value used by one thread; the functions are
// pure.
#ifndef SLIPWAY_SRC_QUERY_SCANNER_H_
#define SLIPWAY_SRC_QUERY_SCANNER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace slipway::internal_query {

// What is being parsed, for messages and the error detail.
struct Grammar {
  // "filter", "order_by[2]".
  std::string what;
  // The reasons ParseEntity uses (callers pass their own to SyntaxError
  // for other problems).
  std::string_view syntax_reason;
  std::string_view unknown_attribute_reason;
  // ErrorDetail.rule.
  std::string_view rule;
  // Completes "Example of ...": "a valid filter: metrics.acc > 0.9".
  std::string_view example;
};

// Returns the 1-based character (code point) position of byte `offset` of
// `text`. Bytes that are not well-formed UTF-8 count as one character each.
size_t CharPosition(std::string_view text, size_t offset);

// InvalidArgument with reason `reason` for a problem at byte `offset` of
// `text` (offset == text.size() means "at the end"). The message names the
// 1-based character position, shows the text (a window of it when long,
// control characters shown as spaces) with a caret under the position, and
// ends with `fix` and the grammar's example. The detail is {reason,
// grammar.rule, text, fix + ". Example of " + example}.
absl::Status SyntaxError(const Grammar& grammar, std::string_view reason,
                         std::string_view text, size_t offset,
                         std::string_view problem, std::string_view fix);

// Describes what is at byte `offset` of `text` for "found ..." in a message:
// "the end of the filter", "'~'", "'DROP'" (a whole word), "a control
// character (\x01)", "U+00E9".
std::string DescribeAt(std::string_view text, size_t offset,
                       std::string_view what);

// Returns `s` (user text, e.g. a quoted key) made safe for a message:
// control characters become \xNN (C1 controls \u0080-style), ill-formed
// bytes \xNN, and text past `max_bytes` is cut on a character boundary
// and marked with "...".
std::string ForMessage(std::string_view s, size_t max_bytes = 80);

inline bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
// Characters of an unquoted key: ASCII letters, digits, '_', '.', '-', '/'.
inline bool IsBareKeyChar(char c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '_' || c == '.' ||
         c == '-' || c == '/';
}
// Characters that continue a word: a keyword must not be followed by one.
inline bool IsWordChar(char c) { return IsBareKeyChar(c) || c == '`'; }
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A cursor over the text being parsed.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::string_view text() const { return text_; }
  size_t offset() const { return pos_; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  // The byte `ahead` bytes past the cursor, or '\0' past the end.
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void Advance(size_t n = 1) { pos_ = pos_ + n > text_.size() ? text_.size() : pos_ + n; }
  // Skips spaces, tabs, carriage returns and newlines.
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  // Returns whether the ASCII keyword `keyword` (lowercase) is next,
  // case-insensitively, and not followed by a word character.
  bool PeekKeyword(std::string_view keyword) const;
  // Consumes `keyword` when PeekKeyword says it is next.
  bool ConsumeKeyword(std::string_view keyword);
  // Reads the longest run of [A-Za-z0-9_] at the cursor (may be empty).
  std::string_view ReadWord();

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// At an opening quote character q (', " or `), reads the quoted text up to
// the closing q into *out; inside, a doubled q stands for one q and every
// other byte (backslashes included) is itself. Returns false, with the
// cursor unchanged, when the closing quote is missing.
bool ReadQuoted(Scanner& s, std::string* out);

// Appends `text` quoted with q, doubling every q inside.
void AppendQuoted(std::string* out, std::string_view text, char q);

}  // namespace slipway::internal_query

#endif  // SLIPWAY_SRC_QUERY_SCANNER_H_
