#include "src/artifacts/digest.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::internal_strings::Cat;

constexpr char kHexDigits[] = "0123456789abcdef";

constexpr char kDigestRule[] =
    "artifact digest: \"sha256:\" followed by 64 lowercase hexadecimal digits";
constexpr char kDigestFix[] =
    "Pass the digest exactly as a put returned it, e.g. "
    "\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    "\" (the digest of empty content).";

absl::Status InvalidDigest(std::string_view text, std::string_view what) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("invalid artifact digest ", QuoteForMessage(text), ": ",
                       what, ". Rule: ", kDigestRule, ". Fix: ", kDigestFix),
                   ErrorDetail{.reason = "ARTIFACT_DIGEST_INVALID",
                               .rule = kDigestRule,
                               .value = std::string(text),
                               .fix = kDigestFix});
}

// Returns 0-15 for a lowercase hex digit, -1 otherwise.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Describes the character at `text[i]` for a message: 'x', or \xNN for a
// byte that is not printable ASCII.
std::string DescribeChar(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c >= 0x20 && c < 0x7F) return Cat("'", std::string(1, text[i]), "'");
  std::string out = "byte 0x";
  out += kHexDigits[c >> 4];
  out += kHexDigits[c & 15];
  return out;
}

absl::Status Sha256Unavailable(std::string_view step) {
  return MakeError(
      absl::StatusCode::kInternal,
      Cat("OpenSSL libcrypto could not compute SHA-256 (", step,
          " failed); check the OpenSSL configuration (OPENSSL_CONF, "
          "providers)"),
      ErrorDetail{.reason = "SHA256_UNAVAILABLE",
                  .rule = "SHA-256 through libcrypto's EVP interface",
                  .value = std::string(step),
                  .fix = "Check that libcrypto loads its default provider "
                         "(unset OPENSSL_CONF to test), then retry."});
}

}  // namespace

absl::StatusOr<Digest> Digest::Parse(std::string_view text) {
  if (text.empty()) return InvalidDigest(text, "it is empty");
  if (text.substr(0, kDigestPrefix.size()) != kDigestPrefix) {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      bool all_hex = text.size() == 2 * kSize;
      for (char c : text) all_hex = all_hex && HexValue(c) >= 0;
      return InvalidDigest(text, all_hex
                                     ? "the \"sha256:\" prefix is missing"
                                     : "it does not start with \"sha256:\"");
    }
    return InvalidDigest(
        text, Cat("the algorithm ", QuoteForMessage(text.substr(0, colon)),
                  " is not supported (only sha256 is)"));
  }
  const std::string_view hex = text.substr(kDigestPrefix.size());
  for (size_t i = 0; i < hex.size(); ++i) {
    if (HexValue(hex[i]) >= 0) continue;
    const size_t position = kDigestPrefix.size() + i + 1;  // 1-based.
    if (hex[i] >= 'A' && hex[i] <= 'F') {
      return InvalidDigest(
          text, Cat("uppercase ", DescribeChar(hex, i), " at position ",
                    position, " is not allowed (use lowercase)"));
    }
    return InvalidDigest(text, Cat(DescribeChar(hex, i), " at position ",
                                   position, " is not a hexadecimal digit"));
  }
  if (hex.size() != 2 * kSize) {
    return InvalidDigest(text, Cat("it has ", hex.size(),
                                   " hexadecimal digits after \"sha256:\", "
                                   "not 64"));
  }
  std::array<uint8_t, kSize> bytes;
  for (size_t i = 0; i < kSize; ++i) {
    bytes[i] = static_cast<uint8_t>(HexValue(hex[2 * i]) << 4 |
                                    HexValue(hex[2 * i + 1]));
  }
  return Digest(bytes);
}

std::string Digest::Hex() const {
  std::string out(2 * kSize, '0');
  for (size_t i = 0; i < kSize; ++i) {
    out[2 * i] = kHexDigits[bytes_[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes_[i] & 15];
  }
  return out;
}

std::string Digest::ToString() const {
  std::string out(kDigestPrefix);
  out += Hex();
  return out;
}

void Sha256::CtxDeleter::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

absl::StatusOr<Sha256> Sha256::Create() {
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return Sha256Unavailable("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Sha256Unavailable("EVP_DigestInit_ex");
  }
  return Sha256(std::move(ctx));
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  if (failed_ || data.empty()) return;
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
    failed_ = true;
  }
}

absl::StatusOr<Digest> Sha256::Finish() {
  if (failed_) return Sha256Unavailable("EVP_DigestUpdate");
  std::array<uint8_t, Digest::kSize> bytes;
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), bytes.data(), &size) != 1 ||
      size != Digest::kSize) {
    return Sha256Unavailable("EVP_DigestFinal_ex");
  }
  return Digest::FromBytes(bytes);
}

absl::StatusOr<Digest> Sha256Of(std::string_view data) {
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  if (!hasher.ok()) return hasher.status();
  hasher->Update(data);
  return hasher->Finish();
}

}  // namespace slipway::internal_artifacts
