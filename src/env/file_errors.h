// The one place where an OS error number becomes a slipway status, shared by
// the POSIX and the in-memory file systems so both report the same codes,
// reasons and message shapes (the FileSystem contract in slipway/env.h).
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_ENV_FILE_ERRORS_H_
#define SLIPWAY_SRC_ENV_FILE_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace slipway::internal_env {

// Returns the error for OS error `error_number` raised by the system call
// `operation` ("open", "rename", ...) on `path`:
//
//   ENOENT                 NotFound           FILE_NOT_FOUND
//   ENOSPC, EDQUOT         ResourceExhausted  DISK_FULL
//   EMFILE, ENFILE         ResourceExhausted  TOO_MANY_OPEN_FILES
//   EACCES, EPERM, EROFS   PermissionDenied   PERMISSION_DENIED
//   ENOTDIR, EISDIR,       FailedPrecondition PATH_CONFLICT
//     ENOTEMPTY, EEXIST
//   ENAMETOOLONG, ELOOP    InvalidArgument    PATH_INVALID
//   anything else          Internal           IO_ERROR
//
// The message reads `<operation> failed for "<path>"<context>: <strerror>
// (<ERRNO NAME>)`; `context` adds detail such as ` to "b"` for a rename. The
// detail's value is `path`, its rule names the call and the errno
// ("open(2) -> ENOENT"), its fix says what to do. `error_number` should be
// non-zero; 0 is reported as IO_ERROR.
absl::Status FileError(int error_number, std::string_view operation,
                       std::string_view path, std::string_view context = {});

// Returns strerror text for `error_number`, thread-safely.
std::string ErrnoText(int error_number);

// Returns the symbolic name of `error_number` ("ENOENT"), or "errno <n>"
// when unknown.
std::string ErrnoName(int error_number);

}  // namespace slipway::internal_env

#endif  // SLIPWAY_SRC_ENV_FILE_ERRORS_H_
