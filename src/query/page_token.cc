#include "src/query/page_token.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway::internal_query {
namespace {

using ::slipway::internal_strings::Cat;
using ::slipway::internal_strings::ToAbsl;

constexpr uint8_t kVersion = 1;
constexpr size_t kTokenBytes = 1 + 8 + 8 + 8;
constexpr size_t kTokenChars = (kTokenBytes * 8 + 5) / 6;  // 34

constexpr std::string_view kRule =
    "page tokens are returned by search_runs and valid only for the same "
    "experiments, filter and order_by";

// FNV-1a over bytes, finished with the splitmix64 mixer so that every input
// bit affects every output bit. Fixed constants: tokens must stay valid
// across processes (absl::Hash is salted per process).
class Hasher {
 public:
  void Bytes(std::string_view s) {
    for (unsigned char c : s) {
      h_ ^= c;
      h_ *= 0x100000001b3ULL;
    }
  }
  // A length-prefixed field, so ("ab", "c") and ("a", "bc") differ.
  void Field(std::string_view s) {
    U64(s.size());
    Bytes(s);
  }
  void U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    Bytes(std::string_view(b, 8));
  }
  uint64_t Finish() const {
    uint64_t z = h_ + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) *out += static_cast<char>(v >> (8 * i));
}

uint64_t GetU64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  }
  return v;
}

uint64_t Check(std::string_view body) {
  Hasher h;
  h.Field("slipway.page_token.v1");
  h.Bytes(body);
  return h.Finish();
}

absl::Status Invalid(std::string_view token, std::string_view problem,
                     std::string_view fix) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("invalid page token ", QuoteForMessage(token, 64), ": ",
                       problem, ". Fix: ", fix, "."),
                   ErrorDetail{"PAGE_TOKEN_INVALID", std::string(kRule),
                               std::string(token), std::string(fix)});
}

constexpr std::string_view kPassBack =
    "pass back the next_page_token of the previous page unchanged, with the "
    "same experiments, filter and order_by, or no token for the first page";

}  // namespace

uint64_t QueryFingerprint(std::span<const std::string> experiment_ids,
                          const Filter& filter,
                          std::span<const OrderBy> order_by) {
  std::vector<std::string_view> ids(experiment_ids.begin(), experiment_ids.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  Hasher h;
  h.Field("slipway.search_runs.v1");
  h.U64(ids.size());
  for (std::string_view id : ids) h.Field(id);
  h.Field(ToString(filter));
  h.U64(order_by.size());
  for (const OrderBy& term : order_by) h.Field(ToString(term));
  return h.Finish();
}

std::string EncodePageToken(uint64_t offset, uint64_t query_fingerprint) {
  std::string raw;
  raw.reserve(kTokenBytes);
  raw += static_cast<char>(kVersion);
  PutU64(&raw, offset);
  PutU64(&raw, query_fingerprint);
  PutU64(&raw, Check(raw));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<uint64_t> DecodePageToken(std::string_view token,
                                         uint64_t query_fingerprint) {
  if (token.empty()) return 0;
  if (token.size() != kTokenChars) {
    return Invalid(token,
                   Cat("a page token is ", kTokenChars, " characters, this one ",
                       token.size()),
                   kPassBack);
  }
  std::string raw;
  // Only the canonical encoding is accepted: it must read as base64url and
  // re-encode to exactly the same text (no padding, no stray bits).
  if (!absl::WebSafeBase64Unescape(ToAbsl(token), &raw) ||
      raw.size() != kTokenBytes || absl::WebSafeBase64Escape(raw) != ToAbsl(token)) {
    return Invalid(token, "it is not base64url text produced by slipway",
                   kPassBack);
  }
  if (static_cast<uint8_t>(raw[0]) != kVersion) {
    return Invalid(token, "unknown page token version", kPassBack);
  }
  const std::string_view body(raw.data(), 1 + 8 + 8);
  if (GetU64(raw, 17) != Check(body)) {
    return Invalid(token, "it is corrupted or was edited", kPassBack);
  }
  if (GetU64(raw, 9) != query_fingerprint) {
    return Invalid(token,
                   "it belongs to a different search (the experiments, "
                   "filter or order_by changed since the first page)",
                   kPassBack);
  }
  return GetU64(raw, 1);
}

}  // namespace slipway::internal_query
