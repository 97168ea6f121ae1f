// SPEC §1 model version: semver ^v?\d+\.\d+\.\d+(-[a-zA-Z0-9.]+)?$, a
// positive integer revision, or `latest` outside production. Also the
// parsed ModelVersion and its precedence (slipway/version.h).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "slipway/validate.h"
#include "slipway/version.h"
#include "src/validation/rules.h"
#include "src/validation/text.h"
#include "src/errors/strings.h"

namespace slipway {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;
namespace internal_validation {
namespace {

// Longest version text accepted (a storage bound; the SPEC regex has none).
constexpr size_t kMaxVersionLength = 128;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

std::string StripLeadingZeros(std::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

struct ParsedVersion {
  ModelVersion::Kind kind;
  std::string core[3];
  std::string prerelease;
  int64_t revision = 0;
};

// Parses without the environment rule. Returns the problem as text (empty
// on success) so the caller wraps it in one Reject().
std::string Parse(std::string_view v, ParsedVersion* out, std::string* fix) {
  if (v.empty()) return "it is empty";
  if (v.size() > kMaxVersionLength) {
    return Cat("it is ", v.size(), " characters long; at most ",
                        kMaxVersionLength, " are allowed");
  }
  if (v == "latest") {
    out->kind = ModelVersion::Kind::kLatest;
    return {};
  }
  if (AllDigits(v)) {
    if (v.front() == '0') {
      if (v.find_first_not_of('0') == std::string_view::npos) {
        return "revision numbers start at 1";
      }
      *fix = Cat("write the revision without leading zeros, e.g. \"",
                          StripLeadingZeros(v), "\"");
      return "a revision number has leading zeros";
    }
    if (!absl::SimpleAtoi(internal_strings::ToAbsl(v), &out->revision)) {
      return "the revision number does not fit in 64 bits";
    }
    out->kind = ModelVersion::Kind::kRevision;
    return {};
  }
  std::string_view rest = v;
  if (rest.front() == 'v') {
    rest.remove_prefix(1);
  } else if (rest.front() == 'V') {
    *fix = "write a lowercase 'v' or none, e.g. \"v2.4.1\" or \"2.4.1\"";
    return "uppercase 'V' is not allowed";
  }
  std::string_view core = rest;
  std::string_view pre;
  bool has_pre = false;
  if (size_t dash = rest.find('-'); dash != std::string_view::npos) {
    core = rest.substr(0, dash);
    pre = rest.substr(dash + 1);
    has_pre = true;
  }
  if (core.find('+') != std::string_view::npos ||
      pre.find('+') != std::string_view::npos) {
    return "build metadata ('+...') is not allowed";
  }
  std::vector<std::string_view> fields;
  for (absl::string_view f : absl::StrSplit(internal_strings::ToAbsl(core), '.')) {
    fields.push_back(internal_strings::ToStd(f));
  }
  for (std::string_view f : fields) {
    if (!AllDigits(f)) {
      // Name the first offending character if there is one.
      Utf8Walker walker(v);
      CodePoint cp;
      while (walker.Next(&cp)) {
        const char32_t c = cp.value;
        const bool allowed = c < 0x80 && (IsAsciiAlnum(static_cast<char>(c)) ||
                                          c == '.' || c == '-');
        if (!allowed) {
          return Cat(DescribeCodePoint(c), " at position ",
                              cp.position, " is not allowed");
        }
      }
      if (!walker.ok()) return "it is not valid UTF-8";
      return Cat("\"", core,
                          "\" is not MAJOR.MINOR.PATCH with numeric fields");
    }
  }
  if (fields.size() != 3) {
    return Cat("it has ", fields.size(), " numeric field",
                        fields.size() == 1 ? "" : "s",
                        "; semver needs exactly three (MAJOR.MINOR.PATCH)");
  }
  if (has_pre) {
    if (pre.empty()) return "the pre-release after '-' is empty";
    for (size_t i = 0; i < pre.size(); ++i) {
      const char c = pre[i];
      if (!IsAsciiAlnum(c) && c != '.') {
        const size_t position = (v.size() - pre.size()) + i + 1;
        if (static_cast<unsigned char>(c) >= 0x80) {
          return Cat(
              "the pre-release has a non-ASCII character at position ",
              position, " (only letters, digits and '.')");
        }
        return Cat("the pre-release has ",
                   DescribeCodePoint(static_cast<unsigned char>(c)),
                   " at position ", position, " (only letters, digits and '.')");
      }
    }
  }
  out->kind = ModelVersion::Kind::kSemver;
  for (int i = 0; i < 3; ++i) out->core[i] = StripLeadingZeros(fields[i]);
  if (has_pre) {
    // Numeric identifiers compare as numbers, so "rc.01" is "rc.1".
    std::vector<std::string> ids;
    for (absl::string_view piece : absl::StrSplit(internal_strings::ToAbsl(pre), '.')) {
      std::string_view id = internal_strings::ToStd(piece);
      ids.push_back(AllDigits(id) ? StripLeadingZeros(id) : std::string(id));
    }
    out->prerelease = absl::StrJoin(ids, ".");
  }
  return {};
}

absl::Status Validate(std::string_view version, std::string_view environment,
                      const ValidationPolicy& policy, ParsedVersion* parsed) {
  absl::StatusOr<EnvironmentKind> kind = policy.KindOf(environment);
  if (!kind.ok()) return kind.status();
  std::string fix;
  if (std::string problem = Parse(version, parsed, &fix); !problem.empty()) {
    return Reject(kModelVersionRule, version, problem, fix);
  }
  // SPEC §1: `latest` is rejected in production; aliases are resolved to an
  // explicit version before a production deployment.
  if (parsed->kind == ModelVersion::Kind::kLatest &&
      *kind == EnvironmentKind::kProduction) {
    return Reject(kModelVersionRule, version,
                  Cat("`latest` is not allowed in the production "
                               "environment \"",
                               environment, "\""),
                  "resolve the alias to an explicit version and use that, "
                  "e.g. \"2.4.1\"",
                  "LATEST_IN_PRODUCTION");
  }
  return absl::OkStatus();
}

// Semver precedence of two dot-separated pre-release strings (both
// non-empty). Numeric identifiers (no leading zeros after canonicalisation)
// compare by length then digits; numeric < alphanumeric; a shorter list of
// equal prefix comes first.
std::strong_ordering ComparePrerelease(std::string_view a, std::string_view b) {
  std::vector<absl::string_view> x = absl::StrSplit(internal_strings::ToAbsl(a), '.');
  std::vector<absl::string_view> y = absl::StrSplit(internal_strings::ToAbsl(b), '.');
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    const bool xn = AllDigits(internal_strings::ToStd(x[i]));
    const bool yn = AllDigits(internal_strings::ToStd(y[i]));
    if (xn != yn) return xn ? std::strong_ordering::less : std::strong_ordering::greater;
    if (xn && x[i].size() != y[i].size()) return x[i].size() <=> y[i].size();
    if (auto c = x[i].compare(y[i]); c != 0) return c <=> 0;
  }
  return x.size() <=> y.size();
}

std::strong_ordering CompareDigits(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

}  // namespace
}  // namespace internal_validation

namespace validate {

absl::Status ModelVersion(std::string_view version, std::string_view environment,
                          const ValidationPolicy& policy) {
  internal_validation::ParsedVersion parsed;
  return internal_validation::Validate(version, environment, policy, &parsed);
}

absl::Status ModelVersion(std::string_view version,
                          const ValidationPolicy& policy) {
  return ModelVersion(version, policy.environment, policy);
}

}  // namespace validate

absl::StatusOr<ModelVersion> ModelVersion::Parse(std::string_view text,
                                                 std::string_view environment,
                                                 const ValidationPolicy& policy) {
  internal_validation::ParsedVersion parsed;
  if (absl::Status s =
          internal_validation::Validate(text, environment, policy, &parsed);
      !s.ok()) {
    return s;
  }
  ModelVersion v;
  v.kind_ = parsed.kind;
  v.text_ = std::string(text);
  v.revision_ = parsed.revision;
  switch (parsed.kind) {
    case Kind::kLatest:
      v.canonical_ = "latest";
      break;
    case Kind::kRevision:
      v.canonical_ = Cat(parsed.revision);
      break;
    case Kind::kSemver:
      for (int i = 0; i < 3; ++i) v.core_[i] = parsed.core[i];
      v.prerelease_ = parsed.prerelease;
      v.canonical_ = Cat(v.core_[0], ".", v.core_[1], ".", v.core_[2],
                                  v.prerelease_.empty() ? "" : "-",
                                  v.prerelease_);
      break;
  }
  return v;
}

absl::StatusOr<ModelVersion> ModelVersion::Parse(std::string_view text,
                                                 const ValidationPolicy& policy) {
  return Parse(text, policy.environment, policy);
}

std::partial_ordering operator<=>(const ModelVersion& a, const ModelVersion& b) {
  using Kind = ModelVersion::Kind;
  if (a.kind_ != b.kind_ || a.kind_ == Kind::kLatest) {
    return std::partial_ordering::unordered;
  }
  if (a.kind_ == Kind::kRevision) return a.revision_ <=> b.revision_;
  for (int i = 0; i < 3; ++i) {
    if (auto c = internal_validation::CompareDigits(a.core_[i], b.core_[i]);
        c != 0) {
      return c;
    }
  }
  // A pre-release sorts before its release.
  if (a.prerelease_.empty() && b.prerelease_.empty()) {
    return std::partial_ordering::equivalent;
  }
  if (a.prerelease_.empty()) return std::partial_ordering::greater;
  if (b.prerelease_.empty()) return std::partial_ordering::less;
  return internal_validation::ComparePrerelease(a.prerelease_, b.prerelease_);
}

bool operator==(const ModelVersion& a, const ModelVersion& b) {
  return a.kind_ == b.kind_ && a.canonical_ == b.canonical_;
}

}  // namespace slipway
