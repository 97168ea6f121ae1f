// slipway's error model: absl::Status codes plus one structured detail.
//
// Every fallible slipway call returns absl::Status or absl::StatusOr<T>; the
// core never throws. The status code says which *kind* of failure it is
// (docs/errors.md has the table):
//
//   InvalidArgument     a value failed validation (SPEC.md §1)
//   NotFound            the named thing does not exist
//   AlreadyExists       the named thing exists and may not be replaced
//   FailedPrecondition  a gate, a policy, the emergency stop or an illegal
//                       state transition refused the operation
//   Aborted             a concurrent update won; retry the operation
//   Unavailable         the store stayed busy after bounded retries
//   DataLoss            stored data is corrupt or the audit chain is broken
//   ResourceExhausted   the disk (or another hard limit) is full
//   Internal            a bug in slipway; please report it
//
// Beside the code, every error slipway creates carries an ErrorDetail: a
// stable `reason`, the `rule` that was applied, the offending `value` and how
// to `fix` it. Programs branch on the reason, never on the message text.
//
// Thread-safety: all functions here are pure and thread-safe.
#ifndef SLIPWAY_STATUS_H_
#define SLIPWAY_STATUS_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace slipway {

// The structured part of a slipway error. All fields are plain UTF-8 text
// except `value`, which holds the offending input byte for byte.
struct ErrorDetail {
  // Stable UPPER_SNAKE_CASE identifier, e.g. "MODEL_NAME_INVALID".
  std::string reason;
  // The rule applied, e.g. "SPEC §1 model name: ^[a-z0-9][a-z0-9\-_]{0,62}[a-z0-9]$".
  std::string rule;
  // The offending value, exactly as given.
  std::string value;
  // How to fix it, with a valid example where one exists.
  std::string fix;

  friend bool operator==(const ErrorDetail&, const ErrorDetail&) = default;
};

// The absl::Status payload type URL under which the detail is stored.
inline constexpr char kErrorDetailTypeUrl[] =
    "type.slipway.dev/slipway.v1.ErrorDetail";

// Returns a status with `code`, the message `message` and `detail` attached.
// `code` must not be kOk (an OK status cannot carry a payload); passing kOk
// yields an Internal error that says so.
absl::Status MakeError(absl::StatusCode code, std::string_view message,
                       ErrorDetail detail);

// Returns the detail attached to `status`, or nullopt when the status is OK,
// was not created by slipway, or its payload cannot be decoded.
std::optional<ErrorDetail> GetErrorDetail(const absl::Status& status);

// Returns `value` quoted for an error message: wrapped in double quotes, with
// control characters, quotes, backslashes and invalid UTF-8 escaped, and cut
// after `max_bytes` bytes with a note of the full length. The detail keeps the
// whole value; only messages are shortened.
std::string QuoteForMessage(std::string_view value, size_t max_bytes = 200);

}  // namespace slipway

#endif  // SLIPWAY_STATUS_H_
