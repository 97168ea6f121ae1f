// CRC-32C (Castagnoli), the checksum that guards every metric chunk.
//
// Parameters (the common "CRC-32C" of iSCSI, ext4 and Snappy framing):
// reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR
// 0xFFFFFFFF. Crc32c("123456789") == 0xE3069283.
//
// Debian's Abseil 20220623 has no public CRC API, so this is a small
// implementation: the SSE4.2 CRC32 instruction where the CPU has it (checked
// once at run time), otherwise table-driven slicing-by-8 with tables built at
// compile time. Both give the same result. Thread-safe: pure functions.
#ifndef SLIPWAY_SRC_CODEC_CRC32C_H_
#define SLIPWAY_SRC_CODEC_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace slipway::internal_codec {

// Returns the CRC-32C of `data`.
uint32_t Crc32c(std::string_view data);

// Continues a CRC-32C: Crc32cExtend(Crc32c(a), b) == Crc32c(a + b), and
// Crc32cExtend(0, a) == Crc32c(a).
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);

// The portable table-driven path of Crc32cExtend, exposed so tests can check
// the hardware path against it.
uint32_t Crc32cExtendPortable(uint32_t crc, std::string_view data);

}  // namespace slipway::internal_codec

#endif  // SLIPWAY_SRC_CODEC_CRC32C_H_
