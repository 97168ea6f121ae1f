// The order-preserving, bit-exact 8-byte double encoding.
#include "src/storage/sortable_double.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace slipway::internal_storage {
namespace {

using Limits = std::numeric_limits<double>;

uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }
double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

TEST(StorageSortableDoubleTest, RoundTripsEverySpecialValueBitExact) {
  const std::vector<double> values = {
      0.0,
      -0.0,
      1.0,
      -1.5,
      Limits::infinity(),
      -Limits::infinity(),
      Limits::quiet_NaN(),
      -Limits::quiet_NaN(),
      FromBits(0x7ff0000000000001ULL),  // A signalling NaN payload.
      FromBits(0xfff8dead0000beefULL),  // A negative NaN with a payload.
      Limits::denorm_min(),
      -Limits::denorm_min(),
      Limits::min(),
      Limits::max(),
      Limits::lowest(),
      Limits::epsilon(),
  };
  for (double v : values) {
    const std::string encoded = EncodeSortableDouble(v);
    ASSERT_EQ(encoded.size(), kSortableDoubleSize);
    std::optional<double> decoded = DecodeSortableDouble(encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(Bits(*decoded), Bits(v)) << std::hex << Bits(v);
  }
}

TEST(StorageSortableDoubleTest, ByteOrderIsNumericOrder) {
  // Strictly increasing, as IEEE orders them (with -0.0 just below +0.0).
  const std::vector<double> ascending = {-Limits::infinity(),
                                         Limits::lowest(),
                                         -1e300,
                                         -2.0,
                                         -1.0,
                                         -Limits::min(),
                                         -Limits::denorm_min(),
                                         -0.0,
                                         0.0,
                                         Limits::denorm_min(),
                                         Limits::min(),
                                         1.0,
                                         1.0 + Limits::epsilon(),
                                         2.0,
                                         1e300,
                                         Limits::max(),
                                         Limits::infinity()};
  for (size_t i = 1; i < ascending.size(); ++i) {
    // std::string compares bytes as unsigned char, like SQLite's memcmp.
    EXPECT_LT(EncodeSortableDouble(ascending[i - 1]),
              EncodeSortableDouble(ascending[i]))
        << ascending[i - 1] << " vs " << ascending[i];
  }
}

TEST(StorageSortableDoubleTest, NansSortOutsideTheInfinities) {
  EXPECT_GT(EncodeSortableDouble(Limits::quiet_NaN()),
            EncodeSortableDouble(Limits::infinity()));
  EXPECT_LT(EncodeSortableDouble(-Limits::quiet_NaN()),
            EncodeSortableDouble(-Limits::infinity()));
}

TEST(StorageSortableDoubleTest, WrongLengthDoesNotDecode) {
  EXPECT_FALSE(DecodeSortableDouble("").has_value());
  EXPECT_FALSE(DecodeSortableDouble("1234567").has_value());
  EXPECT_FALSE(DecodeSortableDouble("123456789").has_value());
  EXPECT_TRUE(DecodeSortableDouble(std::string(8, '\0')).has_value());
}

}  // namespace
}  // namespace slipway::internal_storage
