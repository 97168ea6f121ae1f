#include "src/validation/text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/errors/utf8.h"
#include "src/errors/strings.h"

namespace slipway::internal_validation {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;

bool Utf8Walker::Next(CodePoint* cp) {
  if (!ok_ || offset_ >= s_.size()) return false;
  const size_t len = internal_utf8::SequenceLength(s_, offset_);
  if (len == 0) {
    ok_ = false;
    return false;
  }
  *cp = CodePoint{internal_utf8::Decode(s_, offset_, len), offset_, len,
                  ++position_};
  offset_ += len;
  return true;
}

bool IsUnicodeSpace(char32_t cp) {
  switch (cp) {
    case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x2000 && cp <= 0x200A);
  }
}

std::string_view LookAlikeOf(char32_t cp) {
  switch (cp) {
    // Dots.
    case 0x2024: case 0x2025: case 0x2026: case 0xFE52: case 0xFF0E:
    case 0x3002: case 0xFF61: case 0x00B7: case 0x2027: case 0x0701:
    case 0x0702: case 0xA4F8:
      return "a look-alike of '.'";
    // Slashes.
    case 0x2215: case 0x2044: case 0xFF0F: case 0x29F8: case 0x2571:
    case 0x29C4: case 0x1735: case 0x2F03: case 0x3033: case 0x30CE:
    case 0x31D3: case 0x4E3F:
      return "a look-alike of '/'";
    // Backslashes.
    case 0x2216: case 0xFF3C: case 0xFE68: case 0x29F5: case 0x29F9:
    case 0x2572: case 0x29F7: case 0x3035: case 0x31D4: case 0x4E36:
      return "a look-alike of '\\'";
    // Tildes.
    case 0xFF5E: case 0x02DC: case 0x223C: case 0x2053: case 0x301C:
    case 0x2241: case 0x1FC0:
      return "a look-alike of '~'";
    // Invisible characters that can hide a separator or change how a path
    // is displayed.
    case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
    case 0x00AD: case 0x202A: case 0x202B: case 0x202C: case 0x202D:
    case 0x202E: case 0x2066: case 0x2067: case 0x2068: case 0x2069:
    case 0x200E: case 0x200F: case 0x061C:
      return "an invisible formatting character";
    default:
      return {};
  }
}

char AsciiLookAlikeOf(char32_t cp) {
  // Fullwidth forms of ASCII.
  if (cp >= 0xFF01 && cp <= 0xFF5E) return static_cast<char>(cp - 0xFEE0);
  switch (cp) {
    // Cyrillic letters that render like Latin ones.
    case 0x0430: return 'a';
    case 0x0435: return 'e';
    case 0x043E: return 'o';
    case 0x0440: return 'p';
    case 0x0441: return 'c';
    case 0x0443: return 'y';
    case 0x0445: return 'x';
    case 0x0456: return 'i';
    case 0x0458: return 'j';
    case 0x0455: return 's';
    case 0x04BB: return 'h';
    case 0x0410: return 'A';
    case 0x0412: return 'B';
    case 0x0415: return 'E';
    case 0x041A: return 'K';
    case 0x041C: return 'M';
    case 0x041D: return 'H';
    case 0x041E: return 'O';
    case 0x0420: return 'P';
    case 0x0421: return 'C';
    case 0x0422: return 'T';
    case 0x0425: return 'X';
    // Greek.
    case 0x03BF: return 'o';
    case 0x03B1: return 'a';
    case 0x03B9: return 'i';
    case 0x03BD: return 'v';
    case 0x039F: return 'O';
    // Typographic dashes and the like.
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212:
      return '-';
    default:
      return 0;
  }
}

std::string DescribeCodePoint(char32_t cp) {
  switch (cp) {
    case ' ': return "a space";
    case '\t': return "a tab";
    case '\n': return "a newline";
    case '\r': return "a carriage return";
    case 0: return "NUL (\\x00)";
    default: break;
  }
  if (cp < 0x20 || cp == 0x7F) {
    return absl::StrFormat("the control character \\x%02x", static_cast<unsigned>(cp));
  }
  if (cp < 0x80) return absl::StrFormat("'%c'", static_cast<char>(cp));
  std::string out = absl::StrFormat("U+%04X", static_cast<unsigned>(cp));
  if (std::string_view like = LookAlikeOf(cp); !like.empty()) {
    Append(&out, " (", like, ")");
  } else if (char ascii = AsciiLookAlikeOf(cp); ascii != 0) {
    Append(&out, " (a look-alike of '", std::string(1, ascii), "')");
  } else if (IsControl(cp)) {
    Append(&out, " (a control character)");
  } else if (IsUnicodeSpace(cp)) {
    Append(&out, " (a Unicode space)");
  } else {
    Append(&out, " (a non-ASCII character)");
  }
  return out;
}

}  // namespace slipway::internal_validation
