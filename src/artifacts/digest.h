// The name of an artifact: the SHA-256 of its bytes, and the streaming hasher
// that computes it (OpenSSL libcrypto's EVP interface, which uses the CPU's
// SHA extensions where present).
//
// A Digest is a validated type: it can only be made by hashing bytes or by
// parsing its text form, `sha256:` followed by 64 lowercase hexadecimal
// digits, so no malformed digest reaches the store's paths. The text form is
// what users see, what error details quote and what the registry stores.
//
// Thread-safety: Digest is an immutable value type, safe to share. A Sha256
// hasher is not thread-safe: one hasher belongs to one stream of bytes.
#ifndef SLIPWAY_SRC_ARTIFACTS_DIGEST_H_
#define SLIPWAY_SRC_ARTIFACTS_DIGEST_H_

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// OpenSSL's hashing context, defined in libcrypto; only digest.cc sees it.
struct evp_md_ctx_st;

namespace slipway::internal_artifacts {

// The prefix of a digest's text form; it names the algorithm, so that a
// later algorithm can live beside this one.
inline constexpr std::string_view kDigestPrefix = "sha256:";

class Digest {
 public:
  // Bytes of a SHA-256 value.
  static constexpr size_t kSize = 32;
  // Characters of the text form: the prefix plus 64 hex digits.
  static constexpr size_t kTextSize = 7 + 2 * kSize;

  // Parses the text form `sha256:<64 lowercase hex digits>`, exactly: no
  // surrounding space, no uppercase, no other algorithm. Returns
  // InvalidArgument ARTIFACT_DIGEST_INVALID naming what is wrong (and where)
  // otherwise.
  static absl::StatusOr<Digest> Parse(std::string_view text);

  // Wraps a raw 32-byte SHA-256 value.
  static Digest FromBytes(const std::array<uint8_t, kSize>& bytes) {
    return Digest(bytes);
  }

  // Returns `sha256:<64 lowercase hex digits>`.
  std::string ToString() const;

  // Returns the 64 lowercase hex digits without the prefix.
  std::string Hex() const;

  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend std::strong_ordering operator<=>(const Digest&,
                                          const Digest&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine_contiguous(std::move(h), d.bytes_.data(),
                                 d.bytes_.size());
  }

 private:
  explicit Digest(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}

  std::array<uint8_t, kSize> bytes_;
};

// The same as Digest::Parse.
inline absl::StatusOr<Digest> ParseDigest(std::string_view text) {
  return Digest::Parse(text);
}

// A streaming SHA-256: Update with the bytes in order, then Finish once.
class Sha256 {
 public:
  // Returns a fresh hasher, or Internal SHA256_UNAVAILABLE when libcrypto
  // cannot provide SHA-256 (a broken OpenSSL configuration, e.g. a FIPS
  // provider that failed to load).
  static absl::StatusOr<Sha256> Create();

  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  // Adds `data` to the hashed stream. Cannot fail in practice; a failure of
  // libcrypto is remembered and reported by Finish.
  void Update(std::string_view data);

  // Returns the digest of everything passed to Update (of nothing, if
  // Update was never called). Internal SHA256_UNAVAILABLE if libcrypto
  // failed. The hasher may not be used afterwards.
  absl::StatusOr<Digest> Finish();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  explicit Sha256(std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx)
      : ctx_(std::move(ctx)) {}

  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
  bool failed_ = false;
};

// Returns the SHA-256 of `data` in one call.
absl::StatusOr<Digest> Sha256Of(std::string_view data);

}  // namespace slipway::internal_artifacts

#endif  // SLIPWAY_SRC_ARTIFACTS_DIGEST_H_
