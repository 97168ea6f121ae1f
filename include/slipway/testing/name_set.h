// A NameRegistry backed by two in-memory sets, for tests and for policies
// that list their endpoints and pipelines statically.
//
// Thread-safety: thread-safe.
#ifndef SLIPWAY_TESTING_NAME_SET_H_
#define SLIPWAY_TESTING_NAME_SET_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "slipway/validate.h"

namespace slipway::testing {

class NameSet final : public NameRegistry {
 public:
  NameSet() = default;

  // Registers `name` as `kind`. The name is not validated here.
  void Add(RegisteredKind kind, std::string_view name) {
    absl::MutexLock lock(&mu_);
    Set(kind).insert(std::string(name));
  }

  absl::StatusOr<bool> IsRegistered(RegisteredKind kind,
                                    std::string_view name) const override {
    absl::MutexLock lock(&mu_);
    const auto& set = kind == RegisteredKind::kEndpoint ? endpoints_ : pipelines_;
    // Debian's Abseil has its own string_view type.
    return set.contains(absl::string_view(name.data(), name.size()));
  }

 private:
  absl::flat_hash_set<std::string>& Set(RegisteredKind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return kind == RegisteredKind::kEndpoint ? endpoints_ : pipelines_;
  }

  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> endpoints_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> pipelines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace slipway::testing

#endif  // SLIPWAY_TESTING_NAME_SET_H_
