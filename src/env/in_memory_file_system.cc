#include "slipway/testing/in_memory_file_system.h"

#include <cerrno>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "slipway/status.h"
#include "src/env/file_errors.h"
#include "src/errors/strings.h"

namespace slipway::testing {
namespace {

using ::slipway::internal_env::FileError;

// Returns the normalized absolute form of `path` ("/" or "/a/b"), resolving
// "." and ".." lexically. The empty path has no normal form (POSIX: ENOENT);
// the caller checks for it first.
std::string Normalize(std::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part :
       absl::StrSplit(internal_strings::ToAbsl(path), '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();  // "/.." is "/", as in POSIX.
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return "/";
  std::string out;
  for (absl::string_view part : parts) absl::StrAppend(&out, "/", part);
  return out;
}

// Returns the prefix that every entry below directory `key` starts with.
std::string ChildPrefix(const std::string& key) {
  return key == "/" ? "/" : key + "/";
}

}  // namespace

InMemoryFileSystem::InMemoryFileSystem() {
  nodes_["/"] = Node{.is_directory = true, .contents = {}};
}

const InMemoryFileSystem::Node* InMemoryFileSystem::Find(
    const std::string& key) const {
  auto it = nodes_.find(key);
  return it == nodes_.end() ? nullptr : &it->second;
}

int InMemoryFileSystem::CheckParents(const std::string& key) const {
  // Walk the ancestors from the root down, as path resolution does: the
  // first missing one gives ENOENT, the first regular file ENOTDIR.
  for (size_t slash = key.find('/', 1); slash != std::string::npos;
       slash = key.find('/', slash + 1)) {
    const Node* node = Find(key.substr(0, slash));
    if (node == nullptr) return ENOENT;
    if (!node->is_directory) return ENOTDIR;
  }
  return 0;
}

bool InMemoryFileSystem::HasChildren(const std::string& key) const {
  const std::string prefix = ChildPrefix(key);
  // The root's prefix "/" would match the root itself; skip past it.
  auto it = key == "/" ? nodes_.upper_bound(key) : nodes_.lower_bound(prefix);
  return it != nodes_.end() && absl::StartsWith(it->first, prefix);
}

absl::StatusOr<std::string> InMemoryFileSystem::ReadFile(
    const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "open", path);
  const std::string key = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (int err = CheckParents(key); err != 0) {
    return FileError(err, "open", path);
  }
  const Node* node = Find(key);
  if (node == nullptr) return FileError(ENOENT, "open", path);
  if (node->is_directory) return FileError(EISDIR, "read", path);
  return node->contents;
}

absl::Status InMemoryFileSystem::WriteFileAtomically(
    const std::string& path, std::string_view contents) {
  absl::MutexLock lock(&mu_);
  ++write_count_;
  // An injected fault comes first: it stands for the OS failing the write.
  if (failures_left_ > 0) {
    --failures_left_;
    return failure_;
  }
  if (path.empty()) return FileError(ENOENT, "open", path);
  const std::string key = Normalize(path);
  if (int err = CheckParents(key); err != 0) {
    return FileError(err, "open", path);
  }
  const Node* old = Find(key);
  // Like rename(2) of the temporary file over a directory.
  if (old != nullptr && old->is_directory) {
    return FileError(EISDIR, "rename", path);
  }
  // The old content stays on disk until the rename, so it still counts.
  if (contents.size() > capacity_ ||
      bytes_used_ > capacity_ - contents.size()) {
    return FileError(ENOSPC, "write", path);
  }
  const uint64_t old_size = old == nullptr ? 0 : old->contents.size();
  nodes_[key] = Node{.is_directory = false, .contents = std::string(contents)};
  bytes_used_ = bytes_used_ - old_size + contents.size();
  return absl::OkStatus();
}

absl::StatusOr<bool> InMemoryFileSystem::Exists(const std::string& path) {
  if (path.empty()) return false;
  const std::string key = Normalize(path);
  absl::MutexLock lock(&mu_);
  // A missing parent or a parent that is a file: nothing exists below it.
  if (CheckParents(key) != 0) return false;
  return Find(key) != nullptr;
}

absl::Status InMemoryFileSystem::CreateDirs(const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "mkdir", path);
  const std::string key = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (key == "/") return absl::OkStatus();
  // Each prefix "/a", "/a/b", ..., then the whole key.
  for (size_t end = key.find('/', 1);; end = key.find('/', end + 1)) {
    const std::string dir = end == std::string::npos ? key : key.substr(0, end);
    const Node* node = Find(dir);
    if (node == nullptr) {
      nodes_[dir] = Node{.is_directory = true, .contents = {}};
    } else if (!node->is_directory) {
      return FileError(EEXIST, "mkdir", dir);
    }
    if (end == std::string::npos) break;
  }
  return absl::OkStatus();
}

