// AuditRecord (SPEC §6) and its bytes: the canonical JSON that is hashed,
// the JSON line that is exported, and the hash chain's arithmetic.
//
// The canonical JSON of a record is compact JSON (no spaces), UTF-8, with
// every key always present in this fixed order:
//
//   {"seq":7,"timestamp":"2026-01-01T00:00:00.000Z","agent":"...",
//    "user":"...","environment":"...","command":"...","resource_type":"...",
//    "resource_name":"...","action":"...","model_name":"...",
//    "model_version":"...","previous_version":"...","change_ticket":"...",
//    "outcome":"success","rollback_config":"...","duration_ms":12,
//    "reason":"...","message":"...","prev_hash":"<64 hex>"}
//
// Strings escape only '"', '\\' and control characters (\b \f \n \r \t, else
// \u00XX with lowercase hex); every other character is written as its UTF-8
// bytes. Integers are plain decimal. The record's hash is
//
//   hash = lowercase hex SHA-256( prev_hash (64 hex characters) ‖ canonical )
//
// and its JSON line is the canonical JSON with `,"hash":"<64 hex>"` inserted
// before the closing brace, so anyone holding an exported file can check
// every link with a few lines of any language (docs/audit.md).
//
// The serializer is our own, not a JSON library's: these bytes must stay
// the same in every future release, or old chains would stop verifying.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_AUDIT_AUDIT_RECORD_H_
#define SLIPWAY_SRC_AUDIT_AUDIT_RECORD_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/storage/audit_backend.h"

namespace slipway::v1 {
class AuditRecord;
}  // namespace slipway::v1

namespace slipway::internal_audit {

// The record and its outcome are the storage layer's plain types: one
// vocabulary from the SQL table to the exported line.
using AuditRecord = internal_storage::AuditRecord;
using AuditOutcome = internal_storage::AuditOutcome;
using internal_storage::AuditOutcomeName;
using internal_storage::kAuditGenesisHash;

// Returns the canonical JSON of `record` (every field but `hash`).
std::string CanonicalJson(const AuditRecord& record);

// Returns the JSON line of `record` (canonical JSON plus its hash), without
// a trailing newline.
std::string JsonLine(const AuditRecord& record);

// Returns the hash a record with this canonical JSON and this prev_hash
// must carry. Errors: Internal SHA256_UNAVAILABLE (sha256.h).
absl::StatusOr<std::string> ChainHash(std::string_view prev_hash,
                                      std::string_view canonical);

// Returns ChainHash(record.prev_hash, CanonicalJson(record)): the hash the
// record must carry for its content. Errors as ChainHash.
absl::StatusOr<std::string> ExpectedHash(const AuditRecord& record);

// Sets record.hash to ExpectedHash(record): the AuditBackend::Seal the
// Auditor passes to AppendAudit. Errors as ChainHash.
absl::Status Seal(AuditRecord& record);

// Replaces every byte of `text` that is not part of well-formed UTF-8 with
// U+FFFD, so any input can be recorded as JSON text.
std::string ValidUtf8(std::string_view text);

// Returns `record` as the typed proto (proto/slipway/v1/audit.proto).
void ToProto(const AuditRecord& record, v1::AuditRecord* proto);

}  // namespace slipway::internal_audit

#endif  // SLIPWAY_SRC_AUDIT_AUDIT_RECORD_H_
