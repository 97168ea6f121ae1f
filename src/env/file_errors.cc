#include "src/env/file_errors.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway::internal_env {
namespace {

// strerror_r comes in two flavours: GNU (returns char*) and XSI (returns int
// and fills the buffer). Overloads pick whichever this libc declares.
[[maybe_unused]] const char* StrerrorResult(const char* result,
                                            const char* /*buffer*/) {
  return result;
}
[[maybe_unused]] const char* StrerrorResult(int result, const char* buffer) {
  return result == 0 ? buffer : "Unknown error";
}

struct Mapping {
  absl::StatusCode code;
  const char* reason;
  const char* fix;
};

Mapping MapErrno(int error_number) {
  switch (error_number) {
    case ENOENT:
      return {absl::StatusCode::kNotFound, "FILE_NOT_FOUND",
              "Check the path; create the file or its directory first if it "
              "should exist."};
    case ENOSPC:
#if defined(EDQUOT)
    case EDQUOT:
#endif
      return {absl::StatusCode::kResourceExhausted, "DISK_FULL",
              "Free space (or raise the quota) on the file system holding "
              "this path, then retry."};
    case EMFILE:
    case ENFILE:
      return {absl::StatusCode::kResourceExhausted, "TOO_MANY_OPEN_FILES",
              "Close unused files or raise the open-file limit (ulimit -n), "
              "then retry."};
    case EACCES:
    case EPERM:
    case EROFS:
      return {absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
              "Give this process access to the path and its parent "
              "directories, or choose a writable location."};
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case EEXIST:
      // The user's paths disagree with what is on disk: not a slipway bug.
      return {absl::StatusCode::kFailedPrecondition, "PATH_CONFLICT",
              "A file stands where a directory is expected, or the reverse: "
              "check the path and what is on disk there."};
    case ENAMETOOLONG:
    case ELOOP:
      return {absl::StatusCode::kInvalidArgument, "PATH_INVALID",
              "Use a shorter path without symbolic-link loops."};
    default:
      return {absl::StatusCode::kInternal, "IO_ERROR",
              "Check that the path names what it should (a directory where "
              "one is expected, a file where one is expected) and that the "
              "file system is healthy; the OS error is in the message."};
  }
}

}  // namespace

std::string ErrnoText(int error_number) {
  char buffer[256] = {0};
  return StrerrorResult(strerror_r(error_number, buffer, sizeof(buffer)),
                        buffer);
}

std::string ErrnoName(int error_number) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
  if (const char* name = strerrorname_np(error_number); name != nullptr) {
    return name;
  }
#endif
  return absl::StrCat("errno ", error_number);
}

absl::Status FileError(int error_number, std::string_view operation,
                       std::string_view path, std::string_view context) {
  const Mapping mapping = MapErrno(error_number);
  const std::string name =
      error_number == 0 ? std::string("no errno") : ErrnoName(error_number);
  const std::string text = error_number == 0 ? std::string("unknown error")
                                             : ErrnoText(error_number);
  std::string message =
      internal_strings::Cat(operation, " failed for ", QuoteForMessage(path),
                            context, ": ", text, " (", name, ")");
  return MakeError(
      mapping.code, message,
      ErrorDetail{.reason = mapping.reason,
                  .rule = internal_strings::Cat(operation, "(2) -> ", name),
                  .value = std::string(path),
                  .fix = mapping.fix});
}

}  // namespace slipway::internal_env
