#include "src/audit/audit_record.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "slipway/time.h"
#include "slipway/v1/audit.pb.h"
#include "src/audit/sha256.h"
#include "src/errors/strings.h"
#include "src/errors/utf8.h"

namespace slipway::internal_audit {
namespace {

using internal_strings::Append;

// Appends `text` as a JSON string (with its quotes). The escapes are part of
// the chain's format (the header comment): never change them.
void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// Appends `"key":`, after a comma unless `out` is just the opening brace.
void AppendKey(std::string* out, std::string_view key) {
  if (out->size() > 1) out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendField(std::string* out, std::string_view key,
                 std::string_view value) {
  AppendKey(out, key);
  AppendJsonString(out, value);
}

void AppendField(std::string* out, std::string_view key, int64_t value) {
  AppendKey(out, key);
  Append(out, value);
}

}  // namespace

std::string CanonicalJson(const AuditRecord& r) {
  std::string out = "{";
  out.reserve(512);
  AppendField(&out, "seq", r.seq);
  AppendField(&out, "timestamp",
              FormatRfc3339(absl::FromUnixMillis(r.timestamp_ms)));
  AppendField(&out, "agent", r.agent);
  AppendField(&out, "user", r.user);
  AppendField(&out, "environment", r.environment);
  AppendField(&out, "command", r.command);
  AppendField(&out, "resource_type", r.resource_type);
  AppendField(&out, "resource_name", r.resource_name);
  AppendField(&out, "action", r.action);
  AppendField(&out, "model_name", r.model_name);
  AppendField(&out, "model_version", r.model_version);
  AppendField(&out, "previous_version", r.previous_version);
  AppendField(&out, "change_ticket", r.change_ticket);
  AppendField(&out, "outcome", AuditOutcomeName(r.outcome));
  AppendField(&out, "rollback_config", r.rollback_config);
  AppendField(&out, "duration_ms", r.duration_ms);
  AppendField(&out, "reason", r.reason);
  AppendField(&out, "message", r.message);
  AppendField(&out, "prev_hash", r.prev_hash);
  out.push_back('}');
  return out;
}

std::string JsonLine(const AuditRecord& record) {
  std::string line = CanonicalJson(record);
  line.pop_back();  // '}'
  AppendField(&line, "hash", record.hash);
  line.push_back('}');
  return line;
}

absl::StatusOr<std::string> ChainHash(std::string_view prev_hash,
                                      std::string_view canonical) {
  return Sha256Hex(prev_hash, canonical);
}

absl::StatusOr<std::string> ExpectedHash(const AuditRecord& record) {
  return ChainHash(record.prev_hash, CanonicalJson(record));
}

absl::Status Seal(AuditRecord& record) {
  absl::StatusOr<std::string> hash = ExpectedHash(record);
  if (!hash.ok()) return hash.status();
  record.hash = *std::move(hash);
  return absl::OkStatus();
}

std::string ValidUtf8(std::string_view text) {
  if (internal_utf8::IsValid(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = internal_utf8::SequenceLength(text, i);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

void ToProto(const AuditRecord& r, v1::AuditRecord* proto) {
  proto->Clear();
  proto->set_seq(r.seq);
  proto->set_timestamp(FormatRfc3339(absl::FromUnixMillis(r.timestamp_ms)));
  proto->set_agent(r.agent);
  proto->set_user(r.user);
  proto->set_environment(r.environment);
  proto->set_command(r.command);
  proto->set_resource_type(r.resource_type);
  proto->set_resource_name(r.resource_name);
  proto->set_action(r.action);
  proto->set_model_name(r.model_name);
  proto->set_model_version(r.model_version);
  proto->set_previous_version(r.previous_version);
  proto->set_change_ticket(r.change_ticket);
  proto->set_outcome(std::string(AuditOutcomeName(r.outcome)));
  proto->set_rollback_config(r.rollback_config);
  proto->set_duration_ms(r.duration_ms);
  proto->set_reason(r.reason);
  proto->set_message(r.message);
  proto->set_prev_hash(r.prev_hash);
  proto->set_hash(r.hash);
}

}  // namespace slipway::internal_audit
