#include "src/artifacts/manifest.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/errors/utf8.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::internal_strings::Cat;
using ::slipway::internal_strings::ToAbsl;

constexpr char kPathRule[] =
    "artifact relative path: '/'-separated names, no \".\" or \"..\", no "
    "leading or trailing '/', no '\\', no control characters, UTF-8, at most "
    "4095 bytes and 255 per name";
constexpr char kPathFix[] =
    "Use a path inside the directory, e.g. \"weights/model.bin\"; a manifest "
    "with such a path was not made by PutTree (it may have been edited).";

absl::Status InvalidPath(std::string_view path, std::string_view what) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("invalid artifact relative path ", QuoteForMessage(path),
                       ": ", what, ". Rule: ", kPathRule, ". Fix: ", kPathFix),
                   ErrorDetail{.reason = "ARTIFACT_PATH_INVALID",
                               .rule = kPathRule,
                               .value = std::string(path),
                               .fix = kPathFix});
}

absl::Status InvalidManifest(std::string_view path, std::string_view what) {
  constexpr char kRule[] =
      "artifact manifest: each path once, and no path both a file and the "
      "directory of another";
  constexpr char kFix[] = "Pass the manifest PutTree returned, unchanged.";
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("invalid artifact manifest: ", what, " (",
                       QuoteForMessage(path), "). Fix: ", kFix),
                   ErrorDetail{.reason = "ARTIFACT_MANIFEST_INVALID",
                               .rule = kRule,
                               .value = std::string(path),
                               .fix = kFix});
}

}  // namespace

absl::Status ValidateRelativePath(std::string_view path) {
  if (path.empty()) return InvalidPath(path, "it is empty");
  if (path.size() > kMaxRelativePathBytes) {
    return InvalidPath(path, Cat("it is ", path.size(), " bytes long"));
  }
  if (path.front() == '/') {
    return InvalidPath(path, "it is absolute (starts with '/')");
  }
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == 0) {
      return InvalidPath(path, Cat("it contains NUL at position ", i + 1));
    }
    if (c < 0x20 || c == 0x7F) {
      return InvalidPath(path, Cat("it contains a control character at "
                                   "position ",
                                   i + 1));
    }
    if (c == '\\') {
      return InvalidPath(path, Cat("it contains '\\' at position ", i + 1,
                                   " (use '/' as the separator)"));
    }
  }
  if (!internal_utf8::IsValid(path)) {
    return InvalidPath(path, "it is not well-formed UTF-8");
  }
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    const std::string_view name = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos
                                               : slash - start);
    if (name.empty()) {
      return InvalidPath(path, slash == std::string_view::npos
                                   ? "it ends with '/'"
                                   : "it contains an empty name (\"//\")");
    }
    if (name == "." || name == "..") {
      return InvalidPath(path, Cat("it contains a \"", name, "\" component"));
    }
    if (name.size() > kMaxPathComponentBytes) {
      return InvalidPath(path, Cat("the name ", QuoteForMessage(name, 40),
                                   " is ", name.size(), " bytes long"));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return absl::OkStatus();
}

absl::Status ValidateManifest(const std::vector<ArtifactEntry>& entries) {
  absl::flat_hash_set<absl::string_view> paths;
  paths.reserve(entries.size());
  for (const ArtifactEntry& entry : entries) {
    if (absl::Status s = ValidateRelativePath(entry.relative_path); !s.ok()) {
      return s;
    }
    if (!paths.insert(ToAbsl(entry.relative_path)).second) {
      return InvalidManifest(entry.relative_path, "a path appears twice");
    }
  }
  for (const ArtifactEntry& entry : entries) {
    const std::string_view path = entry.relative_path;
    for (size_t slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      if (paths.contains(ToAbsl(path.substr(0, slash)))) {
        return InvalidManifest(
            path, Cat("the path ", QuoteForMessage(path.substr(0, slash)),
                      " is a file and also the directory of this path"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace slipway::internal_artifacts
