// SHA-256 for the audit chain, through OpenSSL's libcrypto (the one crypto
// dependency; design 0003).
//
// Thread-safety: pure function, thread-safe.
#ifndef SLIPWAY_SRC_AUDIT_SHA256_H_
#define SLIPWAY_SRC_AUDIT_SHA256_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace slipway::internal_audit {

// Returns the SHA-256 of the concatenation of `a` and `b` as 64 lowercase
// hex digits. Errors: Internal SHA256_UNAVAILABLE when libcrypto cannot
// compute it (out of memory, or no provider of SHA-256 loaded).
absl::StatusOr<std::string> Sha256Hex(std::string_view a,
                                      std::string_view b = {});

}  // namespace slipway::internal_audit

#endif  // SLIPWAY_SRC_AUDIT_SHA256_H_
