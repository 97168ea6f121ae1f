// libFuzzer target for the search grammar (src/query): filters, order_by
// terms and page tokens, all of which come straight from users.
//
// Input layout: when the first byte is 0x01 the rest is order_by terms
// separated by '\n'; when it is 0x02 the rest is a page token; otherwise the
// whole input is a filter (so filter seeds are plain text files).
//
// Properties (each failure prints the property and the input in hex, then
// traps; fuzz/README.md lists them):
// - Filter: ParseFilter never crashes. If it parses, ToString parses back
//   to an equal AST, and ToString of that is the same text (canonical text
//   is a fixed point). A filter with ';', '#', '*', '|', '&' or '\' outside
//   quotes never parses. Every rejection is InvalidArgument with one of the
//   four FILTER_* reasons, the whole input as the detail's value, a position
//   between 1 and the length + 1 in the message, and a message that is
//   valid UTF-8 with no control character but '\n'.
// - order_by: the same, per term, with the ORDER_BY_* reasons.
// - Page token: DecodePageToken never crashes; a token it accepts is exactly
//   what EncodePageToken gives for the decoded offset.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/errors/utf8.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"
#include "src/query/page_token.h"

namespace {

namespace q = ::slipway::internal_query;

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

// The whole fuzz input, for reports (libFuzzer runs inputs one at a time).
std::string_view g_input;

[[noreturn]] void Fail(const char* property, const char* condition,
                       std::string_view detail, const char* file, int line) {
  std::fprintf(stderr,
               "\n*** slipway fuzz property failed: %s\n"
               "    condition: %s (%s:%d)\n"
               "    detail: %.*s\n"
               "    whole input (%zu bytes, hex): %s\n",
               property, condition, file, line, static_cast<int>(detail.size()),
               detail.data(), g_input.size(), Hex(g_input).c_str());
  std::fflush(stderr);
  __builtin_trap();
}

#define PROPERTY(cond, property, detail)                            \
  do {                                                              \
    if (!(cond)) Fail(property, #cond, detail, __FILE__, __LINE__); \
  } while (false)

// The 1-based position named by "at position N:" in a message, or 0.
size_t PositionIn(std::string_view message) {
  constexpr std::string_view kAt = "at position ";
  const size_t at = message.find(kAt);
  if (at == std::string_view::npos) return 0;
  size_t n = 0;
  for (size_t i = at + kAt.size(); i < message.size() && message[i] >= '0' &&
                                   message[i] <= '9';
       ++i) {
    n = n * 10 + static_cast<size_t>(message[i] - '0');
  }
  return n;
}

size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = slipway::internal_utf8::SequenceLength(s, i);
    i += len == 0 ? 1 : len;
    ++n;
  }
  return n;
}

void CheckRejection(const absl::Status& st, std::string_view text,
                    std::initializer_list<std::string_view> reasons) {
  const std::string message(st.message());
  PROPERTY(st.code() == absl::StatusCode::kInvalidArgument,
           "rejections are InvalidArgument", message);
  const std::optional<slipway::ErrorDetail> d = slipway::GetErrorDetail(st);
  PROPERTY(d.has_value(), "rejections carry an ErrorDetail", message);
  bool known = false;
  for (std::string_view r : reasons) known = known || d->reason == r;
  PROPERTY(known, "the reason is a documented one", d->reason);
  PROPERTY(d->value == text, "the detail's value is the input", message);
  PROPERTY(!d->fix.empty() && !d->rule.empty(), "rule and fix are set", message);
  const size_t position = PositionIn(message);
  PROPERTY(position >= 1 && position <= CharCount(text) + 1,
           "the message names a position inside the text (or just past it)",
           message);
  PROPERTY(slipway::internal_utf8::IsValid(message), "the message is UTF-8",
           Hex(message));
  for (unsigned char c : message) {
    PROPERTY(c == '\n' || (c >= 0x20 && c != 0x7F),
             "the message has no control character but newlines", Hex(message));
  }
}

