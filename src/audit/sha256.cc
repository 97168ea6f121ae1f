#include "src/audit/sha256.h"

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "slipway/status.h"

namespace slipway::internal_audit {
namespace {

struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

absl::StatusOr<std::string> Sha256Hex(std::string_view a, std::string_view b) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1 || length != 32) {
    const std::string fix =
        "Check that OpenSSL's libcrypto (3.x, default provider) is installed "
        "and that the process is not out of memory.";
    return MakeError(absl::StatusCode::kInternal,
                     "libcrypto could not compute a SHA-256. " + fix,
                     ErrorDetail{.reason = "SHA256_UNAVAILABLE",
                                 .rule = "the audit chain hashes with SHA-256",
                                 .value = "SHA-256",
                                 .fix = fix});
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (unsigned int i = 0; i < 32; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace slipway::internal_audit
