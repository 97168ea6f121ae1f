// ErrorDetail <-> absl::Status payload. The detail is stored as a serialized
// slipway.v1.ErrorDetail so that it survives any code that copies statuses
// and stays readable from other languages.
#include "slipway/status.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "slipway/v1/error.pb.h"
#include "src/errors/utf8.h"
#include "src/errors/strings.h"

namespace slipway {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;

absl::Status MakeError(absl::StatusCode code, std::string_view message,
                       ErrorDetail detail) {
  if (code == absl::StatusCode::kOk) {
    return absl::InternalError(Cat(
        "slipway bug: MakeError called with an OK code for: ", message));
  }
  v1::ErrorDetail proto;
  proto.set_reason(std::move(detail.reason));
  proto.set_rule(std::move(detail.rule));
  proto.set_value(std::move(detail.value));
  proto.set_fix(std::move(detail.fix));
  absl::Status status(code, internal_strings::ToAbsl(message));
  status.SetPayload(kErrorDetailTypeUrl, absl::Cord(proto.SerializeAsString()));
  return status;
}

std::optional<ErrorDetail> GetErrorDetail(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorDetailTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  v1::ErrorDetail proto;
  if (!proto.ParseFromString(std::string(*payload))) return std::nullopt;
  return ErrorDetail{proto.reason(), proto.rule(), proto.value(), proto.fix()};
}

std::string QuoteForMessage(std::string_view value, size_t max_bytes) {
  std::string out = "\"";
  size_t i = 0;
  while (i < value.size() && i < max_bytes) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default: absl::StrAppendFormat(&out, "\\x%02x", c);
      }
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (size_t n = internal_utf8::SequenceLength(value, i); n > 0) {
      out.append(value.substr(i, n));
      i += n;
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      ++i;
    }
  }
  out += '"';
  if (i < value.size()) {
    Append(&out, "... (", value.size(), " bytes in all)");
  }
  return out;
}

}  // namespace slipway