// Whether `text` has one of ;#*|&\ outside quotes. Quotes (' " `) toggle;
// a doubled quote toggles twice, so it needs no special case.
bool HasSqlPunctuationOutsideQuotes(std::string_view text) {
  char open = 0;
  for (char c : text) {
    if (open != 0) {
      if (c == open) open = 0;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      open = c;
    } else if (c == ';' || c == '#' || c == '*' || c == '|' || c == '&' ||
               c == '\\') {
      return true;
    }
  }
  return false;
}

void FuzzFilter(std::string_view text) {
  absl::StatusOr<q::Filter> f = q::ParseFilter(text);
  if (!f.ok()) {
    CheckRejection(f.status(), text,
                   {"FILTER_SYNTAX", "FILTER_TYPE", "FILTER_UNKNOWN_ATTRIBUTE",
                    "FILTER_TOO_COMPLEX"});
    return;
  }
  PROPERTY(!HasSqlPunctuationOutsideQuotes(text),
           "SQL punctuation outside quotes never parses", text);
  const std::string canonical = q::ToString(*f);
  absl::StatusOr<q::Filter> again = q::ParseFilter(canonical);
  PROPERTY(again.ok(), "the canonical text parses",
           canonical + " -> " + std::string(again.status().message()));
  PROPERTY(*again == *f, "the canonical text parses to an equal filter", canonical);
  PROPERTY(q::ToString(*again) == canonical, "canonical text is a fixed point",
           canonical);
}

void FuzzOrderBy(std::string_view text) {
  std::vector<std::string> terms;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    terms.emplace_back(text.substr(start, nl == std::string_view::npos
                                              ? std::string_view::npos
                                              : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  for (const std::string& term : terms) {
    absl::StatusOr<q::OrderBy> t = q::ParseOrderByTerm(term);
    if (!t.ok()) {
      CheckRejection(t.status(), term,
                     {"ORDER_BY_SYNTAX", "ORDER_BY_UNKNOWN_ATTRIBUTE",
                      "ORDER_BY_TOO_COMPLEX"});
      continue;
    }
    const std::string canonical = q::ToString(*t);
    absl::StatusOr<q::OrderBy> again = q::ParseOrderByTerm(canonical);
    PROPERTY(again.ok() && *again == *t,
             "the canonical term parses to an equal term", canonical);
  }
  absl::StatusOr<std::vector<q::OrderBy>> all = q::ParseOrderBy(terms);
  if (!all.ok()) {
    const std::optional<slipway::ErrorDetail> d = slipway::GetErrorDetail(all.status());
    PROPERTY(d.has_value() && (d->reason == "ORDER_BY_SYNTAX" ||
                               d->reason == "ORDER_BY_UNKNOWN_ATTRIBUTE" ||
                               d->reason == "ORDER_BY_TOO_COMPLEX"),
             "order_by rejections have an ORDER_BY_* reason",
             std::string(all.status().message()));
  } else {
    PROPERTY(all->size() == terms.size(), "one sort key per term", text);
  }
}

void FuzzPageToken(std::string_view token) {
  constexpr uint64_t kFingerprint = 0x5eed5eed5eed5eedULL;
  absl::StatusOr<uint64_t> offset = q::DecodePageToken(token, kFingerprint);
  if (!offset.ok()) {
    const std::optional<slipway::ErrorDetail> d =
        slipway::GetErrorDetail(offset.status());
    PROPERTY(offset.status().code() == absl::StatusCode::kInvalidArgument &&
                 d.has_value() && d->reason == "PAGE_TOKEN_INVALID",
             "bad tokens are InvalidArgument PAGE_TOKEN_INVALID",
             std::string(offset.status().message()));
    return;
  }
  PROPERTY(token.empty() || q::EncodePageToken(*offset, kFingerprint) == token,
           "an accepted token is exactly what EncodePageToken gives", token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  g_input = input;
  if (size > 0 && data[0] == 0x01) {
    FuzzOrderBy(input.substr(1));
  } else if (size > 0 && data[0] == 0x02) {
    FuzzPageToken(input.substr(1));
  } else {
    FuzzFilter(input);
  }
  return 0;
}
