#include "src/tracking/source_info.h"

#include <unistd.h>

#include <climits>
#include <string_view>

namespace slipway::internal_tracking {
namespace {

bool IsCommit(std::string_view s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The commit `ref` (e.g. "refs/heads/main") points to in `git_dir`.
std::string ResolveRef(FileSystem& fs, const std::string& git_dir,
                       const std::string& ref) {
  if (absl::StatusOr<std::string> loose = fs.ReadFile(git_dir + "/" + ref);
      loose.ok()) {
    std::string commit = Trimmed(*loose);
    return IsCommit(commit) ? commit : "";
  }
  absl::StatusOr<std::string> packed = fs.ReadFile(git_dir + "/packed-refs");
  if (!packed.ok()) return "";
  std::string_view rest = *packed;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 1);
    if (line.size() > 41 && line[40] == ' ' && line.substr(41) == ref &&
        IsCommit(line.substr(0, 40))) {
      return std::string(line.substr(0, 40));
    }
  }
  return "";
}

}  // namespace

std::string FindGitCommit(FileSystem& fs, const std::string& path) {
  std::string dir = path;
  for (int depth = 0; depth < 64 && !dir.empty(); ++depth) {
    const std::string git_dir = dir == "/" ? "/.git" : dir + "/.git";
    if (absl::StatusOr<std::string> head = fs.ReadFile(git_dir + "/HEAD");
        head.ok()) {
      std::string h = Trimmed(*head);
      if (IsCommit(h)) return h;  // detached HEAD
      constexpr std::string_view kRef = "ref: ";
      if (h.rfind(kRef, 0) == 0) return ResolveRef(fs, git_dir, h.substr(kRef.size()));
      return "";
    }
    if (dir == "/") break;
    dir = Parent(dir);
  }
  return "";
}

std::string ProgramPath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace slipway::internal_tracking