absl::Status InMemoryFileSystem::DeleteFile(const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "unlink", path);
  const std::string key = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (int err = CheckParents(key); err != 0) {
    return FileError(err, "unlink", path);
  }
  auto it = nodes_.find(key);
  if (it == nodes_.end()) return FileError(ENOENT, "unlink", path);
  if (it->second.is_directory) return FileError(EISDIR, "unlink", path);
  bytes_used_ -= it->second.contents.size();
  nodes_.erase(it);
  return absl::OkStatus();
}

absl::Status InMemoryFileSystem::RenameFile(const std::string& from,
                                            const std::string& to) {
  const std::string context = absl::StrCat(" to ", QuoteForMessage(to));
  auto error = [&](int err) { return FileError(err, "rename", from, context); };
  if (from.empty() || to.empty()) return error(ENOENT);
  const std::string from_key = Normalize(from);
  const std::string to_key = Normalize(to);
  absl::MutexLock lock(&mu_);
  if (int err = CheckParents(from_key); err != 0) return error(err);
  const Node* source = Find(from_key);
  if (source == nullptr) return error(ENOENT);
  if (int err = CheckParents(to_key); err != 0) return error(err);
  if (from_key == to_key) return absl::OkStatus();  // rename(2): a no-op.
  if (from_key == "/" || to_key == "/") return error(EBUSY);
  const Node* target = Find(to_key);

  if (!source->is_directory) {
    if (target != nullptr && target->is_directory) return error(EISDIR);
    const uint64_t replaced = target == nullptr ? 0 : target->contents.size();
    Node moved = std::move(nodes_[from_key]);
    nodes_.erase(from_key);
    nodes_[to_key] = std::move(moved);
    bytes_used_ -= replaced;
    return absl::OkStatus();
  }

  // A directory: the target must not be inside it, and may only replace an
  // empty directory.
  const std::string from_prefix = ChildPrefix(from_key);
  if (absl::StartsWith(to_key, from_prefix)) return error(EINVAL);
  if (target != nullptr) {
    if (!target->is_directory) return error(ENOTDIR);
    if (HasChildren(to_key)) return error(ENOTEMPTY);
  }
  // Move the directory and everything below it.
  std::map<std::string, Node> moved;
  moved[to_key] = std::move(nodes_[from_key]);
  nodes_.erase(from_key);
  for (auto it = nodes_.lower_bound(from_prefix);
       it != nodes_.end() && absl::StartsWith(it->first, from_prefix);) {
    moved[absl::StrCat(to_key, "/", it->first.substr(from_prefix.size()))] =
        std::move(it->second);
    it = nodes_.erase(it);
  }
  for (auto& [key, node] : moved) nodes_[key] = std::move(node);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> InMemoryFileSystem::ListDir(
    const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "opendir", path);
  const std::string key = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (int err = CheckParents(key); err != 0) {
    return FileError(err, "opendir", path);
  }
  const Node* node = Find(key);
  if (node == nullptr) return FileError(ENOENT, "opendir", path);
  if (!node->is_directory) return FileError(ENOTDIR, "opendir", path);
  // Entries below `key` form one contiguous range of the ordered map, and
  // the direct children within it are already in byte order of their names.
  const std::string prefix = ChildPrefix(key);
  std::vector<std::string> names;
  for (auto it = nodes_.lower_bound(prefix);
       it != nodes_.end() && absl::StartsWith(it->first, prefix); ++it) {
    std::string_view rest = it->first;
    rest.remove_prefix(prefix.size());
    if (rest.empty() || rest.find('/') != std::string_view::npos) continue;
    names.emplace_back(rest);
  }
  return names;
}

absl::StatusOr<uint64_t> InMemoryFileSystem::FileSize(const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "stat", path);
  const std::string key = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (int err = CheckParents(key); err != 0) {
    return FileError(err, "stat", path);
  }
  const Node* node = Find(key);
  if (node == nullptr) return FileError(ENOENT, "stat", path);
  if (node->is_directory) return FileError(EISDIR, "stat", path);
  return static_cast<uint64_t>(node->contents.size());
}

void InMemoryFileSystem::FailNextWrites(int n, absl::Status error) {
  if (error.ok()) {
    error = MakeError(absl::StatusCode::kInternal,
                      "injected write failure (InMemoryFileSystem)",
                      ErrorDetail{.reason = "IO_ERROR",
                                  .rule = "InMemoryFileSystem::FailNextWrites",
                                  .value = "",
                                  .fix = "Pass a non-OK status to "
                                         "FailNextWrites."});
  }
  absl::MutexLock lock(&mu_);
  failures_left_ = n > 0 ? n : 0;
  failure_ = std::move(error);
}

void InMemoryFileSystem::SetCapacityBytes(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  capacity_ = bytes;
}

void InMemoryFileSystem::ClearFaults() {
  absl::MutexLock lock(&mu_);
  failures_left_ = 0;
  failure_ = absl::OkStatus();
  capacity_ = kUnlimited;
}

uint64_t InMemoryFileSystem::BytesUsed() const {
  absl::MutexLock lock(&mu_);
  return bytes_used_;
}

int64_t InMemoryFileSystem::WriteCount() const {
  absl::MutexLock lock(&mu_);
  return write_count_;
}

}  // namespace slipway::testing
