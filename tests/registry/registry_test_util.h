// Shared by the registry tests: a Store on a FakeClock in a temp directory,
// and small helpers for files, actors and audit records.
#ifndef SLIPWAY_TESTS_REGISTRY_REGISTRY_TEST_UTIL_H_
#define SLIPWAY_TESTS_REGISTRY_REGISTRY_TEST_UTIL_H_

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "slipway/registry.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "slipway/testing/fake_clock.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::registry_test {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::ReasonOf;
using ::slipway::storage_test::TempDir;

inline const Actor kAlice{"alice", ""};
inline const Actor kLead{"lena", "data-science-lead"};
inline const Actor kPlatform{"pat", "platform-lead"};

// Writes `bytes` to `path` (creating or replacing the file).
inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// The whole content of `path`, or "<missing>".
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `n` bytes that differ from position to position (a fixed pattern).
inline std::string Bytes(size_t n, unsigned seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

// A store per test: "s.db" in a fresh directory (or ":memory:"), on a
// FakeClock, with the stop file inside the directory (so the process
// environment's SLIPWAY_EMERGENCY_STOP_FILE cannot reach the test).
class RegistryStoreTest : public ::testing::Test {
 protected:
  StoreOptions Options() {
    StoreOptions options;
    options.env.clock = &clock_;
    options.emergency_stop_file = dir_.File("slipway.STOP");
    return options;
  }

  std::unique_ptr<Store> Open(const std::string& uri, StoreOptions options) {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(uri, std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::unique_ptr<Store> OpenFile(StoreOptions options) {
    return Open(path_, std::move(options));
  }
  std::unique_ptr<Store> OpenFile() { return OpenFile(Options()); }

  // Registers `version` of `model` by alice with nothing else.
  static absl::StatusOr<ModelVersionInfo> Register(Store& store,
                                                   const std::string& model,
                                                   const std::string& version) {
    RegisterModelVersionRequest r;
    r.model = model;
    r.version = version;
    r.actor = kAlice;
    return store.RegisterModelVersion(r);
  }

  static std::vector<std::string> VersionsOf(Store& store,
                                             const std::string& model) {
    absl::StatusOr<std::vector<ModelVersionInfo>> all =
        store.ListModelVersions(model);
    EXPECT_TRUE(all.ok()) << all.status();
    std::vector<std::string> out;
    if (all.ok()) {
      for (const ModelVersionInfo& v : *all) out.push_back(v.version);
    }
    return out;
  }

  static std::vector<AuditRecord> AuditLog(Store& store) {
    absl::StatusOr<std::vector<AuditRecord>> log = store.GetAuditLog();
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : std::vector<AuditRecord>{};
  }

  TempDir dir_;
  const std::string path_ = dir_.File("s.db");
  testing::FakeClock clock_;
};

}  // namespace slipway::registry_test

#endif  // SLIPWAY_TESTS_REGISTRY_REGISTRY_TEST_UTIL_H_
