// The audit log and the emergency stop as a Store shows them
// (docs/audit.md; SPEC §5, §6).
//
// Thread-safety: plain values.
#ifndef SLIPWAY_AUDIT_H_
#define SLIPWAY_AUDIT_H_

#include <cstdint>
#include <string>

namespace slipway {

// One audit record (SPEC §6), as stored. Records are append-only and
// chained: `hash` covers the record and `prev_hash`, the previous record's
// hash (Store::VerifyAuditLog checks the chain).
struct AuditRecord {
  int64_t seq = 0;           // 1, 2, 3, ... without gaps
  std::string timestamp;     // RFC 3339 UTC, e.g. "2026-01-01T00:00:00.000Z"
  int64_t timestamp_ms = 0;  // the same, Unix milliseconds
  std::string agent;
  std::string user;
  std::string environment;
  std::string command;  // e.g. "model_version.register"
  std::string resource_type;
  std::string resource_name;
  std::string action;
  std::string model_name;
  std::string model_version;
  std::string previous_version;
  std::string change_ticket;
  std::string outcome;  // "success", "failure" or "denied"
  std::string rollback_config;
  int64_t duration_ms = 0;
  // For a failed or refused operation: the error's reason and message.
  std::string reason;
  std::string message;
  std::string prev_hash;
  std::string hash;
};

// Both emergency stop flags as they are now.
struct EmergencyStopState {
  bool active = false;  // either flag set
  // The stop file ("" when this store has none) and whether it exists.
  std::string file_path;
  bool file_set = false;
  std::string file_content;
  // The store's flag.
  bool store_set = false;
  std::string store_actor;
  std::string store_reason;
  int64_t store_set_ms = 0;
};

}  // namespace slipway

#endif  // SLIPWAY_AUDIT_H_
