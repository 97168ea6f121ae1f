#include "src/query/scanner.h"

#include <cstdio>
#include <string>
#include <vector>

#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/errors/utf8.h"

namespace slipway::internal_query {
namespace {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;

// How many characters of the text a message shows on each side of the
// caret; longer texts are cut with "...".
constexpr size_t kWindow = 40;

// One displayed character: its byte range in the text.
struct Char {
  size_t offset;
  size_t length;
};

std::vector<Char> SplitChars(std::string_view text) {
  std::vector<Char> chars;
  chars.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t len = internal_utf8::SequenceLength(text, i);
    if (len == 0) len = 1;  // an ill-formed byte is one character
    chars.push_back({i, len});
    i += len;
  }
  return chars;
}

// The character as shown in a message: control characters and ill-formed
// bytes become one space or '?', so the caret below stays aligned and the
// message carries no raw control byte.
void AppendShown(std::string* out, std::string_view text, const Char& c) {
  const unsigned char b = static_cast<unsigned char>(text[c.offset]);
  if (c.length == 1) {
    if (b < 0x20 || b == 0x7F) {
      *out += ' ';
    } else if (b >= 0x80) {
      *out += '?';
    } else {
      *out += static_cast<char>(b);
    }
    return;
  }
  const char32_t cp = internal_utf8::Decode(text, c.offset, c.length);
  if (cp >= 0x80 && cp <= 0x9F) {  // C1 controls
    *out += ' ';
  } else {
    out->append(text.substr(c.offset, c.length));
  }
}

}  // namespace

std::string ForMessage(std::string_view s, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (i >= max_bytes) {
      out += "...";
      break;
    }
    const unsigned char b = static_cast<unsigned char>(s[i]);
    size_t len = internal_utf8::SequenceLength(s, i);
    char hex[16];
    if (len == 0 || b < 0x20 || b == 0x7F) {
      std::snprintf(hex, sizeof hex, "\\x%02X", b);
      out += hex;
      i += 1;
      continue;
    }
    if (len == 2) {
      const char32_t cp = internal_utf8::Decode(s, i, len);
      if (cp <= 0x9F) {  // C1 control
        std::snprintf(hex, sizeof hex, "\\u%04X", static_cast<unsigned>(cp));
        out += hex;
        i += len;
        continue;
      }
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

size_t CharPosition(std::string_view text, size_t offset) {
  size_t position = 1;
  size_t i = 0;
  while (i < offset && i < text.size()) {
    size_t len = internal_utf8::SequenceLength(text, i);
    if (len == 0) len = 1;
    i += len;
    ++position;
  }
  return position;
}

std::string DescribeAt(std::string_view text, size_t offset,
                       std::string_view what) {
  if (offset >= text.size()) return Cat("the end of the ", what);
  const char c = text[offset];
  const unsigned char b = static_cast<unsigned char>(c);
  if (IsWordChar(c) && c != '`') {
    size_t end = offset;
    while (end < text.size() && IsBareKeyChar(text[end]) && end - offset < 30) {
      ++end;
    }
    return Cat("'", text.substr(offset, end - offset),
               end < text.size() && IsBareKeyChar(text[end]) ? "...'" : "'");
  }
  if (b < 0x20 || b == 0x7F) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%02X", b);
    return Cat("a control character (\\x", hex, ")");
  }
  if (b < 0x80) return Cat("'", text.substr(offset, 1), "'");
  const size_t len = internal_utf8::SequenceLength(text, offset);
  char buf[32];
  if (len == 0) {
    std::snprintf(buf, sizeof buf, "the byte 0x%02X", b);
    return buf;
  }
  const char32_t cp = internal_utf8::Decode(text, offset, len);
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return Cat("the non-ASCII character ", buf);
}

absl::Status SyntaxError(const Grammar& grammar, std::string_view reason,
                         std::string_view text, size_t offset,
                         std::string_view problem, std::string_view fix) {
  const std::vector<Char> chars = SplitChars(text);
  const size_t position = CharPosition(text, offset);  // 1-based
  const size_t index = position - 1;                   // into chars
  size_t first = index > kWindow ? index - kWindow : 0;
  size_t last = index + kWindow < chars.size() ? index + kWindow : chars.size();
  std::string shown = "  ";
  size_t caret_column = 2;
  if (first > 0) {
    shown += "...";
    caret_column += 3;
  }
  for (size_t i = first; i < last; ++i) {
    AppendShown(&shown, text, chars[i]);
    if (i < index) ++caret_column;
  }
  if (last < chars.size()) shown += "...";
  std::string full_fix = Cat(fix, ". Example of ", grammar.example);
  std::string message =
      Cat("invalid ", grammar.what, " at position ", position, ": ", problem,
          ".\n", shown, "\n", std::string(caret_column, ' '), "^\nFix: ",
          fix, ".\nExample of ", grammar.example);
  return MakeError(absl::StatusCode::kInvalidArgument, message,
                   ErrorDetail{std::string(reason), std::string(grammar.rule),
                               std::string(text), std::move(full_fix)});
}

bool Scanner::PeekKeyword(std::string_view keyword) const {
  if (text_.size() - pos_ < keyword.size()) return false;
  for (size_t i = 0; i < keyword.size(); ++i) {
    char c = text_[pos_ + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != keyword[i]) return false;
  }
  const size_t after = pos_ + keyword.size();
  return after >= text_.size() || !IsWordChar(text_[after]);
}

bool Scanner::ConsumeKeyword(std::string_view keyword) {
  if (!PeekKeyword(keyword)) return false;
  pos_ += keyword.size();
  return true;
}

std::string_view Scanner::ReadWord() {
  const size_t start = pos_;
  while (pos_ < text_.size() &&
         (IsAsciiAlpha(text_[pos_]) || IsAsciiDigit(text_[pos_]) ||
          text_[pos_] == '_')) {
    ++pos_;
  }
  return text_.substr(start, pos_ - start);
}

bool ReadQuoted(Scanner& s, std::string* out) {
  const std::string_view text = s.text();
  const size_t open = s.offset();
  const char q = text[open];
  out->clear();
  size_t i = open + 1;
  while (i < text.size()) {
    // Copy the run up to the next quote in one go.
    const size_t next = text.find(q, i);
    if (next == std::string_view::npos) return false;
    out->append(text.substr(i, next - i));
    if (next + 1 < text.size() && text[next + 1] == q) {
      *out += q;
      i = next + 2;
      continue;
    }
    s.Advance(next + 1 - open);
    return true;
  }
  return false;
}

void AppendQuoted(std::string* out, std::string_view text, char q) {
  *out += q;
  for (char c : text) {
    if (c == q) *out += q;
    *out += c;
  }
  *out += q;
}

}  // namespace slipway::internal_query
