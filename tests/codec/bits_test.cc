#include "src/codec/bits.h"

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace slipway::internal_codec {
namespace {

uint64_t Mask(int n) { return n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

TEST(BitsTest, WritesMostSignificantBitFirst) {
  std::string buf(16, '\0');
  BitWriter w(buf.data());
  w.Write(0b101, 3);
  w.Write(0b11111, 5);
  w.Write(0b1, 1);
  ASSERT_EQ(w.Finish(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), 0b10111111);
  EXPECT_EQ(static_cast<uint8_t>(buf[1]), 0b10000000);
}

TEST(BitsTest, RandomWidthsRoundTrip) {
  std::mt19937_64 rng(42);
  std::vector<std::pair<uint64_t, int>> items;
  size_t total_bits = 0;
  for (int i = 0; i < 5000; ++i) {
    const int n = static_cast<int>(rng() % 65);
    items.emplace_back(rng() & Mask(n), n);
    total_bits += n;
  }
  std::string buf((total_bits + 7) / 8 + 8, '\0');
  BitWriter w(buf.data());
  for (const auto& [v, n] : items) w.Write(v, n);
  const size_t bytes = w.Finish();
  ASSERT_EQ(bytes, (total_bits + 7) / 8);

  BitReader r(buf.data(), bytes);
  for (const auto& [v, n] : items) ASSERT_EQ(r.Read64(n), v) << n;
  EXPECT_FALSE(r.overrun());
  EXPECT_LT(r.remaining_bits(), 8u);
  EXPECT_TRUE(r.RestIsZero());
}

TEST(BitsTest, ReadOnesCountsAUnaryPrefix) {
  std::string buf(16, '\0');
  BitWriter w(buf.data());
  w.Write(0b0, 1);      // 0 ones
  w.Write(0b110, 3);    // 2 ones
  w.Write(0b11111, 5);  // 5 ones, no terminator at max=5
  w.Write(0b10, 2);     // 1 one
  const size_t bytes = w.Finish();
  BitReader r(buf.data(), bytes);
  EXPECT_EQ(r.ReadOnes(5), 0);
  EXPECT_EQ(r.ReadOnes(5), 2);
  EXPECT_EQ(r.ReadOnes(5), 5);
  EXPECT_EQ(r.ReadOnes(5), 1);
  EXPECT_FALSE(r.overrun());
}

TEST(BitsTest, ReadingPastTheEndYieldsZerosAndFlagsOverrun) {
  const std::string buf = "\xff\xff";
  BitReader r(buf.data(), buf.size());
  EXPECT_EQ(r.Read(12), 0xFFFu);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.Read(8), 0xF0u);
  EXPECT_TRUE(r.overrun());
  EXPECT_EQ(r.Read64(64), 0u);
  EXPECT_EQ(r.ReadOnes(5), 0);
  EXPECT_TRUE(r.overrun());
}

TEST(BitsTest, ReadOnesPastTheEndFlagsOverrun) {
  const std::string buf = "\xff";
  BitReader r(buf.data(), buf.size());
  EXPECT_EQ(r.ReadOnes(5), 5);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.ReadOnes(5), 3);  // three ones, then the input ends
  EXPECT_TRUE(r.overrun());
}

}  // namespace
}  // namespace slipway::internal_codec
