// Bit-level writer and reader for the metric chunk codec (docs/storage.md,
// "Metric chunks"). Bits are written most significant first; bytes are
// filled from their most significant bit, so the stream reads left to right
// in a hex dump.
//
// Both classes are small value types for one encode or decode; they are not
// thread-safe (use one per thread).
#ifndef SLIPWAY_SRC_CODEC_BITS_H_
#define SLIPWAY_SRC_CODEC_BITS_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace slipway::internal_codec {

// Writes bits into a caller-provided buffer that is large enough for
// everything written plus 8 bytes of slack (the writer stores whole 64-bit
// words). The caller sizes the buffer from a worst-case bound; there is no
// bounds check on the fast path.
class BitWriter {
 public:
  explicit BitWriter(char* out) : out_(out) {}

  // Appends the low `n` bits of `value`, most significant first.
  // Preconditions: 0 <= n <= 64, and `value` has no bits set above bit n-1.
  void Write(uint64_t value, int n) {
    if (n == 0) return;
    const int free = 64 - used_;
    if (n < free) {
      acc_ |= value << (free - n);
      used_ += n;
      return;
    }
    // Fill the word, store it, keep the rest.
    const int rest = n - free;
    acc_ |= value >> rest;
    StoreWord();
    acc_ = rest == 0 ? 0 : value << (64 - rest);
    used_ = rest;
  }

  // Appends one bit.
  void WriteBit(bool bit) { Write(bit ? 1 : 0, 1); }

  // Pads the stream with zero bits to a byte boundary and flushes. Returns
  // the number of bytes written since construction.
  size_t Finish() {
    const size_t bytes = static_cast<size_t>((used_ + 7) / 8);
    // Store the whole word (the buffer has slack); only `bytes` count.
    StoreWord();
    return written_ - 8 + bytes;
  }

 private:
  void StoreWord() {
    const uint64_t big = ToBigEndian(acc_);
    std::memcpy(out_ + written_, &big, 8);
    written_ += 8;
  }

  static uint64_t ToBigEndian(uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) {
      return __builtin_bswap64(v);
    } else {
      return v;
    }
  }

  char* out_;
  size_t written_ = 0;
  uint64_t acc_ = 0;  // pending bits, left-aligned
  int used_ = 0;      // number of pending bits in acc_, 0..63
};

// Reads bits from a byte range. Reading past the end never touches memory
// outside the range: it yields zero bits and sets `overrun()`, which the
// decoder checks after each column (so the hot loop has no error branch).
class BitReader {
 public:
  BitReader(const char* data, size_t size)
      : pos_(reinterpret_cast<const uint8_t*>(data)), end_(pos_ + size) {}

  // Returns the next `n` bits as an unsigned integer. Precondition:
  // 1 <= n <= 56 (use Read64 for more).
  uint64_t Read(int n) {
    if (bits_ < n) Refill();
    if (bits_ < n) Overrun(n);
    const uint64_t v = window_ >> (64 - n);
    window_ <<= n;
    bits_ -= n;
    return v;
  }

  // Returns the next `n` bits, 0 <= n <= 64.
  uint64_t Read64(int n) {
    if (n <= 32) return n == 0 ? 0 : Read(n);
    const uint64_t high = Read(n - 32);
    return (high << 32) | Read(32);
  }

  bool ReadBit() { return Read(1) != 0; }

  // Reads a unary prefix: counts 1 bits up to `max` (1 <= max <= 8),
  // consuming the terminating 0 bit unless `max` ones were read. Returns the
  // count.
  int ReadOnes(int max) {
    if (bits_ < max) Refill();
    // Bits past bits_ are zero, so the count stops there at the latest.
    int ones = std::countl_one(window_);
    int consumed;
    if (ones >= max) {
      ones = max;
      consumed = max;
    } else {
      consumed = ones + 1;
    }
    if (bits_ < consumed) Overrun(consumed);
    window_ <<= consumed;
    bits_ -= consumed;
    return ones;
  }

  // Returns the next 64 bits, left-aligned, without consuming them; at least
  // `n` (1 <= n <= 56) of them are input bits unless the input ends first,
  // and bits past the end are zero. Pair with Consume for table-driven
  // decoding without branches.
  uint64_t Peek(int n) {
    if (bits_ < n) Refill();
    return window_;
  }

  // Input bits in the window after a Peek: at least the `n` asked for, unless
  // the input ended first. Bits beyond these read as zero.
  int peeked_bits() const { return bits_; }

  // Consumes `n` bits (1 <= n <= 56) after a Peek(m) with m >= n.
  void Consume(int n) {
    if (bits_ < n) Overrun(n);
    window_ <<= n;
    bits_ -= n;
  }

  // Whether a read went past the end of the range.
  bool overrun() const { return overrun_; }

  // Bits not yet read (0 after an overrun).
  size_t remaining_bits() const {
    return static_cast<size_t>(bits_) + static_cast<size_t>(end_ - pos_) * 8;
  }

  // Reads all remaining bits and returns whether they are zero. Used to check
  // the padding after the last column.
  bool RestIsZero() {
    while (remaining_bits() > 0) {
      const int n = remaining_bits() >= 32 ? 32 : static_cast<int>(remaining_bits());
      if (Read(n) != 0) return false;
    }
    return true;
  }

 private:
  // Tops the window up to at least 56 valid bits, or to the end of input.
  void Refill() {
    if (end_ - pos_ >= 8) {
      uint64_t v;
      std::memcpy(&v, pos_, 8);
      if constexpr (std::endian::native == std::endian::little) {
        v = __builtin_bswap64(v);
      }
      // Bits of a partly taken byte land in the window too; the next refill
      // ORs the same byte into the same place, so that is harmless.
      window_ |= v >> bits_;
      const int take = (63 - bits_) >> 3;
      pos_ += take;
      bits_ += take * 8;
    } else {
      while (bits_ <= 56 && pos_ < end_) {
        window_ |= static_cast<uint64_t>(*pos_++) << (56 - bits_);
        bits_ += 8;
      }
    }
  }

  // The input ended: pretend it continues with zero bits.
  void Overrun(int n) {
    overrun_ = true;
    bits_ = n;
  }

  const uint8_t* pos_;
  const uint8_t* end_;
  uint64_t window_ = 0;  // next bits, left-aligned; zero below bits_ at the end
  int bits_ = 0;         // valid bits in window_
  bool overrun_ = false;
};

}  // namespace slipway::internal_codec

#endif  // SLIPWAY_SRC_CODEC_BITS_H_
