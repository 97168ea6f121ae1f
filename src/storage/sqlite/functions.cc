#include "src/storage/sqlite/functions.h"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slipway::internal_storage {
namespace {

// The length of the UTF-8 sequence starting at text[i], clamped to the
// text; a stray continuation or invalid lead byte counts as one character.
size_t CodePointLength(std::string_view text, size_t i) {
  const auto lead = static_cast<uint8_t>(text[i]);
  size_t n = 1;
  if (lead >= 0xF0 && lead <= 0xF7) {
    n = 4;
  } else if (lead >= 0xE0) {
    n = lead <= 0xEF ? 3 : 1;
  } else if (lead >= 0xC0) {
    n = 2;
  }
  // Only count continuation bytes that are really there.
  size_t len = 1;
  while (len < n && i + len < text.size() &&
         (static_cast<uint8_t>(text[i + len]) & 0xC0) == 0x80) {
    ++len;
  }
  return len;
}

char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

void LikeFunction(sqlite3_context* context, int argc, sqlite3_value** argv) {
  if (argc != 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  // value_text before value_bytes (SQLite's documented order).
  const auto* text_ptr =
      reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const size_t text_len = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
  const auto* pattern_ptr =
      reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  const size_t pattern_len = static_cast<size_t>(sqlite3_value_bytes(argv[1]));
  if (text_ptr == nullptr || pattern_ptr == nullptr) {
    sqlite3_result_error_nomem(context);
    return;
  }
  const bool ignore_case = sqlite3_user_data(context) != nullptr;
  sqlite3_result_int(
      context, LikeMatch(std::string_view(text_ptr, text_len),
                         std::string_view(pattern_ptr, pattern_len),
                         ignore_case)
                   ? 1
                   : 0);
}

}  // namespace

bool LikeMatch(std::string_view text, std::string_view pattern,
               bool ignore_ascii_case) {
  // The classic wildcard matcher: on a mismatch, go back to the last '%'
  // and let it swallow one more character. Only the last '%' needs
  // remembering (an earlier one can never do better), so the cost is
  // bounded by |text| * |pattern|.
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t t = 0;
  size_t p = 0;
  size_t star_p = kNone;  // pattern position just after the last '%'
  size_t star_t = 0;      // text position that '%' has swallowed up to
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size() && pattern[p] == '_') {
      t += CodePointLength(text, t);
      ++p;
      continue;
    }
    if (p < pattern.size() &&
        (pattern[p] == text[t] ||
         (ignore_ascii_case && FoldAscii(pattern[p]) == FoldAscii(text[t])))) {
      ++p;
      ++t;
      continue;
    }
    if (star_p == kNone) return false;
    star_t += CodePointLength(text, star_t);
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

int RegisterSqlFunctions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  static char ignore_case_marker = 1;  // non-null user data: ILIKE
  int rc = sqlite3_create_function_v2(db, "slipway_like", 2, kFlags, nullptr,
                                      &LikeFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "slipway_ilike", 2, kFlags,
                                    &ignore_case_marker, &LikeFunction, nullptr,
                                    nullptr, nullptr);
}

}  // namespace slipway::internal_storage
