#include "slipway/testing/sequential_id_source.h"

#include <cstdint>
#include <string>

namespace slipway::testing {

SequentialIdSource::SequentialIdSource(uint64_t first) : next_(first) {}

std::string SequentialIdSource::NewId() {
  const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  static constexpr char kHex[] = "0123456789abcdef";
  // The high 64 bits are always zero: 16 '0's, then the counter.
  std::string id(32, '0');
  for (int i = 0; i < 16; ++i) id[31 - i] = kHex[(n >> (4 * i)) & 0xF];
  return id;
}

}  // namespace slipway::testing
