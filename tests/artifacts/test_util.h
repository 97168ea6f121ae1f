// Helpers shared by the artifact store tests: status inspection, scratch
// folders, file contents.
#ifndef SLIPWAY_TESTS_ARTIFACTS_TEST_UTIL_H_
#define SLIPWAY_TESTS_ARTIFACTS_TEST_UTIL_H_

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::artifacts_test {

// Returns the ErrorDetail reason of `status`, or "<no detail>".
inline std::string ReasonOf(const absl::Status& status) {
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->reason : "<no detail>";
}

// Returns the ErrorDetail value of `status`, or "<no detail>".
inline std::string ValueOf(const absl::Status& status) {
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  return detail.has_value() ? detail->value : "<no detail>";
}

inline std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it
// (read-only blobs included) when the object goes away.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/slipway-artifacts-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteFileOrDie(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Names in folder `path` (without "." and ".."), sorted; empty when the
// folder is missing.
inline std::vector<std::string> ListNames(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every regular file below `path`, as paths relative to it, sorted.
inline std::vector<std::string> ListFilesRecursively(const std::string& path) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(path, ec)) {
    if (e.is_regular_file()) {
      files.push_back(
          std::filesystem::relative(e.path(), path).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Deterministic pseudo-random bytes (xorshift), different for each seed.
inline std::string PseudoRandomBytes(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

}  // namespace slipway::artifacts_test

#endif  // SLIPWAY_TESTS_ARTIFACTS_TEST_UTIL_H_
