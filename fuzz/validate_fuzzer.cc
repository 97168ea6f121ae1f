// libFuzzer target for SPEC §1 input validation (slipway/validate.h), model
// version parsing and ordering (slipway/version.h) and error quoting
// (slipway/status.h).
//
// Input layout: the first byte selects what is exercised (enum Selector below,
// taken modulo 16); the remaining bytes are the value. A few selectors read
// one or two more parameter bytes first; each says so.
//
// Beyond "does not crash", every selector checks properties against an
// independent oracle written here (std::regex matches of the SPEC patterns, a
// separate UTF-8 decoder, a reference semver precedence) and calls
// __builtin_trap() after printing the failed property and the input in hex.
// fuzz/README.md lists the properties.
//
// The same file builds into a real libFuzzer binary (SLIPWAY_BUILD_FUZZERS)
// and, with fuzz/replay_main.cc, into a ctest that replays the checked-in
// corpus under any compiler.
#include <algorithm>
#include <cctype>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/names.h"
#include "slipway/status.h"
#include "slipway/validate.h"
#include "slipway/version.h"

namespace {

using ::slipway::ErrorDetail;
using ::slipway::ValidationPolicy;
namespace validate = ::slipway::validate;

// ---------------------------------------------------------------------------
// Failure reporting.

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

// The whole fuzz input, for reports; set at the top of each run. (libFuzzer
// runs inputs one at a time on one thread, so this global is safe.)
std::string_view g_input;

[[noreturn]] void Fail(const char* property, const char* condition,
                       std::string_view value, const char* file, int line) {
  std::fprintf(stderr,
               "\n*** slipway fuzz property failed: %s\n"
               "    condition: %s (%s:%d)\n"
               "    value (%zu bytes, hex): %s\n"
               "    whole input (%zu bytes, hex): %s\n",
               property, condition, file, line, value.size(), Hex(value).c_str(),
               g_input.size(), Hex(g_input).c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// A property: `cond` must hold for `value` (the string under test).
#define PROPERTY(cond, property, value)                                  \
  do {                                                                   \
    if (!(cond)) Fail(property, #cond, value, __FILE__, __LINE__);       \
  } while (false)

// ---------------------------------------------------------------------------
// Independent oracles. None of these call slipway code.

// SPEC §1 patterns, verbatim. std::regex ECMAScript on raw bytes: \d and the
// ranges are ASCII-only, so any non-ASCII byte fails to match, as it should.
constexpr std::string_view kModelNamePattern = R"(^[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]$)";
constexpr std::string_view kEndpointNamePattern = R"(^[a-z0-9][a-z0-9\-]{0,61}[a-z0-9]$)";
constexpr std::string_view kFeatureNamePattern = R"(^[a-z][a-z0-9_]{0,127}$)";
constexpr std::string_view kPipelineNamePattern = R"(^[a-z0-9][a-z0-9\-_]{0,63}$)";
constexpr std::string_view kSemverPattern = R"(^v?\d+\.\d+\.\d+(-[a-zA-Z0-9.]+)?$)";

struct Patterns {
  std::regex model_name{std::string(kModelNamePattern), std::regex::ECMAScript};
  std::regex endpoint_name{std::string(kEndpointNamePattern), std::regex::ECMAScript};
  std::regex feature_name{std::string(kFeatureNamePattern), std::regex::ECMAScript};
  std::regex pipeline_name{std::string(kPipelineNamePattern), std::regex::ECMAScript};
  std::regex semver{std::string(kSemverPattern), std::regex::ECMAScript};
};

const Patterns& P() {
  static const Patterns* const patterns = new Patterns();
  return *patterns;
}

bool Matches(const std::regex& re, std::string_view s) {
  return std::regex_match(s.begin(), s.end(), re);
}

// Strict UTF-8 decoding (no overlongs, no surrogates, nothing above
// U+10FFFF). Returns the code points, or nullopt if `s` is not valid UTF-8.
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t len;
    char32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      if ((b(i + k) & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool IsUtf8(std::string_view s) { return DecodeUtf8(s).has_value(); }

// Debian's Abseil has its own string_view; messages come back as one.
std::string_view Message(const absl::Status& status) {
  return {status.message().data(), status.message().size()};
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) ==
                              std::tolower(static_cast<unsigned char>(b));
                     }) != haystack.end();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool AllOf(std::string_view s, bool (*pred)(unsigned char)) {
  return std::all_of(s.begin(), s.end(),
                     [pred](char c) { return pred(static_cast<unsigned char>(c)); });
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// [A-Za-z0-9_-]: characters every name-like rule of SPEC §1 and MLflow
// accepts.
bool IsPlainWordChar(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '_' || c == '-';
}

// C0 controls, DEL and C1 controls.
bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// SPEC §1 positive integer revision: ^[1-9][0-9]*$ fitting in int64.
std::optional<int64_t> PositiveRevision(std::string_view s) {
  if (s.empty() || s[0] == '0' || !AllOf(s, IsDigit)) return std::nullopt;
  constexpr std::string_view kMax = "9223372036854775807";
  if (s.size() > kMax.size() || (s.size() == kMax.size() && s > kMax)) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string_view StripLeadingZeros(std::string_view digits) {
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  return digits;
}

// Compares two digit strings as numbers of any length.
std::strong_ordering CompareNumbers(std::string_view a, std::string_view b) {
  a = StripLeadingZeros(a);
  b = StripLeadingZeros(b);
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// A version that matches the SPEC semver pattern, taken apart by hand.
struct RefSemver {
  std::string_view core[3];
  bool has_prerelease = false;
  std::vector<std::string_view> prerelease;  // identifiers
};

RefSemver ParseRefSemver(std::string_view s) {  // s matches kSemverPattern
  RefSemver v;
  if (!s.empty() && s[0] == 'v') s.remove_prefix(1);
  const size_t dash = s.find('-');
  const std::string_view core = s.substr(0, dash);
  const std::vector<std::string_view> fields = Split(core, '.');
  for (int i = 0; i < 3; ++i) v.core[i] = StripLeadingZeros(fields[i]);
  if (dash != std::string_view::npos) {
    v.has_prerelease = true;
    v.prerelease = Split(s.substr(dash + 1), '.');
  }
  return v;
}

std::string RefCanonicalCore(const RefSemver& v) {
  return std::string(v.core[0]) + "." + std::string(v.core[1]) + "." +
         std::string(v.core[2]);
}

bool HasEmptyIdentifier(const RefSemver& v) {
  return std::any_of(v.prerelease.begin(), v.prerelease.end(),
                     [](std::string_view id) { return id.empty(); });
}

// Semver 2.0.0 §11 precedence; numeric identifiers compare as numbers
// (slipway/version.h: leading zeros allowed, "numbers numerically").
std::strong_ordering RefCompare(const RefSemver& a, const RefSemver& b) {
  for (int i = 0; i < 3; ++i) {
    if (auto c = CompareNumbers(a.core[i], b.core[i]); c != 0) return c;
  }
  if (a.has_prerelease != b.has_prerelease) {
    return a.has_prerelease ? std::strong_ordering::less
                            : std::strong_ordering::greater;
  }
  const size_t n = std::min(a.prerelease.size(), b.prerelease.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string_view x = a.prerelease[i], y = b.prerelease[i];
    const bool xn = AllOf(x, IsDigit), yn = AllOf(y, IsDigit);
    std::strong_ordering c = std::strong_ordering::equal;
    if (xn && yn) {
      c = CompareNumbers(x, y);
    } else if (xn != yn) {
      c = xn ? std::strong_ordering::less : std::strong_ordering::greater;
    } else {
      c = x.compare(y) <=> 0;
    }
    if (c != 0) return c;
  }
  return a.prerelease.size() <=> b.prerelease.size();
}

std::partial_ordering Reverse(std::partial_ordering o) {
  if (o == std::partial_ordering::less) return std::partial_ordering::greater;
  if (o == std::partial_ordering::greater) return std::partial_ordering::less;
  return o;
}

// ---------------------------------------------------------------------------
// Policies.

// A fixed registry. (slipway::testing::NameSet would do, but its
// flat_hash_set<std::string>::contains(std::string_view) does not compile
// against Debian's Abseil, whose string_view is not std::string_view.)
class FixedNames final : public slipway::NameRegistry {
 public:
  static bool IsEndpoint(std::string_view name) {
    return name == "fraud-detector" || name == "a1";
  }
  static bool IsPipeline(std::string_view name) {
    return name == "etl" || name == "daily_features";
  }
  absl::StatusOr<bool> IsRegistered(slipway::RegisteredKind kind,
                                    std::string_view name) const override {
    return kind == slipway::RegisteredKind::kEndpoint ? IsEndpoint(name)
                                                      : IsPipeline(name);
  }
};

struct Policies {
  // A registry with a few endpoints and pipelines, to check that syntax and
  // registration combine as "both must hold".
  FixedNames names;
  ValidationPolicy registered;
  // A custom reserved-feature list replaces the default one.
  ValidationPolicy custom_reserved;
  // "/data/ml" (no trailing '/') must approve exactly what "/data/ml/" does.
  ValidationPolicy custom_prefixes;

  Policies() {
    registered.registry = &names;
    custom_reserved.reserved_feature_names = {"custom_reserved"};
    custom_prefixes.dataset_prefixes = {"/data/ml", "gs://bucket/team/"};
  }
};

const Policies& Pol() {
  static const Policies* const policies = [] {
    auto* p = new Policies();
    // The policies above are valid by validate.h's own description; if
    // Check() disagrees, every input would fail, so fail once, loudly.
    const ValidationPolicy* const all[] = {&slipway::DefaultValidationPolicy(),
                                           &p->registered, &p->custom_reserved,
                                           &p->custom_prefixes};
    for (const ValidationPolicy* policy : all) {
      const absl::Status s = policy->Check();
      PROPERTY(s.ok(), "documented policies pass ValidationPolicy::Check()",
               std::string_view(s.ToString()));
    }
    return p;
  }();
  return *policies;
}

// ---------------------------------------------------------------------------
// Properties shared by every validator.

// Every rejection is InvalidArgument with a decodable ErrorDetail: the value
// byte for byte, a reason from `reasons`, a rule; message and the text
// fields are valid UTF-8 whatever the input, and the message holds no raw
// control character (QuoteForMessage escapes them); the message names the
// rule (`rule_text`, or the detail's rule when empty).
void CheckRejection(const absl::Status& status, std::string_view value,
                    std::initializer_list<std::string_view> reasons,
                    std::string_view rule_text = {}) {
  PROPERTY(status.code() == absl::StatusCode::kInvalidArgument,
           "rejection is InvalidArgument", value);
  const std::optional<ErrorDetail> detail = slipway::GetErrorDetail(status);
  PROPERTY(detail.has_value(), "rejection carries a decodable ErrorDetail", value);
  PROPERTY(detail->value == value, "ErrorDetail.value equals the input", value);
  PROPERTY(!detail->reason.empty(), "ErrorDetail.reason is non-empty", value);
  PROPERTY(std::find(reasons.begin(), reasons.end(), detail->reason) != reasons.end(),
           "ErrorDetail.reason is one the header documents", value);
  PROPERTY(!detail->rule.empty(), "ErrorDetail.rule is non-empty", value);
  PROPERTY(IsUtf8(Message(status)), "message is valid UTF-8", value);
  PROPERTY(std::none_of(Message(status).begin(), Message(status).end(),
                        [](char c) {
                          return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
                        }),
           "message has no raw control character (values are quoted)", value);
  PROPERTY(IsUtf8(detail->rule) && IsUtf8(detail->fix) && IsUtf8(detail->reason),
           "ErrorDetail text fields are valid UTF-8", value);
  const std::string_view rule = rule_text.empty() ? std::string_view(detail->rule)
                                                  : rule_text;
  PROPERTY(Contains(Message(status), rule), "message contains the rule text", value);
}

std::optional<std::string> ReasonOf(const absl::Status& status) {
  std::optional<ErrorDetail> detail = slipway::GetErrorDetail(status);
  if (!detail.has_value()) return std::nullopt;
  return detail->reason;
}

// The validated-name type `T` (slipway/names.h) accepts exactly what its
// validator accepts, keeps the text, and returns the validator's error
// unchanged.
template <typename T, typename... PolicyArg>
void CheckNameType(std::string_view value, const absl::Status& validator,
                   const PolicyArg&... policy) {
  const absl::StatusOr<T> parsed = T::Parse(value, policy...);
  PROPERTY(parsed.ok() == validator.ok(), "Name::Parse accepts what its validator does",
           value);
  if (parsed.ok()) {
    PROPERTY(parsed->str() == value, "Name::Parse keeps the text", value);
  } else {
    PROPERTY(parsed.status() == validator, "Name::Parse returns the validator's error",
             value);
  }
}

// ---------------------------------------------------------------------------
// Selectors.

void FuzzModelName(std::string_view s) {
  const absl::Status st = validate::ModelName(s);
  PROPERTY(st.ok() == Matches(P().model_name, s), "model name == SPEC regex", s);
  if (!st.ok()) CheckRejection(st, s, {"MODEL_NAME_INVALID"}, kModelNamePattern);
  CheckNameType<slipway::ModelName>(s, st);
}

void FuzzEndpointName(std::string_view s) {
  const bool syntax = Matches(P().endpoint_name, s);
  const absl::Status st = validate::EndpointName(s);
  PROPERTY(st.ok() == syntax, "endpoint name == SPEC regex (no registry)", s);
  if (!st.ok()) CheckRejection(st, s, {"ENDPOINT_NAME_INVALID"}, kEndpointNamePattern);
  CheckNameType<slipway::EndpointName>(s, st, slipway::DefaultValidationPolicy());

  const bool registered = FixedNames::IsEndpoint(s);
  const absl::Status reg = validate::EndpointName(s, Pol().registered);
  PROPERTY(reg.ok() == (syntax && registered),
           "endpoint name with registry == regex && registered", s);
  if (!reg.ok()) {
    CheckRejection(reg, s, {"ENDPOINT_NAME_INVALID", "ENDPOINT_NOT_REGISTERED"});
    PROPERTY((*ReasonOf(reg) == "ENDPOINT_NOT_REGISTERED") == syntax,
             "ENDPOINT_NOT_REGISTERED exactly for well-formed unregistered names", s);
  }
}

void FuzzFeatureName(std::string_view s) {
  const bool syntax = Matches(P().feature_name, s);
  const std::vector<std::string>& reserved = slipway::DefaultReservedFeatureNames();
  const bool is_reserved = std::find(reserved.begin(), reserved.end(), s) != reserved.end();
  const absl::Status st = validate::FeatureName(s);
  PROPERTY(st.ok() == (syntax && !is_reserved),
           "feature name == SPEC regex && not reserved", s);
  if (!st.ok()) {
    CheckRejection(st, s, {"FEATURE_NAME_INVALID", "FEATURE_NAME_RESERVED"});
    PROPERTY((*ReasonOf(st) == "FEATURE_NAME_RESERVED") == syntax,
             "FEATURE_NAME_RESERVED exactly for well-formed reserved names", s);
    if (!syntax) {
      PROPERTY(Contains(Message(st), kFeatureNamePattern),
               "message contains the rule text", s);
    }
  }
  CheckNameType<slipway::FeatureName>(s, st, slipway::DefaultValidationPolicy());

  // A custom list replaces the default one.
  const absl::Status custom = validate::FeatureName(s, Pol().custom_reserved);
  PROPERTY(custom.ok() == (syntax && s != "custom_reserved"),
           "feature name with a custom reserved list", s);
  if (!custom.ok()) {
    CheckRejection(custom, s, {"FEATURE_NAME_INVALID", "FEATURE_NAME_RESERVED"});
  }
}

void FuzzPipelineName(std::string_view s) {
  const bool syntax = Matches(P().pipeline_name, s);
  const absl::Status st = validate::PipelineName(s);
  PROPERTY(st.ok() == syntax, "pipeline name == SPEC regex (no registry)", s);
  if (!st.ok()) CheckRejection(st, s, {"PIPELINE_NAME_INVALID"}, kPipelineNamePattern);
  CheckNameType<slipway::PipelineName>(s, st, slipway::DefaultValidationPolicy());

  const bool registered = FixedNames::IsPipeline(s);
  const absl::Status reg = validate::PipelineName(s, Pol().registered);
  PROPERTY(reg.ok() == (syntax && registered),
           "pipeline name with registry == regex && registered", s);
  if (!reg.ok()) {
    CheckRejection(reg, s, {"PIPELINE_NAME_INVALID", "PIPELINE_NOT_REGISTERED"});
    PROPERTY((*ReasonOf(reg) == "PIPELINE_NOT_REGISTERED") == syntax,
             "PIPELINE_NOT_REGISTERED exactly for well-formed unregistered names", s);
  }
}

// docs/validation.md: versions are at most 128 characters (a storage bound
// the SPEC pattern lacks).
constexpr size_t kMaxVersionLength = 128;

void FuzzModelVersion(std::string_view s) {
  const bool semver = s.size() <= kMaxVersionLength && Matches(P().semver, s);
  const std::optional<int64_t> revision = PositiveRevision(s);
  const bool latest = s == "latest";
  const bool explicit_version = semver || revision.has_value();

  const absl::Status dev = validate::ModelVersion(s, "development");
  PROPERTY(dev.ok() == (explicit_version || latest),
           "model version (development) == semver || revision || latest", s);
  if (!dev.ok()) CheckRejection(dev, s, {"MODEL_VERSION_INVALID"});
  // The default policy acts in "development"; staging treats `latest` alike.
  PROPERTY(validate::ModelVersion(s) == dev, "default environment is development", s);
  PROPERTY(validate::ModelVersion(s, "staging").ok() == dev.ok(),
           "staging accepts what development does", s);

  const absl::Status prod = validate::ModelVersion(s, "production");
  PROPERTY(prod.ok() == explicit_version,
           "model version (production) == semver || revision", s);
  if (!prod.ok()) {
    CheckRejection(prod, s, {"MODEL_VERSION_INVALID", "LATEST_IN_PRODUCTION"});
    PROPERTY((*ReasonOf(prod) == "LATEST_IN_PRODUCTION") == latest,
             "LATEST_IN_PRODUCTION exactly for `latest`", s);
  }

  // ModelVersion::Parse agrees with the validator and takes the text apart.
  const absl::StatusOr<slipway::ModelVersion> v =
      slipway::ModelVersion::Parse(s, "development");
  PROPERTY(v.ok() == dev.ok(), "Parse accepts what the validator does", s);
  if (!v.ok()) {
    PROPERTY(v.status() == dev, "Parse returns the validator's error unchanged", s);
    return;
  }
  PROPERTY(v->text() == s, "text() is the input", s);
  using Kind = slipway::ModelVersion::Kind;
  if (latest) {
    PROPERTY(v->kind() == Kind::kLatest && v->canonical() == "latest",
             "`latest` parses as kLatest", s);
    PROPERTY(*v == *v, "latest == latest", s);
  } else if (revision.has_value()) {
    PROPERTY(v->kind() == Kind::kRevision, "a positive integer is a revision", s);
    PROPERTY(v->revision() == *revision, "revision() is the number", s);
    PROPERTY(v->canonical() == s, "a revision's canonical form is its digits", s);
  } else {
    PROPERTY(v->kind() == Kind::kSemver, "a semver is kSemver", s);
    PROPERTY(v->revision() == 0, "revision() is 0 for a semver", s);
    const RefSemver ref = ParseRefSemver(s);
    const std::string core = RefCanonicalCore(ref);
    const std::string_view canonical = v->canonical();
    // The pre-release may be canonicalized too ("rc.01" -> "rc.1"); it is
    // what follows the core and '-' in canonical(), present iff the text has
    // one.
    PROPERTY(canonical == (ref.has_prerelease ? core + "-" + v->prerelease() : core),
             "canonical() is core without 'v' or leading zeros, then -prerelease()", s);
    PROPERTY(v->prerelease().empty() != ref.has_prerelease,
             "prerelease() is non-empty iff the text has one", s);
  }
  if (!latest) {
    PROPERTY((*v <=> *v) == std::partial_ordering::equivalent,
             "a version is equivalent to itself", s);
  }
  // The canonical spelling is a valid version, equal to the original.
  const absl::StatusOr<slipway::ModelVersion> round =
      slipway::ModelVersion::Parse(v->canonical(), "development");
  PROPERTY(round.ok(), "canonical() parses", s);
  PROPERTY(*round == *v && round->canonical() == v->canonical(),
           "canonical() round-trips", s);
  if (!latest) {
    PROPERTY((*round <=> *v) == std::partial_ordering::equivalent,
             "canonical() is equivalent to the original", s);
  }
}

// Ordering over up to three versions separated by '\n' (which no version
// contains), parsed in "development".
void FuzzVersionOrdering(std::string_view rest) {
  std::vector<std::string_view> parts = Split(rest, '\n');
  if (parts.size() > 3) parts.resize(3);
  std::vector<slipway::ModelVersion> vs;
  std::vector<std::string_view> texts;
  for (std::string_view part : parts) {
    absl::StatusOr<slipway::ModelVersion> v = slipway::ModelVersion::Parse(part, "development");
    if (v.ok()) {
      vs.push_back(*std::move(v));
      texts.push_back(part);
    }
  }
  using Kind = slipway::ModelVersion::Kind;
  using PO = std::partial_ordering;
  for (size_t i = 0; i < vs.size(); ++i) {
    for (size_t j = 0; j < vs.size(); ++j) {
      const slipway::ModelVersion& a = vs[i];
      const slipway::ModelVersion& b = vs[j];
      const PO ab = a <=> b;
      const PO ba = b <=> a;
      PROPERTY(ab == Reverse(ba), "<=> is antisymmetric", rest);
      const bool same_kind = a.kind() == b.kind();
      PROPERTY((a == b) == (same_kind && a.canonical() == b.canonical()),
               "== iff same kind and canonical() equal", rest);
      PROPERTY((a == b) == (b == a), "== is symmetric", rest);
      if (!same_kind || a.kind() == Kind::kLatest) {
        PROPERTY(ab == PO::unordered, "different kinds and `latest` are unordered", rest);
        continue;
      }
      PROPERTY((ab == PO::equivalent) == (a == b),
               "<=> is equivalent iff ==", rest);
      if (a.kind() == Kind::kRevision) {
        PROPERTY(ab == (a.revision() <=> b.revision()), "revisions order numerically",
                 rest);
      } else {
        const RefSemver ra = ParseRefSemver(texts[i]);
        const RefSemver rb = ParseRefSemver(texts[j]);
        if (!HasEmptyIdentifier(ra) && !HasEmptyIdentifier(rb)) {
          PROPERTY(ab == RefCompare(ra, rb), "<=> follows semver precedence", rest);
        }
      }
    }
  }
  if (vs.size() == 3) {
    // Transitivity, over every order of the three.
    const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (const auto& p : perms) {
      const auto& a = vs[p[0]];
      const auto& b = vs[p[1]];
      const auto& c = vs[p[2]];
      if ((a <=> b) == PO::less && (b <=> c) == PO::less) {
        PROPERTY((a <=> c) == PO::less, "< is transitive", rest);
      }
      if ((a <=> b) == PO::equivalent && (b <=> c) == PO::equivalent) {
        PROPERTY((a <=> c) == PO::equivalent, "equivalence is transitive", rest);
      }
    }
  }
}

// Look-alikes of '.', '/' and '\' (validate.h: "Unicode look-alikes of '.',
// '/' and '\'"): fullwidth, small and compatibility forms that NFKC folds to
// them, and the slashes that render as one.
bool IsLookAlike(char32_t cp) {
  switch (cp) {
    case 0x2024:  // ONE DOT LEADER (NFKC '.')
    case 0x2025:  // TWO DOT LEADER (NFKC '..')
    case 0xFE52:  // SMALL FULL STOP
    case 0xFF0E:  // FULLWIDTH FULL STOP
    case 0x2044:  // FRACTION SLASH
    case 0x2215:  // DIVISION SLASH
    case 0xFF0F:  // FULLWIDTH SOLIDUS
    case 0x2216:  // SET MINUS
    case 0xFE68:  // SMALL REVERSE SOLIDUS
    case 0xFF3C:  // FULLWIDTH REVERSE SOLIDUS
      return true;
    default:
      return false;
  }
}

// Returns which approved prefix of `prefixes` (normalized to end in '/')
// `path` lies strictly under, or nullopt.
std::optional<std::string> ApprovedPrefix(std::string_view path,
                                          std::initializer_list<std::string_view> prefixes) {
  for (std::string_view prefix : prefixes) {
    if (StartsWith(path, prefix) && path.size() > prefix.size()) {
      return std::string(prefix);
    }
  }
  return std::nullopt;
}

// A path every reading of SPEC §1 accepts: an approved prefix, then one or
// more segments of [A-Za-z0-9_-]+ with at most one ".ext", single '/'
// between them, optionally one trailing '/'.
bool IsPlainDatasetPath(std::string_view path) {
  std::string_view rest;
  if (StartsWith(path, "s3://ml-data/")) {
    rest = path.substr(13);
  } else if (StartsWith(path, "/data/ml/")) {
    rest = path.substr(9);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  if (rest.back() == '/') rest.remove_suffix(1);
  for (std::string_view segment : Split(rest, '/')) {
    const std::vector<std::string_view> parts = Split(segment, '.');
    if (parts.size() > 2) return false;
    for (std::string_view part : parts) {
      if (part.empty() || !AllOf(part, IsPlainWordChar)) return false;
    }
  }
  return true;
}

void CheckAcceptedDatasetPath(std::string_view s, std::string_view prefix) {
  // (a) Strictly below an approved prefix, on a segment boundary.
  PROPERTY(StartsWith(s, prefix) && s.size() > prefix.size() && prefix.back() == '/',
           "accepted path is strictly under an approved prefix", s);
  // (b) No traversal forms.
  // A ".." *segment* is traversal; "a..b" is a legitimate file name.
  PROPERTY(!Contains(s, "/../") && !s.ends_with("/.."),
           "accepted path has no '..' segment", s);
  PROPERTY(!Contains(s, "\\"), "accepted path has no backslash", s);
  PROPERTY(!Contains(s, "~"), "accepted path has no '~'", s);
  for (std::string_view encoded : {"%2e", "%2f", "%5c"}) {
    PROPERTY(!ContainsIgnoringCase(s, encoded),
             "accepted path has no %2e/%2f/%5c in any case", s);
  }
  const size_t scheme = s.find("://");
  const size_t after_scheme = scheme == std::string_view::npos ? 0 : scheme + 3;
  PROPERTY(!Contains(s.substr(after_scheme), "//"),
           "accepted path has no empty segment ('//' after the scheme)", s);
  PROPERTY(!Contains(s, "/./") && !s.ends_with("/."), "accepted path has no '.' segment",
           s);
  // (c) Valid UTF-8, without controls or look-alikes.
  const std::optional<std::vector<char32_t>> cps = DecodeUtf8(s);
  PROPERTY(cps.has_value(), "accepted path is valid UTF-8", s);
  for (char32_t cp : *cps) {
    PROPERTY(!IsControl(cp), "accepted path has no NUL or control character", s);
    PROPERTY(!IsLookAlike(cp), "accepted path has no look-alike of '.', '/', '\\'", s);
  }
}

void FuzzDatasetPath(std::string_view s) {
  const absl::Status st = validate::DatasetPath(s);
  if (st.ok()) {
    const std::optional<std::string> prefix = ApprovedPrefix(s, {"s3://ml-data/", "/data/ml/"});
    PROPERTY(prefix.has_value(), "accepted path is under a default approved prefix", s);
    CheckAcceptedDatasetPath(s, *prefix);
  } else {
    CheckRejection(st, s, {"DATASET_PATH_INVALID", "DATASET_PATH_NOT_APPROVED"});
  }
  PROPERTY(!IsPlainDatasetPath(s) || st.ok(), "a plain path under a prefix is accepted", s);
  CheckNameType<slipway::DatasetPath>(s, st, slipway::DefaultValidationPolicy());

  // Policy {"/data/ml", "gs://bucket/team/"}: "/data/ml" approves what
  // "/data/ml/" does, and s3://ml-data/ is no longer approved.
  const absl::Status custom = validate::DatasetPath(s, Pol().custom_prefixes);
  if (custom.ok()) {
    const std::optional<std::string> prefix =
        ApprovedPrefix(s, {"/data/ml/", "gs://bucket/team/"});
    PROPERTY(prefix.has_value(), "accepted path is under a custom approved prefix", s);
    CheckAcceptedDatasetPath(s, *prefix);
  } else {
    CheckRejection(custom, s, {"DATASET_PATH_INVALID", "DATASET_PATH_NOT_APPROVED"});
  }
  if (StartsWith(s, "/data/ml")) {
    PROPERTY(custom.ok() == st.ok(), "prefix \"/data/ml\" == prefix \"/data/ml/\"", s);
  }
}

// Experiment and run names: 1 to `limit` characters of UTF-8 text without
// control characters. (validate.h also says "without leading or trailing
// whitespace"; the implementation follows MLflow and only refuses blank
// names, so that is not asserted here.)
void FuzzFreeTextName(std::string_view s, absl::Status (*validator)(std::string_view),
                      size_t limit, std::string_view reason) {
  const absl::Status st = validator(s);
  if (st.ok()) {
    const std::optional<std::vector<char32_t>> cps = DecodeUtf8(s);
    PROPERTY(cps.has_value(), "accepted name is valid UTF-8", s);
    PROPERTY(!cps->empty() && cps->size() <= limit, "accepted name length in [1, limit]",
             s);
    for (char32_t cp : *cps) PROPERTY(!IsControl(cp), "accepted name has no control", s);
  } else {
    CheckRejection(st, s, {reason});
  }
  PROPERTY(!(s.size() >= 1 && s.size() <= limit && AllOf(s, IsPlainWordChar)) || st.ok(),
           "a plain [A-Za-z0-9_-] name within the limit is accepted", s);
}

// Metric, param and tag keys (MLflow's rule, never stricter). Leading and
// trailing spaces are not asserted, as for experiment names.
void FuzzKey(std::string_view s, absl::Status (*validator)(std::string_view),
             std::string_view reason) {
  const absl::Status st = validator(s);
  if (st.ok()) {
    const std::optional<std::vector<char32_t>> cps = DecodeUtf8(s);
    PROPERTY(cps.has_value(), "accepted key is valid UTF-8", s);
    PROPERTY(!cps->empty() && cps->size() <= slipway::kMaxKeyLength,
             "accepted key length in [1, 250]", s);
    for (char32_t cp : *cps) {
      PROPERTY(cp >= 0x80 || IsPlainWordChar(static_cast<unsigned char>(cp)) ||
                   cp == '.' || cp == ' ' || cp == ':' || cp == '/',
               "accepted key's ASCII characters are [A-Za-z0-9_\\-. :/]", s);
      PROPERTY(!IsControl(cp), "accepted key has no control", s);
    }
    PROPERTY(s.front() != '/', "accepted key does not start with '/'", s);
    for (std::string_view segment : Split(s, '/')) {
      PROPERTY(segment != "." && segment != "..", "accepted key has no . or .. segment", s);
    }
  } else {
    CheckRejection(st, s, {reason});
  }
  PROPERTY(!(s.size() >= 1 && s.size() <= slipway::kMaxKeyLength &&
             AllOf(s, IsPlainWordChar)) ||
               st.ok(),
           "a plain [A-Za-z0-9_-] key within the limit is accepted", s);
}

// Param and tag values: valid UTF-8 of at most `limit` characters. The first
// two bytes are a little-endian repeat count (the rest is repeated 1 to 8192
// times, up to 4 * limit + 8 bytes), so lengths around the limit are
// reachable with short inputs.
void FuzzValue(std::string_view rest, absl::Status (*validator)(std::string_view),
               size_t limit, std::string_view reason) {
  if (rest.size() < 2) return;
  const size_t reps =
      1 + ((static_cast<unsigned char>(rest[0]) | static_cast<unsigned char>(rest[1]) << 8) %
           8192);
  const std::string_view unit = rest.substr(2);
  std::string value;
  const size_t cap = 4 * limit + 8;
  for (size_t i = 0; i < reps && value.size() + unit.size() <= cap; ++i) value += unit;
  const absl::Status st = validator(value);
  const std::optional<std::vector<char32_t>> cps = DecodeUtf8(value);
  PROPERTY(st.ok() == (cps.has_value() && cps->size() <= limit),
           "value accepted iff valid UTF-8 and at most `limit` characters", value);
  if (!st.ok()) CheckRejection(st, value, {reason});
}

// QuoteForMessage: valid UTF-8 whatever the input, bounded length, and
// reversible: unescaping the quoted part gives back the input (or a prefix of
// it, followed by a note with the full length).
void FuzzQuote(std::string_view rest) {
  if (rest.empty()) return;
  const size_t max_bytes = static_cast<unsigned char>(rest[0]);
  const std::string_view value = rest.substr(1);
  const std::string q = slipway::QuoteForMessage(value, max_bytes);
  PROPERTY(IsUtf8(q), "QuoteForMessage output is valid UTF-8", value);
  PROPERTY(q.size() <= max_bytes * 4 + 64, "QuoteForMessage output <= max_bytes*4+64",
           value);
  for (unsigned char c : q) {
    PROPERTY(c >= 0x20 && c != 0x7F, "QuoteForMessage output has no raw control byte",
             value);
  }
  PROPERTY(!q.empty() && q[0] == '"', "QuoteForMessage output starts with a quote", value);
  // Unescape up to the closing quote.
  std::string decoded;
  size_t i = 1;
  bool closed = false;
  while (i < q.size()) {
    const char c = q[i++];
    if (c == '"') {
      closed = true;
      break;
    }
    if (c != '\\') {
      decoded += c;
      continue;
    }
    PROPERTY(i < q.size(), "QuoteForMessage escape is complete", value);
    const char e = q[i++];
    switch (e) {
      case '"': case '\\': decoded += e; break;
      case 'n': decoded += '\n'; break;
      case 't': decoded += '\t'; break;
      case 'r': decoded += '\r'; break;
      case 'x': {
        PROPERTY(i + 2 <= q.size() && std::isxdigit(static_cast<unsigned char>(q[i])) &&
                     std::isxdigit(static_cast<unsigned char>(q[i + 1])),
                 "QuoteForMessage \\x escape has two hex digits", value);
        decoded += static_cast<char>(std::stoi(std::string(q.substr(i, 2)), nullptr, 16));
        i += 2;
        break;
      }
      default:
        PROPERTY(false, "QuoteForMessage uses only \\\" \\\\ \\n \\t \\r \\xHH", value);
    }
  }
  PROPERTY(closed, "QuoteForMessage output has a closing quote", value);
  const std::string_view tail = std::string_view(q).substr(i);
  if (tail.empty()) {
    PROPERTY(decoded == value, "QuoteForMessage unescapes to the input", value);
  } else {
    PROPERTY(StartsWith(value, decoded) && decoded.size() < value.size(),
             "a cut QuoteForMessage unescapes to a prefix of the input", value);
    PROPERTY(decoded.size() >= std::min(max_bytes, value.size()),
             "QuoteForMessage keeps at least max_bytes bytes", value);
    PROPERTY(Contains(tail, std::to_string(value.size())),
             "a cut QuoteForMessage notes the full length", value);
  }
}

void FuzzEnvironmentName(std::string_view s) {
  const absl::Status st = validate::EnvironmentName(s);
  PROPERTY(st.ok() == (s == "development" || s == "staging" || s == "production"),
           "environment name is one of the default policy's", s);
  if (!st.ok()) CheckRejection(st, s, {"ENVIRONMENT_UNKNOWN"});
}

// The first input byte, modulo 16. Append new selectors at the end so that
// the checked-in corpus keeps its meaning.
enum Selector : uint8_t {
  kModelName = 0,
  kModelVersion = 1,
  kEndpointName = 2,
  kFeatureName = 3,
  kDatasetPath = 4,
  kPipelineName = 5,
  kExperimentName = 6,
  kRunName = 7,
  kMetricKey = 8,
  kParamKey = 9,
  kTagKey = 10,
  kParamValue = 11,   // then 2 bytes repeat count
  kTagValue = 12,     // then 2 bytes repeat count
  kVersionOrder = 13, // versions separated by '\n'
  kQuote = 14,        // then 1 byte max_bytes
  kEnvironmentName = 15,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  g_input = input;
  const std::string_view rest = input.substr(1);
  switch (static_cast<Selector>(data[0] % 16)) {
    case kModelName: FuzzModelName(rest); break;
    case kModelVersion: FuzzModelVersion(rest); break;
    case kEndpointName: FuzzEndpointName(rest); break;
    case kFeatureName: FuzzFeatureName(rest); break;
    case kDatasetPath: FuzzDatasetPath(rest); break;
    case kPipelineName: FuzzPipelineName(rest); break;
    case kExperimentName:
      FuzzFreeTextName(rest, validate::ExperimentName, slipway::kMaxExperimentNameLength,
                       "EXPERIMENT_NAME_INVALID");
      break;
    case kRunName:
      FuzzFreeTextName(rest, validate::RunName, slipway::kMaxRunNameLength,
                       "RUN_NAME_INVALID");
      break;
    case kMetricKey: FuzzKey(rest, validate::MetricKey, "METRIC_KEY_INVALID"); break;
    case kParamKey: FuzzKey(rest, validate::ParamKey, "PARAM_KEY_INVALID"); break;
    case kTagKey: FuzzKey(rest, validate::TagKey, "TAG_KEY_INVALID"); break;
    case kParamValue:
      FuzzValue(rest, validate::ParamValue, slipway::kMaxParamValueLength,
                "PARAM_VALUE_INVALID");
      break;
    case kTagValue:
      FuzzValue(rest, validate::TagValue, slipway::kMaxTagValueLength,
                "TAG_VALUE_INVALID");
      break;
    case kVersionOrder: FuzzVersionOrdering(rest); break;
    case kQuote: FuzzQuote(rest); break;
    case kEnvironmentName: FuzzEnvironmentName(rest); break;
  }
  g_input = {};
  return 0;
}
