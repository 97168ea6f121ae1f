// Bridges std::string_view and Debian's Abseil, whose absl::string_view is
// its own type (not an alias of std::string_view, see TOOLCHAIN.md): the
// public API speaks std::string_view, and these wrappers let the
// implementation pass std::string_view straight to absl::StrCat and
// friends.
#ifndef SLIPWAY_SRC_ERRORS_STRINGS_H_
#define SLIPWAY_SRC_ERRORS_STRINGS_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace slipway::internal_strings {

// std::string_view -> absl::string_view (no copy).
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
// absl::string_view -> std::string_view (no copy).
inline std::string_view ToStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

// Passes every argument through unchanged except std::string_view, which
// becomes absl::string_view.
template <typename T>
decltype(auto) Piece(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return ToAbsl(v);
  } else {
    return (v);
  }
}

// absl::StrCat / absl::StrAppend that also take std::string_view.
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(Piece(args)...);
}
template <typename... Args>
void Append(std::string* out, const Args&... args) {
  absl::StrAppend(out, Piece(args)...);
}

}  // namespace slipway::internal_strings

#endif  // SLIPWAY_SRC_ERRORS_STRINGS_H_
