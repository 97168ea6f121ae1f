// A deterministic IdSource for tests and golden files: ids are a counter
// written as 32 lowercase hex digits, "00000000000000000000000000000001",
// "00000000000000000000000000000002", ... so a test can predict every id.
//
// Thread-safety: thread-safe. Concurrent callers get distinct ids; which
// caller gets which is up to the scheduler.
#ifndef SLIPWAY_TESTING_SEQUENTIAL_ID_SOURCE_H_
#define SLIPWAY_TESTING_SEQUENTIAL_ID_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "slipway/env.h"

namespace slipway::testing {

class SequentialIdSource final : public IdSource {
 public:
  // The first id will be `first` in hex (default 1, so no id is all zeros).
  explicit SequentialIdSource(uint64_t first = 1);

  SequentialIdSource(const SequentialIdSource&) = delete;
  SequentialIdSource& operator=(const SequentialIdSource&) = delete;

  // Returns the next counter value as 32 lowercase hex digits. After 2^64
  // calls the counter wraps around (and ids repeat).
  std::string NewId() override;

 private:
  std::atomic<uint64_t> next_;
};

}  // namespace slipway::testing

#endif  // SLIPWAY_TESTING_SEQUENTIAL_ID_SOURCE_H_
