#include "src/storage/sortable_double.h"

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slipway::internal_storage {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

}  // namespace

std::string EncodeSortableDouble(double value) {
  uint64_t bits = std::bit_cast<uint64_t>(value);
  bits = (bits & kSignBit) != 0 ? ~bits : (bits | kSignBit);
  std::string out(kSortableDoubleSize, '\0');
  for (size_t i = 0; i < kSortableDoubleSize; ++i) {
    out[i] = static_cast<char>(bits >> (8 * (kSortableDoubleSize - 1 - i)));
  }
  return out;
}

std::optional<double> DecodeSortableDouble(std::string_view bytes) {
  if (bytes.size() != kSortableDoubleSize) return std::nullopt;
  uint64_t bits = 0;
  for (unsigned char byte : bytes) bits = (bits << 8) | byte;
  bits = (bits & kSignBit) != 0 ? (bits & ~kSignBit) : ~bits;
  return std::bit_cast<double>(bits);
}

}  // namespace slipway::internal_storage
