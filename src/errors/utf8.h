// UTF-8 decoding shared by error messages and validators.
#ifndef SLIPWAY_SRC_ERRORS_UTF8_H_
#define SLIPWAY_SRC_ERRORS_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slipway::internal_utf8 {

// Returns the length (1 to 4) of the well-formed UTF-8 sequence that starts
// at s[i], or 0 if the bytes there are not well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are not). Requires i < s.size().
size_t SequenceLength(std::string_view s, size_t i);

// Decodes the well-formed sequence of length `len` at s[i].
char32_t Decode(std::string_view s, size_t i, size_t len);

// Returns whether all of `s` is well-formed UTF-8.
bool IsValid(std::string_view s);

// Returns the number of code points of a well-formed UTF-8 string.
size_t CodePointCount(std::string_view s);

}  // namespace slipway::internal_utf8

#endif  // SLIPWAY_SRC_ERRORS_UTF8_H_
