// SPEC §1 dataset path: absolute, under an approved prefix on a segment
// boundary, and free of every traversal form we know: "..", "~", encoded
// dots and separators, backslashes, NUL and other control characters, empty
// segments, and Unicode look-alikes of '.', '/', '\' and '~' (some
// normalisers turn U+FF0E into '.').
//
// The path is checked as text and never normalised: a path that needs
// normalising is rejected, so what is stored is exactly what was approved.
#include "src/validation/dataset_path.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "slipway/validate.h"
#include "src/validation/rules.h"
#include "src/validation/text.h"
#include "src/errors/strings.h"

namespace slipway {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;
namespace internal_validation {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Bytes that must not appear percent-encoded: separators, dots, '%' itself
// (double encoding), '~', controls, and any non-ASCII byte (overlong UTF-8
// forms such as %c0%ae decode to '.' in lax decoders).
bool IsForbiddenEncodedByte(int b) {
  return b < 0x20 || b == '%' || b == '.' || b == '/' || b == '\\' ||
         b == '~' || b >= 0x7F;
}

// Length of "scheme://" at the start of `path`, or 0 if it has none.
size_t SchemeLength(std::string_view path) {
  if (path.empty() || !absl::ascii_isalpha(path[0])) return 0;
  size_t i = 1;
  while (i < path.size() && (absl::ascii_isalnum(path[i]) || path[i] == '+' ||
                             path[i] == '-' || path[i] == '.')) {
    ++i;
  }
  if (path.substr(i, 3) != "://") return 0;
  return i + 3;
}

// The checks that do not depend on the policy. Returns the problem, or an
// empty string when the path is well-formed. `*fix` may be set to a more
// specific fix.
std::string FindProblem(std::string_view path, std::string* fix) {
  if (path.empty()) return "it is empty";
  if (path.size() > kMaxDatasetPathBytes) {
    return Cat("it is ", path.size(), " bytes long; at most ",
                        kMaxDatasetPathBytes, " are allowed");
  }
  Utf8Walker walker(path);
  CodePoint cp;
  while (walker.Next(&cp)) {
    const char32_t c = cp.value;
    if (IsControl(c)) {
      return Cat("it contains ", DescribeCodePoint(c),
                          " at position ", cp.position);
    }
    if (c == '\\') {
      return Cat("it contains a backslash at position ", cp.position,
                          " (only '/' separates segments)");
    }
    if (c == '~') {
      return Cat("it contains '~' at position ", cp.position,
                          " (home-directory expansion is not allowed)");
    }
    if (std::string_view like = LookAlikeOf(c); !like.empty()) {
      return Cat("it contains ", DescribeCodePoint(c),
                          " at position ", cp.position);
    }
    if (c == '%') {
      const size_t i = cp.offset;
      const int hi = i + 1 < path.size() ? HexValue(path[i + 1]) : -1;
      const int lo = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
      if (hi >= 0 && lo >= 0 && IsForbiddenEncodedByte(hi * 16 + lo)) {
        *fix = "write the characters themselves instead of percent-encoding "
               "them, e.g. \"/data/ml/train.parquet\"; encoded dots, "
               "separators, '%', '~' and non-ASCII bytes are refused as "
               "traversal tricks";
        return Cat("it contains the percent-encoded byte '",
                            path.substr(i, 3), "' at position ", cp.position);
      }
    }
  }
  if (!walker.ok()) {
    return Cat("it is not valid UTF-8 (bad byte at offset ",
                        walker.bad_offset(), ")");
  }
  if (IsUnicodeSpace(static_cast<unsigned char>(path.front())) ||
      IsUnicodeSpace(static_cast<unsigned char>(path.back()))) {
    return "it starts or ends with white space";
  }

  // Absolute: "/..." or "scheme://authority/...".
  size_t root;  // offset of the first segment
  if (path.front() == '/') {
    root = 1;
  } else if (const size_t scheme = SchemeLength(path); scheme > 0) {
    const size_t slash = path.find('/', scheme);
    if (slash == scheme) {
      return "the URI has an empty authority (e.g. file:///x); give a plain "
             "absolute path or a bucket";
    }
    root = slash == std::string_view::npos ? path.size() : slash + 1;
  } else {
    *fix = "give an absolute path, e.g. \"/data/ml/train.parquet\" or "
           "\"s3://ml-data/train.parquet\"";
    return "it is a relative path";
  }

  // Segments: no empty ones (except one trailing '/', a directory), no "."
  // and no "..".
  size_t start = root;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty()) {
      return Cat("it has an empty segment ('//') at byte ", start);
    }
    if (segment == "..") return "it contains a '..' segment (path traversal)";
    if (segment == ".") return "it contains a '.' segment";
    start = end + 1;
  }
  return {};
}

}  // namespace

absl::Status CheckDatasetPrefix(std::string_view prefix) {
  std::string fix;
  std::string problem = FindProblem(prefix, &fix);
  if (problem.empty()) return absl::OkStatus();
  return Reject(kDatasetPathRule, prefix, problem, fix);
}

bool IsStrictlyUnder(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return false;
  const bool slash = prefix.back() == '/';
  const size_t boundary = slash ? prefix.size() : prefix.size() + 1;
  if (path.size() <= boundary) return false;
  if (path.substr(0, prefix.size()) != prefix) return false;
  return slash || path[prefix.size()] == '/';
}

}  // namespace internal_validation

namespace validate {

absl::Status DatasetPath(std::string_view path, const ValidationPolicy& policy) {
  using internal_validation::kDatasetPathRule;
  std::string fix;
  if (std::string problem = internal_validation::FindProblem(path, &fix);
      !problem.empty()) {
    return internal_validation::Reject(kDatasetPathRule, path, problem, fix);
  }
  for (const std::string& prefix : policy.dataset_prefixes) {
    if (internal_validation::IsStrictlyUnder(path, prefix)) {
      return absl::OkStatus();
    }
  }
  const std::string prefixes =
      policy.dataset_prefixes.empty()
          ? std::string("none are configured")
          : Cat("approved: ", absl::StrJoin(policy.dataset_prefixes, ", "));
  return internal_validation::Reject(
      kDatasetPathRule, path,
      Cat("it is not strictly under an approved prefix (", prefixes,
                   "; a prefix matches on a segment boundary only)"),
      Cat("move the data under an approved prefix, e.g. \"",
                   policy.dataset_prefixes.empty()
                       ? std::string("/data/ml/")
                       : policy.dataset_prefixes.front(),
                   policy.dataset_prefixes.empty() ||
                           policy.dataset_prefixes.front().back() == '/'
                       ? ""
                       : "/",
                   "train.parquet\", or ask for the prefix to be approved"),
      "DATASET_PATH_NOT_APPROVED");
}

}  // namespace validate
}  // namespace slipway
